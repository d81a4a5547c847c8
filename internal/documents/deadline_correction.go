package documents

import (
	"fmt"

	"github.com/creditcase/creditcase/internal/calendar"
)

// KindDeadlineCorrection is the notice of corrected deadlines
// (期限更正通知书): after a working-day calendar is updated (a new year's
// holiday schedule published by the State Council), the due dates of a
// running case are counted again and the subject is told each date that
// moved — the old date, the new one, why, and what sets the limit.
const KindDeadlineCorrection Kind = "deadline_correction"

// DeadlineCorrection (期限更正通知书) tells the subject which due dates of
// the case a calendar update moved.
type DeadlineCorrection struct {
	Header
	Subject Subject `json:"subject"`
	// Matter names the case in words, e.g. "你于2026年12月30日提出的信用信息
	// 异议申请".
	Matter string `json:"matter"`
	// Items are the corrected deadlines, in the case's order.
	Items []CorrectedDue `json:"items"`
	// Revision is the calendar revision that moved them; Notices the
	// official notices it brought (《国务院办公厅关于2027年部分节假日安排的
	// 通知》（国办发明电〔2026〕X号）), when known.
	Revision int64    `json:"revision"`
	Notices  []string `json:"notices,omitempty"`
	Contact  Contact  `json:"contact"`
}

// CorrectedDue is one deadline whose due date moved.
type CorrectedDue struct {
	// Name is the limit's name, e.g. 异议处理期限.
	Name string `json:"name"`
	// Ask is what the limit asks of the party, in words (the provider's
	// letter states it), e.g. 核查异议信息并将核查结果书面回复本中心.
	Ask string `json:"ask,omitempty"`
	// Old is the due date stated before; OldProvisional is true when it
	// was estimated before the year's schedule was published.
	Old            calendar.Date `json:"old"`
	OldProvisional bool          `json:"old_provisional"`
	// New is the corrected deadline: its date, length, start and basis.
	New Due `json:"new"`
}

// Kind is KindDeadlineCorrection.
func (*DeadlineCorrection) Kind() Kind { return KindDeadlineCorrection }

// AnyProvisional reports whether an old date was a provisional estimate.
func (d *DeadlineCorrection) AnyProvisional() bool {
	for _, it := range d.Items {
		if it.OldProvisional {
			return true
		}
	}
	return false
}

// Validate reports missing or malformed fields.
func (d *DeadlineCorrection) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	v.required("matter", d.Matter)
	if len(d.Items) == 0 {
		v.add("items", "at least one corrected deadline is required")
	}
	if d.Revision < 1 {
		v.add("revision", "the calendar revision that moved the dates is required")
	}
	for i, it := range d.Items {
		f := fmt.Sprintf("items[%d]", i)
		v.required(f+".name", it.Name)
		v.date(f+".old", it.Old)
		it.New.validate(v, f+".new")
		if it.Old == it.New.Date {
			v.add(f+".new.date", "the corrected date is the old one")
		}
	}
	return v.err()
}

// KindProviderDeadlineCorrection is the notice of corrected deadlines
// addressed to the information provider (信息提供单位): a calendar update
// moved the due date of something the case asks of the provider (its
// verification reply, its repair opinion, its view on an objection raised
// during a repair's publicity). The provider is told in its own letter —
// what it is asked, the old date and the new one, what sets the limit —
// as the subject is told in its own.
const KindProviderDeadlineCorrection Kind = "deadline_correction_provider"

// ProviderDeadlineCorrection (期限更正通知书, to the provider) tells the
// provider which of its due dates in the case a calendar update moved.
type ProviderDeadlineCorrection struct {
	Header
	// Subject and Record name the case the provider works on; ReceivedOn
	// is when the centre received the application.
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	// Application is what the subject applied for, in words: 信用信息异议申请
	// or 信用修复申请.
	Application string `json:"application"`
	// Items are the provider's corrected deadlines, each with what it asks
	// (CorrectedDue.Ask).
	Items    []CorrectedDue `json:"items"`
	Revision int64          `json:"revision"`
	Notices  []string       `json:"notices,omitempty"`
	Contact  Contact        `json:"contact"`
}

// Kind is KindProviderDeadlineCorrection.
func (*ProviderDeadlineCorrection) Kind() Kind { return KindProviderDeadlineCorrection }

// AnyProvisional reports whether an old date was a provisional estimate.
func (d *ProviderDeadlineCorrection) AnyProvisional() bool {
	for _, it := range d.Items {
		if it.OldProvisional {
			return true
		}
	}
	return false
}

// Validate reports missing or malformed fields.
func (d *ProviderDeadlineCorrection) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.required("application", d.Application)
	if len(d.Items) == 0 {
		v.add("items", "at least one corrected deadline is required")
	}
	if d.Revision < 1 {
		v.add("revision", "the calendar revision that moved the dates is required")
	}
	for i, it := range d.Items {
		f := fmt.Sprintf("items[%d]", i)
		v.required(f+".name", it.Name)
		v.required(f+".ask", it.Ask)
		v.date(f+".old", it.Old)
		it.New.validate(v, f+".new")
		if it.Old == it.New.Date {
			v.add(f+".new.date", "the corrected date is the old one")
		}
	}
	return v.err()
}

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

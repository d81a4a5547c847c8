package documents

import (
	"github.com/creditcase/creditcase/internal/calendar"
)

// Kinds of the credit repair procedure (信用修复, DESIGN.md §2.3).
const (
	// KindRepairAcceptance tells the applicant the repair application is
	// accepted and by when the result comes (信用修复申请受理通知书).
	KindRepairAcceptance Kind = "repair_acceptance"
	// KindRepairSupplement is the one-time notice of every missing document
	// (信用修复申请补正通知书, 一次性告知).
	KindRepairSupplement Kind = "repair_supplement"
	// KindRepairPublicity is the public notice of a repair proposal
	// (信用修复公示): only what the public record already shows.
	KindRepairPublicity Kind = "repair_publicity"
	// KindRepairDecision is the repair decision letter (信用修复决定书).
	KindRepairDecision Kind = "repair_decision"
	// KindRepairRefusal refuses a repair with its reasons (不予信用修复决定书).
	KindRepairRefusal Kind = "repair_refusal"
)

// RepairAcceptance (信用修复申请受理通知书).
type RepairAcceptance struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	AcceptedOn calendar.Date `json:"accepted_on"`
	// ResultDue is when the applicant will have the result (overall limit).
	ResultDue Due        `json:"result_due"`
	Basis     []Citation `json:"basis"`
	Contact   Contact    `json:"contact"`
}

// Kind is KindRepairAcceptance.
func (*RepairAcceptance) Kind() Kind { return KindRepairAcceptance }

// Validate reports missing or malformed fields.
func (d *RepairAcceptance) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.date("accepted_on", d.AcceptedOn)
	d.ResultDue.validate(v, "result_due")
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// RepairSupplement (信用修复申请补正通知书) lists, once and completely, every
// document missing from the application.
type RepairSupplement struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	Missing    []string      `json:"missing"`
	Basis      []Citation    `json:"basis"`
	Contact    Contact       `json:"contact"`
}

// Kind is KindRepairSupplement.
func (*RepairSupplement) Kind() Kind { return KindRepairSupplement }

// Validate reports missing or malformed fields.
func (d *RepairSupplement) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.list("missing", d.Missing)
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// RepairPublicity (信用修复公示) publishes the repair proposal for the
// publicity period. The subject appears as in the public record (a
// person's identity number masked); no contact details, no evidence.
type RepairPublicity struct {
	Header
	Subject Subject `json:"subject"`
	Record  Record  `json:"record"`
	// Proposal is the proposed outcome, e.g. "拟对上述失信信息予以信用修复，停止公示".
	Proposal string        `json:"proposal"`
	From     calendar.Date `json:"from"`
	// Until is the last day of the period; objections are taken until
	// 24:00 of it.
	Until   Due        `json:"until"`
	Basis   []Citation `json:"basis"`
	Contact Contact    `json:"contact"`
}

// Kind is KindRepairPublicity.
func (*RepairPublicity) Kind() Kind { return KindRepairPublicity }

// Validate reports missing or malformed fields.
func (d *RepairPublicity) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.required("proposal", d.Proposal)
	v.date("from", d.From)
	d.Until.validate(v, "until")
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// RepairDecision (信用修复决定书) grants the repair: the record stops being
// disclosed and shared, joint punishment based on it ends, the original is
// archived.
type RepairDecision struct {
	Header
	Subject       Subject       `json:"subject"`
	Record        Record        `json:"record"`
	ReceivedOn    calendar.Date `json:"received_on"`
	PublicityFrom calendar.Date `json:"publicity_from"`
	PublicityTo   calendar.Date `json:"publicity_to"`
	// Reasons are the findings (one paragraph each).
	Reasons    []string      `json:"reasons"`
	RepairedOn calendar.Date `json:"repaired_on"`
	Basis      []Citation    `json:"basis"`
	Contact    Contact       `json:"contact"`
}

// Kind is KindRepairDecision.
func (*RepairDecision) Kind() Kind { return KindRepairDecision }

// Validate reports missing or malformed fields.
func (d *RepairDecision) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.date("publicity_from", d.PublicityFrom)
	v.date("publicity_to", d.PublicityTo)
	v.list("reasons", d.Reasons)
	v.date("repaired_on", d.RepairedOn)
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// RepairRefusal (不予信用修复决定书) refuses the repair with every reason
// and, when the application was only early, the date from which the
// subject may apply again.
type RepairRefusal struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	Reasons    []string      `json:"reasons"`
	// EligibleFrom, optional, is the first day a new application may be made.
	EligibleFrom *calendar.Date `json:"eligible_from,omitempty"`
	Basis        []Citation     `json:"basis"`
	Remedies     Remedies       `json:"remedies"`
	Contact      Contact        `json:"contact"`
}

// Kind is KindRepairRefusal.
func (*RepairRefusal) Kind() Kind { return KindRepairRefusal }

// Validate reports missing or malformed fields.
func (d *RepairRefusal) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.list("reasons", d.Reasons)
	if d.EligibleFrom != nil {
		v.date("eligible_from", *d.EligibleFrom)
	}
	validateCitations(v, "basis", d.Basis, false)
	d.Remedies.validate(v, "remedies", false)
	return v.err()
}

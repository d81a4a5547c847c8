package documents

import (
	"fmt"

	"github.com/creditcase/creditcase/internal/calendar"
)

// AcceptanceNotice (异议申请受理通知书) tells the applicant the objection is
// accepted, that the record is labelled, and by when the result comes.
type AcceptanceNotice struct {
	Header
	Subject Subject `json:"subject"`
	Record  Record  `json:"record"`
	// ReceivedOn is the day the objection arrived; AcceptedOn the day it
	// was accepted.
	ReceivedOn calendar.Date `json:"received_on"`
	AcceptedOn calendar.Date `json:"accepted_on"`
	// Suspended is true when the record is withheld from public query
	// while the objection runs (Qinzhou, Shenzhen profiles); false when it
	// stays public with the objection label (Nantong).
	Suspended bool `json:"suspended"`
	// ResultDue is when the applicant will have the written result.
	ResultDue Due        `json:"result_due"`
	Basis     []Citation `json:"basis"`
	Contact   Contact    `json:"contact"`
}

// Kind is KindAcceptance.
func (*AcceptanceNotice) Kind() Kind { return KindAcceptance }

// Validate reports missing or malformed fields.
func (d *AcceptanceNotice) Validate() error {
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

// SupplementNotice (异议申请补正通知书) tells the applicant, once and
// completely (一次性告知), everything missing from the application.
type SupplementNotice struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	// Missing lists every item to supply, each a full sentence or phrase,
	// e.g. "申请人身份证明材料复印件".
	Missing []string `json:"missing"`
	// ResubmitDue, optional, is by when to supply them; nil when the
	// profile sets no limit.
	ResubmitDue *Due       `json:"resubmit_due,omitempty"`
	Basis       []Citation `json:"basis"`
	Contact     Contact    `json:"contact"`
}

// Kind is KindSupplement.
func (*SupplementNotice) Kind() Kind { return KindSupplement }

// Validate reports missing or malformed fields.
func (d *SupplementNotice) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.list("missing", d.Missing)
	if d.ResubmitDue != nil {
		d.ResubmitDue.validate(v, "resubmit_due")
	}
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// VerificationRequest (信用信息异议核查函) asks the provider to verify the
// record under objection and reply in writing by a deadline. The
// addressee is the provider.
type VerificationRequest struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	// Grounds are the applicant's grounds and request, as summarised by
	// the caseworker.
	Grounds []string `json:"grounds"`
	// Enclosures lists the evidence sent with the letter (附件).
	Enclosures []string `json:"enclosures"`
	// ReplyDue is the provider's deadline.
	ReplyDue Due `json:"reply_due"`
	// Basis cites the article that sets the provider's duty and deadline.
	Basis []Citation `json:"basis"`
	// OnLapse, optional, says what happens if no reply arrives in time,
	// e.g. "本中心将报告信用管理部门，并暂停该信息的公开查询".
	OnLapse string  `json:"on_lapse,omitempty"`
	Contact Contact `json:"contact"`
}

// Kind is KindVerification.
func (*VerificationRequest) Kind() Kind { return KindVerification }

// Validate reports missing or malformed fields.
func (d *VerificationRequest) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.list("grounds", d.Grounds)
	for i, s := range d.Enclosures {
		v.required(fmt.Sprintf("enclosures[%d]", i), s)
	}
	d.ReplyDue.validate(v, "reply_due")
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// Outcome is how an objection ends.
type Outcome string

// Outcomes (DESIGN.md §2.1 step 8).
const (
	// OutcomeCorrected: the record was wrong and is corrected.
	OutcomeCorrected Outcome = "corrected"
	// OutcomeUpheld: the record is right; the objection label is removed.
	OutcomeUpheld Outcome = "upheld"
	// OutcomeDeleted: the record cannot be verified and is deleted.
	OutcomeDeleted Outcome = "deleted"
)

// ObjectionResult (信用信息异议处理结果告知书) tells the applicant the
// outcome, why, and what they can do if they disagree.
type ObjectionResult struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	AcceptedOn calendar.Date `json:"accepted_on"`
	Outcome    Outcome       `json:"outcome"`
	// Reasons are the findings the outcome rests on (one paragraph each).
	Reasons []string `json:"reasons"`
	// Correction says what the record now says; required when corrected.
	Correction string     `json:"correction,omitempty"`
	Basis      []Citation `json:"basis"`
	Remedies   Remedies   `json:"remedies"`
	Contact    Contact    `json:"contact"`
}

// Kind is KindObjectionResult.
func (*ObjectionResult) Kind() Kind { return KindObjectionResult }

// Validate reports missing or malformed fields.
func (d *ObjectionResult) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.date("accepted_on", d.AcceptedOn)
	switch d.Outcome {
	case OutcomeCorrected:
		v.required("correction", d.Correction)
	case OutcomeUpheld, OutcomeDeleted:
	case "":
		v.add("outcome", "required")
	default:
		v.add("outcome", "must be one of corrected, upheld, deleted")
	}
	v.list("reasons", d.Reasons)
	validateCitations(v, "basis", d.Basis, false)
	d.Remedies.validate(v, "remedies", true)
	return v.err()
}

// CorrectionNotice (信用信息更正结果告知书) tells the applicant that the
// centre found its own error (e.g. in collecting or transcribing the
// record) and corrected it without asking the provider.
type CorrectionNotice struct {
	Header
	Subject    Subject       `json:"subject"`
	Record     Record        `json:"record"`
	ReceivedOn calendar.Date `json:"received_on"`
	// Error says what was wrong; Correction what the record now says.
	Error       string        `json:"error"`
	Correction  string        `json:"correction"`
	CorrectedOn calendar.Date `json:"corrected_on"`
	Basis       []Citation    `json:"basis"`
	Remedies    Remedies      `json:"remedies"`
	Contact     Contact       `json:"contact"`
}

// Kind is KindCorrection.
func (*CorrectionNotice) Kind() Kind { return KindCorrection }

// Validate reports missing or malformed fields.
func (d *CorrectionNotice) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.date("received_on", d.ReceivedOn)
	v.required("error", d.Error)
	v.required("correction", d.Correction)
	v.date("corrected_on", d.CorrectedOn)
	validateCitations(v, "basis", d.Basis, false)
	d.Remedies.validate(v, "remedies", true)
	return v.err()
}

// AppealResult is the credit authority's decision on an appeal.
type AppealResult string

// Appeal results.
const (
	// AppealDismissed keeps the original result (维持).
	AppealDismissed AppealResult = "dismissed"
	// AppealCorrected orders the record corrected (变更).
	AppealCorrected AppealResult = "corrected"
	// AppealDeleted orders the record deleted (撤销并删除).
	AppealDeleted AppealResult = "deleted"
)

// AppealDecision (信用信息异议申诉决定书) is the credit authority's decision
// on the applicant's appeal (申诉) against an objection result. The
// issuing organ is the credit authority.
type AppealDecision struct {
	Header
	Subject Subject `json:"subject"`
	Record  Record  `json:"record"`
	// ResultNumber is the number of the objection result appealed against.
	ResultNumber string        `json:"result_number"`
	AppealedOn   calendar.Date `json:"appealed_on"`
	// Request is what the appellant asks for (申诉请求).
	Request string `json:"request"`
	// Findings are the facts established (经查明), one paragraph each.
	Findings []string     `json:"findings"`
	Result   AppealResult `json:"result"`
	// Correction says what the record now says; required when corrected.
	Correction string     `json:"correction,omitempty"`
	Basis      []Citation `json:"basis"`
	// Remedies: administrative review and litigation (no further appeal).
	Remedies Remedies `json:"remedies"`
	Contact  Contact  `json:"contact"`
}

// Kind is KindAppealDecision.
func (*AppealDecision) Kind() Kind { return KindAppealDecision }

// Validate reports missing or malformed fields.
func (d *AppealDecision) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	d.Record.validate(v, "record")
	v.required("result_number", d.ResultNumber)
	v.date("appealed_on", d.AppealedOn)
	v.required("request", d.Request)
	v.list("findings", d.Findings)
	switch d.Result {
	case AppealCorrected:
		v.required("correction", d.Correction)
	case AppealDismissed, AppealDeleted:
	case "":
		v.add("result", "required")
	default:
		v.add("result", "must be one of dismissed, corrected, deleted")
	}
	validateCitations(v, "basis", d.Basis, true)
	d.Remedies.validate(v, "remedies", false)
	return v.err()
}

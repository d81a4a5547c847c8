package workflows

import (
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/repair"
)

// RepairWorkflowID is the workflow ID of repair application applicationNo.
// The ID is per application; one open application per record is enforced
// where applications are filed (repair_applications, a partial unique index).
func RepairWorkflowID(applicationNo string) string { return "repair:" + applicationNo }

// CaseKindRepair is the CaseKind search attribute of repair cases.
const CaseKindRepair = "repair"

// Repair updates (refusable actions, validated before they enter history)
// and query.
const (
	RepairAccept            = "accept"             // caseworker: the application is complete (受理)
	RepairRequestSupplement = "request-supplement" // caseworker: one-time notice of every missing document (一次性告知)
	RepairSupplement        = "supplement"         // subject: the missing documents
	RepairProviderOpinion   = "provider-opinion"   // provider: written opinion with reasons (书面修复意见)
	RepairPublish           = "publish"            // caseworker: publish the proposal (公示)
	RepairPublicObjection   = "public-objection"   // anyone, through the public form: objection during publicity
	RepairVerifyObjection   = "verify-objection"   // provider: verification of a public objection
	RepairDecide            = "decide"             // caseworker: repair or refuse after publicity
	RepairWithdraw          = "withdraw"           // subject: withdraws the application
	// QueryRepair returns RepairState.
	QueryRepair = "state"
)

// Repair stages (beside StageAcceptance, StageAwaitingSupplement,
// StageDeciding and StageFinished).
const (
	StageProviderOpinion       = "provider_opinion"       // accepted; the provider gives its written opinion
	StageAwaitingPublicity     = "awaiting_publicity"     // the provider agrees; the centre publishes
	StagePublicity             = "publicity"              // the proposal is public; anyone may object
	StageObjectionVerification = "objection_verification" // period over; objections still being verified
)

// Repair outcomes.
const (
	OutcomeRepaired = "repaired" // record repaired: disclosure and sharing stop, original archived
	OutcomeRefused  = "refused"  // not repaired: reasons in writing
)

// Public objection states.
const (
	PublicObjectionPending  = "pending"
	PublicObjectionUpheld   = "upheld"
	PublicObjectionRejected = "rejected"
)

// RepairInput opens a repair application. The commitment (信用承诺书) and
// the evidence of correction are evidence IDs filed under CaseNo.
type RepairInput struct {
	CaseNo     string `json:"case_no"`
	RecordID   int64  `json:"record_id"`
	SubjectID  int64  `json:"subject_id"`
	ProviderID int64  `json:"provider_id"`
	ProfileID  string `json:"profile_id"`
	// ProfileVersion is the profile version the case is registered with
	// (cases.profile_version); the case keeps it to the end. "" = the
	// version the worker has loaded at the start (older callers).
	ProfileVersion string    `json:"profile_version,omitempty"`
	CommitmentID   int64     `json:"commitment_id"`
	EvidenceIDs    []int64   `json:"evidence_ids,omitempty"`
	Statement      string    `json:"statement,omitempty" text:"multiline,max=5000"`
	FiledBy        Actor     `json:"filed_by"`
	ReceivedAt     time.Time `json:"received_at"`
	// CorrectedOn is the day the applicant says the behaviour was corrected
	// (Nantong art. 34(二)); zero when not stated.
	CorrectedOn calendar.Date `json:"corrected_on,omitzero"`
}

// RepairSupplementInput is the subject's answer to the one-time notice.
type RepairSupplementInput struct {
	By          Actor   `json:"by"`
	Statement   string  `json:"statement" text:"multiline,max=5000"`
	EvidenceIDs []int64 `json:"evidence_ids,omitempty"`
}

// OpinionInput is the provider's written opinion.
type OpinionInput struct {
	By      Actor  `json:"by"`
	Agree   bool   `json:"agree"`
	Reasons string `json:"reasons" text:"multiline,max=5000"`
}

// PublishInput publishes the repair proposal.
type PublishInput struct {
	By       Actor  `json:"by"`
	Proposal string `json:"proposal,omitempty" text:"multiline,max=2000"`
}

// PublicObjectionInput tells the case of an objection filed through the
// public form; contact details and grounds stay in PostgreSQL.
type PublicObjectionInput struct {
	By          Actor `json:"by"`
	ObjectionID int64 `json:"objection_id"`
}

// VerifyObjectionInput is the provider's verification of a public objection.
type VerifyObjectionInput struct {
	By          Actor  `json:"by"`
	ObjectionID int64  `json:"objection_id"`
	Upheld      bool   `json:"upheld"`
	Reasons     string `json:"reasons" text:"multiline,max=5000"`
}

// RepairDecisionInput is the centre's decision after publicity.
type RepairDecisionInput struct {
	By      Actor  `json:"by"`
	Approve bool   `json:"approve"`
	Reasons string `json:"reasons" text:"multiline,max=5000"`
}

// PublicObjection is an objection raised during publicity, as the case
// keeps it: an ID and where it stands.
type PublicObjection struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Seq    int       `json:"seq"` // the seq of its verification deadline
	Status string    `json:"status"`
}

// RepairState is the live state the query returns and the workflow result.
type RepairState struct {
	CaseProgress
	Eligibility    repair.Result     `json:"eligibility"`
	Missing        []string          `json:"missing,omitempty" text:"max=500"`
	Opinion        string            `json:"opinion,omitempty"` // agree | disagree
	PublicityFrom  time.Time         `json:"publicity_from,omitzero"`
	PublicityUntil time.Time         `json:"publicity_until,omitzero"`
	Objections     []PublicObjection `json:"objections,omitempty"`
	Listings       []string          `json:"listings_ended,omitempty"`
}

// RepairStages are the stages in which each update may be sent: the first
// check of its validator, and what the application core offers an actor
// (a step is also refused while the case clock is paused).
var RepairStages = map[string][]string{
	RepairAccept:            {StageAcceptance},
	RepairRequestSupplement: {StageAcceptance},
	RepairSupplement:        {StageAwaitingSupplement},
	RepairProviderOpinion:   {StageProviderOpinion},
	RepairPublish:           {StageAwaitingPublicity},
	RepairPublicObjection:   {StagePublicity},
	RepairVerifyObjection:   {StagePublicity, StageObjectionVerification},
	RepairDecide:            {StageDeciding},
	RepairWithdraw:          {StageAcceptance, StageAwaitingSupplement, StageProviderOpinion, StageAwaitingPublicity, StagePublicity, StageObjectionVerification, StageDeciding},
}

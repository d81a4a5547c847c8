package workflows

import (
	"time"
)

// ObjectionWorkflowID is the workflow ID of objection case caseNo.
func ObjectionWorkflowID(caseNo string) string { return "objection:" + caseNo }

// CaseKindObjection is the CaseKind search attribute of objection cases.
const CaseKindObjection = "objection"

// Objection updates (refusable actions, validated before they enter history),
// signals and query.
const (
	ObjectionAccept            = "accept"              // caseworker: the objection is complete (受理)
	ObjectionRequestSupplement = "request-supplement"  // caseworker: one-time notice of what is missing (一次性告知)
	ObjectionSupplement        = "supplement"          // subject: the missing material
	ObjectionDecideOwnError    = "decide-own-error"    // caseworker: the centre's own error, corrected at once
	ObjectionForwardToProvider = "forward-to-provider" // caseworker: ask the provider to verify (核查函)
	ObjectionProviderReply     = "provider-reply"      // provider: result of its verification
	ObjectionDecide            = "decide"              // caseworker: outcome and written reply
	ObjectionPause             = "pause"               // caseworker: clock paused for an expert test or review
	ObjectionResume            = "resume"              // caseworker: clock runs again
	ObjectionExtend            = "extend"              // caseworker: head-approved extension
	ObjectionWithdraw          = "withdraw"            // subject: withdraws the objection
	ObjectionAppeal            = "appeal"              // subject: appeal (申诉) to the credit authority
	ObjectionDecideAppeal      = "decide-appeal"       // supervisor: appeal decision
	ObjectionHandOver          = "hand-over"           // subject: still disagrees; the centre hands the case to the provider (Anshan art. 10)
	// SignalCalendarChanged makes running cases recompute open deadlines.
	SignalCalendarChanged = "calendar-changed"
	// QueryObjection returns ObjectionState.
	QueryObjection = "state"
)

// Objection stages.
const (
	StageAcceptance           = "acceptance"            // received; completeness check (受理审查)
	StageAwaitingSupplement   = "awaiting_supplement"   // one-time notice sent; waiting for the subject
	StageCentreCheck          = "centre_check"          // accepted; the centre checks its own data
	StageProviderVerification = "provider_verification" // forwarded; the provider verifies
	StageDeciding             = "deciding"              // provider replied; the centre decides and replies
	StageClosed               = "closed"                // written reply served; appeal window open
	StageAppeal               = "appeal"                // appeal before the supervisors
	StageFinished             = "finished"              // nothing more can happen
)

// Case statuses.
const (
	StatusOpen      = "open"
	StatusClosed    = "closed"
	StatusWithdrawn = "withdrawn"
)

// Objection outcomes (DESIGN.md §2.1.8).
const (
	OutcomeCorrected    = "corrected"    // record corrected: new version, old kept
	OutcomeUpheld       = "upheld"       // record accurate: label removed
	OutcomeDeleted      = "deleted"      // cannot be verified: removed from use, reason recorded
	OutcomeWithdrawn    = "withdrawn"    // the subject withdrew
	OutcomeUnfiled      = "unfiled"      // any procedure: the workflow found its case never filed and ended itself
	AppealUpheld        = "upheld"       // appeal decision: the outcome stands
	AppealOverturned    = "overturned"   // appeal decision: the record follows the new outcome
	FindingErrorFound   = "error"        // provider reply: the record is wrong
	FindingAccurate     = "accurate"     // provider reply: the record is right
	FindingUnverifiable = "unverifiable" // provider reply: cannot be verified
)

// Actor is who acts, from the API's authenticated account. It carries no
// personal data: an account name and a role.
type Actor struct {
	Name string `json:"name" text:"max=100"`
	Role string `json:"role" text:"max=50"`
}

// ObjectionInput opens an objection case.
type ObjectionInput struct {
	CaseNo     string `json:"case_no"`
	RecordID   int64  `json:"record_id"`
	SubjectID  int64  `json:"subject_id"`
	ProviderID int64  `json:"provider_id"`
	ProfileID  string `json:"profile_id"`
	// ProfileVersion is the profile version the case is registered with
	// (cases.profile_version); the case keeps it to the end. "" = the
	// version the worker has loaded at the start (older callers).
	ProfileVersion string `json:"profile_version,omitempty"`
	// Grounds are as letters print them: the regulation's words of each
	// ground chosen (with its article), or the applicant's own words.
	Grounds []string `json:"grounds" text:"max=500"`
	// DisagreementHandover is the profile's disagreement_handover setting at
	// the case's profile version: an applicant who still disagrees after
	// the provider's verification has the case handed to the provider
	// (Anshan art. 10 last sentence). false in cases filed before it.
	DisagreementHandover bool `json:"disagreement_handover,omitempty"`
	// GroundCodes are the profile's ground codes chosen ("other" too).
	GroundCodes []string  `json:"ground_codes,omitempty" text:"max=64"`
	Statement   string    `json:"statement" text:"multiline,max=5000"`
	Evidence    []string  `json:"evidence,omitempty" text:"max=255"`
	FiledBy     Actor     `json:"filed_by"`
	ReceivedAt  time.Time `json:"received_at"`
}

// AcceptInput accepts the objection as complete.
type AcceptInput struct {
	By Actor `json:"by"`
}

// SupplementRequest lists everything missing, at once (一次性告知).
type SupplementRequest struct {
	By      Actor    `json:"by"`
	Missing []string `json:"missing" text:"max=500"`
}

// SupplementInput is the subject's resubmission.
type SupplementInput struct {
	By        Actor    `json:"by"`
	Statement string   `json:"statement" text:"multiline,max=5000"`
	Evidence  []string `json:"evidence,omitempty" text:"max=255"`
}

// OwnErrorInput records the centre's own error and the correction.
type OwnErrorInput struct {
	By         Actor          `json:"by"`
	Reason     string         `json:"reason" text:"multiline,max=2000"`
	Correction map[string]any `json:"correction" text:"multiline,max=4000"`
}

// ForwardInput sends the verification request to the provider.
type ForwardInput struct {
	By   Actor  `json:"by"`
	Note string `json:"note,omitempty" text:"multiline,max=2000"`
}

// ProviderReplyInput is the provider's verification result.
type ProviderReplyInput struct {
	By         Actor          `json:"by"`
	Finding    string         `json:"finding" text:"max=50"`
	Reasons    string         `json:"reasons" text:"multiline,max=5000"`
	Correction map[string]any `json:"correction,omitempty" text:"multiline,max=4000"`
	Evidence   []string       `json:"evidence,omitempty" text:"max=255"`
}

// DecisionInput is the centre's outcome.
type DecisionInput struct {
	By         Actor          `json:"by"`
	Outcome    string         `json:"outcome" text:"max=50"`
	Reasons    string         `json:"reasons" text:"multiline,max=5000"`
	Correction map[string]any `json:"correction,omitempty" text:"multiline,max=4000"`
}

// PauseInput pauses the clock (expert test, review) with who approved it.
type PauseInput struct {
	By       Actor  `json:"by"`
	Kind     string `json:"kind" text:"max=50"` // expert_test | review
	Reason   string `json:"reason" text:"multiline,max=2000"`
	Approver string `json:"approver" text:"max=100"`
}

// ResumeInput restarts the clock.
type ResumeInput struct {
	By     Actor  `json:"by"`
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
}

// ExtendInput is a head-approved extension of the overall limit.
type ExtendInput struct {
	By       Actor  `json:"by"`
	Reason   string `json:"reason" text:"multiline,max=2000"`
	Approver string `json:"approver" text:"max=100"`
}

// WithdrawInput withdraws the objection.
type WithdrawInput struct {
	By     Actor  `json:"by"`
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
}

// AppealInput appeals the outcome (申诉).
type AppealInput struct {
	By      Actor  `json:"by"`
	Grounds string `json:"grounds" text:"multiline,max=5000"`
}

// HandOverInput is the applicant's continued disagreement after the
// provider's verification (申请人仍有异议), which the centre hands to the
// provider (移交信息提供主体处理).
type HandOverInput struct {
	By      Actor  `json:"by"`
	Reasons string `json:"reasons" text:"multiline,max=5000"`
}

// AppealDecisionInput is the supervisors' decision on an appeal.
type AppealDecisionInput struct {
	By         Actor          `json:"by"`
	Decision   string         `json:"decision" text:"max=50"` // upheld | overturned
	Outcome    string         `json:"outcome,omitempty" text:"max=50"`
	Reasons    string         `json:"reasons" text:"multiline,max=5000"`
	Correction map[string]any `json:"correction,omitempty" text:"multiline,max=4000"`
}

// ObjectionState is the live state the query returns and the workflow result.
type ObjectionState struct {
	CaseProgress
	Missing       []string `json:"missing,omitempty" text:"max=500"`
	Finding       string   `json:"finding,omitempty" text:"max=50"`
	Appeal        string   `json:"appeal,omitempty"`
	AppealOutcome string   `json:"appeal_outcome,omitempty"`
	// HandedOver is the applicant's continued disagreement handed to the
	// provider, at HandedOverAt (Anshan art. 10).
	HandedOver   string    `json:"handed_over,omitempty"`
	HandedOverAt time.Time `json:"handed_over_at,omitzero"`
}

// ObjectionStages are the stages in which each update may be sent: the first
// check of its validator, and what the application core offers an actor
// (a step is also refused while the case clock is paused).
var ObjectionStages = map[string][]string{
	ObjectionAccept:            {StageAcceptance},
	ObjectionRequestSupplement: {StageAcceptance},
	ObjectionSupplement:        {StageAwaitingSupplement},
	ObjectionDecideOwnError:    {StageCentreCheck},
	ObjectionForwardToProvider: {StageCentreCheck},
	ObjectionProviderReply:     {StageProviderVerification},
	ObjectionDecide:            {StageDeciding},
	ObjectionPause:             {StageCentreCheck, StageProviderVerification, StageDeciding},
	ObjectionExtend:            {StageCentreCheck, StageProviderVerification, StageDeciding},
	ObjectionWithdraw:          {StageAcceptance, StageAwaitingSupplement, StageCentreCheck, StageProviderVerification, StageDeciding},
	ObjectionAppeal:            {StageClosed},
	ObjectionHandOver:          {StageClosed},
	ObjectionDecideAppeal:      {StageAppeal},
	ObjectionResume:            nil, // any stage, only while the clock is paused
}

package workflows

import (
	"time"
)

// ListingWorkflowID is the workflow ID of listing proposal proposalNo.
func ListingWorkflowID(proposalNo string) string { return "listing:" + proposalNo }

// CaseKindListing is the CaseKind search attribute of listing cases
// (列入严重失信主体名单).
const CaseKindListing = "listing"

// SignalListingRepaired removes a listed entry early after an approved
// credit repair (信用修复, DESIGN.md §2.3); the payload is ListingRepaired.
// A signal that arrives when the entry is no longer listed changes nothing.
const SignalListingRepaired = "repaired"

// ListingRepaired is the payload of SignalListingRepaired: the repair case
// that was approved, the record it repaired and when it was approved.
type ListingRepaired struct {
	RepairCaseNo string    `json:"repair_case_no"`
	RecordID     int64     `json:"record_id"`
	At           time.Time `json:"at"`
}

// Listing updates (refusable actions, validated before they enter history)
// and query.
const (
	ListingRecordService   = "record-service"   // caseworker: the notice was served (送达), how and when
	ListingSubmitStatement = "submit-statement" // subject: statements and evidence (陈述申辩), several times
	ListingRequestHearing  = "request-hearing"  // subject: asks for a hearing (听证)
	ListingScheduleHearing = "schedule-hearing" // caseworker: when and where the hearing is held
	ListingRecordHearing   = "record-hearing"   // caseworker: the hearing record (听证笔录), before the decision
	ListingWaive           = "waive"            // subject: waives representation (放弃陈述申辩)
	ListingAnswer          = "answer"           // provider/caseworker: answers representation points (采纳/不采纳及理由)
	ListingDecide          = "decide"           // caseworker: list or not list
	ListingRemove          = "remove"           // caseworker/supervisor/admin: removes the entry early
	ListingRevokeBasis     = "revoke-basis"     // caseworker: the decision the listing rests on was revoked
	ListingWithdraw        = "withdraw"         // provider/caseworker: the proposal is withdrawn before the decision (撤回)
	// QueryListing returns ListingState.
	QueryListing = "state"
)

// Listing stages.
const (
	StageListingNotice  = "notice"         // proposed; the written notice (告知书) awaits service
	StageRepresentation = "representation" // served; the representation window runs
	StageHearing        = "hearing"        // a hearing was requested; its record is awaited
	StageReview         = "review"         // every representation point is answered, then decided
	StageListed         = "listed"         // on the list until the period ends, repair or revocation
	StageRemovalDue     = "removal_due"    // basis revoked: removal due within listing.revoked_removal
)

// Listing outcomes.
const (
	OutcomeListed    = "listed"     // decided to list; the entry was published
	OutcomeNotListed = "not_listed" // decided not to list
	OutcomeRemoved   = "removed"    // the entry was removed (expired, repaired, revoked, by decision)
	// A withdrawn proposal ends with OutcomeWithdrawn (the objection's
	// constant: the same word) and status withdrawn.
)

// RuleHearing names the scheduled hearing among the case's deadlines: its
// due instant is the hearing's time (a date set by the centre, not a
// profile length), so the board shows it; a hearing not recorded by then is
// reminded.
const RuleHearing = "listing.hearing"

// Removal reasons.
const (
	RemovalExpired  = "expired"  // the disclosure period ended
	RemovalRepaired = "repaired" // approved credit repair
	RemovalRevoked  = "revoked"  // the underlying decision was revoked
	RemovalDecision = "decision" // removed early by decision of the centre
)

// Service methods (送达方式).
const (
	ServiceInPerson     = "in_person"    // 直接送达
	ServicePost         = "post"         // 邮寄送达
	ServiceElectronic   = "electronic"   // 电子送达
	ServiceAnnouncement = "announcement" // 公告送达
)

// ListingPeriod is a disclosure period: Length months or years.
type ListingPeriod struct {
	Length int    `json:"length"`
	Unit   string `json:"unit" text:"max=10"` // month | year
}

// Months is the period in months (0 for an invalid unit).
func (p ListingPeriod) Months() int {
	switch p.Unit {
	case "year":
		return 12 * p.Length
	case "month":
		return p.Length
	}
	return 0
}

// ListingInput opens a listing case: the proposal. Carry, set only by
// continue-as-new, is the state of the previous run.
type ListingInput struct {
	ProposalNo string `json:"proposal_no"`
	SubjectID  int64  `json:"subject_id"`
	ProviderID int64  `json:"provider_id"`
	ProfileID  string `json:"profile_id"`
	// ProfileVersion is the profile version the case is registered with
	// (cases.profile_version); the case keeps it to the end. "" = the
	// version the worker has loaded at the start (older callers).
	ProfileVersion  string        `json:"profile_version,omitempty"`
	RecordIDs       []int64       `json:"record_ids"`
	Reasons         string        `json:"reasons" text:"multiline,max=5000"`
	LegalBasis      []string      `json:"legal_basis" text:"max=500"`
	Measures        []string      `json:"measures" text:"max=100"`
	JointPunishment bool          `json:"joint_punishment"`
	Period          ListingPeriod `json:"period"`
	ProposedBy      Actor         `json:"proposed_by"`
	ProposedAt      time.Time     `json:"proposed_at"`
	Carry           *ListingCarry `json:"carry,omitempty"`
}

// ListingCarry is what a listed case carries across continue-as-new.
type ListingCarry struct {
	State          ListingState `json:"state"`
	ProfileVersion string       `json:"profile_version"`
	OpenedAt       time.Time    `json:"opened_at"`
	ClosedAt       time.Time    `json:"closed_at,omitzero"`
	DocSeq         int          `json:"doc_seq"`
	MinMonths      int          `json:"min_months"`
	MaxMonths      int          `json:"max_months"`
	Runs           int          `json:"runs"`
}

// ServiceInput records service of the notice.
type ServiceInput struct {
	By       Actor     `json:"by"`
	Method   string    `json:"method" text:"max=50"`
	ServedAt time.Time `json:"served_at"`
	Note     string    `json:"note,omitempty" text:"multiline,max=2000"`
}

// StatementInput is one submission of statements and evidence; each point
// is answered separately in review.
type StatementInput struct {
	By       Actor    `json:"by"`
	Points   []string `json:"points" text:"multiline,max=5000"`
	Evidence []string `json:"evidence,omitempty" text:"max=255"`
}

// HearingRequest asks for a hearing.
type HearingRequest struct {
	By     Actor  `json:"by"`
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
}

// HearingSchedule sets the hearing. NotifiedAt is when the notice of the
// hearing (听证通知) reaches the party (default: now); the hearing is held
// only after the profile's listing.hearing_notice period from it
// (行政处罚法 art. 64: 七日前通知).
type HearingSchedule struct {
	By         Actor     `json:"by"`
	At         time.Time `json:"at"`
	Place      string    `json:"place" text:"max=200"`
	NotifiedAt time.Time `json:"notified_at,omitzero"`
}

// HearingRecord attaches the hearing record; points raised at the hearing
// are answered like written statements.
type HearingRecord struct {
	By Actor `json:"by"`
	// HeldAt is when the hearing was held (default: now); not before the
	// scheduled time, not in the future.
	HeldAt   time.Time `json:"held_at,omitzero"`
	Summary  string    `json:"summary" text:"multiline,max=10000"`
	Points   []string  `json:"points,omitempty" text:"multiline,max=5000"`
	Evidence []string  `json:"evidence,omitempty" text:"max=255"`
}

// WaiveInput waives representation.
type WaiveInput struct {
	By     Actor  `json:"by"`
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
}

// Answer answers one representation point.
type Answer struct {
	PointID string `json:"point_id" text:"max=20"`
	Adopted bool   `json:"adopted"`
	Reasons string `json:"reasons" text:"multiline,max=5000"`
}

// AnswerInput answers representation points.
type AnswerInput struct {
	By      Actor    `json:"by"`
	Answers []Answer `json:"answers"`
}

// ListingDecision lists or does not list. A listing may be lighter than
// the proposal, never heavier (行政处罚法 art. 45).
type ListingDecision struct {
	By              Actor         `json:"by"`
	List            bool          `json:"list"`
	Measures        []string      `json:"measures,omitempty" text:"max=100"`
	JointPunishment bool          `json:"joint_punishment"`
	Period          ListingPeriod `json:"period"`
	Reasons         string        `json:"reasons" text:"multiline,max=5000"`
}

// WithdrawProposalInput withdraws a proposal before the decision (the
// provider that made it, or the centre on its behalf), with the reasons the
// subject is told in writing.
type WithdrawProposalInput struct {
	By      Actor  `json:"by"`
	Reasons string `json:"reasons" text:"multiline,max=2000"`
}

// RemoveInput removes the entry by decision.
type RemoveInput struct {
	By     Actor  `json:"by"`
	Reason string `json:"reason" text:"multiline,max=2000"`
}

// RevokeBasisInput records that the decision behind the listing was
// revoked. RevokedAt is when the revoking decision took effect (not before
// the listing decision, not in the future); LearnedAt when the centre
// learned of it (default: now): the removal limit runs from LearnedAt, and
// both dates are recorded.
type RevokeBasisInput struct {
	By         Actor     `json:"by"`
	Reason     string    `json:"reason" text:"multiline,max=2000"`
	Instrument string    `json:"instrument" text:"max=200"` // the revoking decision's number
	RevokedAt  time.Time `json:"revoked_at"`
	LearnedAt  time.Time `json:"learned_at,omitzero"`
}

// Point is a representation point and its answer.
type Point struct {
	ID     string    `json:"id"`
	Text   string    `json:"text"`
	Source string    `json:"source"` // statement | hearing
	At     time.Time `json:"at"`
	Answer *Answer   `json:"answer,omitempty"`
}

// ListingState is the live state the query returns and the workflow result.
type ListingState struct {
	CaseProgress
	ProposalNo       string        `json:"proposal_no"`
	RecordIDs        []int64       `json:"record_ids"`
	ProposedMeasures []string      `json:"proposed_measures"`
	ProposedJoint    bool          `json:"proposed_joint_punishment"`
	ProposedPeriod   ListingPeriod `json:"proposed_period"`
	ServiceMethod    string        `json:"service_method,omitempty"`
	ServedAt         time.Time     `json:"served_at,omitzero"`
	Points           []Point       `json:"points,omitempty" text:"multiline,max=5000"`
	Evidence         []string      `json:"evidence,omitempty" text:"max=255"`
	Representation   string        `json:"representation,omitempty"` // statements | none | waived | hearing
	HearingRequested bool          `json:"hearing_requested"`
	HearingAt        time.Time     `json:"hearing_at,omitzero"`
	HearingPlace     string        `json:"hearing_place,omitempty"`
	HearingRecorded  bool          `json:"hearing_recorded"`
	// HearingNotifiedAt: when the hearing notice reached the party.
	HearingNotifiedAt time.Time     `json:"hearing_notified_at,omitzero"`
	Measures          []string      `json:"measures,omitempty" text:"max=100"`
	JointPunishment   bool          `json:"joint_punishment"`
	Period            ListingPeriod `json:"period,omitzero"`
	ListedAt          time.Time     `json:"listed_at,omitzero"`
	RemovalDue        string        `json:"removal_due,omitempty"`
	RemovedAt         time.Time     `json:"removed_at,omitzero"`
	RemovalReason     string        `json:"removal_reason,omitempty"`
	RepairCaseNo      string        `json:"repair_case_no,omitempty"`
	// BasisRevokedAt and BasisLearnedAt: when the decision behind the
	// listing was revoked, and when the centre learned of it.
	BasisRevokedAt time.Time `json:"basis_revoked_at,omitzero"`
	BasisLearnedAt time.Time `json:"basis_learned_at,omitzero"`
}

// ListingStages are the stages in which each update may be sent: the first
// check of its validator, and what the application core offers an actor
// (a step is also refused while the case clock is paused).
var ListingStages = map[string][]string{
	ListingRecordService:   {StageListingNotice},
	ListingScheduleHearing: {StageHearing},
	ListingRecordHearing:   {StageHearing},
	ListingAnswer:          {StageReview},
	ListingDecide:          {StageReview},
	ListingRevokeBasis:     {StageListingNotice, StageRepresentation, StageHearing, StageReview, StageListed},
	ListingRemove:          {StageListed, StageRemovalDue},
	ListingWithdraw:        {StageListingNotice, StageRepresentation, StageHearing, StageReview},
	ListingSubmitStatement: {StageRepresentation},
	ListingRequestHearing:  {StageRepresentation},
	ListingWaive:           {StageRepresentation},
}

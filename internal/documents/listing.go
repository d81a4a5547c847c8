package documents

import (
	"strconv"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Kinds of the listing procedure (列入严重失信主体名单, DESIGN.md §2.2).
const (
	// KindListingNotice is the pre-listing notice (列入严重失信主体名单前告知书).
	KindListingNotice Kind = "listing_notice"
	// KindListingDecision is the listing decision (列入严重失信主体名单决定书),
	// served together with KindListingRepairNotice (两书同达).
	KindListingDecision Kind = "listing_decision"
	// KindListingRepairNotice tells the listed subject how to repair its
	// credit (信用修复告知书).
	KindListingRepairNotice Kind = "listing_repair_notice"
	// KindListingNotListed is the decision not to list (不予列入决定书).
	KindListingNotListed Kind = "listing_not_listed"
	// KindListingRemoval is the removal decision (移出严重失信主体名单决定书).
	KindListingRemoval Kind = "listing_removal"
)

// ListingNotice (列入严重失信主体名单前告知书, Anshan art. 6): the reasons,
// basis and measures of the proposed listing, the right to state, defend
// and ask for a hearing within the representation period, and the
// conditions and procedure of removal.
type ListingNotice struct {
	Header
	Subject Subject  `json:"subject"`
	Records []Record `json:"records"`
	// Reasons are the facts the proposal rests on.
	Reasons []string `json:"reasons"`
	// LegalBasis are the provisions the listing rests on, as cited.
	LegalBasis []string `json:"legal_basis"`
	// Measures follow the listing (惩戒措施).
	Measures        []string `json:"measures"`
	JointPunishment bool     `json:"joint_punishment"`
	// Period is the proposed listing period in words, e.g. "3年".
	Period string `json:"period"`
	// RepresentationPeriod is the window in words, from service, e.g. "5个工作日".
	RepresentationPeriod string `json:"representation_period"`
	// RemovalConditions and RemovalProcedure (移出条件和程序).
	RemovalConditions []string `json:"removal_conditions"`
	RemovalProcedure  []string `json:"removal_procedure"`
	// Basis cites the right to state and defend; RepresentationBasis what
	// sets the representation period (empty: the centre's own limit).
	Basis               []Citation `json:"basis"`
	RepresentationBasis []Citation `json:"representation_basis,omitempty"`
	Contact             Contact    `json:"contact"`
}

// Kind is KindListingNotice.
func (*ListingNotice) Kind() Kind { return KindListingNotice }

// Validate reports missing or malformed fields.
func (d *ListingNotice) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	validateRecords(v, d.Records)
	v.list("reasons", d.Reasons)
	v.list("legal_basis", d.LegalBasis)
	v.list("measures", d.Measures)
	v.required("period", d.Period)
	v.required("representation_period", d.RepresentationPeriod)
	v.list("removal_conditions", d.RemovalConditions)
	v.list("removal_procedure", d.RemovalProcedure)
	validateCitations(v, "basis", d.Basis, false)
	validateCitations(v, "representation_basis", d.RepresentationBasis, false)
	return v.err()
}

func validateRecords(v *validator, rs []Record) {
	if len(rs) == 0 {
		v.add("records", "at least one record is required")
	}
	for i, r := range rs {
		r.validate(v, "records["+strconv.Itoa(i)+"]")
	}
}

// ListingDecision (列入严重失信主体名单决定书): the decision to list, how
// each representation point was answered, the measures, the period and
// the remedies. It is served with the repair notice.
type ListingDecision struct {
	Header
	Subject  Subject       `json:"subject"`
	Records  []Record      `json:"records"`
	ServedOn calendar.Date `json:"served_on"`
	// Representation says what the subject did in the window.
	Representation string `json:"representation"`
	// Answers are the representation points with their answers.
	Answers         []string      `json:"answers,omitempty"`
	Reasons         []string      `json:"reasons"`
	LegalBasis      []string      `json:"legal_basis"`
	Measures        []string      `json:"measures"`
	JointPunishment bool          `json:"joint_punishment"`
	Period          string        `json:"period"`
	ListedOn        calendar.Date `json:"listed_on"`
	RemovalDue      calendar.Date `json:"removal_due"`
	Remedies        Remedies      `json:"remedies"`
	Contact         Contact       `json:"contact"`
}

// Kind is KindListingDecision.
func (*ListingDecision) Kind() Kind { return KindListingDecision }

// Validate reports missing or malformed fields.
func (d *ListingDecision) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	validateRecords(v, d.Records)
	v.date("served_on", d.ServedOn)
	v.required("representation", d.Representation)
	v.list("reasons", d.Reasons)
	v.list("legal_basis", d.LegalBasis)
	v.list("measures", d.Measures)
	v.required("period", d.Period)
	v.date("listed_on", d.ListedOn)
	v.date("removal_due", d.RemovalDue)
	if !d.RemovalDue.IsZero() && !d.ListedOn.IsZero() && !d.RemovalDue.After(d.ListedOn) {
		v.add("removal_due", "must be after listed_on")
	}
	d.Remedies.validate(v, "remedies", false)
	return v.err()
}

// ListingRepairNotice (信用修复告知书): served with the listing decision; how
// and when the subject may apply for credit repair.
type ListingRepairNotice struct {
	Header
	Subject Subject `json:"subject"`
	// DecisionNumber is the listing decision it accompanies.
	DecisionNumber string `json:"decision_number"`
	// ShortestPeriod is the shortest period before repair, e.g. "1年".
	ShortestPeriod string     `json:"shortest_period"`
	Conditions     []string   `json:"conditions"`
	Procedure      []string   `json:"procedure"`
	Basis          []Citation `json:"basis"`
	Contact        Contact    `json:"contact"`
}

// Kind is KindListingRepairNotice.
func (*ListingRepairNotice) Kind() Kind { return KindListingRepairNotice }

// Validate reports missing or malformed fields.
func (d *ListingRepairNotice) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	v.required("decision_number", d.DecisionNumber)
	v.required("shortest_period", d.ShortestPeriod)
	v.list("conditions", d.Conditions)
	v.list("procedure", d.Procedure)
	validateCitations(v, "basis", d.Basis, false)
	return v.err()
}

// ListingNotListed (不予列入严重失信主体名单决定书): the decision not to list,
// with the answers to the representation that led to it.
type ListingNotListed struct {
	Header
	Subject        Subject  `json:"subject"`
	Records        []Record `json:"records"`
	Representation string   `json:"representation"`
	Answers        []string `json:"answers,omitempty"`
	Reasons        []string `json:"reasons"`
	Contact        Contact  `json:"contact"`
}

// Kind is KindListingNotListed.
func (*ListingNotListed) Kind() Kind { return KindListingNotListed }

// Validate reports missing or malformed fields.
func (d *ListingNotListed) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	validateRecords(v, d.Records)
	v.required("representation", d.Representation)
	v.list("reasons", d.Reasons)
	return v.err()
}

// RemovalReason is why an entry leaves the list.
type RemovalReason string

// Removal reasons.
const (
	RemovalExpired  RemovalReason = "expired"  // 列入期限届满
	RemovalRepaired RemovalReason = "repaired" // 信用修复
	RemovalRevoked  RemovalReason = "revoked"  // 认定依据被撤销
	RemovalDecision RemovalReason = "decision" // 经决定提前移出
)

// ListingRemoval (移出严重失信主体名单决定书): the entry is removed, no
// longer disclosed, and archived.
type ListingRemoval struct {
	Header
	Subject   Subject       `json:"subject"`
	Records   []Record      `json:"records"`
	ListedOn  calendar.Date `json:"listed_on"`
	RemovedOn calendar.Date `json:"removed_on"`
	Reason    RemovalReason `json:"reason"`
	// Detail says more: the repair case, the revoking decision, the reasons.
	Detail  string  `json:"detail,omitempty"`
	Contact Contact `json:"contact"`
}

// Kind is KindListingRemoval.
func (*ListingRemoval) Kind() Kind { return KindListingRemoval }

// Validate reports missing or malformed fields.
func (d *ListingRemoval) Validate() error {
	v := &validator{kind: d.Kind()}
	d.Header.validate(v)
	d.Subject.validate(v, "subject")
	validateRecords(v, d.Records)
	v.date("listed_on", d.ListedOn)
	v.date("removed_on", d.RemovedOn)
	switch d.Reason {
	case RemovalExpired, RemovalRepaired, RemovalRevoked, RemovalDecision:
	case "":
		v.add("reason", "required")
	default:
		v.add("reason", "must be one of expired, repaired, revoked, decision")
	}
	if d.Reason != RemovalExpired {
		v.required("detail", d.Detail)
	}
	return v.err()
}

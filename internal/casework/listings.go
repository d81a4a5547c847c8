package casework

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/workflows"
)

// listings is the listing procedure (列入严重失信主体名单前告知、陈述申辩,
// DESIGN.md §2.2).
var listings = procedure{
	kind:       workflows.CaseKindListing,
	noun:       refusal.T("列入案件", "listing"),
	workflowID: workflows.ListingWorkflowID,
	stages:     workflows.ListingStages,
	steps: []Step{
		{"service", "recordListingService", workflows.ListingRecordService, refusal.T("登记送达", "Record service")},
		{"statements", "submitListingStatement", workflows.ListingSubmitStatement, refusal.T("提交陈述申辩", "Submit statements")},
		{"hearing-request", "requestListingHearing", workflows.ListingRequestHearing, refusal.T("申请听证", "Ask for a hearing")},
		{"hearing", "scheduleListingHearing", workflows.ListingScheduleHearing, refusal.T("安排听证", "Schedule the hearing")},
		{"hearing-record", "recordListingHearing", workflows.ListingRecordHearing, refusal.T("登记听证笔录", "Record the hearing")},
		{"waiver", "waiveListingRepresentation", workflows.ListingWaive, refusal.T("放弃陈述申辩", "Waive representation")},
		{"answers", "answerListingPoints", workflows.ListingAnswer, refusal.T("答复陈述申辩意见", "Answer the points")},
		{"decision", "decideListing", workflows.ListingDecide, refusal.T("作出决定", "Decide")},
		{"removal", "removeListing", workflows.ListingRemove, refusal.T("移出名单", "Remove from the list")},
		{"basis-revocation", "revokeListingBasis", workflows.ListingRevokeBasis, refusal.T("登记列入依据被撤销", "Record the basis revoked")},
		{"withdrawal", "withdrawListingProposal", workflows.ListingWithdraw, refusal.T("撤回列入建议", "Withdraw the proposal")},
	},
}

// ListingSteps are the refusable steps of a listing.
func ListingSteps() []Step { return append([]Step(nil), listings.steps...) }

// ProposeListing is a provider's proposal to list a subject as seriously
// dishonest (列入严重失信主体名单). A caseworker proposing for a provider
// names it in provider_id.
type ProposeListing struct {
	SubjectID       int64                   `json:"subject_id"`
	ProviderID      int64                   `json:"provider_id,omitempty"`
	RecordIDs       []int64                 `json:"record_ids"`
	Reasons         string                  `json:"reasons" text:"multiline,max=5000"`
	LegalBasis      []string                `json:"legal_basis" text:"max=500"`
	Measures        []string                `json:"measures" text:"max=100"`
	JointPunishment bool                    `json:"joint_punishment"`
	Period          workflows.ListingPeriod `json:"period"`
}

// ListingSummary is a listing as lists show it (the projection).
type ListingSummary struct {
	ProposalNo      string    `json:"proposal_no"`
	SubjectID       int64     `json:"subject_id"`
	ProviderID      int64     `json:"provider_id"`
	ProfileID       string    `json:"profile_id"`
	Status          string    `json:"status"`
	Stage           string    `json:"stage"`
	Measures        []string  `json:"measures"`
	JointPunishment bool      `json:"joint_punishment"`
	Period          string    `json:"period"`
	RecordIDs       []int64   `json:"record_ids"`
	ProposedAt      time.Time `json:"proposed_at"`
	ServedAt        time.Time `json:"served_at,omitzero"`
	ListedAt        time.Time `json:"listed_at,omitzero"`
	RemovalDue      string    `json:"removal_due,omitempty"`
	RemovedAt       time.Time `json:"removed_at,omitzero"`
	RemovalReason   string    `json:"removal_reason,omitempty"`
	// NextDeadline is the soonest pending deadline (lists only).
	NextDeadline *Deadline `json:"next_deadline,omitempty"`
}

// ListingLive is the live state of a listing with its deadlines in the
// one deadline shape.
type ListingLive struct {
	workflows.ListingState
	Deadlines []Deadline `json:"deadlines,omitempty"`
}

func listingLive(st workflows.ListingState) ListingLive {
	return ListingLive{ListingState: st, Deadlines: deadlinesOf(st.Deadlines)}
}

// ListingDetail is a listing with its live state, deadlines, events, the
// documents the caller may read and the steps it may take now.
type ListingDetail struct {
	Listing   ListingSummary   `json:"listing"`
	State     *ListingLive     `json:"state,omitempty"`
	Deadlines []Deadline       `json:"deadlines"`
	Events    []CaseEvent      `json:"events,omitempty"`
	Documents []documents.Meta `json:"documents"`
	Actions   []Action         `json:"actions"`
	// Escalated is the step of the case stopped on a data error, waiting
	// for a supervisor (no actions are offered meanwhile).
	Escalated *StoppedStep `json:"escalated,omitempty"`
}

// PublicListing is an entry of the public list: social-public fields only;
// a person's identity number is masked.
type PublicListing struct {
	ProposalNo      string    `json:"proposal_no"`
	SubjectName     string    `json:"subject_name"`
	SubjectKind     string    `json:"subject_kind"`
	SubjectID       string    `json:"subject_ident"`
	Provider        string    `json:"provider"`
	Records         []string  `json:"records"`
	Measures        []string  `json:"measures"`
	JointPunishment bool      `json:"joint_punishment"`
	Period          string    `json:"period"`
	ListedAt        time.Time `json:"listed_at"`
	RemovalDue      string    `json:"removal_due"`
}

const listingColumns = `l.proposal_no, l.subject_id, l.provider_id, l.profile_id, l.status, l.stage, l.measures, l.joint_punishment,
	l.period, coalesce((SELECT array_agg(record_id ORDER BY record_id) FROM listing_records r WHERE r.proposal_no = l.proposal_no), '{}'),
	l.proposed_at, l.served_at, l.listed_at, l.removal_due, l.removed_at, l.removal_reason`

func scanListing(row pgx.Row) (ListingSummary, error) {
	var l ListingSummary
	var served, listed, removed, due *time.Time
	err := row.Scan(&l.ProposalNo, &l.SubjectID, &l.ProviderID, &l.ProfileID, &l.Status, &l.Stage, &l.Measures, &l.JointPunishment,
		&l.Period, &l.RecordIDs, &l.ProposedAt, &served, &listed, &due, &removed, &l.RemovalReason)
	l.ProposedAt = shanghai(l.ProposedAt)
	if served != nil {
		l.ServedAt = shanghai(*served)
	}
	if listed != nil {
		l.ListedAt = shanghai(*listed)
	}
	if removed != nil {
		l.RemovedAt = shanghai(*removed)
	}
	if due != nil {
		l.RemovalDue = due.Format(time.DateOnly)
	}
	return l, err
}

// listingVisible: centre staff see every listing, a provider its own
// proposals, a subject the listings about it.
func listingVisible(a permission.Actor, l ListingSummary) bool {
	switch a.Role() {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Provider:
		return a.Account.ProviderID == l.ProviderID
	case auth.Subject:
		return a.Account.SubjectID == l.SubjectID
	}
	return false
}

// listingOf checks uc, loads the listing and checks the caller may see it.
func (s *Service) listingOf(ctx context.Context, a permission.Actor, uc permission.UseCase, no string) (ListingSummary, error) {
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return ListingSummary{}, err
	}
	if err := CheckCaseNo(no); err != nil {
		return ListingSummary{}, err
	}
	l, err := scanListing(s.d.Pool.QueryRow(ctx, `SELECT `+listingColumns+` FROM listings l WHERE l.proposal_no = ANY($1)`, caseno.Spellings(no)))
	if db.IsNoRows(err) {
		return l, refusal.NotFoundErr()
	}
	if err != nil {
		return l, faults.Database(err)
	}
	if !listingVisible(a, l) {
		return l, s.guard.Hide(ctx, a, uc, "listing", l.ProposalNo)
	}
	return l, nil
}

func (in *ProposeListing) validate() []refusal.Field {
	var fe []refusal.Field
	req := func(name string, ok bool, zh string) {
		if !ok {
			fe = append(fe, refusal.Required(name, refusal.T(zh, "required")))
		}
	}
	req("subject_id", in.SubjectID > 0, "请指定信息主体")
	req("provider_id", in.ProviderID > 0, "请指定信息提供单位")
	req("record_ids", len(in.RecordIDs) > 0, "请列明所依据的失信信息")
	req("reasons", strings.TrimSpace(in.Reasons) != "", "请写明事实和理由")
	req("legal_basis", len(in.LegalBasis) > 0, "请写明列入依据")
	req("measures", len(in.Measures) > 0, "请列明惩戒措施")
	for i, m := range in.Measures {
		if _, ok := activities.ListingMeasureNames[m]; !ok {
			fe = append(fe, refusal.Field{Name: "measures[" + strconv.Itoa(i) + "]", Code: "enum",
				Message: refusal.T("未知的惩戒措施", "unknown measure")})
		}
	}
	if in.Period.Months() == 0 || in.Period.Length < 1 {
		fe = append(fe, refusal.Field{Name: "period", Code: "format", Message: refusal.T("列入期限应为若干月（month）或年（year）", "a length in months or years")})
	}
	return fe
}

func periodText(p workflows.ListingPeriod) string {
	if p.Unit == "year" {
		return strconv.Itoa(p.Length) + "年"
	}
	return strconv.Itoa(p.Length) + "个月"
}

// listingProfileID is the profile a new listing runs under.
func (s *Service) listingProfileID() string { return s.d.Profile.ID }

// ProposeListing opens a listing case. Under a per-subject lock the
// proposal is checked (records negative, serious, the subject's, supplied
// by the provider, under no other listing), the listing row registered and
// the workflow started, so two proposals on the same records cannot both
// pass.
func (s *Service) ProposeListing(ctx context.Context, a permission.Actor, in ProposeListing) (ListingSummary, error) {
	const uc = "proposeListing"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return ListingSummary{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return ListingSummary{}, err
	}
	if a.Role() == auth.Provider {
		if in.ProviderID != 0 && in.ProviderID != a.Account.ProviderID {
			return ListingSummary{}, s.guard.Forbid(ctx, a, uc, "provider", strconv.FormatInt(in.ProviderID, 10))
		}
		in.ProviderID = a.Account.ProviderID
	}
	if fe := in.validate(); len(fe) > 0 {
		return ListingSummary{}, refusal.Invalid(fe...)
	}
	ctx, cancel := context.WithTimeout(ctx, EngineTimeout)
	defer cancel()
	if no, _, ok, err := s.filedBefore(ctx, a, workflows.CaseKindListing); err != nil {
		return ListingSummary{}, err
	} else if ok {
		l, err := scanListing(s.d.Pool.QueryRow(ctx, `SELECT `+listingColumns+` FROM listings l WHERE l.proposal_no = $1`, no))
		return l, faults.Database(err)
	}
	profileID := s.listingProfileID()
	profileVersion := ""
	if p, err := s.d.Policies.Get(profileID); err == nil {
		profileVersion = p.Version
	}
	var no string
	var input []byte
	wfIn := workflows.ListingInput{SubjectID: in.SubjectID, ProviderID: in.ProviderID, ProfileID: profileID, ProfileVersion: profileVersion, RecordIDs: in.RecordIDs,
		Reasons: in.Reasons, LegalBasis: in.LegalBasis, Measures: in.Measures, JointPunishment: in.JointPunishment, Period: in.Period,
		ProposedBy: actorOf(a), ProposedAt: s.now()}
	err := pgx.BeginFunc(ctx, s.d.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(6, $1::int)`, in.SubjectID); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT nextval('listing_proposal_seq')`).Scan(&seq); err != nil {
			return err
		}
		no = caseno.Format(caseno.Listing, calendar.DateOf(wfIn.ProposedAt).Year, seq)
		wfIn.ProposalNo = no
		if _, err := activities.CheckProposal(ctx, s.d.Pool, s.d.Policies, activities.ProposalCheck{
			ProposalNo: no, SubjectID: in.SubjectID, ProviderID: in.ProviderID, ProfileID: profileID,
			RecordIDs: in.RecordIDs, PeriodLength: in.Period.Length, PeriodUnit: in.Period.Unit,
		}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO listings (proposal_no, workflow_id, subject_id, provider_id, profile_id, status, stage,
			reasons, legal_basis, measures, joint_punishment, period, proposed_at) VALUES ($1,$2,$3,$4,$5,'proposed',$6,$7,$8,$9,$10,$11,$12)`,
			no, workflows.ListingWorkflowID(no), in.SubjectID, in.ProviderID, profileID, workflows.StageListingNotice, in.Reasons,
			in.LegalBasis, in.Measures, in.JointPunishment, periodText(in.Period), wfIn.ProposedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO listing_records (proposal_no, record_id) SELECT $1, unnest($2::bigint[])`, no, in.RecordIDs); err != nil {
			return err
		}
		// The workflow is started after the commit (starts.go).
		var err error
		input, err = oweStart(ctx, tx, a, caseStart{kind: workflows.CaseKindListing, no: no}, wfIn, nil)
		return err
	})
	var pe *activities.ProposalError
	if errors.As(err, &pe) {
		kind, title := refusal.InvalidProposal, refusal.T("提请列入的信息不符合条件", "The proposal is refused")
		detail := refusal.T("请按所列问题修改提请后重新提交，未作任何更改", "Correct the problems listed and propose again; nothing was changed")
		var open string
		if pe.Conflict {
			kind, title = refusal.AlreadyListed, refusal.T("所涉信息已在名单中或已有待决的列入提请", "The records are listed or under another proposal")
			detail = refusal.T("所列信用记录已在名单中或已有待决的列入提请，不能重复提请，未作任何更改",
				"The records listed are on the list or under a pending proposal; nothing was changed")
			if len(pe.Open) > 0 {
				// A repeated proposal finds the listing already under way.
				open = pe.Open[0]
				detail = refusal.T("所列信用记录已在列入案件 "+open+" 中（已在名单中或提请待决），请在该案件中办理，不能重复提请，未作任何更改",
					"The records listed are under listing case "+open+" (listed or pending); follow that case instead of proposing again; nothing was changed")
			}
		}
		e := &refusal.Error{Kind: kind, Title: title, Detail: detail, CaseNo: open}
		for _, f := range pe.Faults {
			e.Fields = append(e.Fields, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
		}
		return ListingSummary{}, e
	}
	if err != nil {
		return ListingSummary{}, faults.Database(err)
	}
	s.startFiled(ctx, caseStart{kind: workflows.CaseKindListing, no: no}, input)
	l, err := scanListing(s.d.Pool.QueryRow(ctx, `SELECT `+listingColumns+` FROM listings l WHERE l.proposal_no = $1`, no))
	return l, faults.Database(err)
}

// ListingFilter selects listings.
type ListingFilter struct {
	Status string `query:"status"`
}

var listingStatuses = []string{"proposed", "noticed", "listed", "not_listed", "removed"}

// ListListings lists the listings the caller may see, newest first.
func (s *Service) ListListings(ctx context.Context, a permission.Actor, f ListingFilter) ([]ListingSummary, error) {
	if err := s.guard.Require(ctx, a, "listListings"); err != nil {
		return nil, err
	}
	if err := enumParam("status", f.Status, listingStatuses); err != nil {
		return nil, err
	}
	var subjectID, providerID int64
	switch a.Role() {
	case auth.Provider:
		providerID = a.Account.ProviderID
	case auth.Subject:
		subjectID = a.Account.SubjectID
	}
	rows, err := s.d.Pool.Query(ctx, `SELECT `+listingColumns+` FROM listings l
		WHERE ($1::bigint = 0 OR l.provider_id = $1) AND ($2::bigint = 0 OR l.subject_id = $2) AND ($3 = '' OR l.status = $3)
		ORDER BY l.proposed_at DESC, l.proposal_no DESC LIMIT 200`, providerID, subjectID, f.Status)
	if err != nil {
		return nil, faults.Database(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ListingSummary, error) { return scanListing(r) })
	if err != nil {
		return nil, faults.Database(err)
	}
	if err := s.nextListingDeadlines(ctx, out); err != nil {
		return nil, err
	}
	return nonNil(out), nil
}

// nextListingDeadlines fills each listing's soonest pending deadline, in
// one query.
func (s *Service) nextListingDeadlines(ctx context.Context, ls []ListingSummary) error {
	if len(ls) == 0 {
		return nil
	}
	nos := make([]string, len(ls))
	for i, l := range ls {
		nos[i] = l.ProposalNo
	}
	rows, err := s.d.Pool.Query(ctx, `SELECT DISTINCT ON (d.case_no) d.case_no, `+deadlineColumns+` FROM case_deadlines d
		WHERE d.case_no = ANY($1) AND d.state = 'pending' ORDER BY d.case_no, d.due_at`, nos)
	if err != nil {
		return faults.Database(err)
	}
	defer rows.Close()
	next := map[string]Deadline{}
	for rows.Next() {
		var no string
		var d Deadline
		var due time.Time
		if err := rows.Scan(&no, &d.Rule, &d.Seq, &d.Party, &d.StartsAt, &d.N, &d.Unit, &d.ExtraWD, &due, &d.DueAt, &d.RemindAt,
			&d.CalendarVersion, &d.Provisional, &d.Explanation, &d.Source, &d.State, &d.SettledAt, &d.Reason); err != nil {
			return faults.Database(err)
		}
		d.DueDate = due.Format(time.DateOnly)
		d.StartsAt, d.DueAt = shanghai(d.StartsAt), shanghai(d.DueAt)
		d.RemindAt, d.SettledAt = shanghaiPtr(d.RemindAt), shanghaiPtr(d.SettledAt)
		next[no] = d
	}
	if err := rows.Err(); err != nil {
		return faults.Database(err)
	}
	for i := range ls {
		if d, ok := next[ls[i].ProposalNo]; ok {
			ls[i].NextDeadline = &d
		}
	}
	return nil
}

// Listing reads a listing with its live state from the workflow.
func (s *Service) Listing(ctx context.Context, a permission.Actor, no string) (ListingDetail, error) {
	l, err := s.listingOf(ctx, a, "getListing", no)
	if err != nil {
		return ListingDetail{}, err
	}
	out := ListingDetail{Listing: l}
	var st workflows.ListingState
	if s.query(ctx, listings, CaseSummary{CaseNo: l.ProposalNo}, workflows.QueryListing, &st) {
		live := listingLive(st)
		live.Deadlines = nil
		out.State = &live
		out.Actions = listings.actions(a, st.Stage, st.Paused)
	} else {
		out.Actions = listings.actions(a, l.Stage, false)
	}
	if out.Escalated, err = s.escalatedOf(ctx, l.ProposalNo); err != nil {
		return out, faults.Database(err)
	}
	if out.Escalated != nil {
		out.Actions = []Action{}
	}
	if out.Deadlines, err = s.caseDeadlines(ctx, l.ProposalNo); err != nil {
		return out, err
	}
	// The subject follows its listing as it follows an objection: the
	// timeline too.
	if out.Events, err = s.caseEvents(ctx, l.ProposalNo); err != nil {
		return out, err
	}
	if out.Documents, err = s.readableDocuments(ctx, a, l.ProposalNo); err != nil {
		return out, err
	}
	return out, nil
}

// ListingDocuments lists the letters of a listing the caller may read.
func (s *Service) ListingDocuments(ctx context.Context, a permission.Actor, no string) ([]documents.Meta, error) {
	l, err := s.listingOf(ctx, a, "listListingDocuments", no)
	if err != nil {
		return nil, err
	}
	return s.readableDocuments(ctx, a, l.ProposalNo)
}

// ListingDocument is a letter of a listing as PDF or HTML.
func (s *Service) ListingDocument(ctx context.Context, a permission.Actor, no string, id int64, format string) (File, error) {
	const uc = "downloadListingDocument"
	l, err := s.listingOf(ctx, a, uc, no)
	if err != nil {
		return File{}, err
	}
	return s.document(ctx, a, uc, l.ProposalNo, id, format)
}

// listingStep is every refusable step of a listing.
func listingStep[In any](s *Service, ctx context.Context, a permission.Actor, name, no string, in In, set func(*In, workflows.Actor)) (ListingLive, error) {
	st, ok := listings.step(name)
	if !ok {
		return ListingLive{}, refusal.Internalf(errors.New("no such step"), "listing step %q", name)
	}
	if err := s.guard.Require(ctx, a, st.UseCase); err != nil {
		return ListingLive{}, err
	}
	set(&in, actorOf(a))
	if err := cleantext.Refuse(&in); err != nil {
		return ListingLive{}, err
	}
	l, err := s.listingOf(ctx, a, st.UseCase, no)
	if err != nil {
		return ListingLive{}, err
	}
	var out workflows.ListingState
	if err := s.update(ctx, listings, CaseSummary{CaseNo: l.ProposalNo, Stage: l.Stage}, st, in, &out); err != nil {
		return ListingLive{}, err
	}
	s.take(ctx, a, l.ProposalNo)
	return listingLive(out), nil
}

// RecordListingService records that the notice was served (送达).
func (s *Service) RecordListingService(ctx context.Context, a permission.Actor, no string, in workflows.ServiceInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "service", no, in, func(in *workflows.ServiceInput, by workflows.Actor) { in.By = by })
}

// SubmitListingStatement submits statements and evidence (陈述申辩).
func (s *Service) SubmitListingStatement(ctx context.Context, a permission.Actor, no string, in workflows.StatementInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "statements", no, in, func(in *workflows.StatementInput, by workflows.Actor) { in.By = by })
}

// RequestListingHearing asks for a hearing (听证).
func (s *Service) RequestListingHearing(ctx context.Context, a permission.Actor, no string, in workflows.HearingRequest) (ListingLive, error) {
	return listingStep(s, ctx, a, "hearing-request", no, in, func(in *workflows.HearingRequest, by workflows.Actor) { in.By = by })
}

// ScheduleListingHearing sets the hearing.
func (s *Service) ScheduleListingHearing(ctx context.Context, a permission.Actor, no string, in workflows.HearingSchedule) (ListingLive, error) {
	return listingStep(s, ctx, a, "hearing", no, in, func(in *workflows.HearingSchedule, by workflows.Actor) { in.By = by })
}

// RecordListingHearing attaches the hearing record.
func (s *Service) RecordListingHearing(ctx context.Context, a permission.Actor, no string, in workflows.HearingRecord) (ListingLive, error) {
	return listingStep(s, ctx, a, "hearing-record", no, in, func(in *workflows.HearingRecord, by workflows.Actor) { in.By = by })
}

// WaiveListingRepresentation waives representation.
func (s *Service) WaiveListingRepresentation(ctx context.Context, a permission.Actor, no string, in workflows.WaiveInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "waiver", no, in, func(in *workflows.WaiveInput, by workflows.Actor) { in.By = by })
}

// AnswerListingPoints answers representation points (采纳/不采纳及理由).
func (s *Service) AnswerListingPoints(ctx context.Context, a permission.Actor, no string, in workflows.AnswerInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "answers", no, in, func(in *workflows.AnswerInput, by workflows.Actor) { in.By = by })
}

// DecideListing lists or does not list.
func (s *Service) DecideListing(ctx context.Context, a permission.Actor, no string, in workflows.ListingDecision) (ListingLive, error) {
	return listingStep(s, ctx, a, "decision", no, in, func(in *workflows.ListingDecision, by workflows.Actor) { in.By = by })
}

// RemoveListing removes an entry early by decision.
func (s *Service) RemoveListing(ctx context.Context, a permission.Actor, no string, in workflows.RemoveInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "removal", no, in, func(in *workflows.RemoveInput, by workflows.Actor) { in.By = by })
}

// RevokeListingBasis records that the decision behind the listing was revoked.
func (s *Service) RevokeListingBasis(ctx context.Context, a permission.Actor, no string, in workflows.RevokeBasisInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "basis-revocation", no, in, func(in *workflows.RevokeBasisInput, by workflows.Actor) { in.By = by })
}

// WithdrawListingProposal withdraws a proposal before the decision (the
// provider that made it, or a caseworker on its behalf), with the reasons
// the subject is told in writing.
func (s *Service) WithdrawListingProposal(ctx context.Context, a permission.Actor, no string, in workflows.WithdrawProposalInput) (ListingLive, error) {
	return listingStep(s, ctx, a, "withdrawal", no, in, func(in *workflows.WithdrawProposalInput, by workflows.Actor) { in.By = by })
}

// PublicListings is the public list of current entries: subject name,
// masked identifier, the records (public ones only), measures and the
// removal date.
func (s *Service) PublicListings(ctx context.Context, a permission.Actor) ([]PublicListing, error) {
	if err := s.guard.Require(ctx, a, "listPublicListings"); err != nil {
		return nil, err
	}
	rows, err := s.d.Pool.Query(ctx, `
		SELECT l.proposal_no, s.name, s.kind, s.ident, p.name, l.measures, l.joint_punishment, l.period, l.listed_at, l.removal_due, l.profile_id,
			coalesce((SELECT array_agg(r.title || '（' || r.decision_no || '）' ORDER BY r.id) FROM listing_records lr
				JOIN records r ON r.id = lr.record_id WHERE lr.proposal_no = l.proposal_no AND r.disclosure = 'public'), '{}')
		FROM listings l JOIN subjects s ON s.id = l.subject_id JOIN providers p ON p.id = l.provider_id
		WHERE l.status = 'listed' ORDER BY l.listed_at DESC, l.proposal_no LIMIT 500`)
	if err != nil {
		return nil, faults.Database(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PublicListing, error) {
		var p PublicListing
		var id, profileID string
		var due time.Time
		err := r.Scan(&p.ProposalNo, &p.SubjectName, &p.SubjectKind, &id, &p.Provider, &p.Measures, &p.JointPunishment, &p.Period,
			&p.ListedAt, &due, &profileID, &p.Records)
		p.SubjectID = ident.Mask(ident.Kind(p.SubjectKind), id)
		// A natural person's name as the case's profile says
		// (settings.public_person_name; README "The public list").
		if ident.Kind(p.SubjectKind) == ident.Person && s.publicNameMasked(profileID) {
			p.SubjectName = ident.MaskName(p.SubjectName)
		}
		p.RemovalDue = due.Format(time.DateOnly)
		p.ListedAt = shanghai(p.ListedAt)
		for i, m := range p.Measures {
			p.Measures[i] = activities.MeasureText(m)
		}
		return p, err
	})
	return nonNil(out), faults.Database(err)
}

// publicNameMasked says whether profile id shows natural persons' names
// masked on the public list; an unknown profile masks.
func (s *Service) publicNameMasked(id string) bool {
	p, err := s.d.Policies.Get(id)
	return err != nil || p.Settings.PublicPersonName.Value == policy.NameMasked
}

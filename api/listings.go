package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/workflows"
)

// ProposeListingRequest is a provider's proposal to list a subject as
// seriously dishonest (列入严重失信主体名单). A caseworker proposing for a
// provider names it in provider_id.
type ProposeListingRequest struct {
	SubjectID       int64                   `json:"subject_id"`
	ProviderID      int64                   `json:"provider_id,omitempty"`
	RecordIDs       []int64                 `json:"record_ids"`
	Reasons         string                  `json:"reasons"`
	LegalBasis      []string                `json:"legal_basis"`
	Measures        []string                `json:"measures"`
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
}

// ListingDetail is a listing with its live state, deadlines, events and
// the documents the caller may read.
type ListingDetail struct {
	Listing   ListingSummary          `json:"listing"`
	State     *workflows.ListingState `json:"state,omitempty"`
	Deadlines []CaseDeadline          `json:"deadlines"`
	Events    []CaseEvent             `json:"events,omitempty"`
	Documents any                     `json:"documents"`
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
	if served != nil {
		l.ServedAt = *served
	}
	if listed != nil {
		l.ListedAt = *listed
	}
	if removed != nil {
		l.RemovedAt = *removed
	}
	if due != nil {
		l.RemovalDue = due.Format(time.DateOnly)
	}
	return l, err
}

// listingVisible: centre staff see every listing, a provider its own
// proposals, a subject the listings about it.
func listingVisible(a auth.Account, l ListingSummary) bool {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor, auth.Admin:
		return true
	case auth.Provider:
		return a.ProviderID == l.ProviderID
	case auth.Subject:
		return a.SubjectID == l.SubjectID
	}
	return false
}

// listingOf loads the listing in the path and checks the caller may see it.
func (s *Server) listingOf(c echo.Context) (auth.Account, ListingSummary, error) {
	a, err := s.require(c, "listing", auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor, auth.Admin)
	if err != nil {
		return a, ListingSummary{}, err
	}
	no := c.Param("no")
	l, err := scanListing(s.Pool.QueryRow(c.Request().Context(), `SELECT `+listingColumns+` FROM listings l WHERE l.proposal_no = $1`, no))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, l, notFound()
	}
	if err != nil {
		return a, l, err
	}
	if !listingVisible(a, l) {
		return a, l, s.deny(c, http.StatusNotFound, "listing", no)
	}
	return a, l, nil
}

func (s *Server) listingProfileID() string {
	if s.Profile != nil {
		if _, err := policy.Default().Get(s.Profile.ID); err == nil {
			return s.Profile.ID
		}
	}
	return policy.DefaultProfileID
}

// proposeListing opens a listing case. Under a per-subject lock the
// proposal is checked (records negative, serious, the subject's, supplied
// by the provider, under no other listing), the listing row registered and
// the workflow started, so two proposals on the same records cannot both
// pass.
func (s *Server) proposeListing(c echo.Context) error {
	a, err := s.require(c, "listing", auth.Provider, auth.Caseworker)
	if err != nil {
		return err
	}
	var in ProposeListingRequest
	if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
		return badParam("body", "请求体应为 JSON", "the body must be JSON")
	}
	if a.Role == auth.Provider {
		if in.ProviderID != 0 && in.ProviderID != a.ProviderID {
			return s.deny(c, http.StatusForbidden, "listing", "")
		}
		in.ProviderID = a.ProviderID
	}
	if fe := in.validate(); len(fe) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-input",
			Title: Message{ZH: "输入有误", EN: "Invalid input"}, Fields: fe}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 15*time.Second)
	defer cancel()
	profileID := s.listingProfileID()
	var no string
	wfIn := workflows.ListingInput{SubjectID: in.SubjectID, ProviderID: in.ProviderID, ProfileID: profileID, RecordIDs: in.RecordIDs,
		Reasons: in.Reasons, LegalBasis: in.LegalBasis, Measures: in.Measures, JointPunishment: in.JointPunishment, Period: in.Period,
		ProposedBy: actorOf(a), ProposedAt: time.Now()}
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(6, $1::int)`, in.SubjectID); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT nextval('listing_proposal_seq')`).Scan(&seq); err != nil {
			return err
		}
		no = fmt.Sprintf("LB-%d-%06d", calendar.DateOf(wfIn.ProposedAt).Year, seq)
		wfIn.ProposalNo = no
		if _, err := activities.CheckProposal(ctx, s.Pool, policy.Default(), activities.ProposalCheck{
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
		_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                       workflows.ListingWorkflowID(no),
			TaskQueue:                workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.CaseKind.ValueSet(workflows.CaseKindListing),
				workflows.CaseStage.ValueSet(workflows.StageListingNotice),
				workflows.CaseStatus.ValueSet(workflows.StatusOpen)),
		}, workflows.ListingWorkflow, wfIn)
		if err != nil {
			return engineUnavailable(err)
		}
		return nil
	})
	var pe *activities.ProposalError
	if errors.As(err, &pe) {
		status, code, zh := http.StatusUnprocessableEntity, "invalid-proposal", "提请列入的信息不符合条件"
		if pe.Conflict {
			status, code, zh = http.StatusConflict, "already-listed", "所涉信息已在名单中或已有待决的列入提请"
		}
		fe := make([]Field, 0, len(pe.Problems))
		for _, p := range pe.Problems {
			name, why, _ := strings.Cut(p, ": ")
			fe = append(fe, Field{Name: name, Code: code, Message: Message{ZH: zh + "：" + why, EN: why}})
		}
		return &Error{Status: status, Code: code, Title: Message{ZH: zh, EN: "The proposal is refused"}, Fields: fe}
	}
	if err != nil {
		return err
	}
	l, err := scanListing(s.Pool.QueryRow(ctx, `SELECT `+listingColumns+` FROM listings l WHERE l.proposal_no = $1`, no))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, l)
}

func (in *ProposeListingRequest) validate() []Field {
	var fe []Field
	req := func(name string, ok bool, zh string) {
		if !ok {
			fe = append(fe, Field{Name: name, Code: "required", Message: Message{ZH: zh, EN: "required"}})
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
			fe = append(fe, Field{Name: "measures[" + strconv.Itoa(i) + "]", Code: "invalid",
				Message: Message{ZH: "未知的惩戒措施", EN: "unknown measure"}})
		}
	}
	if in.Period.Months() == 0 || in.Period.Length < 1 {
		fe = append(fe, Field{Name: "period", Code: "invalid", Message: Message{ZH: "列入期限应为若干月（month）或年（year）", EN: "a length in months or years"}})
	}
	return fe
}

func periodText(p workflows.ListingPeriod) string {
	if p.Unit == "year" {
		return strconv.Itoa(p.Length) + "年"
	}
	return strconv.Itoa(p.Length) + "个月"
}

// listListings lists the listings the caller may see, newest first.
func (s *Server) listListings(c echo.Context) error {
	a, err := s.require(c, "listing", auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor, auth.Admin)
	if err != nil {
		return err
	}
	where, args := []string{"true"}, []any{}
	switch a.Role {
	case auth.Provider:
		args = append(args, a.ProviderID)
		where = append(where, "l.provider_id = $1")
	case auth.Subject:
		args = append(args, a.SubjectID)
		where = append(where, "l.subject_id = $1")
	}
	if st := c.QueryParam("status"); st != "" {
		args = append(args, st)
		where = append(where, fmt.Sprintf("l.status = $%d", len(args)))
	}
	rows, err := s.Pool.Query(c.Request().Context(), `SELECT `+listingColumns+` FROM listings l WHERE `+strings.Join(where, " AND ")+
		` ORDER BY l.proposed_at DESC, l.proposal_no DESC LIMIT 200`, args...)
	if err != nil {
		return err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ListingSummary, error) { return scanListing(r) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"listings": nonNil(out)})
}

// getListing answers the listing with its live state from the workflow.
func (s *Server) getListing(c echo.Context) error {
	a, l, err := s.listingOf(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 10*time.Second)
	defer cancel()
	out := ListingDetail{Listing: l}
	if v, err := s.Temporal.QueryWorkflow(ctx, workflows.ListingWorkflowID(l.ProposalNo), "", workflows.QueryListing); err == nil {
		var st workflows.ListingState
		if err := v.Get(&st); err == nil {
			out.State = &st
		}
	}
	if out.Deadlines, err = s.caseDeadlines(ctx, l.ProposalNo); err != nil {
		return err
	}
	if a.Role != auth.Subject {
		if out.Events, err = s.caseEvents(ctx, l.ProposalNo); err != nil {
			return err
		}
	}
	if out.Documents, err = s.readableDocuments(ctx, a, l.ProposalNo); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) listingDocuments(c echo.Context) error {
	a, l, err := s.listingOf(c)
	if err != nil {
		return err
	}
	return s.serveDocumentList(c, a, l.ProposalNo)
}

func (s *Server) listingDocument(c echo.Context) error {
	a, l, err := s.listingOf(c)
	if err != nil {
		return err
	}
	return s.serveDocument(c, a, l.ProposalNo)
}

// listingAction is one refusable step of a listing: the update it sends,
// who may send it, and the input it decodes (with the actor set).
type listingAction struct {
	update string
	roles  []auth.Role
	// party: the caller must be the listing's subject (subject) or
	// provider (provider) when it has that role.
	decode func(c echo.Context, by workflows.Actor) (any, error)
}

func decodeWith[T any](set func(*T, workflows.Actor)) func(echo.Context, workflows.Actor) (any, error) {
	return func(c echo.Context, by workflows.Actor) (any, error) {
		var in T
		if err := json.NewDecoder(c.Request().Body).Decode(&in); err != nil {
			return nil, badParam("body", "请求体应为 JSON", "the body must be JSON")
		}
		set(&in, by)
		return in, nil
	}
}

var listingActions = map[string]listingAction{
	"service": {workflows.ListingRecordService, []auth.Role{auth.Caseworker},
		decodeWith(func(in *workflows.ServiceInput, by workflows.Actor) { in.By = by })},
	"statements": {workflows.ListingSubmitStatement, []auth.Role{auth.Subject},
		decodeWith(func(in *workflows.StatementInput, by workflows.Actor) { in.By = by })},
	"hearing-request": {workflows.ListingRequestHearing, []auth.Role{auth.Subject},
		decodeWith(func(in *workflows.HearingRequest, by workflows.Actor) { in.By = by })},
	"hearing": {workflows.ListingScheduleHearing, []auth.Role{auth.Caseworker, auth.Supervisor},
		decodeWith(func(in *workflows.HearingSchedule, by workflows.Actor) { in.By = by })},
	"hearing-record": {workflows.ListingRecordHearing, []auth.Role{auth.Caseworker, auth.Supervisor},
		decodeWith(func(in *workflows.HearingRecord, by workflows.Actor) { in.By = by })},
	"waiver": {workflows.ListingWaive, []auth.Role{auth.Subject},
		decodeWith(func(in *workflows.WaiveInput, by workflows.Actor) { in.By = by })},
	"answers": {workflows.ListingAnswer, []auth.Role{auth.Provider, auth.Caseworker, auth.Supervisor},
		decodeWith(func(in *workflows.AnswerInput, by workflows.Actor) { in.By = by })},
	"decision": {workflows.ListingDecide, []auth.Role{auth.Caseworker, auth.Supervisor},
		decodeWith(func(in *workflows.ListingDecision, by workflows.Actor) { in.By = by })},
	"removal": {workflows.ListingRemove, []auth.Role{auth.Caseworker, auth.Supervisor, auth.Admin},
		decodeWith(func(in *workflows.RemoveInput, by workflows.Actor) { in.By = by })},
	"basis-revocation": {workflows.ListingRevokeBasis, []auth.Role{auth.Caseworker, auth.Supervisor},
		decodeWith(func(in *workflows.RevokeBasisInput, by workflows.Actor) { in.By = by })},
}

// listingStep sends one refusable step as an Update and answers the state
// after it; a refusal is 409 (not possible now) or 422 (the input).
func (s *Server) listingStep(step string) echo.HandlerFunc {
	act := listingActions[step]
	return func(c echo.Context) error {
		a, l, err := s.listingOf(c)
		if err != nil {
			return err
		}
		if _, err := s.require(c, "listing", act.roles...); err != nil {
			return err
		}
		arg, err := act.decode(c, actorOf(a))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Second)
		defer cancel()
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflows.ListingWorkflowID(l.ProposalNo), UpdateName: act.update, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		var st workflows.ListingState
		if err == nil {
			err = h.Get(ctx, &st)
		}
		if err != nil {
			return s.listingRefused(c, l.ProposalNo, act.update, err)
		}
		return c.JSON(http.StatusOK, st)
	}
}

// listingRefused maps a refused update through the core.
func (s *Server) listingRefused(c echo.Context, no, update string, err error) error {
	return s.app.Casework.Refused(c.Request().Context(), workflows.CaseKindListing, no, "", update, err)
}

// publicListings is the public list of current entries: subject name,
// masked identifier, the records (public ones only), measures and the
// removal date. No login needed.
func (s *Server) publicListings(c echo.Context) error {
	rows, err := s.Pool.Query(c.Request().Context(), `
		SELECT l.proposal_no, s.name, s.kind, s.ident, p.name, l.measures, l.joint_punishment, l.period, l.listed_at, l.removal_due,
			coalesce((SELECT array_agg(r.title || '（' || r.decision_no || '）' ORDER BY r.id) FROM listing_records lr
				JOIN records r ON r.id = lr.record_id WHERE lr.proposal_no = l.proposal_no AND r.disclosure = 'public'), '{}')
		FROM listings l JOIN subjects s ON s.id = l.subject_id JOIN providers p ON p.id = l.provider_id
		WHERE l.status = 'listed' ORDER BY l.listed_at DESC, l.proposal_no LIMIT 500`)
	if err != nil {
		return err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PublicListing, error) {
		var p PublicListing
		var id string
		var due time.Time
		err := r.Scan(&p.ProposalNo, &p.SubjectName, &p.SubjectKind, &id, &p.Provider, &p.Measures, &p.JointPunishment, &p.Period,
			&p.ListedAt, &due, &p.Records)
		p.SubjectID = ident.Mask(ident.Kind(p.SubjectKind), id)
		p.RemovalDue = due.Format(time.DateOnly)
		for i, m := range p.Measures {
			p.Measures[i] = activities.MeasureText(m)
		}
		return p, err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"listings": nonNil(out)})
}

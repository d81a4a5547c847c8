package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/repair"
	"github.com/creditcase/creditcase/workflows"
)

// Repair filing and public form bounds.
const (
	repairNoPrefix       = "XF"
	repairOpenIndex      = "repair_applications_one_open"
	commitmentField      = "commitment"
	maxObjectionName     = 50
	maxObjectionContact  = 100
	minObjectionGrounds  = 10
	maxObjectionGrounds  = 2000
	publicBucketCapacity = 5               // objections a client may send at once
	publicBucketRefill   = 2 * time.Minute // one more every refill interval
)

var repairStages = []string{
	workflows.StageAcceptance, workflows.StageAwaitingSupplement, workflows.StageProviderOpinion,
	workflows.StageAwaitingPublicity, workflows.StagePublicity, workflows.StageObjectionVerification,
	workflows.StageDeciding, workflows.StageFinished,
}

// ---- eligibility (dry run) ----

// RepairEligibility is the dry run's answer: the same check as at filing,
// with the document conditions pending, and the open application if any.
type RepairEligibility struct {
	RecordID        int64  `json:"record_id"`
	CanApply        bool   `json:"can_apply"`
	OpenApplication string `json:"open_application,omitempty"`
	repair.Result
}

// repairRecord reads the record in the path for a party who may see it.
func (s *Server) repairRecord(c echo.Context, roles ...auth.Role) (auth.Account, records.Record, error) {
	a, err := s.require(c, "record", roles...)
	if err != nil {
		return a, records.Record{}, err
	}
	id, err := pathID(c)
	if err != nil {
		return a, records.Record{}, err
	}
	rec, err := s.records.Record(c.Request().Context(), id)
	if errors.Is(err, records.ErrNotFound) {
		return a, rec, notFound()
	}
	if err != nil {
		return a, rec, err
	}
	if !recordVisible(a, rec) {
		return a, rec, s.deny(c, http.StatusNotFound, "record", strconv.FormatInt(id, 10))
	}
	return a, rec, nil
}

// eligibility checks rec on today with the documents given (nil: dry run).
func (s *Server) eligibility(ctx context.Context, rec records.Record, docs *repair.Facts) (repair.Result, error) {
	prof, err := s.caseProfile(rec)
	if err != nil {
		return repair.Result{}, err
	}
	f, _, err := repair.Load(ctx, s.Pool, rec.ID, calendar.DateOf(time.Now()))
	if err != nil {
		return repair.Result{}, err
	}
	if docs != nil {
		f.Documents, f.Commitment, f.Evidence = true, docs.Commitment, docs.Evidence
	}
	return repair.Check(f, prof, calendar.Default())
}

func (s *Server) openRepair(ctx context.Context, recordID int64) (string, error) {
	var no string
	err := s.Pool.QueryRow(ctx, `SELECT application_no FROM repair_applications WHERE record_id = $1 AND status = 'open'`, recordID).Scan(&no)
	if db.IsNoRows(err) {
		return "", nil
	}
	return no, err
}

// repairEligibility answers GET /records/{id}/repair-eligibility: whether
// the record may be repaired today and, if not, every reason and the date
// from which an application is possible.
func (s *Server) repairEligibility(c echo.Context) error {
	_, rec, err := s.repairRecord(c, auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.eligibility(ctx, rec, nil)
	if err != nil {
		return err
	}
	open, err := s.openRepair(ctx, rec.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, RepairEligibility{RecordID: rec.ID, CanApply: r.Eligible && open == "", OpenApplication: open, Result: r})
}

func ineligible(r repair.Result) error {
	e := &Error{Status: http.StatusUnprocessableEntity, Code: "repair-ineligible",
		Title:  Message{ZH: "不符合信用修复条件", EN: "Not eligible for credit repair"},
		Detail: Message{ZH: "以下条件未满足，未作任何更改", EN: "The conditions listed are not met; nothing was changed"}}
	if r.From != nil {
		e.Detail = Message{ZH: "以下条件未满足，未作任何更改；可自 " + r.From.String() + " 起申请",
			EN: "The conditions listed are not met; nothing was changed; apply from " + r.From.String()}
	}
	for _, c := range r.Conditions {
		if !c.Met {
			e.Fields = append(e.Fields, Field{Name: c.Code, Code: "unmet", Message: Message{ZH: c.ZH, EN: c.EN}})
		}
	}
	return e
}

// ---- filing ----

// FiledRepair is the answer to an application: the case and its files.
type FiledRepair struct {
	Case        CaseSummary     `json:"case"`
	Eligibility repair.Result   `json:"eligibility"`
	Commitment  evidence.Meta   `json:"commitment"`
	Evidence    []evidence.Meta `json:"evidence"`
}

// repairForm is a multipart application or supplement.
type repairForm struct {
	recordID   int64
	statement  string
	commitment *upload
	files      []upload
}

func readRepairForm(c echo.Context, allowed ...string) (repairForm, error) {
	var f repairForm
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		return f, invalid([]records.FieldError{{Field: "body", Code: "multipart",
			ZH: "请以 multipart/form-data 提交申请及材料", EN: "send the application and its files as multipart/form-data"}})
	}
	form, err := c.MultipartForm()
	if err != nil {
		return f, invalid([]records.FieldError{{Field: "body", Code: "multipart",
			ZH: "请求体不是有效的 multipart/form-data", EN: "the body is not valid multipart/form-data"}})
	}
	for k, v := range form.Value {
		if !slices.Contains(allowed, k) || len(v) != 1 {
			return f, invalid([]records.FieldError{{Field: k, Code: "unknown", ZH: "未知或重复的字段", EN: "unknown or repeated field"}})
		}
	}
	if v := form.Value["record_id"]; len(v) == 1 {
		if f.recordID, err = strconv.ParseInt(v[0], 10, 64); err != nil || f.recordID <= 0 {
			return f, invalid([]records.FieldError{{Field: "record_id", Code: "format", ZH: "应为正整数", EN: "must be a positive integer"}})
		}
	}
	if v := form.Value["statement"]; len(v) == 1 {
		f.statement = strings.TrimSpace(v[0])
	}
	if n := len([]rune(f.statement)); n > maxStatement {
		return f, invalid([]records.FieldError{{Field: "statement", Code: "length",
			ZH: fmt.Sprintf("不超过 %d 字", maxStatement), EN: fmt.Sprintf("at most %d characters", maxStatement)}})
	}
	var commitment []*multipart.FileHeader
	if slices.Contains(allowed, commitmentField) {
		commitment = form.File[commitmentField]
		delete(form.File, commitmentField)
	}
	if len(commitment) > 1 {
		return f, invalid([]records.FieldError{{Field: commitmentField, Code: "count", ZH: "只需一份信用承诺书", EN: "one commitment file"}})
	}
	if len(commitment) == 1 {
		data, err := readPart(commitment[0])
		if err != nil {
			return f, err
		}
		f.commitment = &upload{field: commitmentField, name: commitment[0].Filename, data: data}
	}
	f.files, err = readUploads(form)
	return f, err
}

// applyRepair files a repair application on one of the subject's records
// (multipart: record_id, statement, the signed commitment as "commitment"
// and the evidence of correction as "file" parts). An ineligible
// application is answered 422 with every unmet condition and the date from
// which to apply; a second open application on the record 409. The
// application row and the workflow start are one transaction.
func (s *Server) applyRepair(c echo.Context) error {
	a, err := s.require(c, "repair", auth.Subject)
	if err != nil {
		return err
	}
	form, err := readRepairForm(c, "record_id", "statement", commitmentField)
	if err != nil {
		return err
	}
	if form.recordID == 0 {
		return invalid([]records.FieldError{{Field: "record_id", Code: "required", ZH: "请指明申请修复的信用记录", EN: "name the record to repair"}})
	}
	all := form.files
	if form.commitment != nil {
		all = append([]upload{*form.commitment}, all...)
	}
	if _, err := checkUploads(all, s.evidenceStore().Limits()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), engineTimeout)
	defer cancel()
	rec, err := s.records.Record(ctx, form.recordID)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return err
	}
	if err != nil || rec.SubjectID != a.SubjectID {
		if err == nil {
			return s.deny(c, http.StatusNotFound, "record", strconv.FormatInt(form.recordID, 10))
		}
		return invalid([]records.FieldError{{Field: "record_id", Code: "unknown", ZH: "没有该信用记录", EN: "no such record"}})
	}
	if open, err := s.openRepair(ctx, rec.ID); err != nil {
		return err
	} else if open != "" {
		return repairOpen(open)
	}
	el, err := s.eligibility(ctx, rec, &repair.Facts{Commitment: form.commitment != nil, Evidence: len(form.files)})
	if err != nil {
		return err
	}
	if !el.Eligible {
		return ineligible(el)
	}
	profile, err := s.caseProfile(rec)
	if err != nil {
		return err
	}
	var seq int64
	if err := s.Pool.QueryRow(ctx, `SELECT nextval('repair_application_no')`).Scan(&seq); err != nil {
		return err
	}
	now := time.Now()
	no := fmt.Sprintf("%s%d-%06d", repairNoPrefix, calendar.DateOf(now).Year, seq)
	by := actorOf(a)
	out := FiledRepair{Eligibility: el, Evidence: []evidence.Meta{}}
	var ids []int64
	for i, f := range all {
		m, err := s.evidenceStore().Put(ctx, evidence.Owner{CaseRef: no, UploadedBy: by.Name}, f.name, f.data)
		if err != nil {
			return evidenceErr(err, f.field)
		}
		if i == 0 {
			out.Commitment = m
			continue
		}
		out.Evidence = append(out.Evidence, m)
		ids = append(ids, m.ID)
	}
	in := workflows.RepairInput{CaseNo: no, RecordID: rec.ID, SubjectID: rec.SubjectID, ProviderID: rec.ProviderID,
		ProfileID: profile.ID, CommitmentID: out.Commitment.ID, EvidenceIDs: ids, Statement: form.statement,
		FiledBy: by, ReceivedAt: now.UTC()}
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO repair_applications (application_no, record_id, subject_id, provider_id, profile_id,
			commitment_id, evidence_ids, statement, filed_by, filed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			no, rec.ID, rec.SubjectID, rec.ProviderID, profile.ID, in.CommitmentID, ids, in.Statement, by.Name, in.ReceivedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id,
			profile_id, profile_version, stage, status, opened_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			no, workflows.CaseKindRepair, workflows.RepairWorkflowID(no), rec.ID, rec.SubjectID, rec.ProviderID,
			profile.ID, profile.Version, workflows.StageAcceptance, workflows.StatusOpen, in.ReceivedAt); err != nil {
			return err
		}
		_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                       workflows.RepairWorkflowID(no),
			TaskQueue:                workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.CaseKind.ValueSet(workflows.CaseKindRepair),
				workflows.CaseStage.ValueSet(workflows.StageAcceptance),
				workflows.CaseStatus.ValueSet(workflows.StatusOpen)),
		}, workflows.RepairWorkflow, in)
		return err
	})
	var pe *pgconn.PgError
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == repairOpenIndex:
		open, oerr := s.openRepair(ctx, rec.ID)
		if oerr != nil {
			return oerr
		}
		return repairOpen(open)
	case errors.As(err, &started):
		return &Error{Status: http.StatusConflict, Code: "case-exists",
			Title:  Message{ZH: "案件已存在", EN: "The case already exists"},
			Detail: Message{ZH: "该申请编号已被使用，请重新提交", EN: "This application number is taken; submit again"}, Cause: err}
	case err != nil:
		if errors.As(err, &pe) {
			return err
		}
		return engineUnavailable(err)
	}
	s.Logger.Info().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
		Str("case_no", no).Int("evidence", len(all)).Msg("repair application filed")
	if out.Case, err = scanCase(s.Pool.QueryRow(ctx, `SELECT `+caseColumns+` WHERE c.case_no = $1`, no)); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/repairs/"+no)
	return c.JSON(http.StatusCreated, out)
}

func repairOpen(no string) error {
	return &Error{Status: http.StatusConflict, Code: "repair-open",
		Title:  Message{ZH: "该记录已有正在办理的信用修复申请", EN: "A repair application on this record is already open"},
		Detail: Message{ZH: "信用修复申请 " + no + " 正在办理中，请勿重复申请", EN: "Repair application " + no + " is being handled; do not apply again"}}
}

// ---- the case ----

// repairCase reads the repair case in the path for a party who may see it.
func (s *Server) repairCase(c echo.Context) (auth.Account, CaseSummary, error) {
	a, err := s.require(c, "repair", caseRoles...)
	if err != nil {
		return a, CaseSummary{}, err
	}
	no := c.Param("no")
	if casework.CheckCaseNo(no) != nil {
		return a, CaseSummary{}, badParam("no", "申请编号格式不正确", "not an application number")
	}
	cs, err := scanCase(s.Pool.QueryRow(c.Request().Context(), `SELECT `+caseColumns+` WHERE c.case_no = $1 AND c.kind = $2`,
		no, workflows.CaseKindRepair))
	if db.IsNoRows(err) {
		return a, cs, notFound()
	}
	if err != nil {
		return a, cs, err
	}
	if !caseVisible(a, cs) {
		return a, cs, s.deny(c, http.StatusNotFound, "repair", no)
	}
	return a, cs, nil
}

// listRepairs is every role's repair inbox: a subject's own applications, a
// provider's about its records (?stage=provider_opinion: its opinion inbox;
// ?stage=publicity: objections to verify), staff all; soonest deadline first.
func (s *Server) listRepairs(c echo.Context) error {
	a, err := s.require(c, "repair", caseRoles...)
	if err != nil {
		return err
	}
	stage, status := c.QueryParam("stage"), c.QueryParam("status")
	if stage != "" && !slices.Contains(repairStages, stage) {
		return badParam("stage", "应为 "+strings.Join(repairStages, "、"), "must be one of "+strings.Join(repairStages, ", "))
	}
	if status != "" && !slices.Contains(caseStatuses, status) {
		return badParam("status", "应为 open、closed 或 withdrawn", "must be open, closed or withdrawn")
	}
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = defaultCasePage
	}
	var subjectID, providerID int64
	switch a.Role {
	case auth.Subject:
		subjectID = a.SubjectID
	case auth.Provider:
		providerID = a.ProviderID
	}
	rows, err := s.Pool.Query(c.Request().Context(), `SELECT `+caseColumns+`
		WHERE c.kind = $1 AND ($2::bigint = 0 OR c.subject_id = $2) AND ($3::bigint = 0 OR c.provider_id = $3)
		  AND ($4 = '' OR c.stage = $4) AND ($5 = '' OR c.status = $5)
		ORDER BY c.next_due_at ASC NULLS LAST, c.opened_at, c.case_no LIMIT $6`,
		workflows.CaseKindRepair, subjectID, providerID, stage, status, limit)
	if err != nil {
		return err
	}
	cases, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseSummary, error) { return scanCase(r) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, CasePage{Cases: nonNil(cases), Page: 1, Limit: limit})
}

// RepairDetail is the case page of a repair application.
type RepairDetail struct {
	Case       CaseSummary            `json:"case"`
	Live       *workflows.RepairState `json:"live"`
	Deadlines  []CaseDeadline         `json:"deadlines"`
	Events     []CaseEvent            `json:"events"`
	Documents  []documents.Meta       `json:"documents"`
	Evidence   []evidence.Meta        `json:"evidence"`
	Objections []RepairObjection      `json:"objections"`
}

// RepairObjection is a public objection as the case parties see it.
type RepairObjection struct {
	ID         int64      `json:"id"`
	Grounds    string     `json:"grounds"`
	Status     string     `json:"status"`
	Answer     string     `json:"answer,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func (s *Server) getRepair(c echo.Context) error {
	a, cs, err := s.repairCase(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d := RepairDetail{Case: cs}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if v, err := s.Temporal.QueryWorkflow(qctx, workflows.RepairWorkflowID(cs.CaseNo), "", workflows.QueryRepair); err != nil {
		s.Logger.Warn().Err(err).Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
			Str("case_no", cs.CaseNo).Msg("repair detail without live state")
	} else {
		var st workflows.RepairState
		if err := v.Get(&st); err != nil {
			return err
		}
		d.Live = &st
	}
	if d.Deadlines, err = s.caseDeadlines(ctx, cs.CaseNo); err != nil {
		return err
	}
	if d.Events, err = s.caseEvents(ctx, cs.CaseNo); err != nil {
		return err
	}
	if d.Documents, err = s.readableDocuments(ctx, a, cs.CaseNo); err != nil {
		return err
	}
	if d.Evidence, err = s.evidenceStore().List(ctx, cs.CaseNo); err != nil {
		return err
	}
	// The objectors' contact details stay with the centre and the provider.
	rows, err := s.Pool.Query(ctx, `SELECT id, grounds, status, answer, answered_at, created_at FROM repair_public_objections
		WHERE application_no = $1 AND status <> 'refused' ORDER BY id`, cs.CaseNo)
	if err != nil {
		return err
	}
	objs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RepairObjection, error) {
		var o RepairObjection
		return o, r.Scan(&o.ID, &o.Grounds, &o.Status, &o.Answer, &o.AnsweredAt, &o.CreatedAt)
	})
	if err != nil {
		return err
	}
	d.Objections = nonNil(objs)
	return c.JSON(http.StatusOK, d)
}

// supplementRepair answers the one-time notice: statement and files
// (multipart), filed with the case, then the update.
func (s *Server) supplementRepair(c echo.Context) error {
	a, cs, err := s.repairCase(c)
	if err != nil {
		return err
	}
	if a.Role != auth.Subject {
		return s.deny(c, http.StatusForbidden, "repair", cs.CaseNo)
	}
	form, err := readRepairForm(c, "statement")
	if err != nil {
		return err
	}
	if form.statement == "" {
		return invalid([]records.FieldError{{Field: "statement", Code: "required", ZH: "请说明补正的材料", EN: "say what is supplied"}})
	}
	if _, err := checkUploads(form.files, s.evidenceStore().Limits()); err != nil {
		return err
	}
	if cs.Stage != workflows.StageAwaitingSupplement {
		return s.repairRefused(c, workflows.RepairSupplement, cs, temporal.NewApplicationError("supplement refused: no one-time notice is open", "wrong-stage"))
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), engineTimeout)
	defer cancel()
	by := actorOf(a)
	var ids []int64
	for _, f := range form.files {
		m, err := s.evidenceStore().Put(ctx, evidence.Owner{CaseRef: cs.CaseNo, UploadedBy: by.Name}, f.name, f.data)
		if err != nil {
			return evidenceErr(err, f.field)
		}
		ids = append(ids, m.ID)
	}
	return s.repairUpdate(ctx, c, cs, workflows.RepairSupplement, workflows.RepairSupplementInput{By: by, Statement: form.statement, EvidenceIDs: ids})
}

// repairAction is one JSON-bodied step and who may take it.
type repairAction struct {
	name  string
	roles []auth.Role
	input func(c echo.Context, by workflows.Actor) (any, error)
}

func repairStep[T any](name string, roles []auth.Role, set func(*T, workflows.Actor)) repairAction {
	return repairAction{name: name, roles: roles, input: func(c echo.Context, by workflows.Actor) (any, error) {
		var in T
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(body)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return nil, invalid([]records.FieldError{{Field: "body", Code: "json",
					ZH: "请求体不是有效的 JSON 或含有未知字段", EN: "the body is not valid JSON or has unknown fields"}})
			}
		}
		set(&in, by)
		return in, nil
	}}
}

// repairActions are the JSON-bodied refusable steps, by path segment.
var repairActions = []repairAction{
	repairStep(workflows.RepairWithdraw, []auth.Role{auth.Subject}, func(in *workflows.WithdrawInput, by workflows.Actor) { in.By = by }),
	repairStep(workflows.RepairAccept, []auth.Role{auth.Caseworker}, func(in *workflows.AcceptInput, by workflows.Actor) { in.By = by }),
	repairStep(workflows.RepairRequestSupplement, []auth.Role{auth.Caseworker}, func(in *workflows.SupplementRequest, by workflows.Actor) { in.By = by }),
	repairStep(workflows.RepairProviderOpinion, []auth.Role{auth.Provider}, func(in *workflows.OpinionInput, by workflows.Actor) { in.By = by }),
	repairStep(workflows.RepairPublish, []auth.Role{auth.Caseworker}, func(in *workflows.PublishInput, by workflows.Actor) { in.By = by }),
	repairStep(workflows.RepairVerifyObjection, []auth.Role{auth.Provider}, func(in *workflows.VerifyObjectionInput, by workflows.Actor) { in.By = by }),
	repairStep(workflows.RepairDecide, []auth.Role{auth.Caseworker}, func(in *workflows.RepairDecisionInput, by workflows.Actor) { in.By = by }),
}

func (s *Server) repairActionHandler(act repairAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, cs, err := s.repairCase(c)
		if err != nil {
			return err
		}
		if !slices.Contains(act.roles, a.Role) {
			return s.deny(c, http.StatusForbidden, "repair", cs.CaseNo)
		}
		in, err := act.input(c, actorOf(a))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), engineTimeout)
		defer cancel()
		return s.repairUpdate(ctx, c, cs, act.name, in)
	}
}

// repairUpdate sends the update and answers the new live state, or the
// refusal: 409 when the case is not at a stage that allows it, 422 when the
// input is wrong.
func (s *Server) repairUpdate(ctx context.Context, c echo.Context, cs CaseSummary, name string, in any) error {
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.RepairWorkflowID(cs.CaseNo), UpdateName: name, Args: []any{in},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var st workflows.RepairState
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err != nil {
		return s.repairRefused(c, name, cs, err)
	}
	s.Logger.Info().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
		Str("case_no", cs.CaseNo).Str("action", name).Str("stage", st.Stage).Msg("repair action")
	return c.JSON(http.StatusOK, st)
}

// repairRefused maps a refused update through the core.
func (s *Server) repairRefused(c echo.Context, name string, cs CaseSummary, err error) error {
	return s.app.Casework.Refused(c.Request().Context(), workflows.CaseKindRepair, cs.CaseNo, cs.Stage, name, err)
}

func (s *Server) listRepairDocuments(c echo.Context) error {
	a, cs, err := s.repairCase(c)
	if err != nil {
		return err
	}
	return s.serveDocumentList(c, a, cs.CaseNo)
}

// downloadRepairDocument serves a letter of the repair case.
func (s *Server) downloadRepairDocument(c echo.Context) error {
	a, cs, err := s.repairCase(c)
	if err != nil {
		return err
	}
	return s.serveDocument(c, a, cs.CaseNo)
}

// ---- public ----

// PublicRepairNotice is a repair proposal on public display.
type PublicRepairNotice struct {
	ApplicationNo   string    `json:"application_no"`
	SubjectName     string    `json:"subject_name"`
	SubjectIdent    string    `json:"subject_ident"`
	ProviderName    string    `json:"provider_name"`
	RecordTitle     string    `json:"record_title"`
	DecisionNo      string    `json:"decision_no"`
	DecidedOn       string    `json:"decided_on"`
	ProposedOutcome string    `json:"proposed_outcome"`
	From            time.Time `json:"from"`
	Until           string    `json:"until"`
	UntilAt         time.Time `json:"until_at"`
	Explanation     string    `json:"explanation"`
}

const publicNoticeColumns = `application_no, subject_name, subject_ident, provider_name, record_title, decision_no,
	decided_on, proposed_outcome, starts_at, ends_on, ends_at, explanation`

func scanNotice(r pgx.Row) (PublicRepairNotice, error) {
	var n PublicRepairNotice
	var decided, ends time.Time
	err := r.Scan(&n.ApplicationNo, &n.SubjectName, &n.SubjectIdent, &n.ProviderName, &n.RecordTitle, &n.DecisionNo,
		&decided, &n.ProposedOutcome, &n.From, &ends, &n.UntilAt, &n.Explanation)
	n.DecidedOn, n.Until = decided.Format(time.DateOnly), ends.Format(time.DateOnly)
	return n, err
}

// publicRepairNotices lists the repair proposals in their publicity period,
// to anyone.
func (s *Server) publicRepairNotices(c echo.Context) error {
	rows, err := s.Pool.Query(c.Request().Context(), `SELECT `+publicNoticeColumns+` FROM repair_publicity
		WHERE status = 'running' AND ends_at > now() ORDER BY ends_at, application_no LIMIT 200`)
	if err != nil {
		return err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PublicRepairNotice, error) { return scanNotice(r) })
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notices": nonNil(out)})
}

// PublicObjectionForm is the public objection form: who objects, how to
// reach them, and why. No account is needed.
type PublicObjectionForm struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
	Grounds string `json:"grounds"`
}

// PublicObjectionReceipt is the answer to the form: a receipt to read the
// answer with, and the provider's verification deadline.
type PublicObjectionReceipt struct {
	Receipt string `json:"receipt"`
	Status  string `json:"status"`
}

var (
	phonePattern = regexp.MustCompile(`^[0-9+\-() ]{7,20}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func (f *PublicObjectionForm) validate() []records.FieldError {
	var fe []records.FieldError
	f.Name, f.Contact, f.Grounds = strings.TrimSpace(f.Name), strings.TrimSpace(f.Contact), strings.TrimSpace(f.Grounds)
	if n := len([]rune(f.Name)); n == 0 || n > maxObjectionName {
		fe = append(fe, records.FieldError{Field: "name", Code: "length",
			ZH: fmt.Sprintf("请填写姓名或单位名称（1–%d 字）", maxObjectionName), EN: fmt.Sprintf("give a name (1–%d characters)", maxObjectionName)})
	}
	if len([]rune(f.Contact)) > maxObjectionContact || !(phonePattern.MatchString(f.Contact) || emailPattern.MatchString(f.Contact)) {
		fe = append(fe, records.FieldError{Field: "contact", Code: "format",
			ZH: "请填写可联系的电话号码或电子邮箱", EN: "give a telephone number or an e-mail address"})
	}
	if n := len([]rune(f.Grounds)); n < minObjectionGrounds || n > maxObjectionGrounds {
		fe = append(fe, records.FieldError{Field: "grounds", Code: "length",
			ZH: fmt.Sprintf("请写明异议理由（%d–%d 字）", minObjectionGrounds, maxObjectionGrounds),
			EN: fmt.Sprintf("state the grounds (%d–%d characters)", minObjectionGrounds, maxObjectionGrounds)})
	}
	return fe
}

// bucketLimiter is a small in-memory token bucket per client IP: capacity
// requests at once, one more per refill. Idle buckets are dropped.
type bucketLimiter struct {
	mu       sync.Mutex
	capacity float64
	refill   time.Duration
	buckets  map[string]*bucket
	now      func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newBucketLimiter(capacity int, refill time.Duration) *bucketLimiter {
	return &bucketLimiter{capacity: float64(capacity), refill: refill, buckets: map[string]*bucket{}, now: time.Now}
}

// allow takes a token for key, or says how long until one is there.
func (l *bucketLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.at) > time.Duration(l.capacity)*l.refill {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.capacity, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.capacity, b.tokens+float64(now.Sub(b.at))/float64(l.refill))
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.refill))
	}
	b.tokens--
	return true, 0
}

// clientIP is the address the request came from (the direct peer: a header
// a client can set is not trusted).
func clientIP(c echo.Context) string {
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}

// publicRepairObjection takes an objection through the public form during
// a publicity period: rate-limited per client, validated, stored with the
// case, and the case told (the provider then verifies it).
func (s *Server) publicRepairObjection(limiter *bucketLimiter) echo.HandlerFunc {
	return func(c echo.Context) error {
		ip := clientIP(c)
		if ok, wait := limiter.allow(ip); !ok {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			return &Error{Status: http.StatusTooManyRequests, Code: "rate-limited",
				Title:  Message{ZH: "提交过于频繁", EN: "Too many submissions"},
				Detail: Message{ZH: "请稍后再提交", EN: "Try again later"}}
		}
		no := c.Param("no")
		if casework.CheckCaseNo(no) != nil {
			return badParam("no", "申请编号格式不正确", "not an application number")
		}
		var f PublicObjectionForm
		if err := decodeBody(c, &f); err != nil {
			return err
		}
		if fe := f.validate(); len(fe) > 0 {
			return invalid(fe)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), engineTimeout)
		defer cancel()
		var stage string
		err := s.Pool.QueryRow(ctx, `SELECT c.stage FROM repair_publicity p JOIN cases c ON c.case_no = p.application_no
			WHERE p.application_no = $1 AND p.status = 'running' AND p.ends_at > now()`, no).Scan(&stage)
		if db.IsNoRows(err) {
			return notFound()
		}
		if err != nil {
			return err
		}
		receipt := newReceipt()
		sum := sha256.Sum256([]byte(ip))
		var id int64
		if err := s.Pool.QueryRow(ctx, `INSERT INTO repair_public_objections (application_no, receipt, contact_name, contact, grounds, client_hash)
			VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`, no, receipt, f.Name, f.Contact, f.Grounds, hex.EncodeToString(sum[:8])).Scan(&id); err != nil {
			return err
		}
		cs := CaseSummary{CaseNo: no, Stage: stage}
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: workflows.RepairWorkflowID(no), UpdateName: workflows.RepairPublicObjection,
			Args:         []any{workflows.PublicObjectionInput{By: workflows.Actor{Name: "public", Role: "public"}, ObjectionID: id}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			if _, uerr := s.Pool.Exec(context.WithoutCancel(ctx), `UPDATE repair_public_objections SET status = 'refused' WHERE id = $1`, id); uerr != nil {
				s.Logger.Error().Err(uerr).Msg("cannot mark a refused public objection")
			}
			return s.repairRefused(c, workflows.RepairPublicObjection, cs, err)
		}
		s.Logger.Info().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
			Str("case_no", no).Int64("objection", id).Msg("public objection to a repair")
		return c.JSON(http.StatusCreated, PublicObjectionReceipt{Receipt: receipt, Status: "received"})
	}
}

func newReceipt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var receiptPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// publicRepairObjectionAnswer lets the objector read the answer with the
// receipt.
func (s *Server) publicRepairObjectionAnswer(c echo.Context) error {
	r := c.Param("receipt")
	if !receiptPattern.MatchString(r) {
		return notFound()
	}
	var out struct {
		ApplicationNo string     `json:"application_no"`
		Status        string     `json:"status"`
		Answer        string     `json:"answer,omitempty"`
		AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	}
	err := s.Pool.QueryRow(c.Request().Context(), `SELECT application_no, status, answer, answered_at FROM repair_public_objections WHERE receipt = $1`, r).
		Scan(&out.ApplicationNo, &out.Status, &out.Answer, &out.AnsweredAt)
	if db.IsNoRows(err) {
		return notFound()
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

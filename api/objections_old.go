package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/workflows"
)

// Time limits of the calls a handler makes to Temporal.
const (
	engineTimeout = 20 * time.Second // start, update
	queryTimeout  = 5 * time.Second  // live state for the detail page
)

// Bounds of a filing.
const (
	maxGrounds      = 20
	maxGroundRunes  = 500
	maxStatement    = 5000
	maxUploadFiles  = 20
	caseNoPrefix    = "YY"
	uniqueOpenIndex = "cases_one_open_objection"
)

// caseStaff may see every case; the parties see their own.
var caseRoles = []auth.Role{auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor}

var objectionStages = []string{
	workflows.StageAcceptance, workflows.StageAwaitingSupplement, workflows.StageCentreCheck,
	workflows.StageProviderVerification, workflows.StageDeciding, workflows.StageClosed,
	workflows.StageAppeal, workflows.StageFinished,
}

var caseStatuses = []string{workflows.StatusOpen, workflows.StatusClosed, workflows.StatusWithdrawn}

// correctable are the record fields an objection outcome may correct, with
// the values each accepts (nil: any non-empty text). The activity that
// applies the outcome refuses any other field; checking here answers 422
// instead of letting a case stall on a correction it cannot apply.
func correctable(field string) ([]string, bool) {
	if !slices.Contains(activities.CorrectableFields, field) {
		return nil, false
	}
	return activities.CorrectableValues[field], true
}

// CaseSummary is a case as the projection holds it, with its next
// deadline: a row of an inbox or list.
type CaseSummary struct {
	CaseNo          string     `json:"case_no"`
	Kind            string     `json:"kind"`
	RecordID        int64      `json:"record_id"`
	SubjectID       int64      `json:"subject_id"`
	ProviderID      int64      `json:"provider_id"`
	ProfileID       string     `json:"profile_id"`
	ProfileVersion  string     `json:"profile_version"`
	Stage           string     `json:"stage"`
	Status          string     `json:"status"`
	Outcome         string     `json:"outcome,omitempty"`
	NextDueAt       *time.Time `json:"next_due_at,omitempty"`
	NextRule        string     `json:"next_rule,omitempty"`
	NextParty       string     `json:"next_party,omitempty"`
	NextExplanation string     `json:"next_explanation,omitempty"`
	OpenedAt        time.Time  `json:"opened_at"`
	AcceptedAt      *time.Time `json:"accepted_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

const caseColumns = `c.case_no, c.kind, c.record_id, c.subject_id, c.provider_id, c.profile_id, c.profile_version,
	c.stage, c.status, c.outcome, c.next_due_at, c.next_rule, coalesce(d.party, ''), coalesce(d.explanation, ''),
	c.opened_at, c.accepted_at, c.closed_at, c.updated_at
	FROM cases c LEFT JOIN LATERAL (
		SELECT party, explanation FROM case_deadlines d
		WHERE d.case_no = c.case_no AND d.state = 'pending' ORDER BY d.due_at LIMIT 1) d ON true`

func scanCase(row pgx.Row) (CaseSummary, error) {
	var cs CaseSummary
	err := row.Scan(&cs.CaseNo, &cs.Kind, &cs.RecordID, &cs.SubjectID, &cs.ProviderID, &cs.ProfileID, &cs.ProfileVersion,
		&cs.Stage, &cs.Status, &cs.Outcome, &cs.NextDueAt, &cs.NextRule, &cs.NextParty, &cs.NextExplanation,
		&cs.OpenedAt, &cs.AcceptedAt, &cs.ClosedAt, &cs.UpdatedAt)
	return cs, err
}

// caseVisible reports whether a may see the case: its own (subject), about
// a record it supplied (provider), any (centre staff).
func caseVisible(a auth.Account, cs CaseSummary) bool {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return cs.SubjectID == a.SubjectID
	case auth.Provider:
		return cs.ProviderID == a.ProviderID
	}
	return false
}

var caseNoPattern = regexp.MustCompile(`^[A-Za-z0-9-]{3,40}$`)

// objectionCase reads the objection case named in the path and checks that
// the caller may see it; a case it may not see is answered 404, as one that
// does not exist.
func (s *Server) objectionCase(c echo.Context) (auth.Account, CaseSummary, error) {
	a, err := s.require(c, "objection", caseRoles...)
	if err != nil {
		return a, CaseSummary{}, err
	}
	no := c.Param("no")
	if !caseNoPattern.MatchString(no) {
		return a, CaseSummary{}, badParam("no", "案件编号格式不正确", "not a case number")
	}
	cs, err := scanCase(s.Pool.QueryRow(c.Request().Context(), `SELECT `+caseColumns+` WHERE c.case_no = $1 AND c.kind = $2`,
		no, workflows.CaseKindObjection))
	if db.IsNoRows(err) {
		return a, cs, notFound()
	}
	if err != nil {
		return a, cs, err
	}
	if !caseVisible(a, cs) {
		return a, cs, s.deny(c, http.StatusNotFound, "objection", no)
	}
	return a, cs, nil
}

func actorOf(a auth.Account) workflows.Actor {
	return workflows.Actor{Name: a.Username, Role: string(a.Role)}
}

// ---- filing ----

// FileObjectionRequest is a subject's written objection (异议申请). Sent as
// JSON, or as multipart/form-data with the same fields (grounds repeated)
// and the evidence files as "file" parts.
type FileObjectionRequest struct {
	RecordID  int64    `json:"record_id"`
	Grounds   []string `json:"grounds"`
	Statement string   `json:"statement"`
}

// FiledObjection is the answer to a filing: the case on file and the
// evidence stored with it.
type FiledObjection struct {
	Case     CaseSummary     `json:"case"`
	Evidence []evidence.Meta `json:"evidence"`
}

type upload struct {
	field string
	name  string
	data  []byte
}

// fileObjection opens an objection case on one of the subject's records.
// The case number is drawn, the projection row registered and the workflow
// started in one transaction: the unique index on open objections refuses
// a second one on the same record atomically, and either both the row and
// the workflow exist or neither.
func (s *Server) fileObjection(c echo.Context) error {
	a, err := s.require(c, "objection", auth.Subject)
	if err != nil {
		return err
	}
	in, files, err := s.readFiling(c)
	if err != nil {
		return err
	}
	if fe := in.validate(); len(fe) > 0 {
		return invalid(fe)
	}
	checked, err := checkUploads(files, s.evidenceStore().Limits())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), engineTimeout)
	defer cancel()
	rec, err := s.records.Record(ctx, in.RecordID)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return err
	}
	if err != nil || rec.SubjectID != a.SubjectID {
		if err == nil {
			// Logged as a denial, answered as an unknown record: whether
			// another subject's record exists is not told.
			_ = s.deny(c, http.StatusNotFound, "record", strconv.FormatInt(in.RecordID, 10))
		}
		return invalid([]records.FieldError{{Field: "record_id", Code: "unknown", ZH: "您名下没有该信用记录", EN: "you have no such record"}})
	}
	if open, err := s.openObjection(ctx, rec.ID, rec.SubjectID); err != nil {
		return err
	} else if open != "" {
		return alreadyOpen(open)
	}
	profile, err := s.caseProfile(rec)
	if err != nil {
		return err
	}
	var seq int64
	if err := s.Pool.QueryRow(ctx, `SELECT nextval('objection_case_no')`).Scan(&seq); err != nil {
		return err
	}
	now := time.Now()
	caseNo := fmt.Sprintf("%s%d-%06d", caseNoPrefix, calendar.DateOf(now).Year, seq)
	by := actorOf(a)

	// Evidence first: the notices the workflow issues list it, so it is on
	// file before the case refers to it.
	stored := make([]evidence.Meta, 0, len(checked))
	names := make([]string, 0, len(checked))
	for _, f := range checked {
		m, err := s.evidenceStore().Put(ctx, evidence.Owner{CaseRef: caseNo, UploadedBy: by.Name}, f.name, f.data)
		if err != nil {
			return evidenceErr(err, f.field)
		}
		stored = append(stored, m)
		names = append(names, m.Name)
	}

	wfIn := workflows.ObjectionInput{
		CaseNo: caseNo, RecordID: rec.ID, SubjectID: rec.SubjectID, ProviderID: rec.ProviderID,
		ProfileID: profile.ID, Grounds: in.Grounds, Statement: in.Statement, Evidence: names,
		FiledBy: by, ReceivedAt: now.UTC(),
	}
	// Once the workflow is started the registration must commit even if
	// the client goes away: the transaction runs on the request's context
	// without its cancellation, bounded by its own timeout.
	regCtx, regCancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), engineTimeout)
	defer regCancel()
	err = pgx.BeginFunc(regCtx, s.Pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(regCtx, `INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id,
			profile_id, profile_version, stage, status, opened_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			caseNo, workflows.CaseKindObjection, workflows.ObjectionWorkflowID(caseNo), rec.ID, rec.SubjectID, rec.ProviderID,
			profile.ID, profile.Version, workflows.StageAcceptance, workflows.StatusOpen, wfIn.ReceivedAt)
		if err != nil {
			return err
		}
		_, err = s.Temporal.ExecuteWorkflow(regCtx, client.StartWorkflowOptions{
			ID:                       workflows.ObjectionWorkflowID(caseNo),
			TaskQueue:                workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes: temporal.NewSearchAttributes(
				workflows.CaseKind.ValueSet(workflows.CaseKindObjection),
				workflows.CaseStage.ValueSet(workflows.StageAcceptance),
				workflows.CaseStatus.ValueSet(workflows.StatusOpen)),
		}, workflows.ObjectionWorkflow, wfIn)
		return err
	})
	var pe *pgconn.PgError
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == uniqueOpenIndex:
		open, oerr := s.openObjection(ctx, rec.ID, rec.SubjectID)
		if oerr != nil {
			return oerr
		}
		return alreadyOpen(open)
	case errors.As(err, &started):
		return &Error{Status: http.StatusConflict, Code: "case-exists",
			Title:  Message{ZH: "案件已存在", EN: "The case already exists"},
			Detail: Message{ZH: "该案件编号已被使用，请重新提交", EN: "This case number is taken; submit again"}, Cause: err}
	case err != nil:
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return err
		}
		return engineUnavailable(err)
	}
	s.Logger.Info().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
		Str("case_no", caseNo).Int("evidence", len(stored)).Msg("objection filed")
	// The case as registered; the workflow moves it on from here.
	cs := CaseSummary{CaseNo: caseNo, Kind: workflows.CaseKindObjection, RecordID: rec.ID, SubjectID: rec.SubjectID,
		ProviderID: rec.ProviderID, ProfileID: profile.ID, ProfileVersion: profile.Version,
		Stage: workflows.StageAcceptance, Status: workflows.StatusOpen, OpenedAt: wfIn.ReceivedAt, UpdatedAt: wfIn.ReceivedAt}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/objections/"+caseNo)
	return c.JSON(http.StatusCreated, FiledObjection{Case: cs, Evidence: stored})
}

// readFiling reads a filing as JSON or multipart/form-data.
func (s *Server) readFiling(c echo.Context) (FileObjectionRequest, []upload, error) {
	var in FileObjectionRequest
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEMultipartForm) {
		return in, nil, decodeBody(c, &in)
	}
	form, err := c.MultipartForm()
	if err != nil {
		return in, nil, invalid([]records.FieldError{{Field: "body", Code: "multipart",
			ZH: "请求体不是有效的 multipart/form-data", EN: "the body is not valid multipart/form-data"}})
	}
	for k := range form.Value {
		if k != "record_id" && k != "grounds" && k != "statement" {
			return in, nil, invalid([]records.FieldError{{Field: k, Code: "unknown", ZH: "未知字段", EN: "unknown field"}})
		}
	}
	if v := form.Value["record_id"]; len(v) == 1 {
		if in.RecordID, err = strconv.ParseInt(v[0], 10, 64); err != nil {
			return in, nil, invalid([]records.FieldError{{Field: "record_id", Code: "format", ZH: "应为正整数", EN: "must be a positive integer"}})
		}
	}
	in.Grounds = form.Value["grounds"]
	if v := form.Value["statement"]; len(v) == 1 {
		in.Statement = v[0]
	}
	files, err := readUploads(form)
	return in, files, err
}

func (in *FileObjectionRequest) validate() []records.FieldError {
	var fe []records.FieldError
	if in.RecordID <= 0 {
		fe = append(fe, records.FieldError{Field: "record_id", Code: "required", ZH: "请指明提出异议的信用记录", EN: "name the record the objection is about"})
	}
	in.Statement = strings.TrimSpace(in.Statement)
	switch n := len([]rune(in.Statement)); {
	case n == 0:
		fe = append(fe, records.FieldError{Field: "statement", Code: "required", ZH: "请写明异议事项和理由", EN: "state what is disputed and why"})
	case n > maxStatement:
		fe = append(fe, records.FieldError{Field: "statement", Code: "length",
			ZH: fmt.Sprintf("不超过 %d 字", maxStatement), EN: fmt.Sprintf("at most %d characters", maxStatement)})
	}
	if len(in.Grounds) == 0 || len(in.Grounds) > maxGrounds {
		fe = append(fe, records.FieldError{Field: "grounds", Code: "count",
			ZH: fmt.Sprintf("请列明 1–%d 项异议理由", maxGrounds), EN: fmt.Sprintf("give 1–%d grounds", maxGrounds)})
	}
	for i, g := range in.Grounds {
		in.Grounds[i] = strings.TrimSpace(g)
		if n := len([]rune(in.Grounds[i])); n == 0 || n > maxGroundRunes {
			fe = append(fe, records.FieldError{Field: fmt.Sprintf("grounds[%d]", i), Code: "length",
				ZH: fmt.Sprintf("每项理由 1–%d 字", maxGroundRunes), EN: fmt.Sprintf("each ground is 1–%d characters", maxGroundRunes)})
		}
	}
	return fe
}

// readUploads reads the "file" parts of form.
func readUploads(form *multipart.Form) ([]upload, error) {
	for k := range form.File {
		if k != evidence.FieldFile {
			return nil, invalid([]records.FieldError{{Field: k, Code: "unknown", ZH: "文件应放在 file 字段", EN: "send files as \"file\" parts"}})
		}
	}
	hs := form.File[evidence.FieldFile]
	if len(hs) > maxUploadFiles {
		return nil, invalid([]records.FieldError{{Field: evidence.FieldFile, Code: "count",
			ZH: fmt.Sprintf("一次最多上传 %d 份文件", maxUploadFiles), EN: fmt.Sprintf("at most %d files at once", maxUploadFiles)}})
	}
	out := make([]upload, 0, len(hs))
	for i, h := range hs {
		f, err := h.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, upload{field: fmt.Sprintf("%s[%d]", evidence.FieldFile, i), name: h.Filename, data: data})
	}
	return out, nil
}

// checkUploads applies the per-file checks (type sniffed from the content,
// size) to every file before anything is stored.
func checkUploads(files []upload, lim evidence.Limits) ([]upload, error) {
	var fe []Field
	for _, f := range files {
		if _, err := evidence.Check(f.name, f.data, lim); err != nil {
			e, ok := evidence.AsError(err)
			if !ok {
				return nil, err
			}
			fe = append(fe, Field{Name: f.field, Code: string(e.Code), Message: Message{ZH: e.Zh, EN: e.En}})
		}
	}
	if len(fe) > 0 {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-evidence",
			Title:  Message{ZH: "证据材料不符合要求", EN: "Evidence refused"},
			Detail: Message{ZH: "请按字段错误更换文件后重新提交，未作任何更改", EN: "Replace the files listed and resubmit; nothing was changed"},
			Fields: fe}
	}
	return files, nil
}

func evidenceErr(err error, field string) error {
	e, ok := evidence.AsError(err)
	if !ok {
		return err
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-evidence",
		Title:  Message{ZH: "证据材料不符合要求", EN: "Evidence refused"},
		Fields: []Field{{Name: field, Code: string(e.Code), Message: Message{ZH: e.Zh, EN: e.En}}}}
}

func (s *Server) evidenceStore() *evidence.Store { return evidence.NewStore(s.Pool, evidence.Limits{}) }

func (s *Server) documentStore() *documents.Store { return documents.NewStore(s.Pool) }

// openObjection returns the number of the subject's open objection on the
// record, or "".
func (s *Server) openObjection(ctx context.Context, recordID, subjectID int64) (string, error) {
	var no string
	err := s.Pool.QueryRow(ctx, `SELECT case_no FROM cases WHERE kind = $1 AND status = $2 AND record_id = $3 AND subject_id = $4`,
		workflows.CaseKindObjection, workflows.StatusOpen, recordID, subjectID).Scan(&no)
	if db.IsNoRows(err) {
		return "", nil
	}
	return no, err
}

func alreadyOpen(caseNo string) error {
	return &Error{Status: http.StatusConflict, Code: "objection-open",
		Title: Message{ZH: "该记录已有正在处理的异议", EN: "An objection on this record is already open"},
		Detail: Message{ZH: "异议案件 " + caseNo + " 正在处理中，请在该案件中补充材料，不要重复提出",
			EN: "Objection case " + caseNo + " is being handled; add to it instead of filing again"}}
}

// caseProfile is the policy profile a case on rec runs under: the record's
// own, or the configured default.
func (s *Server) caseProfile(rec records.Record) (*policy.Profile, error) {
	if rec.ProfileID == "" {
		return s.records.Profile(), nil
	}
	p, err := policy.Default().Get(rec.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("record %d names profile %q: %w", rec.ID, rec.ProfileID, err)
	}
	return p, nil
}

// ---- lists ----

// CasePage is a page of cases.
type CasePage struct {
	Cases    []CaseSummary `json:"cases"`
	Page     int           `json:"page"`
	Limit    int           `json:"limit"`
	NextPage int           `json:"next_page,omitempty"`
}

const defaultCasePage = 50

// listObjections is every role's inbox: a subject's own cases, a provider's
// cases about its records (?stage=provider_verification: its verification
// requests), the caseworkers' and supervisors' all, filtered by stage,
// status, record and deadline, soonest deadline first, paged by page number.
func (s *Server) listObjections(c echo.Context) error {
	a, err := s.require(c, "objection", caseRoles...)
	if err != nil {
		return err
	}
	stage, status := c.QueryParam("stage"), c.QueryParam("status")
	if stage != "" && !slices.Contains(objectionStages, stage) {
		return badParam("stage", "应为 "+strings.Join(objectionStages, "、"), "must be one of "+strings.Join(objectionStages, ", "))
	}
	if status != "" && !slices.Contains(caseStatuses, status) {
		return badParam("status", "应为 open、closed 或 withdrawn", "must be open, closed or withdrawn")
	}
	recordID, err := int64Param("record_id", c.QueryParam("record_id"))
	if err != nil {
		return err
	}
	var dueBefore *time.Time
	if v := c.QueryParam("due_before"); v != "" {
		t, err := parseInstant(v)
		if err != nil {
			return badParam("due_before", "应为 RFC 3339 时间或日期（YYYY-MM-DD，按北京时间）", "must be an RFC 3339 instant or a date (YYYY-MM-DD, Asia/Shanghai)")
		}
		dueBefore = &t
	}
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = defaultCasePage
	}
	page := 1
	if v := c.QueryParam("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 100000 {
			return badParam("page", "应为正整数", "must be a positive integer")
		}
	}
	var subjectID, providerID int64
	switch a.Role {
	case auth.Subject:
		subjectID = a.SubjectID
	case auth.Provider:
		providerID = a.ProviderID
	default:
		if _, mine := c.QueryParams()["mine"]; mine {
			return badParam("mine", "工作人员没有本人案件，请按阶段或期限筛选", "staff have no own cases; filter by stage or deadline")
		}
	}
	rows, err := s.Pool.Query(c.Request().Context(), `SELECT `+caseColumns+`
		WHERE c.kind = $1 AND ($2::bigint = 0 OR c.subject_id = $2) AND ($3::bigint = 0 OR c.provider_id = $3)
		  AND ($4 = '' OR c.stage = $4) AND ($5 = '' OR c.status = $5) AND ($6::bigint = 0 OR c.record_id = $6)
		  AND ($7::timestamptz IS NULL OR c.next_due_at < $7)
		ORDER BY c.next_due_at ASC NULLS LAST, c.opened_at, c.case_no
		LIMIT $8 OFFSET $9`,
		workflows.CaseKindObjection, subjectID, providerID, stage, status, recordID, dueBefore, limit+1, (page-1)*limit)
	if err != nil {
		return err
	}
	cases, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseSummary, error) { return scanCase(r) })
	if err != nil {
		return err
	}
	out := CasePage{Cases: nonNil(cases), Page: page, Limit: limit}
	if len(cases) > limit {
		out.Cases, out.NextPage = cases[:limit], page+1
	}
	return c.JSON(http.StatusOK, out)
}

// parseInstant reads an RFC 3339 instant or a date, taken as its start in
// Asia/Shanghai.
func parseInstant(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, calendar.Shanghai)
	return d, err
}

// ---- detail ----

// CaseDeadline is a deadline of a case as stored: its rule, how it was
// counted and explained, and what became of it.
type CaseDeadline struct {
	Rule            string     `json:"rule"`
	Seq             int        `json:"seq"`
	Party           string     `json:"party"`
	StartsAt        time.Time  `json:"starts_at"`
	N               int        `json:"n"`
	Unit            string     `json:"unit"`
	ExtraWD         int        `json:"extra_wd"`
	DueDate         string     `json:"due_date"`
	DueAt           time.Time  `json:"due_at"`
	RemindAt        *time.Time `json:"remind_at,omitempty"`
	CalendarVersion string     `json:"calendar_version"`
	Provisional     bool       `json:"provisional"`
	Explanation     string     `json:"explanation"`
	Source          string     `json:"source"`
	State           string     `json:"state"` // pending | met | missed | superseded | cancelled
	SettledAt       *time.Time `json:"settled_at,omitempty"`
	Reason          string     `json:"reason,omitempty"`
}

// CaseEvent is an entry of the case's append-only event log.
type CaseEvent struct {
	Seq    int             `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Role   string          `json:"role"`
	Action string          `json:"action"`
	Reason string          `json:"reason,omitempty"`
	Data   json.RawMessage `json:"data"`
}

// ObjectionDetail is the case page: the projection row, the live state
// from the workflow (null when the engine does not answer in time), every
// deadline, the events, and the documents and evidence the caller may read.
type ObjectionDetail struct {
	Case      CaseSummary               `json:"case"`
	Live      *workflows.ObjectionState `json:"live"`
	Deadlines []CaseDeadline            `json:"deadlines"`
	Events    []CaseEvent               `json:"events"`
	Documents []documents.Meta          `json:"documents"`
	Evidence  []evidence.Meta           `json:"evidence"`
}

func (s *Server) getObjection(c echo.Context) error {
	a, cs, err := s.objectionCase(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d := ObjectionDetail{Case: cs}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	if v, err := s.Temporal.QueryWorkflow(qctx, workflows.ObjectionWorkflowID(cs.CaseNo), "", workflows.QueryObjection); err != nil {
		s.Logger.Warn().Err(err).Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
			Str("case_no", cs.CaseNo).Msg("objection detail without live state")
	} else {
		var st workflows.ObjectionState
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
	return c.JSON(http.StatusOK, d)
}

func (s *Server) caseDeadlines(ctx context.Context, caseNo string) ([]CaseDeadline, error) {
	rows, err := s.Pool.Query(ctx, `SELECT rule_id, seq, party, starts_at, n, unit, extra_wd, due_date, due_at, remind_at,
		calendar_version, provisional, explanation, source, state, settled_at, reason
		FROM case_deadlines WHERE case_no = $1 ORDER BY starts_at, rule_id, seq`, caseNo)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseDeadline, error) {
		var d CaseDeadline
		var due time.Time
		err := r.Scan(&d.Rule, &d.Seq, &d.Party, &d.StartsAt, &d.N, &d.Unit, &d.ExtraWD, &due, &d.DueAt, &d.RemindAt,
			&d.CalendarVersion, &d.Provisional, &d.Explanation, &d.Source, &d.State, &d.SettledAt, &d.Reason)
		d.DueDate = due.Format(time.DateOnly)
		return d, err
	})
	return nonNil(out), err
}

func (s *Server) caseEvents(ctx context.Context, caseNo string) ([]CaseEvent, error) {
	rows, err := s.Pool.Query(ctx, `SELECT seq, at, actor, role, action, reason, data FROM case_events WHERE case_no = $1 ORDER BY at, seq`, caseNo)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseEvent, error) {
		var e CaseEvent
		return e, r.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &e.Action, &e.Reason, &e.Data)
	})
	return nonNil(out), err
}

// documentReadable reports whether a may read a document addressed to
// recipient: centre staff all, the parties those addressed to them.
func documentReadable(a auth.Account, recipient documents.Role) bool {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return recipient == documents.RoleSubject || recipient == documents.RolePublic
	case auth.Provider:
		return recipient == documents.RoleProvider || recipient == documents.RolePublic
	}
	return false
}

func (s *Server) readableDocuments(ctx context.Context, a auth.Account, caseNo string) ([]documents.Meta, error) {
	all, err := s.documentStore().ListDocuments(ctx, caseNo)
	if err != nil {
		return nil, err
	}
	out := make([]documents.Meta, 0, len(all))
	for _, m := range all {
		if documentReadable(a, m.Recipient) {
			out = append(out, m)
		}
	}
	return out, nil
}

// ---- actions ----

// objectionAction is one refusable step: the update it sends and who may
// send it. decode reads the body into the update's input, sets who acts,
// and returns the evidence names the input refers to and the problems with
// the body the workflow cannot see (record fields a correction names).
type objectionAction struct {
	name   string
	roles  []auth.Role
	decode func(c echo.Context, by workflows.Actor) (arg any, evidence []string, fe []Field, err error)
}

// action builds an objectionAction for input type T; set puts the actor
// in and returns the evidence names; checks look at the decoded input.
func action[T any](name string, roles []auth.Role, set func(*T, workflows.Actor) []string, checks ...func(*T) []Field) objectionAction {
	return objectionAction{name: name, roles: roles, decode: func(c echo.Context, by workflows.Actor) (any, []string, []Field, error) {
		var in T
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(bytes.TrimSpace(body)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return nil, nil, nil, invalid([]records.FieldError{{Field: "body", Code: "json",
					ZH: "请求体不是有效的 JSON 或含有未知字段", EN: "the body is not valid JSON or has unknown fields"}})
			}
		}
		names := set(&in, by)
		var fe []Field
		for _, check := range checks {
			fe = append(fe, check(&in)...)
		}
		return in, names, fe, nil
	}}
}

// correctionOf checks the correction of an input: only fields the record
// has, with values it accepts.
func correctionOf[T any](get func(*T) map[string]any) func(*T) []Field {
	return func(in *T) []Field {
		var fe []Field
		for k, v := range get(in) {
			allowed, ok := correctable(k)
			text, isText := v.(string)
			switch {
			case !ok:
				fe = append(fe, Field{Name: "correction." + k, Code: "not_correctable",
					Message: Message{ZH: "该字段不能更正；可更正 title、content、decision_no、decided_on、severity、category、disclosure",
						EN: "this field cannot be corrected; correctable are title, content, decision_no, decided_on, severity, category, disclosure"}})
			case !isText || strings.TrimSpace(text) == "":
				fe = append(fe, Field{Name: "correction." + k, Code: "format", Message: Message{ZH: "应为非空文本", EN: "must be non-empty text"}})
			case allowed != nil && !slices.Contains(allowed, text):
				fe = append(fe, Field{Name: "correction." + k, Code: "enum",
					Message: Message{ZH: "应为 " + strings.Join(allowed, "、"), EN: "must be one of " + strings.Join(allowed, ", ")}})
			case k == "decided_on":
				if _, err := time.Parse(time.DateOnly, text); err != nil {
					fe = append(fe, Field{Name: "correction." + k, Code: "format", Message: Message{ZH: "应为日期 YYYY-MM-DD", EN: "must be a date, YYYY-MM-DD"}})
				}
			}
		}
		slices.SortFunc(fe, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
		return fe
	}
}

// objectionAction answers POST /objections/{no}/{action}: it checks who
// may act, sends the update and answers the case's new live state, or the
// workflow's refusal as 422 (wrong stage, invalid input) naming the field.
func (s *Server) objectionAction(act objectionAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, cs, err := s.objectionCase(c)
		if err != nil {
			return err
		}
		if !slices.Contains(act.roles, a.Role) {
			return s.deny(c, http.StatusForbidden, "objection", cs.CaseNo)
		}
		arg, names, fe, err := act.decode(c, actorOf(a))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), engineTimeout)
		defer cancel()
		if len(names) > 0 {
			more, err := s.unknownEvidence(ctx, cs.CaseNo, names)
			if err != nil {
				return err
			}
			fe = append(fe, more...)
		}
		if len(fe) > 0 {
			return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-input",
				Title:  Message{ZH: "输入有误", EN: "Invalid input"},
				Detail: Message{ZH: "请按字段错误修改后重新提交，未作任何更改", EN: "Correct the fields listed and resubmit; nothing was changed"},
				Fields: fe}
		}
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID:   workflows.ObjectionWorkflowID(cs.CaseNo),
			UpdateName:   act.name,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		var st workflows.ObjectionState
		if err == nil {
			err = h.Get(ctx, &st)
		}
		if err != nil {
			return refused(act.name, cs, err)
		}
		s.Logger.Info().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
			Str("case_no", cs.CaseNo).Str("action", act.name).Str("stage", st.Stage).Msg("objection action")
		return c.JSON(http.StatusOK, st)
	}
}

// unknownEvidence names the evidence an input refers to that was not
// uploaded to the case.
func (s *Server) unknownEvidence(ctx context.Context, caseNo string, names []string) ([]Field, error) {
	have, err := s.evidenceStore().List(ctx, caseNo)
	if err != nil {
		return nil, err
	}
	var fe []Field
	for i, n := range names {
		if !slices.ContainsFunc(have, func(m evidence.Meta) bool { return m.Name == n }) {
			fe = append(fe, Field{Name: fmt.Sprintf("evidence[%d]", i), Code: "unknown",
				Message: Message{ZH: "本案没有该名称的证据材料，请先上传（POST /objections/{no}/evidence）",
					EN: "the case holds no evidence of this name; upload it first (POST /objections/{no}/evidence)"}})
		}
	}
	return fe, nil
}

// Refusal types the workflow's validators use (temporal.ApplicationError).
const (
	refusedWrongStage = "wrong-stage"
	refusedPaused     = "paused"
	refusedInput      = "invalid-input"
	refusedWindow     = "window-closed"
	refusedExtended   = "already-extended"
)

// refused maps the engine's answer to a refused or failed update: a
// validator's refusal is the client's (422); an update the workflow accepted
// but could not carry out is ours (500, cause logged); no answer in time is
// the engine's (503).
func refused(actionName string, cs CaseSummary, err error) error {
	var ae *temporal.ApplicationError
	var act *temporal.ActivityError
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &act):
		return fmt.Errorf("objection %s: %s failed in the workflow: %w", cs.CaseNo, actionName, err)
	case errors.As(err, &ae):
		switch ae.Type() {
		case refusedInput:
			return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-input",
				Title:  Message{ZH: "输入有误", EN: "Invalid input"},
				Detail: Message{ZH: "请按字段错误修改后重新提交，未作任何更改", EN: "Correct the fields listed and resubmit; nothing was changed"},
				Fields: refusalFields(ae.Message()), Cause: err}
		case refusedWrongStage, refusedPaused, refusedWindow, refusedExtended:
			zh := map[string]string{
				refusedWrongStage: "案件当前所处阶段（" + cs.Stage + "）不能办理此事项",
				refusedPaused:     "案件计时已中止，请先恢复计时",
				refusedWindow:     "申诉期限已经届满",
				refusedExtended:   "办理期限已延长过一次，不能再次延长",
			}[ae.Type()]
			return &Error{Status: http.StatusUnprocessableEntity, Code: ae.Type(),
				Title:  Message{ZH: "当前不能办理此事项", EN: "This action is not possible now"},
				Detail: Message{ZH: zh + "，未作任何更改", EN: ae.Message() + "; nothing was changed"}, Cause: err}
		}
		return fmt.Errorf("objection %s: %s refused: %w", cs.CaseNo, actionName, err)
	case errors.As(err, &nf):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "case-finished",
			Title:  Message{ZH: "案件已办结", EN: "The case is finished"},
			Detail: Message{ZH: "案件 " + cs.CaseNo + " 已全部办结，不能再办理" + actionName, EN: "Case " + cs.CaseNo + " is finished; " + actionName + " is no longer possible"},
			Cause:  err}
	}
	return engineUnavailable(err)
}

// refusalFields turns a validator's message ("missing: a, b" or
// "field: why") into field errors.
func refusalFields(msg string) []Field {
	name, why, ok := strings.Cut(msg, ": ")
	if !ok {
		return []Field{{Name: "body", Code: "invalid", Message: Message{ZH: "输入有误：" + msg, EN: msg}}}
	}
	if name == "missing" {
		var fe []Field
		for _, f := range strings.Split(why, ", ") {
			if f = strings.TrimSpace(f); f != "" && !strings.ContainsRune(f, ' ') {
				fe = append(fe, Field{Name: f, Code: "required", Message: Message{ZH: "必填", EN: "required"}})
			}
		}
		if len(fe) > 0 {
			return fe
		}
		return []Field{{Name: "missing", Code: "required", Message: Message{ZH: "请一次性列明全部需补正的材料", EN: why}}}
	}
	zh, known := refusalZH[name]
	if !known {
		zh = "取值无效"
	}
	return []Field{{Name: name, Code: "invalid", Message: Message{ZH: zh, EN: why}}}
}

var refusalZH = map[string]string{
	"finding":    "核查结论应为 error（记录有误）、accurate（记录无误）或 unverifiable（无法核实）",
	"outcome":    "处理结果应为 corrected（更正）、upheld（维持）或 deleted（无法核实予以删除，仅限提供单位无法核实时）",
	"correction": "更正须列明更正后的字段",
	"kind":       "中止原因应为 expert_test（检验鉴定）或 review（复核）",
	"decision":   "申诉决定应为 upheld（维持）或 overturned（撤销原处理结果）",
}

// ---- evidence ----

// uploadEvidence files evidence with a case: the subject's (with a
// supplement or an appeal), the provider's (with its reply), or the
// caseworker's. Each file is checked by content before any is stored.
func (s *Server) uploadEvidence(c echo.Context) error {
	a, cs, err := s.objectionCase(c)
	if err != nil {
		return err
	}
	if a.Role == auth.Supervisor {
		return s.deny(c, http.StatusForbidden, "evidence", cs.CaseNo)
	}
	if cs.Stage == workflows.StageFinished || cs.Status == workflows.StatusWithdrawn {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "case-finished",
			Title:  Message{ZH: "案件已办结", EN: "The case is finished"},
			Detail: Message{ZH: "已办结的案件不再接收证据材料", EN: "A finished case takes no more evidence"}}
	}
	form, err := c.MultipartForm()
	if err != nil {
		return invalid([]records.FieldError{{Field: "body", Code: "multipart",
			ZH: "请以 multipart/form-data 上传，文件放在 file 字段", EN: "upload as multipart/form-data with \"file\" parts"}})
	}
	files, err := readUploads(form)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return invalid([]records.FieldError{{Field: evidence.FieldFile, Code: "required", ZH: "请选择要上传的文件", EN: "send at least one file"}})
	}
	if _, err := checkUploads(files, s.evidenceStore().Limits()); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out := make([]evidence.Meta, 0, len(files))
	for _, f := range files {
		m, err := s.evidenceStore().Put(ctx, evidence.Owner{CaseRef: cs.CaseNo, UploadedBy: a.Username}, f.name, f.data)
		if err != nil {
			return evidenceErr(err, f.field)
		}
		out = append(out, m)
	}
	return c.JSON(http.StatusCreated, map[string]any{"evidence": out})
}

func (s *Server) listEvidence(c echo.Context) error {
	_, cs, err := s.objectionCase(c)
	if err != nil {
		return err
	}
	out, err := s.evidenceStore().List(c.Request().Context(), cs.CaseNo)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"evidence": out})
}

func (s *Server) downloadEvidence(c echo.Context) error {
	_, cs, err := s.objectionCase(c)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, data, err := s.evidenceStore().Get(c.Request().Context(), id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && m.CaseRef != cs.CaseNo) {
		return notFound()
	}
	if err != nil {
		return err
	}
	return sendFile(c, m.ContentType, m.Name, data)
}

// ---- documents ----

func (s *Server) listCaseDocuments(c echo.Context) error {
	a, cs, err := s.objectionCase(c)
	if err != nil {
		return err
	}
	return s.serveDocumentList(c, a, cs.CaseNo)
}

// downloadDocument serves a written notice of an objection.
func (s *Server) downloadDocument(c echo.Context) error {
	a, cs, err := s.objectionCase(c)
	if err != nil {
		return err
	}
	return s.serveDocument(c, a, cs.CaseNo)
}

// serveDocumentList answers the documents of a case the caller may read.
func (s *Server) serveDocumentList(c echo.Context, a auth.Account, caseNo string) error {
	out, err := s.readableDocuments(c.Request().Context(), a, caseNo)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"documents": out})
}

// serveDocument serves a written notice of case caseNo as PDF (default) or
// HTML (?format=html) to the parties it is addressed to and to centre
// staff; every download is written to the audit trail. A document of
// another case, or one not addressed to the caller, is 404.
func (s *Server) serveDocument(c echo.Context, a auth.Account, caseNo string) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "pdf"
	}
	if format != "pdf" && format != "html" {
		return badParam("format", "应为 pdf 或 html", "must be pdf or html")
	}
	ctx := c.Request().Context()
	d, err := s.documentStore().GetDocument(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && d.CaseRef != caseNo) {
		return notFound()
	}
	if err != nil {
		return err
	}
	if !documentReadable(a, d.Recipient) {
		return s.deny(c, http.StatusNotFound, "document", strconv.FormatInt(id, 10))
	}
	if err := audit.Write(ctx, s.Pool, a.Actor(), audit.Event{Action: "document.read", ObjectType: "document",
		ObjectID: strconv.FormatInt(id, 10), Data: map[string]any{"case_no": caseNo, "kind": d.Kind, "format": format}}); err != nil {
		return err
	}
	if format == "html" {
		c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:")
		return sendFile(c, "text/html; charset=utf-8", d.Number+".html", d.HTML)
	}
	return sendFile(c, "application/pdf", d.Number+".pdf", d.PDF)
}

// sendFile answers a download with its type and an attachment name.
func sendFile(c echo.Context, contentType, name string, data []byte) error {
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, contentType, data)
}

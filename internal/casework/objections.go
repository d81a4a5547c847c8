package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/workflows"
)

// Bounds of an objection filing.
const (
	MaxGrounds      = 20
	MaxUploadFiles  = 20
	uniqueOpenIndex = "cases_one_open_objection"
)

// objections is the objection procedure (异议处理, DESIGN.md §2.1).
var objections = procedure{
	kind:       workflows.CaseKindObjection,
	noun:       refusal.T("异议案件", "objection case"),
	workflowID: workflows.ObjectionWorkflowID,
	stages:     workflows.ObjectionStages,
	steps: []Step{
		{workflows.ObjectionSupplement, "supplementObjection", workflows.ObjectionSupplement, refusal.T("补正材料", "Supply the missing material")},
		{workflows.ObjectionWithdraw, "withdrawObjection", workflows.ObjectionWithdraw, refusal.T("撤回异议", "Withdraw the objection")},
		{workflows.ObjectionAppeal, "appealObjection", workflows.ObjectionAppeal, refusal.T("提出申诉", "Appeal")},
		{workflows.ObjectionHandOver, "handOverObjection", workflows.ObjectionHandOver, refusal.T("仍有异议，移交信息提供单位处理", "Still disagree: hand over to the provider")},
		{workflows.ObjectionAccept, "acceptObjection", workflows.ObjectionAccept, refusal.T("受理", "Accept")},
		{workflows.ObjectionRequestSupplement, "requestObjectionSupplement", workflows.ObjectionRequestSupplement, refusal.T("一次性告知补正", "Ask for the missing material")},
		{workflows.ObjectionDecideOwnError, "decideObjectionOwnError", workflows.ObjectionDecideOwnError, refusal.T("本机构差错，立即更正", "Correct the centre's own error")},
		{workflows.ObjectionForwardToProvider, "forwardObjectionToProvider", workflows.ObjectionForwardToProvider, refusal.T("转信息提供单位核实", "Ask the provider to verify")},
		{workflows.ObjectionDecide, "decideObjection", workflows.ObjectionDecide, refusal.T("作出处理决定", "Decide")},
		{workflows.ObjectionPause, "pauseObjection", workflows.ObjectionPause, refusal.T("中止计时", "Pause the clock")},
		{workflows.ObjectionResume, "resumeObjection", workflows.ObjectionResume, refusal.T("恢复计时", "Resume the clock")},
		{workflows.ObjectionExtend, "extendObjection", workflows.ObjectionExtend, refusal.T("延长办理期限", "Extend the limit")},
		{workflows.ObjectionProviderReply, "replyToObjection", workflows.ObjectionProviderReply, refusal.T("反馈核实结果", "Reply with the verification result")},
		{workflows.ObjectionDecideAppeal, "decideObjectionAppeal", workflows.ObjectionDecideAppeal, refusal.T("作出申诉决定", "Decide the appeal")},
	},
}

// ObjectionSteps are the refusable steps of an objection case.
func ObjectionSteps() []Step { return slices.Clone(objections.steps) }

// ---- filing ----

// FileObjection is a subject's written objection (异议申请): the record,
// the grounds, the statement and the evidence files.
type FileObjection struct {
	RecordID int64 `json:"record_id"`
	// GroundCodes are the grounds (异议情形) as the case's profile lists
	// them from its regulation (Anshan art. 9, Nantong art. 31, …), or
	// "other"; none means other. Letters print each ground's legal words.
	GroundCodes []string `json:"ground_codes,omitempty" text:"max=64"`
	// Grounds are the applicant's own words (for "other", required).
	Grounds   []string `json:"grounds" text:"max=500"`
	Statement string   `json:"statement" text:"multiline,max=5000"`
	Evidence  []Upload `json:"-"`
}

// Upload is an uploaded file: the form field it came in, its name and
// content.
type Upload struct {
	Field string
	Name  string
	Data  []byte
}

// FiledObjection is the answer to a filing: the case on file and the
// evidence stored with it.
type FiledObjection struct {
	Case     CaseSummary     `json:"case"`
	Evidence []evidence.Meta `json:"evidence"`
}

func (in *FileObjection) validate() []refusal.Field {
	var fe []refusal.Field
	if in.RecordID <= 0 {
		fe = append(fe, refusal.Required("record_id", refusal.T("请指明提出异议的信用记录", "name the record the objection is about")))
	}
	in.Statement = strings.TrimSpace(in.Statement)
	if in.Statement == "" {
		fe = append(fe, refusal.Required("statement", refusal.T("请写明异议事项和理由", "state what is disputed and why")))
	}
	if len(in.Grounds) == 0 || len(in.Grounds) > MaxGrounds {
		fe = append(fe, refusal.Field{Name: "grounds", Code: "count",
			Message: refusal.T(fmt.Sprintf("请列明 1–%d 项异议理由", MaxGrounds), fmt.Sprintf("give 1–%d grounds", MaxGrounds))})
	}
	for i, g := range in.Grounds {
		in.Grounds[i] = strings.TrimSpace(g)
		if in.Grounds[i] == "" {
			fe = append(fe, refusal.Field{Name: fmt.Sprintf("grounds[%d]", i), Code: "length",
				Message: refusal.T("每项理由不能为空", "a ground may not be empty")})
		}
	}
	return fe
}

// checkUploads applies the per-file checks (the name's text, the type
// sniffed from the content, the size) to every file before anything is
// stored.
func (s *Service) checkUploads(files []Upload) error {
	if len(files) > MaxUploadFiles {
		return &refusal.Error{Kind: refusal.InvalidEvidence, Title: refusal.T("证据材料不符合要求", "Evidence refused"),
			Detail: refusal.T("请减少文件数量后重新提交，未作任何更改", "Send fewer files; nothing was changed"),
			Fields: []refusal.Field{{Name: evidence.FieldFile, Code: "count", Message: refusal.T(
				fmt.Sprintf("一次最多上传 %d 份文件", MaxUploadFiles), fmt.Sprintf("at most %d files at once", MaxUploadFiles))}}}
	}
	var fe []refusal.Field
	for _, f := range files {
		if bad, ok := cleantext.FileName(f.Field, f.Name); !ok {
			fe = append(fe, bad)
			continue
		}
		if _, err := evidence.Check(f.Name, f.Data, s.evidence.Limits()); err != nil {
			e, ok := evidence.AsError(err)
			if !ok {
				return refusal.Internalf(err, "check upload")
			}
			fe = append(fe, refusal.Field{Name: f.Field, Code: string(e.Code), Message: refusal.T(e.Zh, e.En)})
		}
	}
	if len(fe) > 0 {
		return &refusal.Error{Kind: refusal.InvalidEvidence, Title: refusal.T("证据材料不符合要求", "Evidence refused"),
			Detail: refusal.T("请按字段错误更换文件后重新提交，未作任何更改", "Replace the files listed and resubmit; nothing was changed"),
			Fields: fe}
	}
	return nil
}

// evidenceErr maps an evidence store error to a refusal naming field.
func evidenceErr(err error, field string) error {
	e, ok := evidence.AsError(err)
	if !ok {
		return faults.Database(err)
	}
	return &refusal.Error{Kind: refusal.InvalidEvidence, Title: refusal.T("证据材料不符合要求", "Evidence refused"),
		Detail: refusal.T("请按字段错误更换文件后重新提交，未作任何更改", "Replace the files listed and resubmit; nothing was changed"),
		Fields: []refusal.Field{{Name: field, Code: string(e.Code), Message: refusal.T(e.Zh, e.En)}}}
}

// ownRecord reads a record the subject a names in field, refusing (422) a
// record that does not exist or is not the subject's; an attempt on
// another subject's record is recorded as a denial.
func (s *Service) ownRecord(ctx context.Context, a permission.Actor, uc permission.UseCase, field string, id int64) (records.Record, error) {
	rec, err := s.records.Record(ctx, id)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return rec, faults.Database(err)
	}
	if err != nil || rec.SubjectID != a.Account.SubjectID {
		if err == nil {
			_ = s.guard.Hide(ctx, a, uc, "record", strconv.FormatInt(id, 10))
		}
		return rec, refusal.Invalid(refusal.Field{Name: field, Code: "unknown", Message: refusal.T("您名下没有该信用记录", "you have no such record")})
	}
	return rec, nil
}

// caseProfile is the policy profile a case on rec runs under: the record's
// own, or the configured default.
func (s *Service) caseProfile(rec records.Record) (*policy.Profile, error) {
	if rec.ProfileID == "" {
		return s.d.Profile, nil
	}
	p, err := s.d.Policies.Get(rec.ProfileID)
	if err != nil {
		return nil, refusal.Internalf(err, "record %d names profile %q", rec.ID, rec.ProfileID)
	}
	return p, nil
}

// openObjection returns the number of the subject's open objection on the
// record, or "".
func (s *Service) openObjection(ctx context.Context, recordID, subjectID int64) (string, error) {
	var no string
	err := s.d.Pool.QueryRow(ctx, `SELECT case_no FROM cases WHERE kind = $1 AND status = $2 AND record_id = $3 AND subject_id = $4`,
		workflows.CaseKindObjection, workflows.StatusOpen, recordID, subjectID).Scan(&no)
	if db.IsNoRows(err) {
		return "", nil
	}
	return no, faults.Database(err)
}

func objectionOpen(caseNo string) error {
	return &refusal.Error{Kind: refusal.ObjectionOpen, CaseNo: caseNo,
		Title: refusal.T("该记录已有正在处理的异议", "An objection on this record is already open"),
		Detail: refusal.T("异议案件 "+caseNo+" 正在处理中，请在该案件中补充材料，不要重复提出",
			"Objection case "+caseNo+" is being handled; add to it instead of filing again")}
}

// FileObjection opens an objection case on one of the subject's records.
// The case number is drawn, the evidence filed, the projection row
// registered and the workflow started in one transaction: nothing is kept
// when any part is refused or fails, and the unique index on open
// objections refuses a second one on the same record atomically.
func (s *Service) FileObjection(ctx context.Context, a permission.Actor, in FileObjection) (FiledObjection, error) {
	const uc = "fileObjection"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return FiledObjection{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return FiledObjection{}, err
	}
	if fe := in.validate(); len(fe) > 0 {
		return FiledObjection{}, refusal.Invalid(fe...)
	}
	if err := s.checkUploads(in.Evidence); err != nil {
		return FiledObjection{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, EngineTimeout)
	defer cancel()
	rec, err := s.ownRecord(ctx, a, uc, "record_id", in.RecordID)
	if err != nil {
		return FiledObjection{}, err
	}
	if no, answer, ok, err := s.filedBefore(ctx, a, workflows.CaseKindObjection); err != nil {
		return FiledObjection{}, err
	} else if ok {
		return s.filedObjection(ctx, no, answer)
	}
	if open, err := s.openObjection(ctx, rec.ID, rec.SubjectID); err != nil {
		return FiledObjection{}, err
	} else if open != "" {
		return FiledObjection{}, objectionOpen(open)
	}
	profile, err := s.caseProfile(rec)
	if err != nil {
		return FiledObjection{}, err
	}
	var seq int64
	if err := s.d.Pool.QueryRow(ctx, `SELECT nextval('objection_case_no')`).Scan(&seq); err != nil {
		return FiledObjection{}, faults.Database(err)
	}
	now := s.now()
	no := caseno.Format(caseno.Objection, calendar.DateOf(now).Year, seq)
	by := actorOf(a)
	grounds, fe := groundWords(profile, in.GroundCodes, in.Grounds)
	if len(fe) > 0 {
		return FiledObjection{}, refusal.Invalid(fe...)
	}
	wfIn := workflows.ObjectionInput{
		CaseNo: no, RecordID: rec.ID, SubjectID: rec.SubjectID, ProviderID: rec.ProviderID,
		ProfileID: profile.ID, ProfileVersion: profile.Version, Grounds: grounds, GroundCodes: in.GroundCodes, Statement: in.Statement,
		DisagreementHandover: profile.Settings.DisagreementHandover.Value,
		FiledBy:              by, ReceivedAt: now.UTC(),
	}
	stored := make([]evidence.Meta, 0, len(in.Evidence))
	cs := CaseSummary{CaseNo: no, Kind: workflows.CaseKindObjection, RecordID: rec.ID, SubjectID: rec.SubjectID,
		ProviderID: rec.ProviderID, ProfileID: profile.ID, ProfileVersion: profile.Version,
		Stage: workflows.StageAcceptance, Status: workflows.StatusOpen,
		OpenedAt: shanghai(wfIn.ReceivedAt), UpdatedAt: shanghai(wfIn.ReceivedAt)}
	// The case's row, its evidence and the workflow start it owes commit
	// together; the workflow is started after the commit (starts.go).
	start := caseStart{kind: workflows.CaseKindObjection, no: no}
	var input []byte
	regCtx, regCancel := context.WithTimeout(context.WithoutCancel(ctx), EngineTimeout)
	defer regCancel()
	err = pgx.BeginFunc(regCtx, s.d.Pool, func(tx pgx.Tx) error {
		for _, f := range in.Evidence {
			m, err := s.evidence.PutTx(regCtx, tx, evidence.Owner{CaseRef: no, UploadedBy: by.Name}, f.Name, f.Data)
			if err != nil {
				return evidenceErr(err, f.Field)
			}
			stored = append(stored, m)
			wfIn.Evidence = append(wfIn.Evidence, m.Name)
		}
		_, err := tx.Exec(regCtx, `INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id,
			profile_id, profile_version, stage, status, opened_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			no, workflows.CaseKindObjection, workflows.ObjectionWorkflowID(no), rec.ID, rec.SubjectID, rec.ProviderID,
			profile.ID, profile.Version, workflows.StageAcceptance, workflows.StatusOpen, wfIn.ReceivedAt)
		if err != nil {
			return err
		}
		input, err = oweStart(regCtx, tx, a, start, wfIn, FiledObjection{Case: cs, Evidence: stored})
		return err
	})
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == uniqueOpenIndex:
		open, oerr := s.openObjection(ctx, rec.ID, rec.SubjectID)
		if oerr != nil {
			return FiledObjection{}, oerr
		}
		return FiledObjection{}, objectionOpen(open)
	case err != nil:
		return FiledObjection{}, faults.Database(err)
	}
	s.log(ctx).Info().Str("case_no", no).Int("evidence", len(stored)).Msg("objection filed")
	s.startFiled(ctx, start, input)
	return FiledObjection{Case: cs, Evidence: stored}, nil
}

// filedObjection is the answer to a keyed filing repeated after its first
// run filed case no (the first answer was lost): that answer again.
func (s *Service) filedObjection(ctx context.Context, no string, answer []byte) (FiledObjection, error) {
	var out FiledObjection
	if answer != nil && json.Unmarshal(answer, &out) == nil {
		return out, nil
	}
	cs, err := scanCase(s.d.Pool.QueryRow(ctx, `SELECT `+caseColumns+` WHERE c.case_no = $1`, no))
	if err != nil {
		return out, faults.Database(err)
	}
	ev, err := s.caseEvidence(ctx, no)
	return FiledObjection{Case: cs, Evidence: ev}, err
}

// ---- lists ----

// ObjectionFilter selects an inbox or list of objection cases.
type ObjectionFilter struct {
	Stage     string `query:"stage"`
	Status    string `query:"status"`
	RecordID  int64  `query:"record_id"`
	DueBefore string `query:"due_before"` // RFC 3339 instant or date (Asia/Shanghai)
	Limit     int    `query:"limit"`
	Page      int    `query:"page"`
	Mine      *bool  `query:"mine"`
}

var caseStatuses = []string{workflows.StatusOpen, workflows.StatusClosed, workflows.StatusWithdrawn}

var objectionStages = []string{
	workflows.StageAcceptance, workflows.StageAwaitingSupplement, workflows.StageCentreCheck,
	workflows.StageProviderVerification, workflows.StageDeciding, workflows.StageClosed,
	workflows.StageAppeal, workflows.StageFinished,
}

// DefaultCasePage is the page size of case lists.
const DefaultCasePage = 50

// ParseInstant reads an RFC 3339 instant or a date, taken as its start in
// Asia/Shanghai.
func ParseInstant(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateOnly, v, calendar.Shanghai)
}

func checkPage(limit, page int) (int, int, error) {
	if limit == 0 {
		limit = DefaultCasePage
	}
	if limit < 1 || limit > records.MaxPage {
		return 0, 0, refusal.BadParam("limit", "range", refusal.T(fmt.Sprintf("应为 1–%d", records.MaxPage), fmt.Sprintf("must be 1–%d", records.MaxPage)))
	}
	if page == 0 {
		page = 1
	}
	if page < 1 || page > 100000 {
		return 0, 0, refusal.BadParam("page", "range", refusal.T("应为正整数", "must be a positive integer"))
	}
	return limit, page, nil
}

func enumParam(name, v string, allowed []string) error {
	if v != "" && !slices.Contains(allowed, v) {
		return refusal.BadParam(name, "enum", refusal.T("应为 "+strings.Join(allowed, "、"), "must be one of "+strings.Join(allowed, ", ")))
	}
	return nil
}

// ListObjections is every role's inbox: a subject's own cases, a
// provider's cases about its records (?stage=provider_verification: its
// verification requests), the caseworkers' and supervisors' all, filtered
// by stage, status, record and deadline, soonest deadline first.
func (s *Service) ListObjections(ctx context.Context, a permission.Actor, f ObjectionFilter) (CasePage, error) {
	if err := s.guard.Require(ctx, a, "listObjections"); err != nil {
		return CasePage{}, err
	}
	return s.listCases(ctx, a, workflows.CaseKindObjection, objectionStages, f)
}

func (s *Service) listCases(ctx context.Context, a permission.Actor, kind string, stages []string, f ObjectionFilter) (CasePage, error) {
	if err := enumParam("stage", f.Stage, stages); err != nil {
		return CasePage{}, err
	}
	if err := enumParam("status", f.Status, caseStatuses); err != nil {
		return CasePage{}, err
	}
	if f.RecordID < 0 {
		return CasePage{}, refusal.BadParam("record_id", "range", refusal.T("应为正整数", "must be a positive integer"))
	}
	var dueBefore *time.Time
	if f.DueBefore != "" {
		t, err := ParseInstant(f.DueBefore)
		if err != nil {
			return CasePage{}, refusal.BadParam("due_before", "format", refusal.T("应为 RFC 3339 时间或日期（YYYY-MM-DD，按北京时间）",
				"must be an RFC 3339 instant or a date (YYYY-MM-DD, Asia/Shanghai)"))
		}
		dueBefore = &t
	}
	limit, page, err := checkPage(f.Limit, f.Page)
	if err != nil {
		return CasePage{}, err
	}
	var subjectID, providerID int64
	switch a.Role() {
	case auth.Subject:
		subjectID = a.Account.SubjectID
	case auth.Provider:
		providerID = a.Account.ProviderID
	default:
		if f.Mine != nil {
			return CasePage{}, refusal.BadParam("mine", "not_allowed", refusal.T("工作人员没有本人案件，请按阶段或期限筛选", "staff have no own cases; filter by stage or deadline"))
		}
	}
	rows, err := s.d.Pool.Query(ctx, `SELECT `+caseColumns+`
		WHERE c.kind = $1 AND ($2::bigint = 0 OR c.subject_id = $2) AND ($3::bigint = 0 OR c.provider_id = $3)
		  AND ($4 = '' OR c.stage = $4) AND ($5 = '' OR c.status = $5) AND ($6::bigint = 0 OR c.record_id = $6)
		  AND ($7::timestamptz IS NULL OR c.next_due_at < $7)
		ORDER BY c.next_due_at ASC NULLS LAST, c.opened_at, c.case_no
		LIMIT $8 OFFSET $9`,
		kind, subjectID, providerID, f.Stage, f.Status, f.RecordID, dueBefore, limit+1, (page-1)*limit)
	if err != nil {
		return CasePage{}, faults.Database(err)
	}
	cases, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseSummary, error) { return scanCase(r) })
	if err != nil {
		return CasePage{}, faults.Database(err)
	}
	out := CasePage{Cases: nonNil(cases), Page: page, Limit: limit}
	if len(cases) > limit {
		out.Cases, out.NextPage = cases[:limit], page+1
	}
	return out, nil
}

// ---- detail ----

// ObjectionLive is the live state of an objection case from its workflow,
// with its deadlines in the one deadline shape.
type ObjectionLive struct {
	workflows.ObjectionState
	Deadlines []Deadline `json:"deadlines,omitempty"`
}

func objectionLive(st workflows.ObjectionState) ObjectionLive {
	return ObjectionLive{ObjectionState: st, Deadlines: deadlinesOf(st.Deadlines)}
}

// ObjectionDetail is the case page: the projection row, the live state
// from the workflow (null when the engine does not answer in time; its
// deadlines are the list beside it), every deadline, the events, the
// documents and evidence the caller may read, and the steps the caller may
// take now.
type ObjectionDetail struct {
	Case      CaseSummary      `json:"case"`
	Live      *ObjectionLive   `json:"live"`
	Deadlines []Deadline       `json:"deadlines"`
	Events    []CaseEvent      `json:"events"`
	Documents []documents.Meta `json:"documents"`
	Evidence  []evidence.Meta  `json:"evidence"`
	Actions   []Action         `json:"actions"`
}

// Objection reads an objection case.
func (s *Service) Objection(ctx context.Context, a permission.Actor, no string) (ObjectionDetail, error) {
	cs, err := s.openCase(ctx, a, "getObjection", workflows.CaseKindObjection, no)
	if err != nil {
		return ObjectionDetail{}, err
	}
	d := ObjectionDetail{Case: cs}
	var st workflows.ObjectionState
	if s.query(ctx, objections, cs, workflows.QueryObjection, &st) {
		live := objectionLive(st)
		live.Deadlines = nil
		d.Live = &live
		d.Actions = s.withoutHandOver(ctx, objections.actions(a, st.Stage, st.Paused), cs, st.Finding)
	} else {
		d.Actions = s.withoutHandOver(ctx, objections.actions(a, cs.Stage, false), cs, "")
	}
	if cs.Escalated != nil {
		d.Actions = []Action{}
	}
	if cs.WorkflowLost != nil {
		// The reconciler found the workflow gone (the engine still answers
		// a query of a terminated workflow with its last state): no step
		// would be taken (workflow-lost), so none is offered.
		d.Actions = []Action{}
	}
	if d.Deadlines, err = s.caseDeadlines(ctx, cs.CaseNo); err != nil {
		return d, err
	}
	if d.Events, err = s.caseEvents(ctx, cs.CaseNo); err != nil {
		return d, err
	}
	if d.Documents, err = s.readableDocuments(ctx, a, cs.CaseNo); err != nil {
		return d, err
	}
	if d.Evidence, err = s.caseEvidence(ctx, cs.CaseNo); err != nil {
		return d, err
	}
	return d, nil
}

// withoutHandOver drops from the actions offered the remedy after the
// written reply that the case's profile does not provide: the appeal
// (申诉) unless its regulation grants one, and the hand-over unless it
// hands a continued disagreement to the provider and the provider verified
// the result (finding). A step offered is a step that can be taken.
func (s *Service) withoutHandOver(ctx context.Context, actions []Action, cs CaseSummary, finding string) []Action {
	p := s.profileAt(ctx, cs.ProfileID, cs.ProfileVersion)
	return slices.DeleteFunc(actions, func(x Action) bool {
		switch x.Name {
		case workflows.ObjectionHandOver:
			return p == nil || !p.Settings.DisagreementHandover.Value || finding == ""
		case workflows.ObjectionAppeal:
			return p != nil && !p.HasAppeal()
		}
		return false
	})
}

// query asks the case's workflow for its live state; false (logged) when
// the engine does not answer in time.
func (s *Service) query(ctx context.Context, p procedure, cs CaseSummary, name string, out any) bool {
	if s.d.Temporal == nil {
		return false
	}
	qctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	v, err := s.d.Temporal.QueryWorkflow(qctx, p.workflowID(cs.CaseNo), "", name)
	if err == nil {
		err = v.Get(out)
	}
	if err != nil {
		s.log(ctx).Warn().Err(err).Str("case_no", cs.CaseNo).Msg(p.kind + " detail without live state")
		return false
	}
	return true
}

// ObjectionActions are the steps a may take on the case now (the console
// offers only these).
func (s *Service) ObjectionActions(ctx context.Context, a permission.Actor, no string) ([]Action, error) {
	d, err := s.Objection(ctx, a, no)
	return d.Actions, err
}

// ---- steps ----

func objectionStep[In any](s *Service, ctx context.Context, a permission.Actor, name, no string, in In,
	set func(*In, workflows.Actor), checks ...func(context.Context, CaseSummary, *In) error) (ObjectionLive, error) {
	st, _, err := runStep[In, workflows.ObjectionState](s, ctx, objections, a, name, no, in, set, checks...)
	if err != nil {
		return ObjectionLive{}, err
	}
	return objectionLive(st), nil
}

// SupplementObjection is the subject's answer to the one-time notice.
func (s *Service) SupplementObjection(ctx context.Context, a permission.Actor, no string, in workflows.SupplementInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionSupplement, no, in, func(in *workflows.SupplementInput, by workflows.Actor) { in.By = by },
		func(ctx context.Context, cs CaseSummary, in *workflows.SupplementInput) error {
			return s.knownEvidence(ctx, cs.CaseNo, in.Evidence)
		})
}

// WithdrawObjection withdraws the subject's objection.
func (s *Service) WithdrawObjection(ctx context.Context, a permission.Actor, no string, in workflows.WithdrawInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionWithdraw, no, in, func(in *workflows.WithdrawInput, by workflows.Actor) { in.By = by })
}

// AppealObjection appeals the outcome (申诉).
func (s *Service) AppealObjection(ctx context.Context, a permission.Actor, no string, in workflows.AppealInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionAppeal, no, in, func(in *workflows.AppealInput, by workflows.Actor) { in.By = by })
}

// HandOverObjection is the applicant's continued disagreement after the
// provider's verification: where the case's profile says so (Anshan art.
// 10), the centre hands the case to the provider.
func (s *Service) HandOverObjection(ctx context.Context, a permission.Actor, no string, in workflows.HandOverInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionHandOver, no, in, func(in *workflows.HandOverInput, by workflows.Actor) { in.By = by })
}

// AcceptObjection accepts the objection as complete (受理).
func (s *Service) AcceptObjection(ctx context.Context, a permission.Actor, no string, in workflows.AcceptInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionAccept, no, in, func(in *workflows.AcceptInput, by workflows.Actor) { in.By = by })
}

// RequestObjectionSupplement sends the one-time notice of everything missing.
func (s *Service) RequestObjectionSupplement(ctx context.Context, a permission.Actor, no string, in workflows.SupplementRequest) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionRequestSupplement, no, in, func(in *workflows.SupplementRequest, by workflows.Actor) { in.By = by })
}

// DecideObjectionOwnError corrects the centre's own error at once.
func (s *Service) DecideObjectionOwnError(ctx context.Context, a permission.Actor, no string, in workflows.OwnErrorInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionDecideOwnError, no, in, func(in *workflows.OwnErrorInput, by workflows.Actor) { in.By = by },
		func(_ context.Context, _ CaseSummary, in *workflows.OwnErrorInput) error {
			return checkCorrection(in.Correction)
		})
}

// ForwardObjectionToProvider asks the provider to verify (核查函).
func (s *Service) ForwardObjectionToProvider(ctx context.Context, a permission.Actor, no string, in workflows.ForwardInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionForwardToProvider, no, in, func(in *workflows.ForwardInput, by workflows.Actor) { in.By = by })
}

// DecideObjection decides the outcome and issues the written reply.
func (s *Service) DecideObjection(ctx context.Context, a permission.Actor, no string, in workflows.DecisionInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionDecide, no, in, func(in *workflows.DecisionInput, by workflows.Actor) { in.By = by },
		func(_ context.Context, _ CaseSummary, in *workflows.DecisionInput) error {
			return checkCorrection(in.Correction)
		})
}

// PauseObjection pauses the clock (expert test, review).
func (s *Service) PauseObjection(ctx context.Context, a permission.Actor, no string, in workflows.PauseInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionPause, no, in, func(in *workflows.PauseInput, by workflows.Actor) { in.By = by })
}

// ResumeObjection restarts the clock.
func (s *Service) ResumeObjection(ctx context.Context, a permission.Actor, no string, in workflows.ResumeInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionResume, no, in, func(in *workflows.ResumeInput, by workflows.Actor) { in.By = by })
}

// ExtendObjection extends the overall limit once (head-approved).
func (s *Service) ExtendObjection(ctx context.Context, a permission.Actor, no string, in workflows.ExtendInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionExtend, no, in, func(in *workflows.ExtendInput, by workflows.Actor) { in.By = by })
}

// ReplyToObjection is the provider's verification result.
func (s *Service) ReplyToObjection(ctx context.Context, a permission.Actor, no string, in workflows.ProviderReplyInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionProviderReply, no, in, func(in *workflows.ProviderReplyInput, by workflows.Actor) { in.By = by },
		func(ctx context.Context, cs CaseSummary, in *workflows.ProviderReplyInput) error {
			if len(in.Correction) > 0 {
				if err := checkCorrection(in.Correction); err != nil {
					return err
				}
			}
			return s.knownEvidence(ctx, cs.CaseNo, in.Evidence)
		})
}

// DecideObjectionAppeal is the supervisors' decision on an appeal.
func (s *Service) DecideObjectionAppeal(ctx context.Context, a permission.Actor, no string, in workflows.AppealDecisionInput) (ObjectionLive, error) {
	return objectionStep(s, ctx, a, workflows.ObjectionDecideAppeal, no, in, func(in *workflows.AppealDecisionInput, by workflows.Actor) { in.By = by },
		func(_ context.Context, _ CaseSummary, in *workflows.AppealDecisionInput) error {
			return checkCorrection(in.Correction)
		})
}

// checkCorrection checks a correction: only fields the record has, with
// values it accepts (the same table the activity applying it uses), so a
// case never stalls on a correction it cannot apply.
func checkCorrection(c map[string]any) error {
	var fe []refusal.Field
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := c[k]
		allowed, ok := activities.CorrectableValues[k], slices.Contains(activities.CorrectableFields, k)
		text, isText := v.(string)
		switch {
		case !ok:
			fe = append(fe, refusal.Field{Name: "correction." + k, Code: "not_correctable",
				Message: refusal.T("该字段不能更正；可更正 "+strings.Join(activities.CorrectableFields, "、"),
					"this field cannot be corrected; correctable are "+strings.Join(activities.CorrectableFields, ", "))})
		case !isText || strings.TrimSpace(text) == "":
			fe = append(fe, refusal.Field{Name: "correction." + k, Code: "format", Message: refusal.T("应为非空文本", "must be non-empty text")})
		case allowed != nil && !slices.Contains(allowed, text):
			fe = append(fe, refusal.Field{Name: "correction." + k, Code: "enum",
				Message: refusal.T("应为 "+strings.Join(allowed, "、"), "must be one of "+strings.Join(allowed, ", "))})
		case k == "decided_on":
			if _, err := time.Parse(time.DateOnly, text); err != nil {
				fe = append(fe, refusal.Field{Name: "correction." + k, Code: "format", Message: refusal.T("应为日期 YYYY-MM-DD", "must be a date, YYYY-MM-DD")})
			}
		}
	}
	if len(fe) > 0 {
		return refusal.Invalid(fe...)
	}
	return nil
}

// knownEvidence refuses evidence names an input refers to that were not
// uploaded to the case.
func (s *Service) knownEvidence(ctx context.Context, caseNo string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	have, err := s.caseEvidence(ctx, caseNo)
	if err != nil {
		return err
	}
	var fe []refusal.Field
	for i, n := range names {
		if !slices.ContainsFunc(have, func(m evidence.Meta) bool { return m.Name == n }) {
			fe = append(fe, refusal.Field{Name: fmt.Sprintf("evidence[%d]", i), Code: "unknown",
				Message: refusal.T("本案没有该名称的证据材料，请先上传（POST /objections/{no}/evidence）",
					"the case holds no evidence of this name; upload it first (POST /objections/{no}/evidence)")})
		}
	}
	if len(fe) > 0 {
		return refusal.Invalid(fe...)
	}
	return nil
}

// ---- evidence and documents ----

// UploadObjectionEvidence files evidence with a case: the subject's (with
// a supplement or an appeal), the provider's (with its reply), or the
// caseworker's. Every file is checked before any is stored, and all are
// stored together or none.
func (s *Service) UploadObjectionEvidence(ctx context.Context, a permission.Actor, no string, files []Upload) ([]evidence.Meta, error) {
	cs, err := s.openCase(ctx, a, "uploadObjectionEvidence", workflows.CaseKindObjection, no)
	if err != nil {
		return nil, err
	}
	if cs.Stage == workflows.StageFinished || cs.Status == workflows.StatusWithdrawn {
		return nil, caseFinished(objections, cs)
	}
	if len(files) == 0 {
		return nil, refusal.Invalid(refusal.Required(evidence.FieldFile, refusal.T("请选择要上传的文件", "send at least one file")))
	}
	if err := s.checkUploads(files); err != nil {
		return nil, err
	}
	out := make([]evidence.Meta, 0, len(files))
	err = pgx.BeginFunc(ctx, s.d.Pool, func(tx pgx.Tx) error {
		for _, f := range files {
			m, err := s.evidence.PutTx(ctx, tx, evidence.Owner{CaseRef: cs.CaseNo, UploadedBy: a.Account.Username}, f.Name, f.Data)
			if err != nil {
				return evidenceErr(err, f.Field)
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, faults.Database(err)
	}
	return out, nil
}

// ObjectionEvidence lists a case's evidence.
func (s *Service) ObjectionEvidence(ctx context.Context, a permission.Actor, no string) ([]evidence.Meta, error) {
	cs, err := s.openCase(ctx, a, "listObjectionEvidence", workflows.CaseKindObjection, no)
	if err != nil {
		return nil, err
	}
	return s.caseEvidence(ctx, cs.CaseNo)
}

// ObjectionEvidenceFile is one evidence file of a case.
func (s *Service) ObjectionEvidenceFile(ctx context.Context, a permission.Actor, no string, id int64) (File, error) {
	cs, err := s.openCase(ctx, a, "downloadObjectionEvidence", workflows.CaseKindObjection, no)
	if err != nil {
		return File{}, err
	}
	return s.evidenceFile(ctx, cs.CaseNo, id)
}

// ObjectionDocuments lists the letters of a case the caller may read.
func (s *Service) ObjectionDocuments(ctx context.Context, a permission.Actor, no string) ([]documents.Meta, error) {
	cs, err := s.openCase(ctx, a, "listObjectionDocuments", workflows.CaseKindObjection, no)
	if err != nil {
		return nil, err
	}
	return s.readableDocuments(ctx, a, cs.CaseNo)
}

// ObjectionDocument is a letter of a case as PDF or HTML (format).
func (s *Service) ObjectionDocument(ctx context.Context, a permission.Actor, no string, id int64, format string) (File, error) {
	const uc = "downloadObjectionDocument"
	cs, err := s.openCase(ctx, a, uc, workflows.CaseKindObjection, no)
	if err != nil {
		return File{}, err
	}
	return s.document(ctx, a, uc, cs.CaseNo, id, format)
}

// groundWords checks the ground codes against the profile's list (issue
// 19.7) and returns the grounds as letters print them: the regulation's
// words of each listed ground with its article, then "其他" with the
// applicant's words (which stand alone when no code is given).
func groundWords(p *policy.Profile, codes, own []string) ([]string, []refusal.Field) {
	var out []string
	var fe []refusal.Field
	other := len(codes) == 0
	for i, c := range codes {
		if c == policy.GroundOther {
			other = true
			continue
		}
		g, ok := p.Ground(c)
		if !ok {
			known := make([]string, 0, len(p.ObjectionGrounds)+1)
			for _, k := range p.ObjectionGrounds {
				known = append(known, k.Code)
			}
			known = append(known, policy.GroundOther)
			fe = append(fe, refusal.Field{Name: fmt.Sprintf("ground_codes[%d]", i), Code: "unknown",
				Message: refusal.T("不是"+p.Name+"规定的异议情形，可选："+strings.Join(known, "、"),
					"not a ground of the "+p.ID+" profile; one of "+strings.Join(known, ", "))})
			continue
		}
		out = append(out, g.Text+"（"+g.Source+"）")
	}
	if !other {
		return out, fe
	}
	if len(own) == 0 {
		fe = append(fe, refusal.Required("grounds", refusal.T("“其他”情形须写明具体理由", "for \"other\", state the ground in your own words")))
	}
	for _, g := range own {
		if len(codes) == 0 {
			out = append(out, g)
		} else {
			out = append(out, "其他："+g)
		}
	}
	return out, fe
}

package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/repair"
	"github.com/creditcase/creditcase/workflows"
)

const repairOpenIndex = "repair_applications_one_open"

// CommitmentField is the form field of the signed credit commitment.
const CommitmentField = "commitment"

// repairs is the credit repair procedure (信用修复, DESIGN.md §2.3).
var repairs = procedure{
	kind:       workflows.CaseKindRepair,
	noun:       refusal.T("信用修复申请", "repair application"),
	workflowID: workflows.RepairWorkflowID,
	stages:     workflows.RepairStages,
	steps: []Step{
		{"supplement", "supplementRepair", workflows.RepairSupplement, refusal.T("补正材料", "Supply the missing documents")},
		{"withdraw", "withdrawRepair", workflows.RepairWithdraw, refusal.T("撤回申请", "Withdraw the application")},
		{"accept", "acceptRepair", workflows.RepairAccept, refusal.T("受理", "Accept")},
		{"request-supplement", "requestRepairSupplement", workflows.RepairRequestSupplement, refusal.T("一次性告知补正", "Ask for the missing documents")},
		{"provider-opinion", "giveRepairOpinion", workflows.RepairProviderOpinion, refusal.T("出具修复意见", "Give the opinion")},
		{"publish", "publishRepair", workflows.RepairPublish, refusal.T("发布修复公示", "Publish")},
		{"verify-objection", "verifyRepairObjection", workflows.RepairVerifyObjection, refusal.T("核实公示异议", "Verify a public objection")},
		{"decide", "decideRepair", workflows.RepairDecide, refusal.T("作出修复决定", "Decide")},
		{"public-objection", "objectToRepair", workflows.RepairPublicObjection, refusal.T("对公示提出异议", "Object")},
	},
}

// RepairSteps are the refusable steps of a repair application sent with a
// JSON body (supplement and the public objection have their own use cases).
func RepairSteps() []Step {
	var out []Step
	for _, st := range repairs.steps {
		if st.Name != "supplement" && st.Name != "public-objection" {
			out = append(out, st)
		}
	}
	return out
}

var repairStages = []string{
	workflows.StageAcceptance, workflows.StageAwaitingSupplement, workflows.StageProviderOpinion,
	workflows.StageAwaitingPublicity, workflows.StagePublicity, workflows.StageObjectionVerification,
	workflows.StageDeciding, workflows.StageFinished,
}

// ---- eligibility ----

// RepairEligibility is the dry run's answer: the same check as at filing,
// with the document conditions pending, and the open application if any.
type RepairEligibility struct {
	RecordID        int64  `json:"record_id"`
	CanApply        bool   `json:"can_apply"`
	OpenApplication string `json:"open_application,omitempty"`
	repair.Result
}

// recordVisible reports whether a may see rec.
func recordVisible(a permission.Actor, rec records.Record) bool {
	switch a.Role() {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return rec.SubjectID == a.Account.SubjectID
	case auth.Provider:
		return rec.ProviderID == a.Account.ProviderID
	}
	return false
}

// eligibility checks rec on today with the facts given: the documents
// (Documents false: dry run) and the correction day (nil: none stated).
func (s *Service) eligibility(ctx context.Context, rec records.Record, docs *repair.Facts) (repair.Result, error) {
	prof, err := s.caseProfile(rec)
	if err != nil {
		return repair.Result{}, err
	}
	f, _, err := repair.Load(ctx, s.d.Pool, rec.ID, calendar.DateOf(s.now()))
	if err != nil {
		return repair.Result{}, faults.Database(err)
	}
	if docs != nil {
		f.Documents, f.Commitment, f.Evidence = docs.Documents, docs.Commitment, docs.Evidence
		f.CorrectedOn = docs.CorrectedOn
	}
	cal := s.d.Calendar
	if s.d.Rules != nil {
		// The calendar as it stands in the database, as the worker counts.
		if cal, err = s.d.Rules.Calendar(ctx); err != nil {
			return repair.Result{}, faults.Database(err)
		}
	}
	r, err := repair.Check(f, prof, cal)
	if err != nil {
		return r, refusal.Internalf(err, "repair eligibility of record %d", rec.ID)
	}
	return r, nil
}

func (s *Service) openRepair(ctx context.Context, recordID int64) (string, error) {
	var no string
	err := s.d.Pool.QueryRow(ctx, `SELECT application_no FROM repair_applications WHERE record_id = $1 AND status = 'open'`, recordID).Scan(&no)
	if db.IsNoRows(err) {
		return "", nil
	}
	return no, faults.Database(err)
}

// RepairEligibilityQuery is what the dry run may be told beyond the record.
type RepairEligibilityQuery struct {
	// CorrectedOn is the day the behaviour was corrected (YYYY-MM-DD;
	// Nantong art. 34(二)): "same kind" runs from it.
	CorrectedOn string `query:"corrected_on" text:"max=10"`
}

// correctedOn reads the correction day an applicant states: a date not
// before the record's decision and not after today; "" is none. A bad one
// is refused naming the field (a query parameter when param).
func correctedOn(v string, rec records.Record, today calendar.Date, param bool) (*calendar.Date, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	bad := func(code string, msg refusal.Text) error {
		if param {
			return refusal.BadParam("corrected_on", code, msg)
		}
		return refusal.Invalid(refusal.Field{Name: "corrected_on", Code: code, Message: msg})
	}
	d, err := calendar.ParseDate(v)
	if err != nil {
		return nil, bad("format", refusal.T("应为日期 YYYY-MM-DD", "must be a date, YYYY-MM-DD"))
	}
	if decided := rec.DecidedOn; !decided.IsZero() && d.Before(decided) {
		return nil, bad("range", refusal.T("纠正之日不能早于该信息的决定日期（"+decided.String()+"）", "must not be before the record's decision ("+decided.String()+")"))
	}
	if d.After(today) {
		return nil, bad("range", refusal.T("纠正之日不能晚于今天", "must not be in the future"))
	}
	return &d, nil
}

// RepairEligibilityOf answers whether record id may be repaired today and,
// if not, every reason and the date from which an application is possible.
func (s *Service) RepairEligibilityOf(ctx context.Context, a permission.Actor, id int64, q RepairEligibilityQuery) (RepairEligibility, error) {
	const uc = "getRepairEligibility"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return RepairEligibility{}, err
	}
	if err := cleantext.Refuse(&q); err != nil {
		return RepairEligibility{}, err
	}
	if id <= 0 {
		return RepairEligibility{}, refusal.BadParam("id", "format", refusal.T("应为正整数", "must be a positive integer"))
	}
	rec, err := s.records.Record(ctx, id)
	if errors.Is(err, records.ErrNotFound) {
		return RepairEligibility{}, refusal.NotFoundErr()
	}
	if err != nil {
		return RepairEligibility{}, faults.Database(err)
	}
	if !recordVisible(a, rec) {
		return RepairEligibility{}, s.guard.Hide(ctx, a, uc, "record", strconv.FormatInt(id, 10))
	}
	corrected, err := correctedOn(q.CorrectedOn, rec, calendar.DateOf(s.now()), true)
	if err != nil {
		return RepairEligibility{}, err
	}
	r, err := s.eligibility(ctx, rec, &repair.Facts{CorrectedOn: corrected})
	if err != nil {
		return RepairEligibility{}, err
	}
	open, err := s.openRepair(ctx, rec.ID)
	if err != nil {
		return RepairEligibility{}, err
	}
	return RepairEligibility{RecordID: rec.ID, CanApply: r.Eligible && open == "", OpenApplication: open, Result: r}, nil
}

func ineligible(r repair.Result) error {
	e := &refusal.Error{Kind: refusal.RepairIneligible,
		Title:  refusal.T("不符合信用修复条件", "Not eligible for credit repair"),
		Detail: refusal.T("以下条件未满足，未作任何更改", "The conditions listed are not met; nothing was changed")}
	if r.From != nil {
		from := r.From.Start()
		e.PossibleFrom = &from
		e.Detail = refusal.T("以下条件未满足，未作任何更改；可自 "+r.From.String()+" 起申请",
			"The conditions listed are not met; nothing was changed; apply from "+r.From.String())
	}
	for _, c := range r.Conditions {
		if !c.Met {
			e.Fields = append(e.Fields, refusal.Field{Name: c.Code, Code: "unmet", Message: refusal.T(c.ZH, c.EN)})
		}
	}
	return e
}

func repairOpen(no string) error {
	return &refusal.Error{Kind: refusal.RepairOpen, CaseNo: no,
		Title:  refusal.T("该记录已有正在办理的信用修复申请", "A repair application on this record is already open"),
		Detail: refusal.T("信用修复申请 "+no+" 正在办理中，请勿重复申请", "Repair application "+no+" is being handled; do not apply again")}
}

// ---- filing ----

// ApplyForRepair is a subject's application for credit repair: the
// record, a statement, the signed credit commitment (信用承诺书) and the
// evidence that the behaviour was corrected.
type ApplyForRepair struct {
	RecordID  int64  `json:"record_id"`
	Statement string `json:"statement" text:"multiline,max=5000"`
	// CorrectedOn is the day the behaviour was corrected (YYYY-MM-DD,
	// Nantong art. 34(二)), shown by the evidence; "same kind" runs from
	// it. Optional: without it the last year counts.
	CorrectedOn string  `json:"corrected_on,omitempty" text:"max=10"`
	Commitment  *Upload `json:"-"`
	// CommitmentAccepted signs the commitment on line instead of uploading
	// a signed file: the applicant has read RepairCommitmentOf's text in
	// full and accepts it; the core files it as a PDF saying so.
	CommitmentAccepted bool     `json:"commitment_accepted"`
	Evidence           []Upload `json:"-"`
}

// FiledRepair is the answer to an application: the case and its files.
type FiledRepair struct {
	Case        CaseSummary     `json:"case"`
	Eligibility repair.Result   `json:"eligibility"`
	Commitment  evidence.Meta   `json:"commitment"`
	Evidence    []evidence.Meta `json:"evidence"`
}

// ApplyForRepair files a repair application on one of the subject's
// records. An ineligible application is refused (422) with every unmet
// condition and the date from which to apply; a second open application on
// the record 409. The files, the application row, the case row and the
// workflow start are one transaction: nothing is kept when any fails.
func (s *Service) ApplyForRepair(ctx context.Context, a permission.Actor, in ApplyForRepair) (FiledRepair, error) {
	const uc = "applyForRepair"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return FiledRepair{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return FiledRepair{}, err
	}
	in.Statement = strings.TrimSpace(in.Statement)
	if in.RecordID <= 0 {
		return FiledRepair{}, refusal.Invalid(refusal.Required("record_id", refusal.T("请指明申请修复的信用记录", "name the record to repair")))
	}
	all := in.Evidence
	if in.Commitment != nil {
		all = append([]Upload{*in.Commitment}, all...)
	}
	if err := s.checkUploads(all); err != nil {
		return FiledRepair{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, EngineTimeout)
	defer cancel()
	rec, err := s.records.Record(ctx, in.RecordID)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return FiledRepair{}, faults.Database(err)
	}
	if err != nil {
		return FiledRepair{}, refusal.Invalid(refusal.Field{Name: "record_id", Code: "unknown", Message: refusal.T("没有该信用记录", "no such record")})
	}
	if rec.SubjectID != a.Account.SubjectID {
		return FiledRepair{}, s.guard.Hide(ctx, a, uc, "record", strconv.FormatInt(in.RecordID, 10))
	}
	if no, answer, ok, err := s.filedBefore(ctx, a, workflows.CaseKindRepair); err != nil {
		return FiledRepair{}, err
	} else if ok {
		return s.filedRepair(ctx, no, answer)
	}
	if open, err := s.openRepair(ctx, rec.ID); err != nil {
		return FiledRepair{}, err
	} else if open != "" {
		return FiledRepair{}, repairOpen(open)
	}
	corrected, err := correctedOn(in.CorrectedOn, rec, calendar.DateOf(s.now()), false)
	if err != nil {
		return FiledRepair{}, err
	}
	el, err := s.eligibility(ctx, rec, &repair.Facts{Documents: true, Commitment: in.Commitment != nil || in.CommitmentAccepted, Evidence: len(in.Evidence), CorrectedOn: corrected})
	if err != nil {
		return FiledRepair{}, err
	}
	if !el.Eligible {
		return FiledRepair{}, ineligible(el)
	}
	if in.Commitment == nil && in.CommitmentAccepted {
		signed, err := s.signedCommitment(a, rec, s.now())
		if err != nil {
			return FiledRepair{}, err
		}
		in.Commitment = &signed
		all = append([]Upload{signed}, all...)
	}
	profile, err := s.caseProfile(rec)
	if err != nil {
		return FiledRepair{}, err
	}
	var seq int64
	if err := s.d.Pool.QueryRow(ctx, `SELECT nextval('repair_application_no')`).Scan(&seq); err != nil {
		return FiledRepair{}, faults.Database(err)
	}
	now := s.now()
	no := caseno.Format(caseno.Repair, calendar.DateOf(now).Year, seq)
	by := actorOf(a)
	out := FiledRepair{Eligibility: el, Evidence: []evidence.Meta{}}
	// The application, its case row, its files and the workflow start it
	// owes commit together; the workflow is started after the commit.
	start := caseStart{kind: workflows.CaseKindRepair, no: no}
	var input []byte
	regCtx, regCancel := context.WithTimeout(context.WithoutCancel(ctx), EngineTimeout)
	defer regCancel()
	err = pgx.BeginFunc(regCtx, s.d.Pool, func(tx pgx.Tx) error {
		var ids []int64
		for i, f := range all {
			m, err := s.evidence.PutTx(regCtx, tx, evidence.Owner{CaseRef: no, UploadedBy: by.Name}, f.Name, f.Data)
			if err != nil {
				return evidenceErr(err, f.Field)
			}
			if i == 0 && in.Commitment != nil {
				out.Commitment = m
				continue
			}
			out.Evidence = append(out.Evidence, m)
			ids = append(ids, m.ID)
		}
		wfIn := workflows.RepairInput{CaseNo: no, RecordID: rec.ID, SubjectID: rec.SubjectID, ProviderID: rec.ProviderID,
			ProfileID: profile.ID, ProfileVersion: profile.Version, CommitmentID: out.Commitment.ID, EvidenceIDs: ids, Statement: in.Statement,
			FiledBy: by, ReceivedAt: now.UTC()}
		var correctedCol any
		if corrected != nil {
			wfIn.CorrectedOn = *corrected
			correctedCol = corrected.String()
		}
		if _, err := tx.Exec(regCtx, `INSERT INTO repair_applications (application_no, record_id, subject_id, provider_id, profile_id,
			commitment_id, evidence_ids, statement, filed_by, filed_at, corrected_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			no, rec.ID, rec.SubjectID, rec.ProviderID, profile.ID, wfIn.CommitmentID, ids, wfIn.Statement, by.Name, wfIn.ReceivedAt, correctedCol); err != nil {
			return err
		}
		if _, err := tx.Exec(regCtx, `INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id,
			profile_id, profile_version, stage, status, opened_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			no, workflows.CaseKindRepair, workflows.RepairWorkflowID(no), rec.ID, rec.SubjectID, rec.ProviderID,
			profile.ID, profile.Version, workflows.StageAcceptance, workflows.StatusOpen, wfIn.ReceivedAt); err != nil {
			return err
		}
		var err error
		out.Case, err = scanCase(tx.QueryRow(regCtx, `SELECT `+caseColumns+` WHERE c.case_no = $1`, no))
		if err != nil {
			return err
		}
		input, err = oweStart(regCtx, tx, a, start, wfIn, out)
		return err
	})
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == repairOpenIndex:
		open, oerr := s.openRepair(ctx, rec.ID)
		if oerr != nil {
			return FiledRepair{}, oerr
		}
		return FiledRepair{}, repairOpen(open)
	case err != nil:
		return FiledRepair{}, faults.Database(err)
	}
	s.log(ctx).Info().Str("case_no", no).Int("evidence", len(all)).Msg("repair application filed")
	s.startFiled(ctx, start, input)
	return out, nil
}

// filedRepair is the answer to a keyed application repeated after its
// first run filed application no (the first answer was lost): that answer
// again.
func (s *Service) filedRepair(ctx context.Context, no string, answer []byte) (FiledRepair, error) {
	var out FiledRepair
	if err := json.Unmarshal(answer, &out); err != nil {
		return out, faults.Refusal(fmt.Errorf("repair %s: stored answer: %w", no, err))
	}
	return out, nil
}

// ---- lists and detail ----

// ListRepairs is every role's repair inbox: a subject's own applications,
// a provider's about its records (?stage=provider_opinion: its opinion
// inbox; ?stage=publicity: objections to verify), staff all.
func (s *Service) ListRepairs(ctx context.Context, a permission.Actor, f ObjectionFilter) (CasePage, error) {
	if err := s.guard.Require(ctx, a, "listRepairs"); err != nil {
		return CasePage{}, err
	}
	return s.listCases(ctx, a, workflows.CaseKindRepair, repairStages, f)
}

// RepairLive is the live state of a repair application, with its
// deadlines in the one deadline shape.
type RepairLive struct {
	workflows.RepairState
	Deadlines []Deadline `json:"deadlines,omitempty"`
}

func repairLive(st workflows.RepairState) RepairLive {
	return RepairLive{RepairState: st, Deadlines: deadlinesOf(st.Deadlines)}
}

// RepairDetail is the case page of a repair application.
type RepairDetail struct {
	Case       CaseSummary       `json:"case"`
	Live       *RepairLive       `json:"live"`
	Deadlines  []Deadline        `json:"deadlines"`
	Events     []CaseEvent       `json:"events"`
	Documents  []documents.Meta  `json:"documents"`
	Evidence   []evidence.Meta   `json:"evidence"`
	Objections []RepairObjection `json:"objections"`
	Actions    []Action          `json:"actions"`
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

// Repair reads a repair application.
func (s *Service) Repair(ctx context.Context, a permission.Actor, no string) (RepairDetail, error) {
	cs, err := s.openCase(ctx, a, "getRepair", workflows.CaseKindRepair, no)
	if err != nil {
		return RepairDetail{}, err
	}
	d := RepairDetail{Case: cs}
	var st workflows.RepairState
	if s.query(ctx, repairs, cs, workflows.QueryRepair, &st) {
		live := repairLive(st)
		live.Deadlines = nil
		d.Live = &live
		d.Actions = repairs.actions(a, st.Stage, st.Paused)
	} else {
		d.Actions = repairs.actions(a, cs.Stage, false)
	}
	if cs.Escalated != nil {
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
	// The objectors' contact details stay with the centre and the provider.
	rows, err := s.d.Pool.Query(ctx, `SELECT id, grounds, status, answer, answered_at, created_at FROM repair_public_objections
		WHERE application_no = $1 AND status <> 'refused' ORDER BY id`, cs.CaseNo)
	if err != nil {
		return d, faults.Database(err)
	}
	objs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RepairObjection, error) {
		var o RepairObjection
		err := r.Scan(&o.ID, &o.Grounds, &o.Status, &o.Answer, &o.AnsweredAt, &o.CreatedAt)
		o.CreatedAt, o.AnsweredAt = shanghai(o.CreatedAt), shanghaiPtr(o.AnsweredAt)
		return o, err
	})
	if err != nil {
		return d, faults.Database(err)
	}
	d.Objections = nonNil(objs)
	return d, nil
}

// ---- steps ----

func repairStep[In any](s *Service, ctx context.Context, a permission.Actor, name, no string, in In,
	set func(*In, workflows.Actor), checks ...func(context.Context, CaseSummary, *In) error) (RepairLive, error) {
	st, _, err := runStep[In, workflows.RepairState](s, ctx, repairs, a, name, no, in, set, checks...)
	if err != nil {
		return RepairLive{}, err
	}
	return repairLive(st), nil
}

// SupplementRepair answers the one-time notice: a statement and files.
// The files are stored only when the step is accepted by the case.
type SupplementRepair struct {
	Statement string   `json:"statement" text:"multiline,max=5000"`
	Evidence  []Upload `json:"-"`
}

// SupplementRepair files the subject's supplement with the case, then the
// update; the files stay only if the case takes the supplement.
func (s *Service) SupplementRepair(ctx context.Context, a permission.Actor, no string, in SupplementRepair) (RepairLive, error) {
	st, _ := repairs.step("supplement")
	if err := s.guard.Require(ctx, a, st.UseCase); err != nil {
		return RepairLive{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return RepairLive{}, err
	}
	for _, f := range in.Evidence {
		if bad, ok := cleantext.FileName(f.Field, f.Name); !ok {
			return RepairLive{}, refusal.Invalid(bad)
		}
	}
	cs, err := s.openCase(ctx, a, st.UseCase, workflows.CaseKindRepair, no)
	if err != nil {
		return RepairLive{}, err
	}
	in.Statement = strings.TrimSpace(in.Statement)
	if in.Statement == "" {
		return RepairLive{}, refusal.Invalid(refusal.Required("statement", refusal.T("请说明补正的材料", "say what is supplied")))
	}
	if err := s.checkUploads(in.Evidence); err != nil {
		return RepairLive{}, err
	}
	if cs.Stage != workflows.StageAwaitingSupplement {
		return RepairLive{}, &refusal.Error{Kind: refusal.WrongStage, CaseNo: cs.CaseNo, Stage: cs.Stage,
			AllowedStages: workflows.RepairStages[workflows.RepairSupplement],
			Title:         refusal.T("当前不能办理此事项", "This step is not possible now"),
			Detail: refusal.T("申请当前处于「"+StageName(cs.Stage).ZH+"」阶段，没有待补正的一次性告知，未作任何更改",
				"The application is at the "+StageName(cs.Stage).EN+" stage with no one-time notice open; nothing was changed")}
	}
	by := actorOf(a)
	var out workflows.RepairState
	err = pgx.BeginFunc(ctx, s.d.Pool, func(tx pgx.Tx) error {
		var ids []int64
		for _, f := range in.Evidence {
			m, err := s.evidence.PutTx(ctx, tx, evidence.Owner{CaseRef: cs.CaseNo, UploadedBy: by.Name}, f.Name, f.Data)
			if err != nil {
				return evidenceErr(err, f.Field)
			}
			ids = append(ids, m.ID)
		}
		// The files commit only once the case has taken the supplement.
		return s.update(ctx, repairs, cs, st, workflows.RepairSupplementInput{By: by, Statement: in.Statement, EvidenceIDs: ids}, &out)
	})
	if err != nil {
		return RepairLive{}, faults.Database(err)
	}
	return repairLive(out), nil
}

// WithdrawRepair withdraws the subject's application.
func (s *Service) WithdrawRepair(ctx context.Context, a permission.Actor, no string, in workflows.WithdrawInput) (RepairLive, error) {
	return repairStep(s, ctx, a, "withdraw", no, in, func(in *workflows.WithdrawInput, by workflows.Actor) { in.By = by })
}

// AcceptRepair accepts the application (受理).
func (s *Service) AcceptRepair(ctx context.Context, a permission.Actor, no string, in workflows.AcceptInput) (RepairLive, error) {
	return repairStep(s, ctx, a, "accept", no, in, func(in *workflows.AcceptInput, by workflows.Actor) { in.By = by })
}

// RequestRepairSupplement sends the one-time notice of missing documents.
func (s *Service) RequestRepairSupplement(ctx context.Context, a permission.Actor, no string, in workflows.SupplementRequest) (RepairLive, error) {
	return repairStep(s, ctx, a, "request-supplement", no, in, func(in *workflows.SupplementRequest, by workflows.Actor) { in.By = by })
}

// GiveRepairOpinion is the provider's written opinion.
func (s *Service) GiveRepairOpinion(ctx context.Context, a permission.Actor, no string, in workflows.OpinionInput) (RepairLive, error) {
	return repairStep(s, ctx, a, "provider-opinion", no, in, func(in *workflows.OpinionInput, by workflows.Actor) { in.By = by })
}

// PublishRepair publishes the repair proposal (公示).
func (s *Service) PublishRepair(ctx context.Context, a permission.Actor, no string, in workflows.PublishInput) (RepairLive, error) {
	return repairStep(s, ctx, a, "publish", no, in, func(in *workflows.PublishInput, by workflows.Actor) { in.By = by })
}

// VerifyRepairObjection is the provider's verification of a public objection.
func (s *Service) VerifyRepairObjection(ctx context.Context, a permission.Actor, no string, in workflows.VerifyObjectionInput) (RepairLive, error) {
	return repairStep(s, ctx, a, "verify-objection", no, in, func(in *workflows.VerifyObjectionInput, by workflows.Actor) { in.By = by })
}

// DecideRepair repairs or refuses after publicity.
func (s *Service) DecideRepair(ctx context.Context, a permission.Actor, no string, in workflows.RepairDecisionInput) (RepairLive, error) {
	return repairStep(s, ctx, a, "decide", no, in, func(in *workflows.RepairDecisionInput, by workflows.Actor) { in.By = by })
}

// RepairDocuments lists the letters of an application the caller may read.
func (s *Service) RepairDocuments(ctx context.Context, a permission.Actor, no string) ([]documents.Meta, error) {
	cs, err := s.openCase(ctx, a, "listRepairDocuments", workflows.CaseKindRepair, no)
	if err != nil {
		return nil, err
	}
	return s.readableDocuments(ctx, a, cs.CaseNo)
}

// RepairDocument is a letter of an application as PDF or HTML.
func (s *Service) RepairDocument(ctx context.Context, a permission.Actor, no string, id int64, format string) (File, error) {
	const uc = "downloadRepairDocument"
	cs, err := s.openCase(ctx, a, uc, workflows.CaseKindRepair, no)
	if err != nil {
		return File{}, err
	}
	return s.document(ctx, a, uc, cs.CaseNo, id, format)
}

// RepairEvidenceFile is one file filed with an application: its evidence,
// a supplement's or the signed credit commitment. A file of another case
// is 404.
func (s *Service) RepairEvidenceFile(ctx context.Context, a permission.Actor, no string, id int64) (File, error) {
	cs, err := s.openCase(ctx, a, "downloadRepairEvidence", workflows.CaseKindRepair, no)
	if err != nil {
		return File{}, err
	}
	return s.evidenceFile(ctx, cs.CaseNo, id)
}

// ---- public ----

// PublicRepairNotice is a repair proposal on public display. When the
// record is not 社会公开 (RecordPublic false) the notice shows only what
// the publicity needs — who applied (a person masked), the provider, the
// proposed outcome, the period — and no record title, decision number or
// decision date.
type PublicRepairNotice struct {
	ApplicationNo   string    `json:"application_no"`
	SubjectName     string    `json:"subject_name"`
	SubjectIdent    string    `json:"subject_ident"`
	ProviderName    string    `json:"provider_name"`
	RecordPublic    bool      `json:"record_public"`
	RecordTitle     string    `json:"record_title,omitempty"`
	DecisionNo      string    `json:"decision_no,omitempty"`
	DecidedOn       string    `json:"decided_on,omitempty"`
	ProposedOutcome string    `json:"proposed_outcome"`
	From            time.Time `json:"from"`
	Until           string    `json:"until"`
	UntilAt         time.Time `json:"until_at"`
	Explanation     string    `json:"explanation"`
}

const publicNoticeColumns = `application_no, subject_name, subject_ident, provider_name, record_public, record_title, decision_no,
	decided_on, proposed_outcome, starts_at, ends_on, ends_at, explanation`

func scanNotice(r pgx.Row) (PublicRepairNotice, error) {
	var n PublicRepairNotice
	var decided *time.Time
	var ends time.Time
	err := r.Scan(&n.ApplicationNo, &n.SubjectName, &n.SubjectIdent, &n.ProviderName, &n.RecordPublic, &n.RecordTitle, &n.DecisionNo,
		&decided, &n.ProposedOutcome, &n.From, &ends, &n.UntilAt, &n.Explanation)
	n.Until = ends.Format(time.DateOnly)
	if decided != nil && n.RecordPublic {
		n.DecidedOn = decided.Format(time.DateOnly)
	}
	if !n.RecordPublic {
		n.RecordTitle, n.DecisionNo = "", ""
	}
	n.From, n.UntilAt = shanghai(n.From), shanghai(n.UntilAt)
	return n, err
}

// RepairNotices are the repair proposals in their publicity period, for
// anyone.
func (s *Service) RepairNotices(ctx context.Context, a permission.Actor) ([]PublicRepairNotice, error) {
	if err := s.guard.Require(ctx, a, "listRepairNotices"); err != nil {
		return nil, err
	}
	rows, err := s.d.Pool.Query(ctx, `SELECT `+publicNoticeColumns+` FROM repair_publicity
		WHERE status = 'running' AND ends_at > now() ORDER BY ends_at, application_no LIMIT 200`)
	if err != nil {
		return nil, faults.Database(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PublicRepairNotice, error) { return scanNotice(r) })
	return nonNil(out), faults.Database(err)
}

// PublicObjectionForm is the public objection form: who objects, how to
// reach them, and why. No account is needed.
type PublicObjectionForm struct {
	Name    string `json:"name" text:"max=50"`
	Contact string `json:"contact" text:"max=100"`
	Grounds string `json:"grounds" text:"multiline,max=2000"`
}

// PublicObjectionReceipt is the answer to the form: a receipt to read the
// answer with.
type PublicObjectionReceipt struct {
	Receipt string `json:"receipt"`
	Status  string `json:"status"`
}

// Bounds of the public form.
const (
	minObjectionGrounds = 10
)

var (
	phonePattern = regexp.MustCompile(`^[0-9+\-() ]{7,20}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// Validate checks the form, naming every wrong field.
func (f *PublicObjectionForm) Validate() []refusal.Field {
	var fe []refusal.Field
	f.Name, f.Contact, f.Grounds = strings.TrimSpace(f.Name), strings.TrimSpace(f.Contact), strings.TrimSpace(f.Grounds)
	if f.Name == "" {
		fe = append(fe, refusal.Field{Name: "name", Code: "length", Message: refusal.T("请填写姓名或单位名称（1–50 字）", "give a name (1–50 characters)")})
	}
	if !(phonePattern.MatchString(f.Contact) || emailPattern.MatchString(f.Contact)) {
		fe = append(fe, refusal.Field{Name: "contact", Code: "format", Message: refusal.T("请填写可联系的电话号码或电子邮箱", "give a telephone number or an e-mail address")})
	}
	if n := len([]rune(f.Grounds)); n < minObjectionGrounds {
		fe = append(fe, refusal.Field{Name: "grounds", Code: "length",
			Message: refusal.T(fmt.Sprintf("请写明异议理由（%d–2000 字）", minObjectionGrounds), fmt.Sprintf("state the grounds (%d–2000 characters)", minObjectionGrounds))})
	}
	return fe
}

// ObjectToRepair takes an objection through the public form during a
// publicity period (rate-limited per client by the front end's one limiter,
// internal/ratelimit, class objection): checked, stored
// with the case, and the case told (the provider then verifies it). An
// objection the case refuses is kept marked refused, never shown.
func (s *Service) ObjectToRepair(ctx context.Context, a permission.Actor, clientKey, no string, f PublicObjectionForm) (PublicObjectionReceipt, error) {
	const uc = "objectToRepair"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return PublicObjectionReceipt{}, err
	}
	if err := CheckCaseNo(no); err != nil {
		return PublicObjectionReceipt{}, err
	}
	if err := cleantext.Refuse(&f); err != nil {
		return PublicObjectionReceipt{}, err
	}
	if fe := f.Validate(); len(fe) > 0 {
		return PublicObjectionReceipt{}, refusal.Invalid(fe...)
	}
	tc, err := s.engine()
	if err != nil {
		return PublicObjectionReceipt{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, EngineTimeout)
	defer cancel()
	var stage, stored string
	err = s.d.Pool.QueryRow(ctx, `SELECT c.stage, c.case_no FROM repair_publicity p JOIN cases c ON c.case_no = p.application_no
		WHERE p.application_no = ANY($1) AND p.status = 'running' AND p.ends_at > now()`, caseno.Spellings(no)).Scan(&stage, &stored)
	if db.IsNoRows(err) {
		return PublicObjectionReceipt{}, refusal.NotFoundErr()
	}
	if err != nil {
		return PublicObjectionReceipt{}, faults.Database(err)
	}
	receipt := newReceipt()
	sum := sha256.Sum256([]byte(clientKey))
	var id int64
	if err := s.d.Pool.QueryRow(ctx, `INSERT INTO repair_public_objections (application_no, receipt, contact_name, contact, grounds, client_hash)
		VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`, stored, receipt, f.Name, f.Contact, f.Grounds, hex.EncodeToString(sum[:8])).Scan(&id); err != nil {
		return PublicObjectionReceipt{}, faults.Database(err)
	}
	cs := CaseSummary{CaseNo: stored, Stage: stage}
	st, _ := repairs.step("public-objection")
	h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.RepairWorkflowID(stored), UpdateName: workflows.RepairPublicObjection,
		Args:         []any{workflows.PublicObjectionInput{By: actorOf(a), ObjectionID: id}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	if err != nil {
		if _, uerr := s.d.Pool.Exec(context.WithoutCancel(ctx), `UPDATE repair_public_objections SET status = 'refused' WHERE id = $1`, id); uerr != nil {
			s.log(ctx).Error().Err(uerr).Msg("cannot mark a refused public objection")
		}
		return PublicObjectionReceipt{}, s.refused(ctx, repairs, cs, st, err)
	}
	s.log(ctx).Info().Str("case_no", stored).Int64("objection", id).Msg("public objection to a repair")
	return PublicObjectionReceipt{Receipt: receipt, Status: "received"}, nil
}

func newReceipt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var receiptPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// PublicObjectionAnswer is what an objector reads with the receipt.
type PublicObjectionAnswer struct {
	ApplicationNo string     `json:"application_no"`
	Status        string     `json:"status"`
	Answer        string     `json:"answer,omitempty"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
}

// RepairObjectionAnswer lets the objector read the answer with the receipt.
func (s *Service) RepairObjectionAnswer(ctx context.Context, a permission.Actor, receipt string) (PublicObjectionAnswer, error) {
	if err := s.guard.Require(ctx, a, "getRepairObjectionAnswer"); err != nil {
		return PublicObjectionAnswer{}, err
	}
	if !receiptPattern.MatchString(receipt) {
		return PublicObjectionAnswer{}, refusal.NotFoundErr()
	}
	var out PublicObjectionAnswer
	err := s.d.Pool.QueryRow(ctx, `SELECT application_no, status, answer, answered_at FROM repair_public_objections WHERE receipt = $1`, receipt).
		Scan(&out.ApplicationNo, &out.Status, &out.Answer, &out.AnsweredAt)
	if db.IsNoRows(err) {
		return out, refusal.NotFoundErr()
	}
	out.AnsweredAt = shanghaiPtr(out.AnsweredAt)
	return out, faults.Database(err)
}

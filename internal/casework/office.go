package casework

// The subject's office (信用主体办事): reads the console's pages need about a
// subject's own records — the objection grounds of a record's profile, the
// repair answer of every record at once, the credit commitment it signs.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/repair"
)

// visibleRecord checks uc, reads record id and checks a may see it (404
// when not, as for a record that does not exist).
func (s *Service) visibleRecord(ctx context.Context, a permission.Actor, uc permission.UseCase, id int64) (records.Record, error) {
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return records.Record{}, err
	}
	if id <= 0 {
		return records.Record{}, refusal.BadParam("id", "format", refusal.T("应为正整数", "must be a positive integer"))
	}
	rec, err := s.records.Record(ctx, id)
	if errors.Is(err, records.ErrNotFound) {
		return rec, refusal.NotFoundErr()
	}
	if err != nil {
		return rec, faults.Database(err)
	}
	if !recordVisible(a, rec) {
		return rec, s.guard.Hide(ctx, a, uc, "record", strconv.FormatInt(id, 10))
	}
	return rec, nil
}

// ObjectionGrounds are the grounds of an objection (异议情形) as the
// profile of record id lists them from its regulation, in its order, for
// the subject's objection form; "other" with the subject's own words is
// always possible too.
func (s *Service) ObjectionGrounds(ctx context.Context, a permission.Actor, id int64) ([]policy.Ground, error) {
	rec, err := s.visibleRecord(ctx, a, "fileObjection", id)
	if err != nil {
		return nil, err
	}
	prof, err := s.caseProfile(rec)
	if err != nil {
		return nil, err
	}
	return append([]policy.Ground(nil), prof.ObjectionGrounds...), nil
}

// RepairEligibilities is the dry run of RepairEligibilityOf for every
// negative record of subject at once (the subject's "my records" page):
// the same facts and the same check, read in two queries. A subject may
// ask about itself only (another subject answers 404), a provider gets the
// records it supplied, centre staff any subject's.
func (s *Service) RepairEligibilities(ctx context.Context, a permission.Actor, subject int64) (map[int64]RepairEligibility, error) {
	const uc = "getRepairEligibility"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return nil, err
	}
	if subject <= 0 {
		return nil, refusal.BadParam("subject_id", "format", refusal.T("应为正整数", "must be a positive integer"))
	}
	if a.Role() == auth.Subject && a.Account.SubjectID != subject {
		return nil, s.guard.Hide(ctx, a, uc, "subject", strconv.FormatInt(subject, 10))
	}
	facts, err := repair.LoadSubject(ctx, s.d.Pool, subject, calendar.DateOf(s.now()))
	if err != nil {
		return nil, faults.Database(err)
	}
	rows, err := s.d.Pool.Query(ctx, `SELECT record_id, application_no FROM repair_applications WHERE subject_id = $1 AND status = 'open'`, subject)
	if err != nil {
		return nil, faults.Database(err)
	}
	open := map[int64]string{}
	var rid int64
	var no string
	if _, err := pgx.ForEachRow(rows, []any{&rid, &no}, func() error { open[rid] = no; return nil }); err != nil {
		return nil, faults.Database(err)
	}
	out := make(map[int64]RepairEligibility, len(facts))
	for _, f := range facts {
		if a.Role() == auth.Provider && f.Record.ProviderID != a.Account.ProviderID {
			continue
		}
		prof, err := s.caseProfile(records.Record{ID: f.Record.ID, ProfileID: f.Profile})
		if err != nil {
			return nil, err
		}
		r, err := repair.Check(f.Facts, prof, s.d.Calendar)
		if err != nil {
			return nil, refusal.Internalf(err, "repair eligibility of record %d", f.Record.ID)
		}
		out[f.Record.ID] = RepairEligibility{RecordID: f.Record.ID, CanApply: r.Eligible && open[f.Record.ID] == "",
			OpenApplication: open[f.Record.ID], Result: r}
	}
	return out, nil
}

// RepairCommitment is the credit commitment (信用承诺书) a subject signs on
// line when it applies to repair a record: the Chinese text is the one
// filed (ZH), EN its reading for the English pages.
type RepairCommitment struct {
	RecordID  int64          `json:"record_id"`
	Title     refusal.Text   `json:"title"`
	Addressee string         `json:"addressee"`
	Lead      refusal.Text   `json:"lead"`
	Points    []refusal.Text `json:"points"`
	Closing   refusal.Text   `json:"closing"`
	Signer    string         `json:"signer"`
}

// commitmentPoints are what the applicant undertakes: the repair
// conditions of the regulations (Nantong art. 34; NDRC 信用修复管理办法:
// corrected, obligations met, true materials, no repeat) and the
// consequence of breaking the commitment.
var commitmentPoints = []refusal.Text{
	refusal.T("已按照处理决定的要求纠正失信行为、履行法定义务，主动消除不良影响；",
		"I have corrected the behaviour and met the legal obligations the decision imposed, and removed its ill effects;"),
	refusal.T("申请信用修复所提交的全部材料真实、准确、完整，不存在虚假记载、误导性陈述或者重大遗漏；",
		"every document of this application is true, accurate and complete, without false statement, misleading account or material omission;"),
	refusal.T("今后严格遵守法律、法规和规章，诚实守信，不再发生同类失信行为；",
		"from now on I will abide by the laws, regulations and rules, act in good faith and not repeat dishonesty of the same kind;"),
	refusal.T("自愿接受信用主管部门、公共信用信息工作机构和社会公众的监督；",
		"I accept the supervision of the credit authority, the public credit information centre and the public;"),
	refusal.T("如违反本承诺或者所提交材料不实，愿意依法承担相应责任，同意撤销信用修复决定，并将违反承诺的情况记入信用记录、依法公开。",
		"if I break this commitment or any document proves untrue, I bear the legal consequences, agree that the repair decision is revoked, and that the breach is entered in my credit record and published as the law provides."),
}

// commitmentOf is the commitment to repair rec, addressed to the centre
// of rec's profile.
func (s *Service) commitmentOf(rec records.Record) (RepairCommitment, error) {
	prof, err := s.caseProfile(rec)
	if err != nil {
		return RepairCommitment{}, err
	}
	what := fmt.Sprintf("%s（%s，%s，%s年%d月%d日）", rec.Title, rec.ProviderName, rec.DecisionNo,
		strconv.Itoa(rec.DecidedOn.Year), int(rec.DecidedOn.Month), rec.DecidedOn.Day)
	whatEN := fmt.Sprintf("%s (%s, %s, %s)", rec.Title, rec.ProviderName, rec.DecisionNo, rec.DecidedOn)
	return RepairCommitment{
		RecordID:  rec.ID,
		Title:     refusal.T("信用承诺书", "Credit commitment"),
		Addressee: prof.Centre.Name,
		Lead: refusal.T(fmt.Sprintf("承诺人%s（证件号码：%s）就失信信息“%s”申请信用修复，现郑重承诺：", rec.SubjectName, rec.SubjectIdent, what),
			fmt.Sprintf("I, %s (identifier %s), apply for credit repair of the negative record “%s”, and solemnly undertake that:", rec.SubjectName, rec.SubjectIdent, whatEN)),
		Points:  commitmentPoints,
		Closing: refusal.T("本承诺书自签署之日起生效。", "This commitment takes effect on the day it is signed."),
		Signer:  rec.SubjectName,
	}, nil
}

// RepairCommitmentOf is the commitment the subject signs to repair record
// id: shown in full before it accepts it on the application form.
func (s *Service) RepairCommitmentOf(ctx context.Context, a permission.Actor, id int64) (RepairCommitment, error) {
	rec, err := s.visibleRecord(ctx, a, "applyForRepair", id)
	if err != nil {
		return RepairCommitment{}, err
	}
	return s.commitmentOf(rec)
}

// signedCommitment renders the commitment accepted on line by a at now as
// the PDF filed with the application (the file the commitment condition
// looks for), saying how it was signed.
func (s *Service) signedCommitment(a permission.Actor, rec records.Record, now time.Time) (Upload, error) {
	c, err := s.commitmentOf(rec)
	if err != nil {
		return Upload{}, err
	}
	now = now.In(calendar.Shanghai)
	doc := documents.Commitment{Title: c.Title.ZH, Addressee: c.Addressee, Lead: c.Lead.ZH, Closing: c.Closing.ZH,
		Signer: c.Signer, Date: calendar.DateOf(now),
		Note: fmt.Sprintf("本承诺书由承诺人于%d年%d月%d日%s通过网上办事（账户 %s）在线阅读全文并确认签署，随信用修复申请提交。",
			now.Year(), int(now.Month()), now.Day(), now.Format("15:04"), a.Account.Username)}
	for _, p := range c.Points {
		doc.Points = append(doc.Points, p.ZH)
	}
	r, err := documents.RenderCommitment(doc)
	if err != nil {
		return Upload{}, refusal.Internalf(err, "render the credit commitment of record %d", rec.ID)
	}
	return Upload{Field: CommitmentField, Name: "信用承诺书.pdf", Data: r.PDF}, nil
}

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/repair"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// "Same kind" by behaviour on the real stack (issue 19.3): a provider
// supplies, through HTTP, two negative records of one subject in different
// dishonesty categories (虚假宣传, then 拖欠工资 within the year); each is
// repairable, and the earlier one is filed and accepted for repair. A third
// record without a category is judged by the provider presumption, which
// the answer states.
func TestTwoCategoriesFromOneProviderBothRepairable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	code := fmt.Sprintf("it-kind-%d", time.Now().UnixNano()%1_000_000_000)
	var providerID int64
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, '南通市市场监督管理局') RETURNING id`, code).Scan(&providerID); err != nil {
		t.Fatal(err)
	}
	user := "p" + code[len(code)-9:]
	if _, err := auth.New(sys.Pool, 4).CreateAccount(ctx, audit.System, auth.NewAccount{Username: user, DisplayName: "市监局信用科",
		Role: auth.Provider, ProviderID: providerID, Password: seed.DemoPassword}); err != nil {
		t.Fatal(err)
	}
	provider := logIn(t, user, seed.DemoPassword)
	today := calendar.DateOf(time.Now())
	supply := func(category, title string, daysAgo int) records.Record {
		t.Helper()
		var rec records.Record
		provider.do(http.StatusCreated, http.MethodPost, "/api/v1/records", records.RecordInput{
			SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
			DishonestyCategory: category, Title: title, DecisionNo: fmt.Sprintf("通市监罚〔IT〕%d号", time.Now().UnixNano()),
			DecidedOn: today.AddDays(-daysAgo).String(),
		}, &rec)
		if rec.DishonestyCategory != category {
			t.Fatalf("record kept category %q, want %q", rec.DishonestyCategory, category)
		}
		return rec
	}
	advertising := supply("虚假宣传", "发布虚假广告", 200)
	wages := supply("拖欠工资", "拖欠员工工资", 100)

	noRepeat := func(el api.RepairEligibility) repair.Condition {
		for _, c := range el.Conditions {
			if c.Code == repair.CondNoRepeat {
				return c
			}
		}
		t.Fatalf("no %s condition in %+v", repair.CondNoRepeat, el)
		return repair.Condition{}
	}
	for _, rec := range []records.Record{advertising, wages} {
		var el api.RepairEligibility
		subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility", rec.ID), nil, &el)
		c := noRepeat(el)
		if !el.Eligible || !el.CanApply || !c.Met || c.Presumed || !strings.Contains(c.ZH, rec.DishonestyCategory) {
			t.Fatalf("record %d (%s): eligible %v, same-kind condition %+v", rec.ID, rec.DishonestyCategory, el.Eligible, c)
		}
	}
	// The earlier record is filed: the workflow's own check agrees.
	r := subject.apply(advertising.ID, true, 1)
	if r.status != http.StatusCreated {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	var filed api.FiledRepair
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.RepairWorkflowID(filed.Case.CaseNo), "", "test over")
	})
	var st workflows.RepairState
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/repairs/"+filed.Case.CaseNo+"/accept", map[string]any{}, &st)
	if !st.Eligibility.Eligible || st.Stage != workflows.StageProviderOpinion {
		t.Fatalf("filed repair: eligible %v, stage %s", st.Eligibility.Eligible, st.Stage)
	}

	// A record without a category: the same provider counts as the same
	// kind, and the answer says it presumed; its date is a year after the
	// later record.
	plain := supply("", "其他违法行为", 150)
	var el api.RepairEligibility
	subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility", plain.ID), nil, &el)
	c := noRepeat(el)
	wantFrom := today.AddDays(-100)
	wantFrom = calendar.NewDate(wantFrom.Year+1, wantFrom.Month, wantFrom.Day).AddDays(1)
	if el.Eligible || c.Met || !c.Presumed || !strings.Contains(c.ZH, "按同一信息提供单位认定同类") || c.From == nil || *c.From != wantFrom {
		t.Fatalf("uncategorised record: eligible %v, condition %+v (want met from %s)", el.Eligible, c, wantFrom)
	}
}

// applyCorrected sends a complete repair application (commitment and one
// piece of evidence) stating the day the behaviour was corrected.
func (c *apiUser) applyCorrected(recordID int64, correctedOn string) response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("record_id", strconv.FormatInt(recordID, 10))
	_ = w.WriteField("statement", "拖欠工资已全部支付，已建立工资支付台账")
	if correctedOn != "" {
		_ = w.WriteField("corrected_on", correctedOn)
	}
	fw, _ := w.CreateFormFile("commitment", "信用承诺书.pdf")
	_, _ = fw.Write(evidencePDF("commitment"))
	fw, _ = w.CreateFormFile("file", "工资支付凭证.pdf")
	_, _ = fw.Write(evidencePDF("wages paid"))
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.send(http.MethodPost, "/api/v1/repairs", w.FormDataContentType(), &buf)
}

// "Same kind" runs from the correction (issue 19.3, Nantong art. 34(二):
// 自纠正之日起1年内未再发生同类失信行为), on the real stack through HTTP: a
// record followed by a same-kind record is not repairable while no
// correction day is stated (the last year counts), nor with one before the
// second record; stated after it, the condition is met, the application is
// filed with the day and the workflow's own check agrees. A day before the
// record's decision or in the future is refused naming corrected_on.
func TestSameKindRunsFromTheCorrectionThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	nano := time.Now().UnixNano()
	var providerID int64
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, '南通市人力资源和社会保障局') RETURNING id`,
		fmt.Sprintf("it-fix-%d", nano%1_000_000_000)).Scan(&providerID); err != nil {
		t.Fatal(err)
	}
	// A category of its own: other tests' records of the demo subject stay out.
	category := fmt.Sprintf("拖欠工资-%d", nano%1_000_000)
	today := calendar.DateOf(time.Now())
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	store := records.NewStore(sys.Pool, prof, calendar.Default())
	supply := func(daysAgo int) records.Record {
		t.Helper()
		rec, err := store.CreateRecord(ctx, audit.System, providerID, records.RecordInput{
			SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
			DishonestyCategory: category, Title: "拖欠员工工资", DecisionNo: fmt.Sprintf("通人社监〔IT〕%d号", time.Now().UnixNano()),
			DecidedOn: today.AddDays(-daysAgo).String(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	first := supply(300)
	supply(200) // the same behaviour again, a hundred days later
	eligibility := func(query string) (api.RepairEligibility, repair.Condition) {
		t.Helper()
		var el api.RepairEligibility
		subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility%s", first.ID, query), nil, &el)
		for _, c := range el.Conditions {
			if c.Code == repair.CondNoRepeat {
				return el, c
			}
		}
		t.Fatalf("no same-kind condition: %+v", el)
		return el, repair.Condition{}
	}
	second1y := today.AddDays(-200)
	metFrom := calendar.NewDate(second1y.Year+1, second1y.Month, second1y.Day).AddDays(1)
	if el, c := eligibility(""); el.Eligible || c.Met || c.From == nil || *c.From != metFrom || !strings.Contains(c.ZH, "近一年内") {
		t.Fatalf("no correction day: eligible %v, %+v (want met from %s)", el.Eligible, c, metFrom)
	}
	before := today.AddDays(-250).String() // corrected, then the same behaviour again
	if el, c := eligibility("?corrected_on=" + before); el.Eligible || c.Met || !strings.Contains(c.ZH, "自纠正之日（"+before+"）起一年内再次发生") {
		t.Fatalf("corrected before the second record: eligible %v, %+v", el.Eligible, c)
	}
	after := today.AddDays(-150).String()
	if el, c := eligibility("?corrected_on=" + after); !el.Eligible || !c.Met || !strings.Contains(c.ZH, "自纠正之日（"+after+"）起一年内无同类（"+category+"）失信行为") {
		t.Fatalf("corrected after the second record: eligible %v, %+v", el.Eligible, c)
	}
	for _, q := range []string{today.AddDays(-301).String(), today.AddDays(1).String(), "2026-13-01"} {
		r := subject.do(http.StatusBadRequest, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility?corrected_on=%s", first.ID, q), nil, nil)
		if p := problemOf(t, r); len(p.Errors) != 1 || p.Errors[0].Field != "corrected_on" {
			t.Fatalf("corrected_on=%s: %s", q, r.body)
		}
	}

	// Applications: without the day refused for the same kind; with a bad
	// day refused naming it; with the day filed.
	r := subject.applyCorrected(first.ID, "")
	if p := problemOf(t, r); r.status != http.StatusUnprocessableEntity || p.Type != "/problems/repair-ineligible" {
		t.Fatalf("without a correction day: %d %s", r.status, r.body)
	}
	r = subject.applyCorrected(first.ID, today.AddDays(1).String())
	if p := problemOf(t, r); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "corrected_on" {
		t.Fatalf("a correction day in the future: %d %s", r.status, r.body)
	}
	r = subject.applyCorrected(first.ID, after)
	if r.status != http.StatusCreated {
		t.Fatalf("with the correction day: %d %s", r.status, r.body)
	}
	var filed api.FiledRepair
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.RepairWorkflowID(filed.Case.CaseNo), "", "test over")
	})
	var stored time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT corrected_on FROM repair_applications WHERE application_no = $1`, filed.Case.CaseNo).Scan(&stored); err != nil ||
		stored.Format(time.DateOnly) != after {
		t.Fatalf("stored correction day %s (%v); want %s", stored, err, after)
	}
	var st workflows.RepairState
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/repairs/"+filed.Case.CaseNo+"/accept", map[string]any{}, &st)
	if !st.Eligibility.Eligible || st.Stage != workflows.StageProviderOpinion {
		t.Fatalf("the workflow's check: eligible %v (%+v), stage %s", st.Eligibility.Eligible, st.Eligibility.Conditions, st.Stage)
	}
}

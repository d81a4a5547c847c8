package integration

// Browser journeys of the staff pages (issue 15): the caseworker's desk,
// the provider's inbox, the supervisor's board, the administration. Each
// journey is one person after another at their own pages, asserting what
// each page shows; every page is checked with axe-core and screenshotted.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// staffPassword is the password of the accounts the staff journeys make
// (the password policy accepts it).
const staffPassword = "Harbour lights 17 over Lingnan"

// staffAccount makes an account of role for one journey (or finds the one
// an earlier run in this stack made), so that its worklist's "assigned to
// me" holds that journey's cases only.
func staffAccount(t *testing.T, username, display string, role auth.Role) {
	t.Helper()
	if _, err := seed.Demo(context.Background(), sys.Pool); err != nil {
		t.Fatal(err)
	}
	admin := logIn(t, "admin", seed.DemoPassword)
	b, err := json.Marshal(auth.NewAccount{Username: username, DisplayName: display, Password: staffPassword, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if r := admin.send(http.MethodPost, "/api/v1/accounts", "application/json", bytes.NewReader(b)); r.status != http.StatusCreated &&
		!(r.status == http.StatusUnprocessableEntity && strings.Contains(string(r.body), `"taken"`)) {
		t.Fatalf("create account %s: %d %s", username, r.status, r.body)
	}
}

// logInTab logs a browser tab in with the console's log-in form.
func logInTab(t *testing.T, username, password string) *tab {
	t.Helper()
	b := newTab(t)
	b.open("/login")
	b.fill("#username", username)
	b.fill("#password", password)
	b.submit("main form button[type=submit]")
	return b
}

// click clicks sel (a radio, a checkbox) without waiting for a page.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// offered reports which of the selectors are on the page.
func (b *tab) offered(sels ...string) map[string]bool {
	b.t.Helper()
	js, _ := json.Marshal(sels)
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]bool](fmt.Sprintf(`%s.map(s => !!document.querySelector(s))`, js)))
	if err != nil {
		b.t.Fatal(err)
	}
	out := map[string]bool{}
	for i, s := range sels {
		out[s] = got[i]
	}
	return out
}

// wantOffered fails unless exactly the steps in want are offered among all.
func (b *tab) wantOffered(all []string, want ...string) {
	b.t.Helper()
	got := b.offered(all...)
	for _, s := range all {
		w := false
		for _, x := range want {
			w = w || x == s
		}
		if got[s] != w {
			b.t.Errorf("page %s: step %s offered = %v, want %v", b.path(), s, got[s], w)
		}
	}
}

// waitCaseStage reloads the staff case page until it shows stage (the
// projection follows the workflow a moment later).
func (b *tab) waitCaseStage(no, stage string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.open("/cases/" + no)
		if strings.Contains(b.text("#stage"), stage) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("case %s page stays at %q, want %q", no, b.text("#stage"), stage)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// waitText reloads path until the text of sel holds want (the workflow
// writes events, letters and signals a moment after the step).
func (b *tab) waitText(path, sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.open(path)
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "").includes(%q)`, sel, want)))
		if err != nil {
			b.t.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("page %s: %s never shows %q", path, sel, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

var objectionSteps = []string{"#do-accept", "#do-request-supplement", "#do-forward-to-provider", "#do-decide-own-error",
	"#do-decide", "#do-pause", "#do-resume", "#do-extend", "#do-provider-reply", "#do-decide-appeal"}

// TestConsoleStaffObjection: a caseworker accepts a subject's objection
// from the desk and forwards it to the provider (a pause taken meanwhile
// by a colleague refuses the forward with the core's refusal; the clock is
// resumed first); the provider finds the case in its inbox and answers with
// a correction and evidence; the caseworker decides; the subject's pages
// show the corrected record and the result letter.
func TestConsoleStaffObjection(t *testing.T) {
	staffAccount(t, "cw-objection", "异议经办人", auth.Caseworker)
	rec := consoleRecord(t, "未按期报送统计报表")
	subject := logIn(t, "subject", seed.DemoPassword)
	var filed struct {
		Case struct {
			CaseNo string `json:"case_no"`
		} `json:"case"`
	}
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
		map[string]any{"record_id": rec.ID, "grounds": []string{"信息记载错误或者遗漏"}, "statement": "统计报表已按期报送，记录事项有误。"}, &filed)
	no := filed.Case.CaseNo

	cw := logInTab(t, "cw-objection", staffPassword)
	if p := cw.path(); p != "/desk" {
		t.Errorf("a caseworker starts at %s, want /desk", p)
	}
	cw.wantText("工作台", "已超期", "即将到期", "期限充裕")
	cw.check("staff-worklist")

	// the case page: stage in words, the record, only acceptance steps
	cw.waitCaseStage(no, "受理审查")
	cw.waitText("/cases/"+no, "#deadlines", "工作机构核查")
	cw.wantText(no, "受理审查", "未按期报送统计报表", "统计报表已按期报送", "南通市市场监督管理局", "工作机构核查", "个工作日", "版本记录")
	cw.wantOffered(objectionSteps, "#do-accept", "#do-request-supplement")
	cw.check("staff-case-acceptance")
	cw.submit("#do-accept")
	cw.wantText("已受理", "工作机构核查")
	cw.wantOffered(objectionSteps, "#do-forward-to-provider", "#do-decide-own-error", "#do-pause", "#do-extend")
	cw.check("staff-case-centre-check")

	// taken: the case is on the caseworker's "assigned to me"
	cw.open("/desk?mine=1")
	cw.wantText(no, "异议经办人", "cw-objection", "工作机构核查")
	if n := strings.Count(cw.text("#worklist tbody"), "YY-"); n != 1 {
		t.Errorf("assigned to me lists %d cases, want 1", n)
	}
	cw.check("staff-worklist-mine")

	// a colleague pauses the clock meanwhile: the forward, sent from the
	// page as it was, is refused with the core's refusal
	cw.open("/cases/" + no)
	colleague := logIn(t, "caseworker", seed.DemoPassword)
	colleague.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+no+"/"+workflows.ObjectionPause,
		map[string]any{"kind": "expert_test", "reason": "委托鉴定报送记录的真实性", "approver": "张主任"}, nil)
	cw.fill("#forward-to-provider-note", "请核实该单位统计报表的报送日期。")
	cw.submit("#do-forward-to-provider")
	if got := cw.text(".error-summary"); !strings.Contains(got, "恢复计时") {
		t.Errorf("forward on a paused case: summary %q, want the core's refusal (resume first)", got)
	}
	cw.wantText("办理期限已中止计时")
	cw.wantOffered(objectionSteps, "#do-resume")
	cw.check("staff-case-refused-paused")
	cw.fill("#resume-reason", "鉴定已完成。")
	cw.submit("#do-resume")
	cw.wantText("已恢复计时")
	cw.fill("#forward-to-provider-note", "请核实该单位统计报表的报送日期。")
	cw.submit("#do-forward-to-provider")
	cw.wantText("已转信息提供单位核实", "信息提供单位核实")

	// the provider's inbox: the verification with its due date
	pv := logInTab(t, "provider", seed.DemoPassword)
	if p := pv.path(); p != "/inbox" {
		t.Errorf("a provider starts at %s, want /inbox", p)
	}
	if got := pv.text("#verifications"); !strings.Contains(got, no) || !chineseDate.MatchString(got) {
		t.Errorf("provider inbox verifications: %q; want %s with its due date", got, no)
	}
	pv.check("staff-provider-inbox")
	pv.submit(fmt.Sprintf("#verifications a[href='/cases/%s']", no))
	pv.wantText("信息提供单位核实", "请核实该单位统计报表的报送日期")
	pv.wantOffered(objectionSteps, "#do-provider-reply")
	// nothing chosen: the core names the finding and the reasons
	pv.submit("#do-provider-reply")
	if got := pv.text(".error-summary"); !strings.Contains(got, "输入有误") {
		t.Errorf("empty reply: summary %q", got)
	}
	pv.check("staff-case-reply-refused")
	pv.click("#provider-reply-finding-0")
	pv.fill("#provider-reply-reasons", "经核实，该单位已于规定期限内报送，原记录事项有误。")
	pv.fill("#provider-reply-correction-title", "逾期报送统计报表（已更正）")
	pv.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#provider-reply-evidence"), evidenceFiles(t)[:1]))
	pv.submit("#do-provider-reply")
	pv.wantText("核实结果已反馈", "作出处理决定", "付款凭证.pdf")

	// the caseworker decides on the provider's finding and correction
	cw.waitCaseStage(no, "作出处理决定")
	cw.wantText("记录有误", "逾期报送统计报表（已更正）")
	cw.wantOffered(objectionSteps, "#do-decide", "#do-pause", "#do-extend")
	cw.check("staff-case-deciding")
	cw.click("#decide-outcome-0")
	cw.fill("#decide-reasons", "经信息提供单位核实，原记录事项有误，予以更正。")
	cw.submit("#do-decide")
	cw.wantText("处理决定已作出", "信用信息异议处理结果告知书")
	cw.waitCaseStage(no, "已答复")
	cw.wantText("逾期报送统计报表（已更正）", "未按期报送统计报表")
	cw.check("staff-case-decided")

	// the subject sees the corrected record and the result letter
	sb := logInTab(t, "subject", seed.DemoPassword)
	sb.open("/my/cases/" + no)
	sb.wantText("逾期报送统计报表（已更正）", "信用信息异议处理结果告知书")
	sb.open("/my/records")
	sb.wantText("逾期报送统计报表（已更正）")

	// the subject appeals; a supervisor finds it among the appeals and
	// decides on the case page
	subject.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+no+"/appeal", map[string]any{"grounds": "更正后的事项仍未写明报送日期。"}, nil)
	sv := logInTab(t, "supervisor", seed.DemoPassword)
	sv.waitText("/appeals", "main", no)
	sv.wantText("更正后的事项仍未写明报送日期。", "予以更正")
	sv.check("staff-appeals")
	sv.submit(fmt.Sprintf("#appeals a[href='/cases/%s']", no))
	sv.wantText("申诉审查", "更正后的事项仍未写明报送日期。")
	sv.wantOffered(objectionSteps, "#do-decide-appeal")
	sv.check("staff-case-appeal")
	sv.click("#decide-appeal-decision-0")
	sv.fill("#decide-appeal-reasons", "原处理决定事实清楚，予以维持。")
	sv.submit("#do-decide-appeal")
	sv.waitCaseStage(no, "已办结")
	sv.wantText("原处理决定事实清楚，予以维持。")
	sv.open("/appeals")
	if strings.Contains(sv.mainText(), no) {
		t.Errorf("appeal of %s still listed after its decision", no)
	}
}

var listingSteps = []string{"#do-service", "#do-hearing", "#do-hearing-record", "#do-answers", "#do-decision",
	"#do-withdrawal", "#do-removal", "#do-basis-revocation"}

// shanghaiAfter is a date and a clock (Asia/Shanghai, whole seconds) for a
// form: a few seconds ago, yet later than after (the form's instant must
// fall after the event it follows and before now). On a fast run the event
// is less than that ago: then it waits until a whole second has passed.
func shanghaiAfter(after time.Time) (string, string) {
	t := time.Now().Add(-5 * time.Second)
	if low := after.Add(time.Second); t.Before(low) {
		time.Sleep(time.Until(low.Add(time.Second)))
		t = low
	}
	t = t.In(calendar.Shanghai)
	return t.Format(time.DateOnly), t.Format("15:04:05")
}

// TestConsoleStaffListing: a listing from the provider's proposal through
// service recorded by the caseworker, the subject's statement, the
// provider's answer point by point from its inbox and the caseworker's
// decision; each page offers only the steps of its stage.
func TestConsoleStaffListing(t *testing.T) {
	staffAccount(t, "cw-listing", "列入经办人", auth.Caseworker)
	ctx := context.Background()
	subject := logIn(t, "subject", seed.DemoPassword)
	prov := logIn(t, "provider", seed.DemoPassword)
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, prov.account.ProviderID, records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.Serious, Disclosure: records.Public,
		Title: "拒不履行行政处罚决定（页面）", Content: "经催告仍拒不履行", DecisionNo: fmt.Sprintf("通市监强〔页〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-130).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		ProposalNo string `json:"proposal_no"`
	}
	prov.do(http.StatusCreated, http.MethodPost, "/api/v1/listings", map[string]any{"subject_id": subject.account.SubjectID,
		"record_ids": []int64{rec.ID}, "reasons": "拒不履行法定义务，情节严重", "legal_basis": []string{"《南通市公共信用信息管理办法》第三十条"},
		"measures": []string{"public_disclosure", "procurement_ban"}, "joint_punishment": true, "period": map[string]any{"length": 3, "unit": "year"}}, &l)
	proposed := time.Now() // the proposal's time is no later than this
	no := l.ProposalNo
	defer func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ListingWorkflowID(no), "", "test over")
	}()

	// the caseworker records the service of the notice
	cw := logInTab(t, "cw-listing", staffPassword)
	cw.waitCaseStage(no, "告知书待送达")
	cw.waitText("/cases/"+no, "#letters", "告知书")
	cw.wantText(no, "拒不履行行政处罚决定（页面）", "拒不履行法定义务，情节严重", "第三十条", "限制参加政府采购")
	cw.wantOffered(listingSteps, "#do-service", "#do-withdrawal", "#do-basis-revocation")
	cw.check("staff-listing-notice")
	// no date: the form says so and nothing is recorded
	cw.click("#service-method-2")
	cw.submit("#do-service")
	if got := cw.text(".error-summary"); !strings.Contains(got, "日期") {
		t.Errorf("service without a date: summary %q", got)
	}
	cw.check("staff-listing-service-refused")
	day, clock := shanghaiAfter(proposed)
	cw.click("#service-method-2")
	cw.fill("#service-served_on", day)
	cw.fill("#service-served_time", clock)
	cw.fill("#service-note", "电子送达，系统回执")
	cw.submit("#do-service")
	if got := cw.text("#stage"); !strings.Contains(got, "陈述申辩期") {
		t.Fatalf("after service the stage is %q; summary %q", got, cw.text("main"))
	}
	cw.wantText("电子送达")
	cw.wantOffered(listingSteps, "#do-withdrawal", "#do-basis-revocation")

	// the subject states one point and waives the rest of the window
	subject.do(http.StatusOK, http.MethodPost, "/api/v1/listings/"+no+"/statements", map[string]any{"points": []string{"处罚已部分履行，请从轻处理"}}, nil)
	subject.do(http.StatusOK, http.MethodPost, "/api/v1/listings/"+no+"/waiver", map[string]any{"reason": "无其他意见"}, nil)

	// the provider finds the proposal in its inbox and answers the point
	pv := logInTab(t, "provider", seed.DemoPassword)
	pv.waitText("/inbox", "#proposals", no)
	pv.submit(fmt.Sprintf("#proposals a[href='/cases/%s']", no))
	pv.wantText("审查陈述申辩意见", "处罚已部分履行，请从轻处理")
	pv.wantOffered(listingSteps, "#do-answers", "#do-withdrawal")
	pv.check("staff-listing-answers")
	pv.click("#answers-answers-0-adopted-1")
	pv.fill("#answers-answers-0-reasons", "部分履行不足以消除失信状态")
	pv.submit("#do-answers")
	pv.wantText("部分履行不足以消除失信状态")

	// the caseworker decides: listed for the period proposed
	cw.waitCaseStage(no, "审查陈述申辩意见")
	cw.wantOffered(listingSteps, "#do-decision", "#do-withdrawal", "#do-basis-revocation")
	cw.check("staff-listing-deciding")
	cw.click("#decision-list-0")
	cw.fill("#decision-reasons", "事实清楚，部分履行不影响认定")
	cw.submit("#do-decision")
	cw.waitCaseStage(no, "已列入名单")
	cw.wantText("列入严重失信主体名单决定书", "部分履行不足以消除失信状态")
	cw.wantOffered(listingSteps, "#do-removal", "#do-basis-revocation")
	cw.check("staff-listing-listed")
}

var repairSteps = []string{"#do-accept", "#do-request-supplement", "#do-provider-opinion", "#do-publish", "#do-verify-objection", "#do-decide"}

// TestConsoleStaffRepair: a repair through acceptance by the caseworker,
// the provider's opinion from its inbox, publicity, and a public objection
// the provider verifies from its inbox. (The decision waits for the end of
// the publicity period, which cannot be waited out here.)
func TestConsoleStaffRepair(t *testing.T) {
	staffAccount(t, "cw-repair", "修复经办人", auth.Caseworker)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, rec, taxProvider := repairFixture(t, ctx, 200)
	subject := logIn(t, "subject", seed.DemoPassword)
	r := subject.apply(rec.ID, true, 1)
	if r.status != http.StatusCreated {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	var filed struct {
		Case struct {
			CaseNo string `json:"case_no"`
		} `json:"case"`
	}
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	no := filed.Case.CaseNo
	defer func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.RepairWorkflowID(no), "", "test over")
	}()

	cw := logInTab(t, "cw-repair", staffPassword)
	cw.waitCaseStage(no, "受理审查")
	cw.waitText("/cases/"+no, "main", "罚款已缴清，已完成整改")
	cw.wantText(no, "欠缴税款行政处罚")
	cw.wantOffered(repairSteps, "#do-accept", "#do-request-supplement")
	cw.check("staff-repair-acceptance")
	cw.submit("#do-accept")
	cw.wantText("信息提供单位出具修复意见")
	cw.wantOffered(repairSteps)

	// the tax bureau's opinion, from its inbox
	pv := logInTab(t, taxProvider.account.Username, seed.DemoPassword)
	pv.waitText("/inbox", "#opinions", no)
	pv.submit(fmt.Sprintf("#opinions a[href='/cases/%s']", no))
	pv.wantOffered(repairSteps, "#do-provider-opinion")
	pv.click("#provider-opinion-agree-0")
	pv.fill("#provider-opinion-reasons", "已缴清税款及罚款")
	pv.submit("#do-provider-opinion")
	pv.wantText("同意")

	// publicity, and a public objection the provider verifies
	cw.waitCaseStage(no, "等待公示")
	cw.wantOffered(repairSteps, "#do-publish")
	cw.submit("#do-publish")
	cw.wantText("公示期")
	form := "/api/v1/public/repair-notices/" + no + "/objections"
	if r := publicPost(t, form, map[string]string{"name": "王五", "contact": "13800000000", "grounds": "该企业近期仍存在欠缴税款的情况，请核实"}); r.status != http.StatusCreated {
		t.Fatalf("public objection: %d %s", r.status, r.body)
	}
	pv.waitText("/inbox", "#public-objections", no)
	pv.check("staff-provider-inbox-objection")
	pv.submit(fmt.Sprintf("#public-objections a[href='/cases/%s']", no))
	pv.wantText("该企业近期仍存在欠缴税款的情况，请核实")
	pv.wantOffered(repairSteps, "#do-verify-objection")
	pv.check("staff-repair-verify")
	pv.click("#verify-objection-objection_id-0")
	pv.click("#verify-objection-upheld-1")
	pv.fill("#verify-objection-reasons", "经核查该企业已无欠缴")
	pv.submit("#do-verify-objection")
	pv.wantText("经核查该企业已无欠缴")
	pv.wantOffered(repairSteps)
}

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

	"github.com/creditcase/creditcase/internal/auth"
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
}

package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// TestConsoleStaffSupervisor: a supervisor sees a red deadline (its start
// backdated, so that it lapsed twenty days ago, and escalated as the
// workflow's timer escalates it) at the top of the board with the counts
// by light and kind; handles its escalation (acknowledges it, a
// reassignment without a caseworker is refused by the core and shown on
// the form, reassigns it, orders a correction); reads the provider report
// (chart, table, CSV) and finds its own actions in the event log.
func TestConsoleStaffSupervisor(t *testing.T) {
	ctx := context.Background()
	staffAccount(t, "cw-escalated", "督办改派经办人", auth.Caseworker)
	rec := consoleRecord(t, "未按规定公示年度报告")
	subject := logIn(t, "subject", seed.DemoPassword)
	var filed struct {
		Case struct {
			CaseNo string `json:"case_no"`
		} `json:"case"`
	}
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
		map[string]any{"record_id": rec.ID, "grounds": []string{"信息记载错误或者遗漏"}, "statement": "年度报告已于规定期限内公示。"}, &filed)
	no := filed.Case.CaseNo
	defer func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
	}()

	// the acceptance deadline, once stored, lapsed twenty days ago
	var rule string
	var seq int
	deadline := time.Now().Add(time.Minute)
	for {
		err := sys.Pool.QueryRow(ctx, `SELECT rule_id, seq FROM case_deadlines WHERE case_no = $1 AND state = 'pending' ORDER BY due_at LIMIT 1`, no).Scan(&rule, &seq)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending deadline for %s: %v", no, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	lapsed := calendar.DateOf(time.Now()).AddDays(-20)
	if _, err := sys.Pool.Exec(ctx, `UPDATE case_deadlines SET due_date = $3, due_at = $4 WHERE case_no = $1 AND rule_id = $2`,
		no, rule, lapsed.Start(), lapsed.End()); err != nil {
		t.Fatal(err)
	}
	if err := (&activities.Cases{Pool: sys.Pool}).Escalate(ctx, activities.Escalation{CaseNo: no, Rule: rule, Seq: seq, Party: activities.PartyCentre, Since: lapsed.End()}); err != nil {
		t.Fatal(err)
	}
	var escID int64
	if err := sys.Pool.QueryRow(ctx, `SELECT id FROM escalations WHERE case_no = $1`, no).Scan(&escID); err != nil {
		t.Fatal(err)
	}
	// a provider's verification of this case, met two days late, for the
	// report
	due := calendar.DateOf(time.Now()).AddDays(-5)
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO case_deadlines (case_no, rule_id, seq, party, starts_at, start_date, n, unit,
			due_date, due_at, calendar_version, explanation, state, settled_at)
		VALUES ($1, 'objection.verify', 99, $2, $3, $4, 5, 'wd', $4, $3, 'test', '核实期限', 'met', $5)`,
		no, fmt.Sprintf("provider:%d", rec.ProviderID), due.End(), due.String(), due.End().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}

	sv := logInTab(t, "supervisor", seed.DemoPassword)

	// the board: the lapsed deadline among the red ones at the top
	sv.open("/board")
	sv.wantText("期限看板", "按案件类型", "异议")
	rows, err := chromedp.Run(sv.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#board tbody tr")].map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, r := range rows {
		if strings.Contains(r, no) {
			at = i
			break
		}
		if !strings.Contains(r, "已超期") {
			t.Errorf("board row %d before %s is not red: %q", i, no, r)
		}
	}
	if at < 0 || !strings.Contains(rows[at], "已超期") {
		t.Fatalf("board: %s not among the red rows at the top: %q", no, rows)
	}
	if n := sv.text("#count-red .n"); n == "0" {
		t.Errorf("board counts %s red deadlines", n)
	}
	sv.check("staff-board")
	sv.open("/board?light=red&kind=objection")
	sv.wantText(no)
	sv.check("staff-board-red")

	// the escalation: acknowledged
	esc := fmt.Sprintf("#esc-%d", escID)
	x := fmt.Sprintf("#x%d", escID)
	sv = logInTab(t, "supervisor", seed.DemoPassword)
	sv.open("/escalations")
	sv.wantText(no, "待处理", "工作机构")
	sv.check("staff-escalations")
	sv.click(esc + " summary")
	sv.fill(x+"-acknowledge-note", "已知悉，督促今日受理。")
	sv.submit(x + "-do-acknowledge")
	sv.wantText(fmt.Sprintf("督办事项 %d 已确认知悉", escID))
	// reassigned: without a caseworker the core refuses, named on the form
	sv.open("/escalations?state=acknowledged")
	sv.wantText(no, "已确认")
	sv.click(esc + " summary")
	sv.submit(x + "-do-reassign")
	if got := sv.text(".error-summary"); !strings.Contains(got, "请指定改派的经办人账号") {
		t.Errorf("reassign without a caseworker: summary %q", got)
	}
	if got := sv.text(x + "-reassign-assign_to-error"); got == "" {
		t.Errorf("the refusal is not next to the caseworker's choice")
	}
	sv.check("staff-escalations-refused")
	sv.do("choose the caseworker", chromedp.SetValue(chromedp.CSS(x+"-reassign-assign_to"), fmt.Sprint(accountID(t, "cw-escalated")), chromedp.NodeVisible))
	sv.fill(x+"-reassign-note", "请于今日受理。")
	sv.submit(x + "-do-reassign")
	sv.wantText(fmt.Sprintf("督办事项 %d 已改派", escID))
	sv.open("/escalations?state=acknowledged")
	sv.wantText(no, "督办改派经办人")
	// the caseworker now handles the case
	cw := logInTab(t, "cw-escalated", staffPassword)
	cw.open("/desk?mine=1")
	cw.wantText(no)
	// a correction ordered: the escalation is resolved
	sv.click(esc + " summary")
	sv.fill(x+"-order-correction-note", "三个工作日内完成受理审查并报告。")
	sv.submit(x + "-do-order-correction")
	sv.wantText("整改要求已送达责任方")
	sv.open("/escalations?state=resolved")
	sv.wantText(no, "已办结")
	if ok := sv.offered(x + "-do-order-correction"); ok[x+"-do-order-correction"] {
		t.Errorf("a resolved escalation still offers an order")
	}

	// the provider report: the late verification, drawn and in the table
	// (a tab of its own: one tab's context lasts three minutes)
	sv = logInTab(t, "supervisor", seed.DemoPassword)
	sv.open("/reports/providers")
	sv.fill("#from", due.AddDays(-1).String())
	sv.fill("#to", due.AddDays(1).String())
	sv.submit("#apply-period")
	sv.wantText("南通市市场监督管理局", "逾期完成", "按期率")
	if ok := sv.offered("#report-chart svg rect.seg-late"); !ok["#report-chart svg rect.seg-late"] {
		t.Errorf("the chart draws no late segment")
	}
	sv.check("staff-report")
	csv, err := chromedp.Run(sv.ctx, chromedp.Evaluate[string](`fetch(document.querySelector("#report-csv").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv, "provider_name") || !strings.Contains(csv, "南通市市场监督管理局,objection.verify") {
		t.Errorf("report CSV:\n%s", csv)
	}
	// a date that is not one: the field says so
	sv.open("/reports/providers?from=2026-13-01")
	if got := sv.text(".error-summary"); !strings.Contains(got, "应为日期") {
		t.Errorf("bad date: summary %q", got)
	}

	// the event log: the supervisor's own log-in among its events
	sv.open(fmt.Sprintf("/logs/events?account_id=%d", accountID(t, "supervisor")))
	sv.wantText("事件日志", "session.created", "信用主管部门")
	sv.check("staff-events")
	sv.open("/logs/events?account_id=abc")
	if got := sv.text(".error-summary"); !strings.Contains(got, "正整数") {
		t.Errorf("bad account number: summary %q", got)
	}
	sv.open("/logs/queries")
	sv.wantText("查询日志")
	sv.check("staff-queries")

	// a caseworker sees the board, not the supervisors' pages
	cw = logInTab(t, "cw-escalated", staffPassword)
	cw.open("/reports/providers")
	cw.wantText("无权")
}

// accountID is the id of the account username.
func accountID(t *testing.T, username string) int64 {
	t.Helper()
	var id int64
	if err := sys.Pool.QueryRow(context.Background(), `SELECT id FROM accounts WHERE username = $1`, username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

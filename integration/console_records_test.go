package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
)

// TestConsoleStaffRecords: a caseworker finds a subject's record shared
// within government (the search without a purpose is refused on the
// purpose field, with one it lists the record), reads it with its
// versions, corrects it (a correction without a reason is refused next to
// the reason; with one a second version shows what changed); the
// supervisors' query log shows the reads with the purpose; an import with
// bad rows stores nothing and names every bad field of every line, the
// corrected file is imported whole.
func TestConsoleStaffRecords(t *testing.T) {
	ctx := context.Background()
	staffAccount(t, "cw-records", "记录经办人", auth.Caseworker)
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	var subjectID int64
	var ident string
	if err := sys.Pool.QueryRow(ctx, `SELECT s.id, s.ident FROM accounts a JOIN subjects s ON s.id = a.subject_id WHERE a.username = 'subject'`).Scan(&subjectID, &ident); err != nil {
		t.Fatal(err)
	}
	title := fmt.Sprintf("未按规定报送社保缴费信息 %d", time.Now().UnixNano()%100000)
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.Actor{Username: "console-test", Role: "caseworker"},
		demo.ProviderIDs["nt-market"], records.RecordInput{SubjectID: subjectID, Category: records.Negative, Severity: records.General,
			Disclosure: "government", Title: title, Content: "责令限期改正", DecisionNo: "通人社监〔2026〕7号",
			DecidedOn: calendar.DateOf(time.Now().AddDate(0, -1, 0)).String()})
	if err != nil {
		t.Fatal(err)
	}

	cw := logInTab(t, "cw-records", staffPassword)
	cw.open("/records")
	cw.check("staff-records-search")
	cw.fill("#q", ident)
	cw.submit("#search")
	if got := cw.text(".error-summary"); !strings.Contains(got, "须说明用途") {
		t.Errorf("search without a purpose: summary %q", got)
	}
	purpose := "核查投诉 2026-118"
	cw.fill("#purpose", purpose)
	cw.submit("#search")
	cw.wantText(title, "政府共享")
	cw.check("staff-records")
	cw.submit(fmt.Sprintf("#records a[href^='/records/%d?']", rec.ID))
	cw.wantText(title, "政府共享", "第 1 版", "版本记录", "通人社监〔2026〕7号")
	cw.check("staff-record")

	// a correction needs its reason
	cw.fill("#correct-correction-title", title+"（已更正）")
	cw.submit("#do-correct")
	if got := cw.text(".error-summary"); !strings.Contains(got, "须说明更正理由") {
		t.Errorf("correction without a reason: summary %q", got)
	}
	if got := cw.text("#correct-reason-error"); !strings.Contains(got, "须说明更正理由") {
		t.Errorf("the reason's own message: %q", got)
	}
	cw.check("staff-record-refused")
	cw.fill("#correct-reason", "提供单位来函更正事项名称。")
	cw.submit("#do-correct")
	cw.wantText("记录已更正", "第 2 版", title+"（已更正）", "提供单位来函更正事项名称。")
	cw.check("staff-record-corrected")

	// the reads are in the query log, with the purpose
	sv := logInTab(t, "supervisor", seed.DemoPassword)
	sv.open(fmt.Sprintf("/logs/queries?record_id=%d", rec.ID))
	sv.wantText(purpose, "cw-records")

	// an import with bad rows: nothing stored, every bad field by line
	dir := t.TempDir()
	bad := filepath.Join(dir, "records-bad.csv")
	header := "subject_ident,category,severity,disclosure,title,content,decision_no,decided_on\n"
	today := calendar.DateOf(time.Now()).AddDays(-3).String()
	if err := os.WriteFile(bad, []byte(header+
		ident+",negative,general,public,逾期未报送年报 A,罚款,通市监〔2026〕801号,2026-02-30\n"+
		ident+",bogus,general,public,逾期未报送年报 B,罚款,通市监〔2026〕802号,"+today+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// (a tab of its own: one tab's context lasts three minutes)
	cw = logInTab(t, "cw-records", staffPassword)
	cw.open("/records/import")
	cw.check("staff-import")
	cw.do("choose the provider", chromedp.SetValue(chromedp.CSS("#provider_id"), fmt.Sprint(demo.ProviderIDs["nt-market"]), chromedp.NodeVisible))
	cw.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{bad}, chromedp.NodeReady))
	cw.submit("#do-import")
	if got := cw.text(".error-summary"); !strings.Contains(got, "导入被拒绝") {
		t.Errorf("import of bad rows: summary %q", got)
	}
	rej := cw.text("#rejected")
	for _, w := range []string{"decided_on", "category"} {
		if !strings.Contains(rej, w) {
			t.Errorf("rejected rows %q do not name %s", rej, w)
		}
	}
	cw.wantText("未导入任何记录")
	cw.check("staff-import-rejected")
	var n int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM records WHERE title LIKE '逾期未报送年报 %'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a rejected import stored %d records (%v)", n, err)
	}
	good := filepath.Join(dir, "records-good.csv")
	if err := os.WriteFile(good, []byte(header+
		ident+",negative,general,public,逾期未报送年报 A,罚款,通市监〔2026〕801号,"+today+"\n"+
		ident+",negative,general,public,逾期未报送年报 B,罚款,通市监〔2026〕802号,"+today+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cw.do("choose the provider", chromedp.SetValue(chromedp.CSS("#provider_id"), fmt.Sprint(demo.ProviderIDs["nt-market"]), chromedp.NodeVisible))
	cw.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{good}, chromedp.NodeReady))
	cw.submit("#do-import")
	cw.wantText("已导入 2 条记录")
	cw.check("staff-import-done")
}

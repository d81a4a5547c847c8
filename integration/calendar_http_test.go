package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// replica starts another API process on the same database and engine, with
// its own rules loaded at its start (as a second host would) and, when now
// is set, its own clock. It stops with the test.
func replica(t *testing.T, now func() time.Time) string {
	t.Helper()
	local, err := rules.LoadLocal(rules.Dirs{})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := rules.Open(context.Background(), sys.Pool, local, zerolog.Nop(), "replica")
	if err != nil {
		t.Fatal(err)
	}
	app := application.New(application.Deps{Pool: sys.Pool, Temporal: sys.Temporal, Logger: zerolog.Nop(), Rules: rl, Now: now})
	srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// at is c calling another replica's base URL.
func (c *apiUser) at(base string) *apiUser {
	return &apiUser{t: c.t, token: c.token, account: c.account, base: base, key: c.key}
}

// centreCheck returns the deadlines of rule objection.centre_check of a case.
func centreCheck(d casework.ObjectionDetail) []casework.Deadline {
	var out []casework.Deadline
	for _, x := range d.Deadlines {
		if x.Rule == "objection.centre_check" {
			out = append(out, x)
		}
	}
	return out
}

// Issue 17, done when: cases opened in late December 2026 carry provisional
// 2027 deadlines; a (test) 2027 schedule imported through the endpoint; every
// one of those cases recomputed to the exact date, old and new kept, the
// subject told; API and board replicas show the new dates without a restart.
func TestCalendarImportRecomputesProvisionalCases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	// Wed 2026-12-30 10:00 Asia/Shanghai: the centre's 3-working-day check
	// runs into 2027, whose schedule is not published.
	dec30 := time.Date(2026, 12, 30, 10, 0, 0, 0, calendar.Shanghai)
	filing := replica(t, func() time.Time { return dec30 })
	other := replica(t, nil)
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	admin := logIn(t, "admin", seed.DemoPassword)

	// Two records of the subject with no open objection.
	rows, err := sys.Pool.Query(ctx, `SELECT r.id FROM records r WHERE r.subject_id = $1
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.record_id = r.id AND c.status = 'open') ORDER BY r.id LIMIT 2`, subject.account.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	var recordIDs []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		recordIDs = append(recordIDs, id)
	}
	if rows.Err() != nil || len(recordIDs) < 2 {
		t.Fatalf("records of the subject without an open objection: %v, %v", recordIDs, rows.Err())
	}
	var cases []string
	for _, id := range recordIDs {
		var filed casework.FiledObjection
		subject.at(filing).do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
			map[string]any{"record_id": id, "grounds": []string{"记录有误"}, "statement": "请核查"}, &filed)
		cases = append(cases, filed.Case.CaseNo)
	}
	t.Cleanup(func() {
		for _, no := range cases {
			subject.send(http.MethodPost, "/api/v1/objections/"+no+"/withdraw", "application/json", strings.NewReader(`{"reason": "test over"}`))
		}
	})

	// Provisional: 12-31, (2027-01-01 元旦, weekend), 01-04, 01-05.
	for _, no := range cases {
		var d casework.ObjectionDetail
		waitFor(t, 30*time.Second, func() bool {
			cw.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+no, nil, &d)
			return len(centreCheck(d)) == 1
		})
		cc := centreCheck(d)[0]
		if cc.DueDate != "2027-01-05" || !cc.Provisional || !strings.Contains(cc.Explanation, calendar.ProvisionalNote) {
			t.Fatalf("%s: centre check %+v; want 2027-01-05, provisional, saying so", no, cc)
		}
	}
	var ready api.Readiness
	call(t, baseURL(), http.MethodGet, "/readyz", nil, &ready)
	if ready.Checks["calendar"] != "warning" || len(ready.Details) == 0 || !strings.Contains(ready.Details[0], "2027") {
		t.Errorf("/readyz before the import: %+v; want the 2027 warning", ready)
	}

	// The (test) 2027 notice: 元旦 01-01..01-04 off, Sat 01-09 a working day.
	notice, err := os.ReadFile("../internal/rules/testdata/calendar/cn/2027.json")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"reason": "国务院办公厅关于2027年部分节假日安排的通知（测试）", "files": []map[string]any{{"name": "2027.json", "content": json.RawMessage(notice)}}}
	var dry struct {
		rules.ImportResult
	}
	admin.do(http.StatusOK, http.MethodPost, "/api/v1/admin/calendar/imports", map[string]any{
		"reason": body["reason"], "files": body["files"], "dry_run": true}, &dry)
	if dry.AffectedCases < len(cases) || len(dry.Changes.Days) == 0 {
		t.Fatalf("dry run: %+v", dry.ImportResult)
	}
	var imported struct {
		rules.ImportResult
		RecomputeWorkflow string `json:"recompute_workflow"`
	}
	admin.do(http.StatusCreated, http.MethodPost, "/api/v1/admin/calendar/imports", body, &imported)
	if imported.Revision == 0 || imported.RecomputeWorkflow == "" {
		t.Fatalf("import: %+v", imported)
	}
	t.Cleanup(func() { restoreEmbedded2027(t, admin) })

	// The run finishes: every signalled case recomputed.
	var prog struct {
		State string `json:"state"`
		Cases int    `json:"cases"`
		Done  int    `json:"done"`
	}
	waitFor(t, 90*time.Second, func() bool {
		admin.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/admin/calendar/recomputes/%d", imported.Revision), nil, &prog)
		return prog.State == "done"
	})
	if prog.Cases < len(cases) || prog.Done != prog.Cases {
		t.Errorf("recompute summary %+v", prog)
	}

	// Every case, on every replica, without a restart: the old provisional
	// deadline kept as superseded, the new one on the published schedule.
	for _, base := range []string{baseURL(), filing, other} {
		for _, no := range cases {
			var d casework.ObjectionDetail
			cw.at(base).do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+no, nil, &d)
			cc := centreCheck(d)
			if len(cc) != 2 {
				t.Fatalf("%s at %s: centre check deadlines %+v; want old and new", no, base, cc)
			}
			old, cur := cc[0], cc[1]
			if old.Seq > cur.Seq {
				old, cur = cur, old
			}
			if old.State != "superseded" || old.DueDate != "2027-01-05" || !old.Provisional {
				t.Errorf("%s: old %+v", no, old)
			}
			if cur.State != "pending" || cur.DueDate != "2027-01-06" || cur.Provisional || cur.CalendarVersion != imported.Versions[""] {
				t.Errorf("%s: new %+v; want 2027-01-06 on calendar %s", no, cur, imported.Versions[""])
			}
			if !strings.Contains(cur.Explanation, "2027-01-01..01-04 元旦 off") {
				t.Errorf("%s: explanation %q", no, cur.Explanation)
			}
		}
		var board casework.BoardPage
		cw.at(base).do(http.StatusOK, http.MethodGet, "/api/v1/board?kind=objection&limit=500", nil, &board)
		seen := 0
		for _, it := range board.Rows {
			for _, no := range cases {
				if it.CaseNo == no && it.Rule == "objection.centre_check" {
					seen++
					if it.DueDate != "2027-01-06" || it.Provisional || it.CalendarVersion != imported.Versions[""] {
						t.Errorf("board at %s: %+v", base, it)
					}
				}
			}
		}
		if seen != len(cases) {
			t.Errorf("board at %s shows %d of the %d cases' centre checks", base, seen, len(cases))
		}
	}

	// The subject was told the corrected date.
	var inbox struct {
		Notifications []supervision.Notification `json:"notifications"`
	}
	subject.do(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil, &inbox)
	for _, no := range cases {
		told := false
		for _, n := range inbox.Notifications {
			if n.CaseNo == no && n.Kind == "deadline.corrected" && strings.Contains(n.Message, "异议核查期限的届满日由2027年1月5日更正为2027年1月6日") {
				told = true
			}
		}
		if !told {
			t.Errorf("%s: the subject was not told 2027年1月5日 → 2027年1月6日 in words: %+v", no, inbox.Notifications)
		}
		// And in writing: one deadline correction notice (期限更正通知书)
		// among the case's letters, numbered from the register, saying the
		// old date, the new one, why and what sets the limit.
		base := "/api/v1/objections/" + no
		text, number := documentText(t, subject, base, documents.KindDeadlineCorrection)
		for _, want := range []string{"期限更正通知书", "异议核查期限（自收到异议申请之日起3个工作日）：原届满日为2027年1月5日（系暂按法定节假日估算），现更正为2027年1月6日24时。",
			"该期限为本中心确定的办理期限。", "《国务院办公厅关于2027年部分节假日安排的通知（测试用）》（测试〔2026〕1号）",
			fmt.Sprintf("（第%d次修订）", imported.Revision), "案件编号：" + no} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the correction notice lacks %q:\n%s", no, want, text)
			}
		}
		if !strings.Contains(number, "期更字〔") {
			t.Errorf("%s: correction notice number %q", no, number)
		}
		var n int
		if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM case_documents WHERE case_ref = $1 AND kind = $2`,
			no, string(documents.KindDeadlineCorrection)).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d correction notices (%v); want 1", no, n, err)
		}
	}
	ready = api.Readiness{}
	call(t, baseURL(), http.MethodGet, "/readyz", nil, &ready)
	if ready.Checks["calendar"] != "ok" || len(ready.Details) > 0 {
		t.Errorf("/readyz after the import: %+v", ready)
	}
	// The same file again changes nothing.
	admin.do(http.StatusConflict, http.MethodPost, "/api/v1/admin/calendar/imports", body, nil)

	// The history of a case through the recompute (ChangeRecomputeCompare),
	// withdrawn so that it ends, for the replay test.
	subject.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+cases[0]+"/withdraw", map[string]any{"reason": "recorded"}, nil)
	waitFor(t, 30*time.Second, func() bool {
		var d casework.ObjectionDetail
		cw.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+cases[0], nil, &d)
		return d.Case.Status != "open"
	})
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ObjectionWorkflowID(cases[0]),
			filepath.Join("..", "workflows", "testdata", "histories", "objection_calendar_recomputed.json"))
	}
}

// restoreEmbedded2027 puts the unpublished 2027 back for the tests after
// this one (a new revision: revisions are never removed).
func restoreEmbedded2027(t *testing.T, admin *apiUser) {
	files, err := calendar.EmbeddedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Key == "cn/2027.json" {
			admin.send(http.MethodPost, "/api/v1/admin/calendar/imports", "application/json", strings.NewReader(fmt.Sprintf(
				`{"reason": "integration test over: the 2027 schedule is not published", "files": [{"name": "embedded 2027", "content": %s}]}`, f.Data)))
		}
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

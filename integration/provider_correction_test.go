package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/internal/wording"
	"github.com/creditcase/creditcase/workflows"
)

// guangxiWithDayOff is the embedded Guangxi overlay (regions/guangxi.json)
// with day as one more regional day off, or the embedded file unchanged
// when day is zero.
func guangxiWithDayOff(t *testing.T, day calendar.Date) json.RawMessage {
	t.Helper()
	files, err := calendar.EmbeddedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.Contains(f.Key, "guangxi") {
			continue
		}
		if day.IsZero() {
			return f.Data
		}
		var overlay map[string]any
		if err := json.Unmarshal(f.Data, &overlay); err != nil {
			t.Fatal(err)
		}
		years, _ := overlay["years"].([]any)
		for _, y := range years {
			ym := y.(map[string]any)
			if int(ym["year"].(float64)) != day.Year {
				continue
			}
			days, _ := ym["days"].([]any)
			ym["days"] = append(days, map[string]any{"date": day.String(), "kind": "off", "name": "测试休息日", "note": "integration test"})
			b, err := json.Marshal(overlay)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		t.Fatalf("the Guangxi overlay has no year %d", day.Year)
	}
	t.Fatal("no embedded Guangxi overlay")
	return nil
}

// importCalendar imports one calendar file through the endpoint, which
// starts its recompute run, and returns the revision. It does not wait for
// the run to finish: in a full test run the open cases of earlier tests
// (their workflows terminated at their end) never report, and the run
// waits for them up to its limit; the test waits for its own case.
func importCalendar(t *testing.T, admin *apiUser, reason, name string, content json.RawMessage) int64 {
	t.Helper()
	var imported struct {
		rules.ImportResult
		RecomputeWorkflow string `json:"recompute_workflow"`
	}
	admin.do(http.StatusCreated, http.MethodPost, "/api/v1/admin/calendar/imports", map[string]any{
		"reason": reason, "files": []map[string]any{{"name": name, "content": content}}}, &imported)
	if imported.Revision == 0 || imported.RecomputeWorkflow == "" {
		t.Fatalf("import: %+v", imported)
	}
	return imported.Revision
}

// providerReply returns the deadlines of objection.provider_reply of a case.
func providerReply(d casework.ObjectionDetail) []casework.Deadline {
	var out []casework.Deadline
	for _, x := range d.Deadlines {
		if x.Rule == "objection.provider_reply" {
			out = append(out, x)
		}
	}
	return out
}

// A calendar update that moves the provider's verification reply gives the
// provider its own deadline correction notice (期限更正通知书), addressed
// to it, numbered in the register, listed on its view of the case and
// downloadable by it, stating what it is asked, the old date and the new
// one and the basis of the limit; the provider's inbox says the letter
// was issued; the subject's letters do not include it. Before, the
// provider had an inbox message and no letter.
//
// The change is a Guangxi day off (a regional overlay) on the reply's due
// date, for a case under the Nanning profile: the other tests' cases run
// under national profiles, whose dates it does not move.
func TestProviderDeadlineCorrectionThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)
	admin := logIn(t, "admin", seed.DemoPassword)

	record := ownRecord(ctx, t, subject, provider.account.ProviderID, "未按规定报送统计资料")
	if _, err := sys.Pool.Exec(ctx, `UPDATE records SET profile_id = 'nanning' WHERE id = $1`, record); err != nil {
		t.Fatal(err)
	}
	no := fileOn(t, subject, "", record)
	base := "/api/v1/objections/" + no
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", nil, nil)
	cw.do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", map[string]string{"note": "请核实"}, nil)
	var d casework.ObjectionDetail
	waitFor(t, 30*time.Second, func() bool {
		cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
		return len(providerReply(d)) == 1
	})
	old := providerReply(d)[0]
	oldDue, err := calendar.ParseDate(old.DueDate)
	if err != nil {
		t.Fatal(err)
	}

	rev := importCalendar(t, admin, "广西壮族自治区人民政府办公厅关于调整休息日的通知（测试）", "guangxi.json", guangxiWithDayOff(t, oldDue))
	t.Cleanup(func() {
		subject.send(http.MethodPost, base+"/withdraw", "application/json", strings.NewReader(`{"reason": "test over"}`))
		importCalendar(t, admin, "integration test over: the embedded Guangxi overlay", "guangxi.json", guangxiWithDayOff(t, calendar.Date{}))
	})

	// The reply's due date moved one working day on.
	waitFor(t, 4*time.Minute, func() bool {
		cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
		return len(providerReply(d)) == 2
	})
	var cur casework.Deadline
	for _, x := range providerReply(d) {
		if x.State == "pending" {
			cur = x
		}
	}
	newDue, err := calendar.ParseDate(cur.DueDate)
	if err != nil || !newDue.After(oldDue) {
		t.Fatalf("provider reply %+v after the import; want a pending one after %s", providerReply(d), oldDue)
	}

	// The provider's letter: on its view of the case, downloadable by it.
	// It is numbered after the recount that moved the date (the same turn
	// of the case), so it may be listed a moment after the new date shows.
	waitFor(t, time.Minute, func() bool {
		var docs struct {
			Documents []documents.Meta `json:"documents"`
		}
		provider.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
		return slices.ContainsFunc(docs.Documents, func(m documents.Meta) bool { return m.Kind == documents.KindProviderDeadlineCorrection })
	})
	text, number := documentText(t, provider, base, documents.KindProviderDeadlineCorrection)
	var providerName string
	if err := sys.Pool.QueryRow(ctx, `SELECT name FROM providers WHERE id = $1`, provider.account.ProviderID).Scan(&providerName); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"期限更正通知书", providerName + "：",
		"信息提供单位核查回复期限（核查异议信息并将核查结果书面回复本中心；自收到核查函之日起5个工作日）：原届满日为" +
			wording.Date(oldDue) + "，现更正为" + wording.Date(newDue) + "24时。",
		"《广西壮族自治区人民政府办公厅关于2026年“壮族三月三”放假的通知》已公布", fmt.Sprintf("（第%d次修订）", rev), "请贵单位在更正后的届满日前办理上述事项。", "案件编号：" + no,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the provider's correction notice lacks %q:\n%s", want, text)
		}
	}
	// Nanning's profile cites no instrument for the reply: the letter says
	// the limit is the centre's own (a profile that cites one prints it:
	// internal/letters' golden letters).
	if !strings.Contains(text, "该期限为本中心确定的办理期限。") && !strings.Contains(text, "期限依据：") {
		t.Errorf("the provider's notice states no basis of the limit:\n%s", text)
	}
	if strings.Contains(text, "2025年“壮族三月三”") {
		t.Errorf("the provider's notice names the notices of years whose dates did not move:\n%s", text)
	}
	if strings.Contains(text, "异议处理期限（") || strings.Contains(text, "收到本函之日") {
		t.Errorf("the provider's notice states the centre's limits or counts from 本函:\n%s", text)
	}
	if !strings.Contains(number, "期更字〔") {
		t.Errorf("provider's correction notice number %q", number)
	}
	var n int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM case_documents WHERE case_ref = $1 AND kind = $2 AND recipient_role = 'provider'`,
		no, string(documents.KindProviderDeadlineCorrection)).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d provider correction notices (%v); want 1", n, err)
	}

	// The subject has its own notice and never sees the provider's.
	var docs struct {
		Documents []documents.Meta `json:"documents"`
	}
	subject.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	var kinds []documents.Kind
	for _, m := range docs.Documents {
		kinds = append(kinds, m.Kind)
	}
	if !slices.Contains(kinds, documents.KindDeadlineCorrection) || slices.Contains(kinds, documents.KindProviderDeadlineCorrection) {
		t.Errorf("the subject's letters %v; want its own correction notice and not the provider's", kinds)
	}

	// The provider's inbox: the moved date and the letter.
	var inbox struct {
		Notifications []supervision.Notification `json:"notifications"`
	}
	provider.do(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil, &inbox)
	var toldDate, toldLetter bool
	for _, m := range inbox.Notifications {
		if m.CaseNo != no {
			continue
		}
		toldDate = toldDate || (m.Kind == "deadline.corrected" && strings.Contains(m.Message, wording.Date(newDue)))
		toldLetter = toldLetter || (m.Kind == "letter" && strings.Contains(m.Message, number))
	}
	if !toldDate || !toldLetter {
		t.Errorf("provider's inbox for %s: date told %v, letter %s told %v: %+v", no, toldDate, number, toldLetter, inbox.Notifications)
	}

	// And on the provider's page of the case in the console, with its number.
	pv := logInTab(t, "provider", seed.DemoPassword)
	pv.open("/cases/" + no)
	pv.wantText("期限更正通知书", number)
	pv.screenshot("provider-case-deadline-correction")

	// The history of the case through the provider's notice
	// (ChangeProviderCorrectionNotice), withdrawn so that it ends, for the
	// replay test.
	subject.do(http.StatusOK, http.MethodPost, base+"/withdraw", map[string]any{"reason": "recorded"}, nil)
	waitFor(t, 30*time.Second, func() bool {
		cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
		return d.Case.Status != "open"
	})
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ObjectionWorkflowID(no),
			filepath.Join("..", "workflows", "testdata", "histories", "objection_provider_correction.json"))
	}
}

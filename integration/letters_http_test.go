package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/wording"
	"github.com/creditcase/creditcase/workflows"
)

// ownRecord creates a negative (general) record of the demo subject from
// provider for this test alone, decided before the seeded records (so it is
// no "repeat" barring their repair in other tests).
func ownRecord(ctx context.Context, t *testing.T, subject *apiUser, provider int64, title string) int64 {
	t.Helper()
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, provider, records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
		Title: title, Content: "罚款人民币1万元", DecisionNo: fmt.Sprintf("通市监罚〔IT〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-130).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// fileOn files the subject's objection on record through the API replica
// at base ("" = the stack's) and returns the case number.
func fileOn(t *testing.T, subject *apiUser, base string, record int64) string {
	t.Helper()
	filer := subject
	if base != "" {
		filer = subject.at(base)
	}
	var filed api.FiledObjection
	filer.do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
		api.FileObjectionRequest{RecordID: record, Grounds: []string{"记载有误"}, Statement: "请核实"}, &filed)
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
	})
	return no
}

// lettersReady waits until every letter of case caseNo numbered so far has
// its PDF (issue 20.2: an action answers once its letter is numbered and
// dated; the PDF is made just after).
func lettersReady(t *testing.T, caseNo string) {
	t.Helper()
	waitFor(t, 2*time.Minute, func() bool {
		var pending int
		err := sys.Pool.QueryRow(context.Background(), `SELECT count(*) FROM case_documents WHERE case_ref = $1 AND pdf IS NULL`, caseNo).Scan(&pending)
		return err == nil && pending == 0
	})
}

// documentText downloads a case's document of kind as HTML and returns its
// text and number.
func documentText(t *testing.T, u *apiUser, base string, kind documents.Kind) (string, string) {
	t.Helper()
	lettersReady(t, path.Base(base))
	var docs struct {
		Documents []documents.Meta `json:"documents"`
	}
	u.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	for _, d := range docs.Documents {
		if d.Kind != kind {
			continue
		}
		r := u.send(http.MethodGet, fmt.Sprintf("%s/documents/%d?format=html", base, d.ID), "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("download %s: %d", kind, r.status)
		}
		text, err := documents.PlainText(r.body)
		if err != nil {
			t.Fatal(err)
		}
		return text, d.Number
	}
	t.Fatalf("no %s among %+v", kind, docs.Documents)
	return "", ""
}

// documentPDFText downloads a case's document of kind as PDF and returns
// the text pdftotext reads from it and its page count.
func documentPDFText(t *testing.T, u *apiUser, base string, kind documents.Kind) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is not installed: run scripts/setup.sh")
	}
	lettersReady(t, path.Base(base))
	var docs struct {
		Documents []documents.Meta `json:"documents"`
	}
	u.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	for _, d := range docs.Documents {
		if d.Kind != kind {
			continue
		}
		r := u.send(http.MethodGet, fmt.Sprintf("%s/documents/%d?format=pdf", base, d.ID), "", nil)
		if r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
			t.Fatalf("download %s as PDF: %d %.40q", kind, r.status, r.body)
		}
		path := filepath.Join(t.TempDir(), string(kind)+".pdf")
		if err := os.WriteFile(path, r.body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out), bytes.Count(out, []byte("\f"))
	}
	t.Fatalf("no %s among %+v", kind, docs.Documents)
	return "", 0
}

// The letters on the real stack: an objection received two working days
// before its acceptance — the acceptance notice states both days (not
// 1年1月1日) and the Nantong limit counted from receipt (art. 32), not
// from acceptance, explained in Chinese, signed by the centre, in HTML and
// in the PDF; the provider is told of the
// verification request in its inbox with the case, what is asked and by
// when; a Nantong objection cannot end deleted; and the letters of two
// cases never share a number.
func TestLettersThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)

	// Received two working days ago at 10:00, accepted now.
	cal, opt := calendar.Default(), calendar.Options{Provisional: true}
	today := calendar.DateOf(time.Now())
	received, err := cal.SubtractWorkingDays(today, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	receivedAt := time.Date(received.Year, received.Month, received.Day, 10, 0, 0, 0, calendar.Shanghai)
	limit, err := cal.Add(received, 10, calendar.WorkingDays, opt)
	if err != nil {
		t.Fatal(err)
	}
	filing := replica(t, func() time.Time { return receivedAt })
	caseNo := fileOn(t, subject, filing, ownRecord(ctx, t, subject, provider.account.ProviderID, "未按规定公示年度报告"))
	base := "/api/v1/objections/" + caseNo
	caseworker.do(http.StatusOK, http.MethodPost, base+"/accept", nil, nil)

	text, number := documentText(t, subject, base, documents.KindAcceptance)
	for _, want := range []string{
		"于" + wording.Date(received) + "提出的信用信息异议申请收悉",
		"本中心于" + wording.Date(today) + "予以受理",
		"本中心将在收到异议申请之日起10个工作日内，即" + wording.Date(limit.Due),
		"（期限计算：自" + wording.Date(received) + "起算10个工作日（不含当日）",
		"截止于" + wording.DateWeekday(limit.Due) + "24时",
		"期限依据：《南通市公共信用信息管理办法》第三十二条第一款",
		"依据：《南通市公共信用信息管理办法》第三十二条第一款、第三款",
		"南通市公共信用信息中心\n" + wording.Date(today) + "\n（印章：南通市公共信用信息中心）",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("acceptance notice lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "1年1月1日") || !strings.HasPrefix(number, fmt.Sprintf("通信异受字〔%d〕第", today.Year)) {
		t.Errorf("acceptance notice %s:\n%s", number, text)
	}
	// The limit the case runs on is the one the letter states.
	var overall time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT due_date FROM case_deadlines WHERE case_no = $1 AND rule_id = 'objection.overall'
		ORDER BY seq DESC LIMIT 1`, caseNo).Scan(&overall); err != nil {
		t.Fatal(err)
	}
	if got := calendar.NewDate(overall.Year(), overall.Month(), overall.Day()); got != limit.Due {
		t.Errorf("objection.overall due %s, want %s (10 working days from receipt on %s)", got, limit.Due, received)
	}
	// The PDF says the same: number, dates, centre; its text is the letter's.
	pdf, pages := documentPDFText(t, subject, base, documents.KindAcceptance)
	flat := strings.Join(strings.Fields(pdf), "")
	for _, want := range []string{number, "异议申请受理通知书", "本中心于" + wording.Date(today) + "予以受理",
		"即" + wording.Date(limit.Due), "南通市公共信用信息中心", "第三十二条第一款"} {
		if !strings.Contains(flat, want) {
			t.Errorf("acceptance notice PDF (%d pages) lacks %q:\n%s", pages, want, pdf)
		}
	}
	if pages < 1 || strings.Contains(flat, "1年1月1日") {
		t.Errorf("acceptance notice PDF: %d pages:\n%s", pages, pdf)
	}

	// The provider is told in its inbox: the case, what is asked, by when.
	caseworker.do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", map[string]string{"note": "请核实"}, nil)
	var due time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT due_date FROM case_deadlines WHERE case_no = $1 AND rule_id = 'objection.provider_reply'`, caseNo).Scan(&due); err != nil {
		t.Fatalf("no provider deadline: %v", err)
	}
	replyDue := calendar.NewDate(due.Year(), due.Month(), due.Day())
	var inbox struct {
		Notifications []struct {
			CaseNo  string `json:"case_no"`
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"notifications"`
	}
	found := ""
	deadline := time.Now().Add(30 * time.Second)
	for found == "" && time.Now().Before(deadline) {
		provider.do(http.StatusOK, http.MethodGet, "/api/v1/inbox?limit=100", nil, &inbox)
		for _, n := range inbox.Notifications {
			if n.CaseNo == caseNo && n.Kind == "letter" {
				found = n.Message
			}
		}
		if found == "" {
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, want := range []string{"异议处理案件" + caseNo, "《信用信息异议核查函》", "请于" + wording.DueAt(replyDue, wording.ZH) + "前核查异议信息并将核查结果书面回复本中心", "期限计算："} {
		if !strings.Contains(found, want) {
			t.Errorf("provider's notice %q lacks %q", found, want)
		}
	}
	if strings.Contains(found, "objection.") {
		t.Errorf("the notice names a rule id: %s", found)
	}

	// Nantong keeps a record it cannot verify: deleted is refused (422).
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-reply", map[string]any{"finding": "unverifiable", "reasons": "无法核实"}, nil)
	bad := caseworker.send(http.MethodPost, base+"/decide", "application/json", strings.NewReader(`{"outcome": "deleted", "reasons": "无法核实"}`))
	if p := problemOf(t, bad); bad.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "outcome" {
		t.Fatalf("deleted under nantong: %d %s", bad.status, bad.body)
	}
	caseworker.do(http.StatusOK, http.MethodPost, base+"/decide", map[string]string{"outcome": "upheld", "reasons": "维持原信息"}, nil)
	result, _ := documentText(t, subject, base, documents.KindObjectionResult)
	for _, want := range []string{"依据：《南通市公共信用信息管理办法》第三十二条第四款。",
		"依照《南通市公共信用信息管理办法》第三十三条的规定，", "对上述处理结果不服的，可以向南通市发展和改革委员会提出申诉，请于收到本告知书之日起60日内提出"} {
		if !strings.Contains(result, want) {
			t.Errorf("result lacks %q:\n%s", want, result)
		}
	}

	// A second case: its letters are numbered after the first's, never
	// with the same number.
	second := fileOn(t, subject, "", ownRecord(ctx, t, subject, provider.account.ProviderID, "未按规定办理变更登记"))
	caseworker.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+second+"/accept", nil, nil)
	_, number2 := documentText(t, subject, "/api/v1/objections/"+second, documents.KindAcceptance)
	if number2 == number {
		t.Fatalf("two cases share the number %s", number)
	}
	var dups int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT number FROM case_documents
		WHERE case_ref IN ($1, $2) GROUP BY number HAVING count(*) > 1) d`, caseNo, second).Scan(&dups); err != nil || dups != 0 {
		t.Fatalf("%d numbers shared between %s and %s (%v)", dups, caseNo, second, err)
	}
	var registered int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM document_numbers WHERE case_ref IN ($1, $2)`, caseNo, second).Scan(&registered); err != nil || registered < 4 {
		t.Fatalf("%d numbers registered for the two cases (%v)", registered, err)
	}
}

// Issue 20.2: a caseworker's action answers once its letter is numbered
// and dated; the PDF is made after. While it is being made the letter is
// listed "preparing" with its number (the console shows 正在生成) and a
// download answers 409 letter-being-prepared with Retry-After; a retry of
// the action gives no second number and no second letter; once made the
// letter is "ready" under the same number and downloads as a PDF. (The
// rendering is held here by a test-only trigger on this case's row that
// waits for an advisory lock the test holds.)
func TestLetterBeingPreparedThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)
	caseNo := fileOn(t, subject, "", ownRecord(ctx, t, subject, provider.account.ProviderID, "未按规定报送统计资料"))
	base := "/api/v1/objections/" + caseNo

	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS it_held_letters (case_ref text PRIMARY KEY)`,
		`CREATE OR REPLACE FUNCTION it_hold_letter() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF EXISTS (SELECT 1 FROM it_held_letters WHERE case_ref = NEW.case_ref) THEN
				PERFORM pg_advisory_xact_lock(hashtext(NEW.case_ref));
			END IF;
			RETURN NEW;
		END $$`,
		`DROP TRIGGER IF EXISTS it_hold_letter ON case_documents`,
		`CREATE TRIGGER it_hold_letter BEFORE UPDATE ON case_documents FOR EACH ROW EXECUTE FUNCTION it_hold_letter()`,
	} {
		if _, err := sys.Pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		_, _ = sys.Pool.Exec(context.Background(), `DROP TRIGGER IF EXISTS it_hold_letter ON case_documents`)
	})
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO it_held_letters VALUES ($1)`, caseNo); err != nil {
		t.Fatal(err)
	}
	hold, err := sys.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, caseNo); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			_, _ = hold.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, caseNo)
			hold.Release()
		}
	}
	defer release()

	key := fmt.Sprintf("it-prepared-%d", time.Now().UnixNano())
	first := caseworker.keyed(baseURL(), key, http.MethodPost, base+"/accept", map[string]any{})
	if first.status != http.StatusOK {
		t.Fatalf("accept: %d %s", first.status, first.body)
	}
	var docs struct {
		Documents []documents.Meta `json:"documents"`
	}
	subject.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	if len(docs.Documents) != 1 || docs.Documents[0].Kind != documents.KindAcceptance || docs.Documents[0].Status != documents.StatusPreparing ||
		docs.Documents[0].SHA256 != "" || !strings.Contains(docs.Documents[0].Number, "异受字") {
		t.Fatalf("letters while the PDF is made: %+v; want the acceptance notice, numbered, preparing", docs.Documents)
	}
	prepared := docs.Documents[0]
	r := subject.send(http.MethodGet, fmt.Sprintf("%s/documents/%d", base, prepared.ID), "", nil)
	if p := problemOf(t, r); r.status != http.StatusConflict || p.Type != "/problems/letter-being-prepared" ||
		r.header.Get("Retry-After") == "" || !strings.Contains(p.Detail, prepared.Number) {
		t.Fatalf("download while being prepared: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
	}
	// The client repeats the action (its answer lost): the same answer, no
	// second letter.
	again := caseworker.keyed(baseURL(), key, http.MethodPost, base+"/accept", map[string]any{})
	if again.status != http.StatusOK || !bytes.Equal(again.body, first.body) {
		t.Fatalf("repeated accept: %d %s; want the first answer %s", again.status, again.body, first.body)
	}
	var told int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE case_no = $1 AND message LIKE '%' || $2 || '%'`, caseNo, prepared.Number).Scan(&told); err != nil || told != 0 {
		t.Fatalf("the subject was told of letter %s before it was made (%d, %v)", prepared.Number, told, err)
	}

	release()
	lettersReady(t, caseNo)
	subject.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	if len(docs.Documents) != 1 || docs.Documents[0].ID != prepared.ID || docs.Documents[0].Number != prepared.Number ||
		docs.Documents[0].Status != documents.StatusReady || len(docs.Documents[0].SHA256) != 64 {
		t.Fatalf("letters once made: %+v; want the same letter, ready", docs.Documents)
	}
	if r := subject.send(http.MethodGet, fmt.Sprintf("%s/documents/%d", base, prepared.ID), "", nil); r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
		t.Fatalf("download once made: %d %.60q", r.status, r.body)
	}
	var numbers int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM document_numbers WHERE case_ref = $1`, caseNo).Scan(&numbers); err != nil || numbers != 1 {
		t.Fatalf("numbers drawn for %s: %d (%v); want one", caseNo, numbers, err)
	}
	// The subject's inbox tells of the letter once it is made.
	waitFor(t, time.Minute, func() bool {
		var n int
		err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE case_no = $1 AND message LIKE '%' || $2 || '%'`, caseNo, prepared.Number).Scan(&n)
		return err == nil && n == 1
	})
}

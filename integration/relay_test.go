package integration

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/downstream"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// relayProvider makes a provider of the test's own and a negative record
// of the demo subject from it, so that a subscriber limited to that
// provider sees this test's events only.
func relayProvider(t *testing.T, ctx context.Context, subjectID int64) (code string, providerID int64, rec records.Record) {
	t.Helper()
	code = fmt.Sprintf("it-relay-%d", time.Now().UnixNano()%1_000_000_000)
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, '南通市人力资源和社会保障局') RETURNING id`, code).Scan(&providerID); err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err = records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, providerID, records.RecordInput{
		SubjectID: subjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
		Title: "拖欠农民工工资", Content: "拖欠工资 12 万元", DecisionNo: fmt.Sprintf("通人社监〔IT〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-30).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return code, providerID, rec
}

// correctOwnError files an objection on the record and has the centre
// correct its own error at once: a new version of the record.
func correctOwnError(t *testing.T, subject, caseworker *apiUser, recordID int64, content string) string {
	t.Helper()
	var filed api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: recordID, Grounds: []string{"金额记载错误"}, Statement: "拖欠金额记载有误"}, &filed)
	base := "/api/v1/objections/" + filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(filed.Case.CaseNo), "", "test over")
	})
	var st workflows.ObjectionState
	caseworker.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	caseworker.do(http.StatusOK, http.MethodPost, base+"/decide-own-error", workflows.OwnErrorInput{
		Reason: "本机构录入错误", Correction: map[string]any{"content": content}}, &st)
	if st.Outcome != workflows.OutcomeCorrected {
		t.Fatalf("own error: %s/%s", st.Stage, st.Outcome)
	}
	return filed.Case.CaseNo
}

// Results delivered downstream on the real stack (issue 19.1): a subscriber
// whose HTTPS endpoint refuses the first two attempts of every event gets
// each event of two corrections exactly once, signed, in the order of the
// record's versions, although the worker is restarted while deliveries
// are still failing and events are written meanwhile.
func TestResultsDeliveredDownstreamAcrossAWorkerRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	code, _, rec := relayProvider(t, ctx, subject.account.SubjectID)

	recv := testenv.NewReceiver(t, 2)
	sub := recv.Subscriber("it-"+code[len(code)-9:], 8)
	sub.Providers = []string{code}
	cfg := relay.Config{Subscribers: []relay.Subscriber{sub}, Initial: 400 * time.Millisecond, MaxBackoff: 800 * time.Millisecond}
	// The worker is redeployed with the subscriber configured.
	if err := sys.RestartWorker(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.RestartWorker(context.Background(), relay.Config{}); err != nil {
			t.Errorf("restart without subscribers: %v", err)
		}
	})

	first := correctOwnError(t, subject, caseworker, rec.ID, "拖欠工资 2 万元")
	// Restart while the receiver still refuses: the first attempts fail.
	if err := sys.RestartWorker(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	second := correctOwnError(t, subject, caseworker, rec.ID, "拖欠工资 2 万元，已于 2026 年 1 月支付")

	recv.Wait(t, 4, 90*time.Second)
	time.Sleep(time.Second) // nothing more may come
	got := recv.Accepted()
	var seq []string
	for _, e := range got {
		v := 0
		if e.RecordVersion != nil {
			v = *e.RecordVersion
		}
		seq = append(seq, fmt.Sprintf("%s v%d %s", e.Type, v, e.CaseNo))
		if e.RecordID == nil || *e.RecordID != rec.ID || e.Stream != relay.RecordStream(rec.ID) {
			t.Errorf("event about another record: %+v", e)
		}
	}
	want := []string{
		"record.corrected v2 " + first, "objection.closed v2 " + first,
		"record.corrected v3 " + second, "objection.closed v3 " + second,
	}
	if strings.Join(seq, "; ") != strings.Join(want, "; ") {
		t.Fatalf("receiver accepted\n  %s\nwant exactly once each, in this order\n  %s", strings.Join(seq, "\n  "), strings.Join(want, "\n  "))
	}
	if n := recv.BadSignatures(); n != 0 {
		t.Errorf("%d deliveries with a bad signature", n)
	}
	// Each event took three attempts (two refused), all kept; none is dead.
	var attempts, refused, dead int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE a.status = 503),
			(SELECT count(*) FROM event_deliveries WHERE subscriber_id = $1 AND state <> 'delivered')
		FROM event_delivery_attempts a WHERE a.subscriber_id = $1`, sub.ID).Scan(&attempts, &refused, &dead); err != nil {
		t.Fatal(err)
	}
	if attempts != 12 || refused != 8 || dead != 0 {
		t.Errorf("attempts %d, refused %d, not delivered %d; want 12, 8, 0", attempts, refused, dead)
	}
	// The corrected record travels with its event.
	if c := string(got[2].Data); !strings.Contains(c, "已于 2026 年 1 月支付") || !strings.Contains(c, code) {
		t.Errorf("corrected record not in the event: %s", c)
	}
}

// A dead letter on the real stack, through HTTP (issue 19.1): a subscriber
// whose endpoint refuses every attempt gets the first event of a correction
// dead after its limit; it shows on the supervisors' board and on the case,
// the event behind it waits; the receiver is mended and a supervisor
// re-sends (a caseworker may not; a second re-send is 409): both arrive, in
// order. The provider's system reads the same events from the pull feed,
// and only its own.
func TestDeadLetterOnBoardAndCaseResentBySupervisor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)
	code, providerID, rec := relayProvider(t, ctx, subject.account.SubjectID)
	user := "f" + code[len(code)-9:]
	if _, err := auth.New(sys.Pool, 4).CreateAccount(ctx, audit.System, auth.NewAccount{Username: user, DisplayName: "人社局系统",
		Role: auth.Provider, ProviderID: providerID, Password: seed.DemoPassword}); err != nil {
		t.Fatal(err)
	}
	provider := logIn(t, user, seed.DemoPassword)

	recv := testenv.NewReceiver(t, 1000)
	sub := recv.Subscriber("dl-"+code[len(code)-9:], 2)
	sub.Providers = []string{code}
	cfg := relay.Config{Subscribers: []relay.Subscriber{sub}, Initial: 200 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	if err := sys.RestartWorker(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sys.RestartWorker(context.Background(), relay.Config{}); err != nil {
			t.Errorf("restart without subscribers: %v", err)
		}
	})
	caseNo := correctOwnError(t, subject, caseworker, rec.ID, "拖欠工资 3 万元")

	var page downstream.DeliveryPage
	for i := 0; ; i++ {
		caseworker.do(http.StatusOK, http.MethodGet, "/api/v1/deliveries?case_no="+caseNo, nil, &page)
		if len(page.Deliveries) == 2 && page.Deliveries[0].State == relay.StateDead {
			break
		}
		if i == 300 {
			t.Fatalf("no dead letter on the case: %+v", page.Deliveries)
		}
		time.Sleep(100 * time.Millisecond)
	}
	dead, behind := page.Deliveries[0], page.Deliveries[1]
	if dead.Event != relay.RecordCorrected || dead.Attempts != 2 || dead.LastStatus == nil || *dead.LastStatus != 503 ||
		behind.Event != relay.ObjectionClosed || behind.State != relay.StatePending || behind.Attempts != 0 {
		t.Fatalf("on the case: dead %+v, behind %+v", dead, behind)
	}
	var board struct {
		DeadDeliveries int `json:"dead_deliveries"`
	}
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/board", nil, &board)
	var deadList downstream.DeliveryPage
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/deliveries?state=dead", nil, &deadList)
	if board.DeadDeliveries < 1 || deadList.Dead != board.DeadDeliveries ||
		!slices.ContainsFunc(deadList.Deliveries, func(d relay.Delivery) bool { return d.EventID == dead.EventID && d.CaseNo == caseNo }) {
		t.Fatalf("board: %d dead; dead list %+v", board.DeadDeliveries, deadList)
	}

	path := fmt.Sprintf("/api/v1/deliveries/%s/%d/resend", sub.ID, dead.EventID)
	caseworker.do(http.StatusForbidden, http.MethodPost, path, map[string]string{"reason": "x"}, nil)
	recv.SetFailFirst(0)
	var resent relay.Delivery
	supervisor.do(http.StatusOK, http.MethodPost, path, map[string]string{"reason": "接收方已修复"}, &resent)
	if resent.State != relay.StatePending || resent.ResentBy != "supervisor" {
		t.Fatalf("after re-send: %+v", resent)
	}
	got := recv.Wait(t, 2, 60*time.Second)
	if got[0].Type != relay.RecordCorrected || got[1].Type != relay.ObjectionClosed || got[0].CaseNo != caseNo {
		t.Fatalf("after re-send the receiver got %s then %s", got[0].Type, got[1].Type)
	}
	if p := problemOf(t, supervisor.do(http.StatusConflict, http.MethodPost, path, nil, nil)); !strings.HasSuffix(p.Type, "/conflict") {
		t.Errorf("second re-send: %s", p.Type)
	}

	// The pull feed: the provider's system sees its own events, page by page.
	var feed relay.FeedPage
	var keys []string
	cursor := ""
	for range 50 {
		provider.do(http.StatusOK, http.MethodGet, "/api/v1/feed?limit=1&after="+cursor, nil, &feed)
		for _, e := range feed.Events {
			if e.RecordID == nil || *e.RecordID != rec.ID {
				t.Fatalf("a provider read another provider's event: %+v", e)
			}
			keys = append(keys, e.IdempotencyKey)
		}
		cursor = feed.NextCursor
		if !feed.More {
			break
		}
	}
	if len(keys) != 2 || keys[0] != got[0].IdempotencyKey || keys[1] != got[1].IdempotencyKey {
		t.Fatalf("feed %v, want the two events in order", keys)
	}
	subject.do(http.StatusForbidden, http.MethodGet, "/api/v1/feed", nil, nil)
	if p := problemOf(t, caseworker.do(http.StatusBadRequest, http.MethodGet, "/api/v1/feed?after=nonsense", nil, nil)); len(p.Errors) != 1 || p.Errors[0].Field != "after" {
		t.Errorf("bad cursor: %+v", p)
	}
}

package relay_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/notify"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/testenv"
)

var uniq atomic.Int64

// fixture: a provider of its own with records, so that subscribers limited
// to it see only this test's events.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	provider int64
	code     string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, ctx: context.Background()}
	n := uniq.Add(1)
	f.code = fmt.Sprintf("relay-test-%d-%d", time.Now().UnixNano()%1e6, n)
	if err := testPool.QueryRow(f.ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id`, f.code, "测试局"+f.code).Scan(&f.provider); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) record() int64 {
	f.t.Helper()
	n := uniq.Add(1)
	var subject, id int64
	ident := fmt.Sprintf("91320600%010d", time.Now().UnixNano()%1e10+n)
	if err := testPool.QueryRow(f.ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('organisation', $1, '测试公司') RETURNING id`, ident).Scan(&subject); err != nil {
		f.t.Fatal(err)
	}
	if err := testPool.QueryRow(f.ctx, `INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, decision_no, decided_on)
		VALUES ($1, $2, 'negative', 'general', 'public', '虚假宣传', $3, '2026-01-05') RETURNING id`, subject, f.provider, fmt.Sprintf("罚字〔2026〕%d号", n)).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// event writes an event about record id at version v.
func (f *fixture) event(typ string, id int64, v int) string {
	f.t.Helper()
	key := fmt.Sprintf("test/%s/%d/v%d", typ, id, v)
	err := pgx.BeginFunc(f.ctx, testPool, func(tx pgx.Tx) error {
		return relay.Enqueue(f.ctx, tx, relay.Event{Type: typ, DedupKey: key, Stream: relay.RecordStream(id), RecordID: id,
			RecordVersion: v, CaseNo: "TEST-1", ProviderID: f.provider, Data: map[string]any{"version": v}})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return key
}

// config makes the subscribers (limited to the fixture's provider) and
// writes them, as a worker does at start: events written from then on
// reach them.
func (f *fixture) config(subs ...relay.Subscriber) relay.Config {
	f.t.Helper()
	for i := range subs {
		subs[i].Providers = []string{f.code}
	}
	cfg := relay.Config{Subscribers: subs, Initial: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond}
	if err := relay.Sync(f.ctx, testPool, cfg); err != nil {
		f.t.Fatal(err)
	}
	return cfg
}

func (f *fixture) start(cfg relay.Config, smtpCfg *notify.SMTPConfig) func() {
	f.t.Helper()
	stop, err := relay.Start(f.ctx, testPool, cfg, smtpCfg, zerolog.New(io.Discard))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(stop)
	return stop
}

// states returns the state of each delivery of subscriber by idempotency key.
func (f *fixture) states(subscriber string) map[string]string {
	rows, err := testPool.Query(f.ctx, `SELECT o.dedup_key, d.state FROM event_deliveries d JOIN record_outbox o ON o.id = d.event_id
		WHERE d.subscriber_id = $1`, subscriber)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var k, s string
		if err := rows.Scan(&k, &s); err != nil {
			f.t.Fatal(err)
		}
		out[k] = s
	}
	return out
}

func (f *fixture) waitStates(subscriber string, want map[string]string, timeout time.Duration) {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := f.states(subscriber)
		ok := true
		for k, s := range want {
			ok = ok && got[k] == s
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("deliveries of %s after %s: %v, want %v", subscriber, timeout, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accepted checks that each key was accepted exactly once and that the
// accepted versions of each stream rise.
func checkOnceInOrder(t *testing.T, got []relay.Envelope, keys []string) {
	t.Helper()
	count := map[string]int{}
	last := map[string]int{}
	for _, e := range got {
		count[e.IdempotencyKey]++
		if e.RecordVersion == nil {
			continue
		}
		if v := *e.RecordVersion; v <= last[e.Stream] {
			t.Errorf("stream %s: version %d accepted after version %d", e.Stream, v, last[e.Stream])
		} else {
			last[e.Stream] = v
		}
	}
	for _, k := range keys {
		if count[k] != 1 {
			t.Errorf("event %s accepted %d times, want exactly once", k, count[k])
		}
	}
	if len(got) != len(keys) {
		t.Errorf("receiver accepted %d events, want %d", len(got), len(keys))
	}
}

func TestDeliveredOnceInOrderDespiteFailures(t *testing.T) {
	f := newFixture(t)
	recv := testenv.NewReceiver(t, 2)
	sub := "order-" + f.code[len(f.code)-6:]
	cfg := f.config(recv.Subscriber(sub, 5))
	r1, r2 := f.record(), f.record()
	keys := []string{
		f.event(relay.RecordCorrected, r1, 2), f.event(relay.RecordCorrected, r1, 3),
		f.event(relay.RecordCorrected, r2, 2), f.event(relay.RecordRepaired, r1, 4),
	}
	f.start(cfg, nil)
	want := map[string]string{}
	for _, k := range keys {
		want[k] = relay.StateDelivered
	}
	f.waitStates(sub, want, 20*time.Second)
	checkOnceInOrder(t, recv.Accepted(), keys)
	if n := recv.BadSignatures(); n > 0 {
		t.Errorf("%d requests with a bad signature", n)
	}
	// Every attempt is kept: two failures (503) and the success per event.
	var attempts, failed int
	if err := testPool.QueryRow(f.ctx, `SELECT count(*), count(*) FILTER (WHERE status = 503) FROM event_delivery_attempts WHERE subscriber_id = $1`, sub).
		Scan(&attempts, &failed); err != nil {
		t.Fatal(err)
	}
	if attempts != 12 || failed != 8 {
		t.Errorf("attempts %d (503: %d), want 12 (8)", attempts, failed)
	}
	// The outbox row counts as delivered once every subscriber has it.
	var undelivered int
	if err := testPool.QueryRow(f.ctx, `SELECT count(*) FROM record_outbox WHERE dedup_key = ANY($1) AND delivered_at IS NULL`, keys).Scan(&undelivered); err != nil {
		t.Fatal(err)
	}
	if undelivered != 0 {
		t.Errorf("%d outbox rows without delivered_at", undelivered)
	}
}

func TestRestartLosesNothing(t *testing.T) {
	f := newFixture(t)
	recv := testenv.NewReceiver(t, 1)
	sub := "restart-" + f.code[len(f.code)-6:]
	cfg := f.config(recv.Subscriber(sub, 10))
	cfg.Initial, cfg.MaxBackoff = 150*time.Millisecond, 150*time.Millisecond
	rec := f.record()
	var keys []string
	for v := 2; v <= 6; v++ {
		keys = append(keys, f.event(relay.RecordCorrected, rec, v))
	}
	stop := f.start(cfg, nil)
	deadline := time.Now().Add(10 * time.Second)
	for len(recv.Accepted()) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("nothing delivered before the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop() // the worker goes away with deliveries pending
	before := len(recv.Accepted())
	if before >= len(keys) {
		t.Fatalf("all %d delivered before the restart; the test needs some pending", before)
	}
	// Events written while no worker runs wait in the outbox.
	keys = append(keys, f.event(relay.RecordCorrected, rec, 7), f.event(relay.RecordRepaired, rec, 8))
	time.Sleep(300 * time.Millisecond)
	if n := len(recv.Accepted()); n != before {
		t.Fatalf("%d deliveries while stopped", n-before)
	}
	f.start(cfg, nil)
	want := map[string]string{}
	for _, k := range keys {
		want[k] = relay.StateDelivered
	}
	f.waitStates(sub, want, 20*time.Second)
	checkOnceInOrder(t, recv.Accepted(), keys)
}

func TestDeadLetterHoldsItsStreamUntilResent(t *testing.T) {
	f := newFixture(t)
	recv := testenv.NewReceiver(t, 0)
	sub := "dead-" + f.code[len(f.code)-6:]
	cfg := f.config(recv.Subscriber(sub, 3))
	r1, r2 := f.record(), f.record()
	k1 := f.event(relay.RecordCorrected, r1, 2)
	k2 := f.event(relay.RecordCorrected, r1, 3)
	k3 := f.event(relay.RecordCorrected, r2, 2)
	recv.FailAlways(k1, true)
	f.start(cfg, nil)
	f.waitStates(sub, map[string]string{k1: relay.StateDead, k3: relay.StateDelivered}, 20*time.Second)
	// The later version of r1 waits behind the dead one: never sent.
	time.Sleep(200 * time.Millisecond)
	if s := f.states(sub)[k2]; s != relay.StatePending {
		t.Fatalf("event behind a dead one: %s, want pending", s)
	}
	for _, e := range recv.Accepted() {
		if e.IdempotencyKey == k2 {
			t.Fatal("a later version was delivered before the earlier one")
		}
	}
	store := relay.Store{Pool: testPool}
	dead, err := store.Deliveries(f.ctx, relay.DeliveryFilter{State: relay.StateDead})
	if err != nil {
		t.Fatal(err)
	}
	var d *relay.Delivery
	for i := range dead {
		if dead[i].Subscriber == sub {
			d = &dead[i]
		}
	}
	if d == nil || d.Attempts != 3 || d.LastStatus == nil || *d.LastStatus != 503 || !strings.Contains(d.LastError, "503") || d.CaseNo != "TEST-1" {
		t.Fatalf("dead letter on the board: %+v", d)
	}
	if n, err := store.DeadCount(f.ctx); err != nil || n < 1 {
		t.Fatalf("dead count %d, %v", n, err)
	}
	// A re-send of a delivered event is refused and changes nothing.
	var k3id int64
	if err := testPool.QueryRow(f.ctx, `SELECT id FROM record_outbox WHERE dedup_key = $1`, k3).Scan(&k3id); err != nil {
		t.Fatal(err)
	}
	sup := audit.Actor{Username: "sup1", Role: "supervisor"}
	if _, err := store.Resend(f.ctx, sup, sub, k3id, "again"); !errors.Is(err, relay.ErrNotDead) {
		t.Fatalf("re-send of a delivered event: %v, want ErrNotDead", err)
	}
	// The receiver is repaired; the supervisor re-sends: both arrive, in order.
	recv.FailAlways(k1, false)
	got, err := store.Resend(f.ctx, sup, sub, d.EventID, "接收方已修复")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != relay.StatePending || got.ResentBy != "sup1" {
		t.Fatalf("after re-send: %+v", got)
	}
	f.waitStates(sub, map[string]string{k1: relay.StateDelivered, k2: relay.StateDelivered}, 20*time.Second)
	checkOnceInOrder(t, recv.Accepted(), []string{k3, k1, k2})
	var audited int
	if err := testPool.QueryRow(f.ctx, `SELECT count(*) FROM audit_events WHERE action = 'delivery.resent' AND object_id = $1`,
		fmt.Sprintf("%s/%d", sub, d.EventID)).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("re-send audited %d times", audited)
	}
}

func TestEmailSubscriberOnRealSMTPServer(t *testing.T) {
	f := newFixture(t)
	mail := testenv.StartSMTP(t)
	mail.Fail(1) // the first attempt gets a 451 and is retried
	sub := "mail-" + f.code[len(f.code)-6:]
	cfg := f.config(relay.Subscriber{ID: sub, Name: "市法院", Kind: relay.KindEmail, Endpoint: "xinyong@court.example", MaxAttempts: 3})
	rec := f.record()
	key := f.event(relay.RecordRepaired, rec, 2)
	f.start(cfg, &notify.SMTPConfig{Addr: mail.Addr, From: "centre@credit.example"})
	f.waitStates(sub, map[string]string{key: relay.StateDelivered}, 20*time.Second)
	msgs := mail.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "centre@credit.example" || len(m.To) != 1 || m.To[0] != "xinyong@court.example" {
		t.Fatalf("envelope %s → %v", m.From, m.To)
	}
	head, body, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	if !strings.Contains(head, "Message-ID: <test.record.repaired.") {
		t.Errorf("Message-ID does not carry the idempotency key:\n%s", head)
	}
	text, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(strings.TrimSpace(body), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"信用信息已修复", fmt.Sprintf("信用信息编号：%d（第2版）", rec), `"idempotency_key":"` + key + `"`} {
		if !strings.Contains(string(text), want) {
			t.Errorf("mail text lacks %q:\n%s", want, text)
		}
	}
}

func TestFeedKeysetNeverSkipsALateCommit(t *testing.T) {
	f := newFixture(t)
	store := relay.Store{Pool: testPool}
	rec := f.record()
	k1 := f.event(relay.RecordCorrected, rec, 2)
	// A transaction that takes its event id first and commits last.
	slow, err := testPool.Begin(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(f.ctx)
	rec2 := f.record()
	if err := relay.Enqueue(f.ctx, slow, relay.Event{Type: relay.RecordCorrected, DedupKey: fmt.Sprintf("late/%d", rec2), Stream: relay.RecordStream(rec2),
		RecordID: rec2, RecordVersion: 2, ProviderID: f.provider, Data: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	k3 := f.event(relay.RecordCorrected, rec, 3)
	page, err := store.Feed(f.ctx, relay.Cursor{}, 10, f.provider)
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(page.Events); strings.Join(got, ",") != k1 {
		t.Fatalf("feed while an older transaction runs: %v, want only %s", got, k1)
	}
	cursor, err := relay.ParseCursor(page.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.Commit(f.ctx); err != nil {
		t.Fatal(err)
	}
	// Pages of one: the late event comes before k3, after the cursor.
	var got []string
	for range 5 {
		p, err := store.Feed(f.ctx, cursor, 1, f.provider)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, keysOf(p.Events)...)
		if cursor, err = relay.ParseCursor(p.NextCursor); err != nil {
			t.Fatal(err)
		}
		if !p.More {
			break
		}
	}
	if want := fmt.Sprintf("late/%d,%s", rec2, k3); strings.Join(got, ",") != want {
		t.Fatalf("feed after the commit: %v, want %s", got, want)
	}
	if _, err := relay.ParseCursor("12x"); !errors.Is(err, relay.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func keysOf(es []relay.Envelope) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.IdempotencyKey)
	}
	return out
}

// A new record version beyond the first announces itself (trigger), naming
// the case that wrote it.
func TestCorrectionWritesItsEvent(t *testing.T) {
	f := newFixture(t)
	rec := f.record()
	err := pgx.BeginFunc(f.ctx, testPool, func(tx pgx.Tx) error {
		if err := relay.SetCaseNo(f.ctx, tx, "YY2026-000777"); err != nil {
			return err
		}
		if _, err := tx.Exec(f.ctx, `UPDATE records SET version = 2, title = '虚假宣传（更正）', status = 'corrected' WHERE id = $1`, rec); err != nil {
			return err
		}
		_, err := tx.Exec(f.ctx, `INSERT INTO record_versions (record_id, version, snapshot, reason, written_by)
			SELECT id, version, to_jsonb(r), '更正', 'cw1' FROM records r WHERE id = $1`, rec)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var typ, stream, caseNo string
	var version int
	var payload map[string]any
	if err := testPool.QueryRow(f.ctx, `SELECT event, stream, case_no, record_version, payload FROM record_outbox WHERE record_id = $1`, rec).
		Scan(&typ, &stream, &caseNo, &version, &payload); err != nil {
		t.Fatal(err)
	}
	r, _ := payload["record"].(map[string]any)
	if typ != relay.RecordCorrected || stream != relay.RecordStream(rec) || caseNo != "YY2026-000777" || version != 2 ||
		r == nil || r["title"] != "虚假宣传（更正）" || r["provider"].(map[string]any)["code"] != f.code {
		t.Fatalf("correction event: %s %s %s v%d %v", typ, stream, caseNo, version, payload)
	}
}

func TestConfigFile(t *testing.T) {
	env := map[string]string{"PROV_SECRET": "0123456789abcdef0123"}
	cfg, err := relay.Parse([]byte(`
retry: {max_attempts: 4, initial: 10s, max: 5m}
subscribers:
  - id: province
    name: 省平台
    url: https://platform.example/events
    secret_env: PROV_SECRET
    events: [record.corrected, record.repaired]
  - id: court
    name: 市法院
    email: xinyong@court.example
    max_attempts: 2
`), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Subscribers) != 2 || cfg.Subscribers[0].MaxAttempts != 4 || cfg.Subscribers[1].MaxAttempts != 2 ||
		string(cfg.Subscribers[0].Secret) != env["PROV_SECRET"] || cfg.Subscribers[1].Kind != relay.KindEmail {
		t.Fatalf("parsed %+v", cfg)
	}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 6: 5 * time.Minute, 20: 5 * time.Minute} {
		if got := cfg.Backoff(n); got != want {
			t.Errorf("backoff after attempt %d: %s, want %s", n, got, want)
		}
	}
	_, err = relay.Parse([]byte(`
subscribers:
  - id: Bad_ID
    url: http://plain.example/x
    secret_env: NOPE
    events: [record.deleted]
  - id: x2
    name: y
`), func(string) string { return "" })
	for _, want := range []string{"subscribers[0] (Bad_ID).id", "subscribers[0] (Bad_ID).name: required", "an https:// URL is required",
		"NOPE must hold a secret", `unknown event "record.deleted"`, "subscribers[1] (x2): url (HTTPS endpoint) or email is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestSignature(t *testing.T) {
	secret := []byte("0123456789abcdef")
	body := []byte(`{"id":1}`)
	now := time.Unix(1767225600, 0)
	sig := relay.Sign(secret, now.Unix(), body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 {
		t.Fatalf("signature %q", sig)
	}
	ts := fmt.Sprint(now.Unix())
	if err := relay.Verify(secret, ts, sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret []byte
		ts     string
		body   []byte
		now    time.Time
	}{
		"other body":   {secret, ts, []byte(`{"id":2}`), now},
		"other secret": {[]byte("fedcba9876543210"), ts, body, now},
		"old":          {secret, ts, body, now.Add(10 * time.Minute)},
		"bad ts":       {secret, "x", body, now},
	} {
		if err := relay.Verify(c.secret, c.ts, sig, c.body, c.now, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

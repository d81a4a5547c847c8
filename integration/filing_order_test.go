package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// keyed sends body as JSON with an Idempotency-Key to base.
func (c *apiUser) keyed(base, key, method, path string, body any) response {
	c.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := httpClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
}

// workflowExists reports whether the workflow id exists in the engine.
func workflowExists(t *testing.T, ctx context.Context, id string) bool {
	t.Helper()
	_, err := sys.Temporal.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// Issue 12.1/12.2: a filing's case row and its workflow start commit
// together and the workflow is started only after the commit. Here the
// process "dies" between the two (an API replica without an engine commits
// the filing and cannot start its workflow; its stored answer is then
// dropped, as a kill -9 before the answer leaves would), and the client
// repeats the request with its Idempotency-Key against a live replica: it
// gets its case — the same case number, one case, the workflow now started.
// A filing nobody repeats is started by the core's sweep. A repeat of an
// answered request is answered from the store (Idempotent-Replayed), and
// the key with another body is refused.
func TestFilingCommitsBeforeItsWorkflowAndARetryFindsItsCase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	// A replica whose engine is gone: it commits, then cannot start.
	noEngine := application.New(application.Deps{Pool: sys.Pool, Logger: zerolog.Nop()})
	dead := httptest.NewServer(api.New(api.Deps{App: noEngine, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	t.Cleanup(dead.Close)

	_, _, rec := relayProvider(t, ctx, subject.account.SubjectID)
	key := fmt.Sprintf("it-filing-%d", time.Now().UnixNano())
	body := map[string]any{"record_id": rec.ID, "grounds": []string{"金额有误"}, "statement": "请核查"}
	first := subject.keyed(dead.URL, key, http.MethodPost, "/api/v1/objections", body)
	if first.status != http.StatusCreated {
		t.Fatalf("filing on the replica without an engine: %d %s", first.status, first.body)
	}
	var filed casework.FiledObjection
	if err := json.Unmarshal(first.body, &filed); err != nil {
		t.Fatal(err)
	}
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
	})
	if workflowExists(t, ctx, workflows.ObjectionWorkflowID(no)) {
		t.Fatal("a workflow was started without an engine")
	}
	var owed bool
	if err := sys.Pool.QueryRow(ctx, `SELECT started_at IS NULL FROM case_starts WHERE case_no = $1`, no).Scan(&owed); err != nil || !owed {
		t.Fatalf("case %s: start owed %v (%v)", no, owed, err)
	}

	// The answer never reached the client, and the process died holding
	// the key: its lease has run out, no answer is stored.
	if _, err := sys.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = NULL, body = NULL, locked_until = now()
		WHERE key = $1`, key); err != nil {
		t.Fatal(err)
	}
	again := subject.keyed(baseURL(), key, http.MethodPost, "/api/v1/objections", body)
	if again.status != http.StatusCreated {
		t.Fatalf("retry with the key: %d %s", again.status, again.body)
	}
	var refiled casework.FiledObjection
	if err := json.Unmarshal(again.body, &refiled); err != nil {
		t.Fatal(err)
	}
	if refiled.Case.CaseNo != no {
		t.Fatalf("retry answered case %s, want %s", refiled.Case.CaseNo, no)
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM cases WHERE record_id = $1`, rec.ID); n != 1 {
		t.Fatalf("%d cases on the record, want 1", n)
	}
	if !workflowExists(t, ctx, workflows.ObjectionWorkflowID(no)) {
		t.Fatal("the retry did not start the owed workflow")
	}
	// The case proceeds: its workflow answers (live state in the detail).
	var d casework.ObjectionDetail
	waitFor(t, 2*time.Minute, func() bool {
		subject.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+no, nil, &d)
		return d.Live != nil
	})
	if d.Live.Stage != workflows.StageAcceptance {
		t.Fatalf("case %s after the retry: %+v", no, d.Live)
	}

	// Answered now: the same request gets the same answer from the store.
	replay := subject.keyed(baseURL(), key, http.MethodPost, "/api/v1/objections", body)
	if replay.status != http.StatusCreated || !bytes.Equal(replay.body, again.body) || replay.header.Get(api.ReplayedHeader) != "true" {
		t.Fatalf("replay: %d %q %s", replay.status, replay.header.Get(api.ReplayedHeader), replay.body)
	}
	// The key with another request is refused, naming the header.
	other := subject.keyed(baseURL(), key, http.MethodPost, "/api/v1/objections", map[string]any{"record_id": rec.ID,
		"grounds": []string{"金额有误"}, "statement": "另一份陈述"})
	if p := problemOf(t, other); other.status != http.StatusUnprocessableEntity || p.Type != "/problems/idempotency-key-reused" ||
		len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
		t.Fatalf("the key with another body: %d %s", other.status, other.body)
	}

	// A filing nobody repeats: the sweep starts its workflow.
	_, _, rec2 := relayProvider(t, ctx, subject.account.SubjectID)
	var lone casework.FiledObjection
	subject.at(dead.URL).do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
		map[string]any{"record_id": rec2.ID, "grounds": []string{"记录有误"}, "statement": "请核查"}, &lone)
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(lone.Case.CaseNo), "", "test over")
	})
	deadline := time.Now().Add(casework.OwedAfter + 2*application.SweepEvery + 30*time.Second)
	for !workflowExists(t, ctx, workflows.ObjectionWorkflowID(lone.Case.CaseNo)) {
		if time.Now().After(deadline) {
			t.Fatalf("case %s: the sweep did not start its workflow", lone.Case.CaseNo)
		}
		time.Sleep(time.Second)
	}
	var startedAt *time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT started_at FROM case_starts WHERE case_no = $1`, lone.Case.CaseNo).Scan(&startedAt); err != nil || startedAt == nil {
		t.Fatalf("case %s: started_at %v (%v)", lone.Case.CaseNo, startedAt, err)
	}
}

func countRows(t *testing.T, ctx context.Context, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := sys.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue 12.1 for repairs and listings: an application and a proposal
// committed by a replica that cannot start their workflows, repeated with
// the same Idempotency-Key on a live replica, are answered with the case
// already filed — one case, its workflow now started.
func TestRepairAndListingRetriesFindTheirCase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, rec, _ := repairFixture(t, ctx, 200)
	subject := logIn(t, "subject", seed.DemoPassword)
	noEngine := application.New(application.Deps{Pool: sys.Pool, Logger: zerolog.Nop()})
	dead := httptest.NewServer(api.New(api.Deps{App: noEngine, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	t.Cleanup(dead.Close)
	forgetAnswer := func(key string) {
		t.Helper()
		if _, err := sys.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = NULL, body = NULL, locked_until = now() WHERE key = $1`, key); err != nil {
			t.Fatal(err)
		}
	}

	// Repair.
	key := fmt.Sprintf("it-repair-%d", time.Now().UnixNano())
	first := subject.keyedAs(key).at(dead.URL).apply(rec.ID, true, 1)
	if first.status != http.StatusCreated {
		t.Fatalf("application on the replica without an engine: %d %s", first.status, first.body)
	}
	var filed casework.FiledRepair
	if err := json.Unmarshal(first.body, &filed); err != nil {
		t.Fatal(err)
	}
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.RepairWorkflowID(no), "", "test over")
	})
	if workflowExists(t, ctx, workflows.RepairWorkflowID(no)) {
		t.Fatal("a repair workflow was started without an engine")
	}
	forgetAnswer(key)
	again := subject.keyedAs(key).apply(rec.ID, true, 1)
	var refiled casework.FiledRepair
	if again.status != http.StatusCreated || json.Unmarshal(again.body, &refiled) != nil || refiled.Case.CaseNo != no {
		t.Fatalf("repair retry with the key: %d %s (want case %s)", again.status, again.body, no)
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM repair_applications WHERE record_id = $1`, rec.ID); n != 1 {
		t.Fatalf("%d repair applications on the record, want 1", n)
	}
	if !workflowExists(t, ctx, workflows.RepairWorkflowID(no)) {
		t.Fatal("the retry did not start the owed repair workflow")
	}
	// A keyless second application is refused naming the open case.
	if p := problemOf(t, subject.apply(rec.ID, true, 1)); p.Status != http.StatusConflict || p.CaseNo != no {
		t.Fatalf("second application: %+v", p)
	}

	// Listing.
	prov := logIn(t, "provider", seed.DemoPassword)
	serious := seriousRecord(t, ctx, prov, subject)
	propose := api.ProposeListingRequest{SubjectID: subject.account.SubjectID, RecordIDs: []int64{serious}, Reasons: "拒不履行法定义务，情节严重",
		LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"}, Measures: []string{"public_disclosure"},
		Period: workflows.ListingPeriod{Length: 1, Unit: "year"}}
	lkey := fmt.Sprintf("it-listing-%d", time.Now().UnixNano())
	var l api.ListingSummary
	prov.keyedAs(lkey).at(dead.URL).do(http.StatusCreated, http.MethodPost, "/api/v1/listings", propose, &l)
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ListingWorkflowID(l.ProposalNo), "", "test over")
	})
	if workflowExists(t, ctx, workflows.ListingWorkflowID(l.ProposalNo)) {
		t.Fatal("a listing workflow was started without an engine")
	}
	forgetAnswer(lkey)
	var l2 api.ListingSummary
	prov.keyedAs(lkey).do(http.StatusCreated, http.MethodPost, "/api/v1/listings", propose, &l2)
	if l2.ProposalNo != l.ProposalNo {
		t.Fatalf("listing retry answered %s, want %s", l2.ProposalNo, l.ProposalNo)
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM listing_records WHERE record_id = $1`, serious); n != 1 {
		t.Fatalf("%d proposals on the record, want 1", n)
	}
	if !workflowExists(t, ctx, workflows.ListingWorkflowID(l.ProposalNo)) {
		t.Fatal("the retry did not start the owed listing workflow")
	}
	// The case proceeds: the workflow writes its notice stage.
	waitFor(t, time.Minute, func() bool {
		return countRows(t, ctx, `SELECT count(*) FROM cases WHERE case_no = $1`, l.ProposalNo) == 1
	})
}

// Issue 12.1, the other side: a workflow that finds no row and no right to
// one (an older build started it inside a filing whose transaction died;
// the client then filed again) ends itself, frees the record and says so
// in the audit trail — it neither writes a row under a number nobody was
// given nor disturbs the case the client did get.
func TestUnfiledWorkflowEndsItselfAndFreesTheRecord(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	_, _, rec := relayProvider(t, ctx, subject.account.SubjectID)
	// The client's case.
	var real casework.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
		map[string]any{"record_id": rec.ID, "grounds": []string{"金额有误"}, "statement": "请核查"}, &real)
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(real.Case.CaseNo), "", "test over")
	})
	waitFor(t, time.Minute, func() bool {
		return countRows(t, ctx, `SELECT count(*) FROM record_labels WHERE case_no = $1`, real.Case.CaseNo) == 1
	})
	// The orphan on the same record, received an hour ago, never filed.
	orphan := fmt.Sprintf("YY-IT-%d", time.Now().UnixNano()%1_000_000_000)
	run, err := startOrphan(ctx, workflows.ObjectionWorkflowID(orphan), workflows.ObjectionWorkflow, workflows.ObjectionInput{CaseNo: orphan, RecordID: rec.ID, SubjectID: rec.SubjectID, ProviderID: rec.ProviderID,
		ProfileID: real.Case.ProfileID, ProfileVersion: real.Case.ProfileVersion, Grounds: []string{"金额有误"},
		FiledBy: workflows.Actor{Name: "subject", Role: "subject"}, ReceivedAt: time.Now().Add(-time.Hour).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.ObjectionState
	if err := run.Get(ctx, &st); err != nil {
		t.Fatalf("the orphan did not end itself: %v", err)
	}
	if st.Outcome != workflows.OutcomeUnfiled || st.Stage != workflows.StageFinished {
		t.Fatalf("orphan state %+v", st.CaseProgress)
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM cases WHERE case_no = $1`, orphan); n != 0 {
		t.Fatalf("the orphan wrote a case row")
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM audit_events WHERE action = 'case.unfiled_ended' AND object_id = $1`, orphan); n != 1 {
		t.Fatalf("%d audit entries for the orphan, want 1", n)
	}
	// The client's case is untouched: open, its label holds the record.
	var status string
	if err := sys.Pool.QueryRow(ctx, `SELECT status FROM records WHERE id = $1`, rec.ID).Scan(&status); err != nil || status != records.StatusUnderObjection {
		t.Fatalf("record %d is %q (%v), want under objection by case %s", rec.ID, status, err, real.Case.CaseNo)
	}
	var d casework.ObjectionDetail
	subject.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+real.Case.CaseNo, nil, &d)
	if d.Live == nil || d.Live.Status != workflows.StatusOpen {
		t.Fatalf("the client's case after the orphan ended: %+v", d.Live)
	}

	// A listing orphan: no listing row, no listing, no label.
	prov := logIn(t, "provider", seed.DemoPassword)
	serious := seriousRecord(t, ctx, prov, subject)
	lorphan := fmt.Sprintf("LB-IT-%d", time.Now().UnixNano()%1_000_000_000)
	lrun, err := startOrphan(ctx, workflows.ListingWorkflowID(lorphan), workflows.ListingWorkflow, workflows.ListingInput{ProposalNo: lorphan, SubjectID: subject.account.SubjectID, ProviderID: prov.account.ProviderID,
		ProfileID: real.Case.ProfileID, ProfileVersion: real.Case.ProfileVersion, RecordIDs: []int64{serious}, Reasons: "拒不履行",
		Measures: []string{"public_disclosure"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"},
		ProposedBy: workflows.Actor{Name: "provider", Role: "provider"}, ProposedAt: time.Now().Add(-time.Hour).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	var lst workflows.ListingState
	if err := lrun.Get(ctx, &lst); err != nil || lst.Outcome != workflows.OutcomeUnfiled {
		t.Fatalf("the listing orphan: %v, %+v", err, lst.CaseProgress)
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM listings WHERE proposal_no = $1`, lorphan) +
		countRows(t, ctx, `SELECT count(*) FROM cases WHERE case_no = $1`, lorphan); n != 0 {
		t.Fatal("the listing orphan wrote rows")
	}
	if n := countRows(t, ctx, `SELECT count(*) FROM audit_events WHERE action = 'case.unfiled_ended' AND object_id = $1`, lorphan); n != 1 {
		t.Fatalf("%d audit entries for the listing orphan, want 1", n)
	}
}

// seriousRecord creates a serious negative record of subject supplied by
// prov's provider, decided long ago.
func seriousRecord(t *testing.T, ctx context.Context, prov, subject *apiUser) int64 {
	t.Helper()
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, prov.account.ProviderID, records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.Serious, Disclosure: records.Public,
		Title: "拒不履行行政处罚决定", Content: "经催告仍拒不履行", DecisionNo: fmt.Sprintf("通市监强〔IT〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-130).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// owe gives a case started directly on the engine (tests of the workflow on
// the real worker) the right a filing gives: its owed start, recorded as
// made. Without it the workflow finds its case never filed and ends itself.
func owe(t *testing.T, ctx context.Context, kind, no, workflowID string, input any) {
	t.Helper()
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO case_starts (workflow_id, case_no, kind, input, filed_by, started_at)
		VALUES ($1, $2, $3, $4, 'test', now()) ON CONFLICT DO NOTHING`, workflowID, no, kind, raw); err != nil {
		t.Fatal(err)
	}
}

// startOrphan starts a case workflow with no filing behind it, as an older
// build did inside a filing whose transaction then died; a start whose
// answer timed out under load is repeated (USE_EXISTING: one workflow).
func startOrphan(ctx context.Context, id string, wf, in any) (client.WorkflowRun, error) {
	var err error
	for range 3 {
		var run client.WorkflowRun
		run, err = sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, wf, in)
		if err == nil {
			return run, nil
		}
	}
	return nil, err
}

// A filing committed by a process that died before the start, and never
// repeated (a form sent without a key): the caseworker's first step on it
// finds no workflow yet. That is not a finished case: the step makes the
// owed start and answers 503 "being opened, nothing changed" (the key is
// not kept with a 5xx), and the same keyed step repeated is carried out.
func TestStepOnACaseNotYetOpenedOpensIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	noEngine := application.New(application.Deps{Pool: sys.Pool, Logger: zerolog.Nop()})
	dead := httptest.NewServer(api.New(api.Deps{App: noEngine, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	t.Cleanup(dead.Close)

	_, _, rec := relayProvider(t, ctx, subject.account.SubjectID)
	var filed casework.FiledObjection
	subject.at(dead.URL).do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
		map[string]any{"record_id": rec.ID, "grounds": []string{"记录有误"}, "statement": "请核查"}, &filed)
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
	})

	key := fmt.Sprintf("it-accept-owed-%d", time.Now().UnixNano())
	first := caseworker.keyed(baseURL(), key, http.MethodPost, "/api/v1/objections/"+no+"/accept", map[string]any{})
	if first.status == http.StatusConflict {
		t.Fatalf("a step on a case not yet opened answered 409 (finished?): %s", first.body)
	}
	if first.status == http.StatusServiceUnavailable {
		if p := problemOf(t, first); p.Type != "/problems/engine-unavailable" || !strings.Contains(p.Detail, "nothing was changed") {
			t.Fatalf("being opened: %+v", p)
		}
		if !workflowExists(t, ctx, workflows.ObjectionWorkflowID(no)) {
			t.Fatal("the step did not make the owed start")
		}
		var again response
		waitFor(t, 2*time.Minute, func() bool {
			again = caseworker.keyed(baseURL(), key, http.MethodPost, "/api/v1/objections/"+no+"/accept", map[string]any{})
			return again.status != http.StatusServiceUnavailable
		})
		first = again
	}
	if first.status != http.StatusOK {
		t.Fatalf("accept on the opened case: %d %s", first.status, first.body)
	}
	var st workflows.ObjectionState
	if err := json.Unmarshal(first.body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Stage == workflows.StageAcceptance || st.Stage == workflows.StageFinished {
		t.Fatalf("after acceptance the case is at %s", st.Stage)
	}
}

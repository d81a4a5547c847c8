package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/creditcase/creditcase/internal/reconcile"
)

// fakeEngine is the engine as the reconciler sees it: each workflow's
// status (absent: running), and its visibility store, which may lag: a
// workflow just started may not be listed yet (hidden), one that ended a
// moment ago may still be listed running (stale). It counts the calls.
type fakeEngine struct {
	mu        sync.Mutex
	status    map[string]string
	hidden    map[string]bool
	stale     map[string]bool
	page      int   // list page size (0: reconcile.ListPage)
	listErr   error // every list call fails with it
	countErr  error // every count call fails with it
	counts    int
	lists     int
	described []string
}

func newEngine() *fakeEngine {
	return &fakeEngine{status: map[string]string{}, hidden: map[string]bool{}, stale: map[string]bool{}}
}

func (e *fakeEngine) Describe(_ context.Context, id string) (reconcile.Execution, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.described = append(e.described, id)
	if s, ok := e.status[id]; ok {
		return reconcile.Execution{Status: s}, nil
	}
	return reconcile.Execution{Status: reconcile.Running}, nil
}

// visible are the workflows among ids that visibility shows running.
func (e *fakeEngine) visible(ids []string) []string {
	var all []string
	for _, id := range ids {
		_, ended := e.status[id]
		if (!ended && !e.hidden[id]) || e.stale[id] {
			all = append(all, id)
		}
	}
	return all
}

func (e *fakeEngine) CountRunning(_ context.Context, ids []string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts++
	if e.countErr != nil {
		return 0, e.countErr
	}
	return len(e.visible(ids)), nil
}

// ListRunning answers like Temporal's SQL visibility: a page of at most
// page entries, and a next-page token whenever the page is full (even if
// nothing follows).
func (e *fakeEngine) ListRunning(_ context.Context, ids []string, token []byte) ([]string, []byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lists++
	if e.listErr != nil {
		return nil, nil, e.listErr
	}
	size := e.page
	if size == 0 {
		size = reconcile.ListPage
	}
	all := e.visible(ids)
	off := 0
	if token != nil {
		off, _ = strconv.Atoi(string(token))
	}
	end := min(off+size, len(all))
	got := all[min(off, len(all)):end]
	var next []byte
	if len(got) == size {
		next = []byte(strconv.Itoa(end))
	}
	return got, next, nil
}

// calls are the engine calls so far: counts, lists, describes.
func (e *fakeEngine) calls() (counts, lists, describes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts, e.lists, len(e.described)
}

func (e *fakeEngine) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts, e.lists, e.described = 0, 0, nil
}

var uniq atomic.Int64

// openCases makes n open objection cases (each with its own subject and
// record), numbered in case-number order, finished when the test ends.
func openCases(t *testing.T, n int) []string {
	t.Helper()
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{"open", "provider_verification"}
	}
	return makeCases(t, rows...)
}

// row is a case row's status and stage.
type row struct{ status, stage string }

// makeCases makes one objection case per row (each with its own subject
// and record), numbered in case-number order, finished when the test ends
// (a closed row at another stage would be walked by later tests).
func makeCases(t *testing.T, rows ...row) []string {
	t.Helper()
	n := len(rows)
	ctx := context.Background()
	var prov int64
	k := uniq.Add(1)
	if err := testPool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, '测试提供单位') RETURNING id`,
		fmt.Sprintf("prov-%d", k)).Scan(&prov); err != nil {
		t.Fatal(err)
	}
	var nos []string
	for i := range n {
		no := fmt.Sprintf("YY-2026-%03d%06d", k, i+1)
		var subj, rec int64
		if err := testPool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name, contact_email)
			VALUES ('organisation', $1, '测试单位', 'x@example.org') RETURNING id`, fmt.Sprintf("91320600%03d%07d", k, i)).Scan(&subj); err != nil {
			t.Fatal(err)
		}
		if err := testPool.QueryRow(ctx, `INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, decision_no, decided_on, status)
			VALUES ($1, $2, 'negative', 'general', 'public', '测试记录', $3, '2024-01-01', 'active') RETURNING id`,
			subj, prov, "T-"+no).Scan(&rec); err != nil {
			t.Fatal(err)
		}
		if _, err := testPool.Exec(ctx, `INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id, profile_id,
				profile_version, stage, status, outcome, opened_at, closed_at)
			VALUES ($1, 'objection', $2, $3, $4, $5, 'nantong', 'v1', $6, $7, CASE WHEN $7 = 'open' THEN '' ELSE 'upheld' END, now(),
				CASE WHEN $7 = 'open' THEN NULL ELSE now() END)`,
			no, "objection:"+no, rec, subj, prov, rows[i].stage, rows[i].status); err != nil {
			t.Fatal(err)
		}
		nos = append(nos, no)
	}
	t.Cleanup(func() {
		if _, err := testPool.Exec(context.Background(), `UPDATE cases SET status = 'closed', stage = 'finished' WHERE case_no = ANY($1)`, nos); err != nil {
			t.Error(err)
		}
	})
	return nos
}

func wf(caseNo string) string { return "objection:" + caseNo }

var runs atomic.Int64

// pass runs the reconciler's steps as ReconcileWorkflow does: begin, the
// batches of size until done, the records, finish.
func pass(t *testing.T, r *reconcile.Reconciler, size int) (reconcile.Run, []reconcile.Batch) {
	t.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("reconcile:unit-%d", runs.Add(1))
	if err := r.Begin(ctx, id, "demand", "test"); err != nil {
		t.Fatal(err)
	}
	var batches []reconcile.Batch
	cursor := ""
	for {
		b, err := r.Cases(ctx, id, cursor, size, nil)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
		cursor = b.Next
		if b.Done {
			break
		}
	}
	if _, err := r.Records(ctx, id); err != nil {
		t.Fatal(err)
	}
	run, err := r.Finish(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run, batches
}

func caseState(t *testing.T, no string) (status, outcome string) {
	t.Helper()
	if err := testPool.QueryRow(context.Background(), `SELECT status, outcome FROM cases WHERE case_no = $1`, no).Scan(&status, &outcome); err != nil {
		t.Fatal(err)
	}
	return status, outcome
}

// Open cases whose workflows run cost the engine one count call per batch
// and nothing else: at 25 cases in batches of 10, three calls, no list, not
// one describe.
func TestRunningCasesAreNotDescribed(t *testing.T) {
	nos := openCases(t, 25)
	e := newEngine()
	run, _ := pass(t, &reconcile.Reconciler{Pool: testPool, Engine: e}, 10)
	counts, lists, describes := e.calls()
	if counts != 3 || lists != 0 || describes != 0 {
		t.Errorf("%d counts, %d lists, %d describes for 25 running cases in batches of 10; want 3, 0, 0", counts, lists, describes)
	}
	if run.Checked != 25 || run.Listed != 25 || run.Described != 0 || run.Repaired+run.Flagged != 0 {
		t.Errorf("run %+v; want 25 checked, 25 listed, none described", run)
	}
	for _, no := range nos {
		if s, _ := caseState(t, no); s != "open" {
			t.Errorf("%s %s; a running case stays open", no, s)
		}
	}
}

// A case whose workflow is not in the list is described, and the
// description decides: a terminated workflow's case is closed (finding,
// case event); a case opened a moment ago that visibility does not show
// yet is described, found running and left alone; a workflow that ended a
// moment ago but is still listed running is left to the next pass, which
// finds it once visibility has caught up.
func TestCaseMissingFromListIsDescribedAndSettled(t *testing.T) {
	nos := openCases(t, 6)
	terminated, justOpened, justEnded := nos[1], nos[3], nos[4]
	e := newEngine()
	e.status[wf(terminated)] = reconcile.Terminated
	e.hidden[wf(justOpened)] = true
	e.status[wf(justEnded)] = reconcile.Terminated
	e.stale[wf(justEnded)] = true
	r := &reconcile.Reconciler{Pool: testPool, Engine: e}

	run, _ := pass(t, r, 1000)
	if want := []string{wf(terminated), wf(justOpened)}; !slices.Equal(e.described, want) {
		t.Errorf("described %v; want only the cases missing from the list %v", e.described, want)
	}
	if counts, lists, _ := e.calls(); counts != 1 || lists != 1 {
		t.Errorf("%d counts, %d lists; want 1 count (4 of 6 running) then 1 list", counts, lists)
	}
	if run.Checked != 6 || run.Listed != 4 || run.Described != 2 || run.Repaired != 1 || run.Flagged != 0 {
		t.Errorf("run %+v; want 6 checked, 4 listed, 2 described, 1 repaired", run)
	}
	if s, o := caseState(t, terminated); s != "closed" || o != reconcile.Terminated {
		t.Errorf("terminated workflow's case %s/%s; want closed/terminated", s, o)
	}
	var events int
	if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM case_events WHERE case_no = $1 AND action = 'case.reconciled.repaired'
		AND data->>'run_id' = $2`, terminated, run.RunID).Scan(&events); err != nil || events != 1 {
		t.Errorf("%d reconciliation events on the case (%v); want 1", events, err)
	}
	for _, no := range []string{justOpened, justEnded} {
		if s, _ := caseState(t, no); s != "open" {
			t.Errorf("%s closed in the first pass", no)
		}
	}

	// Visibility has caught up: the next pass describes the one that ended.
	delete(e.stale, wf(justEnded))
	delete(e.hidden, wf(justOpened))
	e.reset()
	run2, _ := pass(t, r, 1000)
	if want := []string{wf(justEnded)}; !slices.Equal(e.described, want) {
		t.Errorf("second pass described %v; want %v", e.described, want)
	}
	if run2.Checked != 5 || run2.Described != 1 || run2.Repaired != 1 {
		t.Errorf("second run %+v; want 5 checked, 1 described, 1 repaired", run2)
	}
	if s, o := caseState(t, justEnded); s != "closed" || o != reconcile.Terminated {
		t.Errorf("case ended a moment ago: %s/%s after the next pass; want closed/terminated", s, o)
	}
}

// When the count is short the list is read page after page (a full page
// carries a next token, as Temporal's does); the case on a batch boundary
// is checked like any other.
func TestListPagesAndBatchBoundary(t *testing.T) {
	nos := openCases(t, 8)
	e := newEngine()
	e.page = 3
	e.hidden[wf(nos[0])] = true             // filed a moment ago: not listed yet
	e.status[wf(nos[6])] = reconcile.Failed // first case of the second batch
	r := &reconcile.Reconciler{Pool: testPool, Engine: e}
	run, batches := pass(t, r, 6)
	counts, lists, _ := e.calls()
	// Batch 1: count 5 of 6, the 5 listed over pages of 3 → 2 list calls
	// (nos[4] and nos[5] only on the second page); batch 2: count 1 of 2,
	// 1 list call.
	if counts != 2 || lists != 3 || !slices.Equal(e.described, []string{wf(nos[0]), wf(nos[6])}) {
		t.Errorf("%d counts, %d lists, described %v; want 2, 3 and only %s, %s", counts, lists, e.described, wf(nos[0]), wf(nos[6]))
	}
	if len(batches) != 2 || batches[0].Next != nos[5] || batches[0].Listed != 5 || batches[1].Listed != 1 || batches[1].Described != 1 {
		t.Errorf("batches %+v", batches)
	}
	if s, o := caseState(t, nos[6]); s != "closed" || o != reconcile.Failed {
		t.Errorf("case on the batch boundary: %s/%s; want closed/failed", s, o)
	}
	if s, _ := caseState(t, nos[0]); s != "open" {
		t.Errorf("a running case not yet listed was closed")
	}
	if run.Checked != 8 || run.Listed != 6 || run.Described != 2 || run.Repaired != 1 {
		t.Errorf("run %+v", run)
	}
}

// When visibility cannot answer, every case of the batch is described (the
// batch says why): nothing is skipped unchecked.
func TestVisibilityErrorFallsBackToDescribing(t *testing.T) {
	nos := openCases(t, 4)
	e := newEngine()
	e.countErr = errors.New("visibility store unavailable")
	e.listErr = errors.New("visibility store unavailable")
	e.status[wf(nos[2])] = reconcile.Canceled
	run, batches := pass(t, &reconcile.Reconciler{Pool: testPool, Engine: e}, 1000)
	if !slices.Equal(e.described, []string{wf(nos[0]), wf(nos[1]), wf(nos[2]), wf(nos[3])}) {
		t.Errorf("described %v; want every case of the batch", e.described)
	}
	if batches[0].ListError == "" {
		t.Error("the batch does not say its list failed")
	}
	if run.Described != 4 || run.Listed != 0 || run.Repaired != 1 {
		t.Errorf("run %+v; want 4 described, 1 repaired", run)
	}
	if s, o := caseState(t, nos[2]); s != "closed" || o != reconcile.Canceled {
		t.Errorf("cancelled workflow's case %s/%s; want closed/canceled", s, o)
	}
}

// A failed count is not a reason to describe everything: the list is
// asked, and only the cases it misses are described.
func TestCountErrorFallsBackToTheList(t *testing.T) {
	nos := openCases(t, 4)
	e := newEngine()
	e.countErr = errors.New("count not supported")
	e.status[wf(nos[1])] = reconcile.Terminated
	_, batches := pass(t, &reconcile.Reconciler{Pool: testPool, Engine: e}, 1000)
	if !slices.Equal(e.described, []string{wf(nos[1])}) || batches[0].CountError == "" || batches[0].ListError != "" {
		t.Errorf("described %v, batch %+v; want only %s described, the count's error said", e.described, batches[0], wf(nos[1]))
	}
	if s, o := caseState(t, nos[1]); s != "closed" || o != reconcile.Terminated {
		t.Errorf("terminated workflow's case %s/%s; want closed/terminated", s, o)
	}
}

// A batch retried after its counters were recorded (the worker died before
// reporting it done) counts nothing twice, and the run's repaired figure
// is its findings, not the attempts.
func TestRetriedBatchCountsOnce(t *testing.T) {
	nos := openCases(t, 3)
	e := newEngine()
	e.status[wf(nos[0])] = reconcile.Terminated
	e.hidden[wf(nos[2])] = true
	r := &reconcile.Reconciler{Pool: testPool, Engine: e}
	ctx := context.Background()
	id := fmt.Sprintf("reconcile:unit-%d", runs.Add(1))
	if err := r.Begin(ctx, id, "demand", "test"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := r.Cases(ctx, id, "", 1000, nil); err != nil {
			t.Fatal(err)
		}
	}
	run, err := r.Finish(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Checked != 3 || run.Listed != 1 || run.Described != 2 || run.Repaired != 1 {
		t.Errorf("run %+v after a retried batch; want 3 checked, 1 listed, 2 described, 1 repaired", run)
	}
}

// heldState is what a held case's row and its findings say.
func heldState(t *testing.T, no string) (status, stage, outcome string, lost bool, findings, events int) {
	t.Helper()
	ctx := context.Background()
	if err := testPool.QueryRow(ctx, `SELECT status, stage, outcome, workflow_lost_at IS NOT NULL FROM cases WHERE case_no = $1`, no).
		Scan(&status, &stage, &outcome, &lost); err != nil {
		t.Fatal(err)
	}
	if err := testPool.QueryRow(ctx, `SELECT count(*) FROM reconcile_findings WHERE case_no = $1 AND problem = $2 AND action = 'flagged'`,
		no, reconcile.ProblemHeldLost).Scan(&findings); err != nil {
		t.Fatal(err)
	}
	if err := testPool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_no = $1 AND action = 'case.reconciled.flagged'`,
		no).Scan(&events); err != nil {
		t.Fatal(err)
	}
	return
}

// A decided objection waiting out its appeal window has a closed row while
// its workflow runs on; so does one whose appeal is being decided. The
// reconciler walks them with the open cases (same count per batch): one
// whose workflow is gone — terminated, its history gone, or completed
// while the row says the window is open — is flagged, once: the row keeps
// its outcome (nothing to close), is marked, and a finding and a case event
// say what can no longer happen. A case whose window has ended (stage
// finished) is not walked at all. The next pass neither flags them again
// nor asks the engine about them.
func TestHeldClosedCaseWithoutWorkflowFlaggedOnce(t *testing.T) {
	nos := makeCases(t,
		row{"open", "deciding"},      // 0 open, running
		row{"closed", "closed"},      // 1 appeal window, running
		row{"closed", "closed"},      // 2 appeal window, terminated
		row{"closed", "finished"},    // 3 window ended: not walked
		row{"closed", "appeal"},      // 4 appeal being decided, history gone
		row{"closed", "closed"},      // 5 appeal window, workflow completed
		row{"withdrawn", "finished"}, // 6 withdrawn: not walked
	)
	e := newEngine()
	e.status[wf(nos[2])] = reconcile.Terminated
	e.status[wf(nos[3])] = reconcile.Completed
	e.status[wf(nos[4])] = reconcile.NotFound
	e.status[wf(nos[5])] = reconcile.Completed
	e.status[wf(nos[6])] = reconcile.Completed
	r := &reconcile.Reconciler{Pool: testPool, Engine: e}

	run, batches := pass(t, r, 3)
	if run.Checked != 5 || run.Held != 4 || run.HeldFlagged != 3 || run.Flagged != 3 || run.Repaired != 0 || run.Listed != 2 || run.Described != 3 {
		t.Errorf("run %+v; want 5 checked (4 held), 2 listed, 3 described, 3 flagged (all held), none repaired", run)
	}
	// Batches of 3 in case-number order: [0 1 2] [4 5] — 3 and 6 are not walked.
	if len(batches) != 2 || batches[0].Checked != 3 || batches[0].Held != 2 || batches[0].HeldFlagged != 1 ||
		batches[1].Checked != 2 || batches[1].Held != 2 || batches[1].HeldFlagged != 2 {
		t.Errorf("batches %+v; want [3 checked, 2 held, 1 flagged] [2 checked, 2 held, 2 flagged]", batches)
	}
	if counts, lists, _ := e.calls(); counts != 2 || lists != 2 {
		t.Errorf("%d counts, %d lists; want one count and one list per batch", counts, lists)
	}
	for _, no := range []string{nos[3], nos[6]} {
		if slices.Contains(e.described, wf(no)) {
			t.Errorf("%s (finished) was described: %v", no, e.described)
		}
	}
	var stored struct{ held, heldFlagged int }
	if err := testPool.QueryRow(context.Background(), `SELECT held, held_flagged FROM reconcile_runs WHERE run_id = $1`, run.RunID).
		Scan(&stored.held, &stored.heldFlagged); err != nil || stored.held != 4 || stored.heldFlagged != 3 {
		t.Errorf("reconcile_runs held %d, held_flagged %d (%v); want 4, 3", stored.held, stored.heldFlagged, err)
	}
	for _, i := range []int{2, 4, 5} {
		var notices int
		if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE case_no = $1 AND party = 'supervisor'
			AND kind = 'reconcile.workflow_lost' AND message LIKE '%' || $1 || '%' AND message_en <> ''`, nos[i]).Scan(&notices); err != nil || notices != 1 {
			t.Errorf("case %d: %d notices in the supervisors' inbox (%v); want 1", i, notices, err)
		}
		status, stage, outcome, lost, findings, events := heldState(t, nos[i])
		if status != "closed" || outcome != "upheld" || stage == "finished" || !lost || findings != 1 || events != 1 {
			t.Errorf("case %d (%s): %s/%s/%s lost %v, %d findings, %d events; want closed as it was, marked, 1 finding, 1 event",
				i, nos[i], status, stage, outcome, lost, findings, events)
		}
	}
	var reason string
	if err := testPool.QueryRow(context.Background(), `SELECT reason FROM case_events WHERE case_no = $1 AND action = 'case.reconciled.flagged'`,
		nos[2]).Scan(&reason); err != nil || !strings.Contains(reason, "申诉") || !strings.Contains(reason, "被终止") {
		t.Errorf("event on the case in its appeal window: %q (%v); want it to say the appeal cannot be received and the workflow was terminated", reason, err)
	}
	for _, i := range []int{0, 1, 3, 6} {
		if _, _, _, lost, findings, _ := heldState(t, nos[i]); lost || findings != 0 {
			t.Errorf("case %d: marked %v, %d findings; want neither", i, lost, findings)
		}
	}

	// The next pass: the flagged cases are not walked, nothing is added.
	e.reset()
	run2, _ := pass(t, r, 3)
	if run2.Checked != 2 || run2.Held != 1 || run2.Flagged != 0 || run2.Described != 0 {
		t.Errorf("second run %+v; want 2 checked (1 held), nothing described or flagged", run2)
	}
	for _, i := range []int{2, 4, 5} {
		if _, _, _, _, findings, events := heldState(t, nos[i]); findings != 1 || events != 1 {
			t.Errorf("case %d after the second pass: %d findings, %d events; want 1, 1", i, findings, events)
		}
		var notices int
		if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE case_no = $1`, nos[i]).Scan(&notices); err != nil || notices != 1 {
			t.Errorf("case %d after the second pass: %d notices (%v); want 1", i, notices, err)
		}
	}
}

// A batch retried after it flagged a held case and recorded its counters
// (the worker died before reporting it done) counts nothing twice, though
// the flagged case has left the walk and the same query would now reach
// further.
func TestRetriedBatchAfterFlaggingCountsOnce(t *testing.T) {
	nos := makeCases(t, row{"closed", "closed"}, row{"closed", "closed"}, row{"closed", "appeal"})
	e := newEngine()
	e.status[wf(nos[0])] = reconcile.Terminated
	r := &reconcile.Reconciler{Pool: testPool, Engine: e}
	ctx := context.Background()
	id := fmt.Sprintf("reconcile:unit-%d", runs.Add(1))
	if err := r.Begin(ctx, id, "demand", "test"); err != nil {
		t.Fatal(err)
	}
	first, err := r.Cases(ctx, id, "", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := r.Cases(ctx, id, "", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if retry.Next != first.Next || retry.Checked != 0 {
		t.Errorf("retried batch %+v; want nothing checked, next %s as recorded", retry, first.Next)
	}
	last, err := r.Cases(ctx, id, retry.Next, 2, nil)
	if err != nil || !last.Done {
		t.Fatalf("last batch %+v, %v", last, err)
	}
	run, err := r.Finish(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Checked != 3 || run.Held != 3 || run.HeldFlagged != 1 || run.Flagged != 1 {
		t.Errorf("run %+v after a retried batch; want 3 checked, 3 held, 1 flagged", run)
	}
}

// An open case the reconciler leaves to a person (here: its workflow
// completed while the row says open) is flagged once: marked, the next
// pass neither walks it nor writes another finding or event — it used to
// be described and flagged again every 30 minutes.
func TestFlaggedOpenCaseFlaggedOnce(t *testing.T) {
	nos := openCases(t, 3)
	e := newEngine()
	e.status[wf(nos[1])] = reconcile.Completed
	r := &reconcile.Reconciler{Pool: testPool, Engine: e}
	run, _ := pass(t, r, 1000)
	if run.Checked != 3 || run.Flagged != 1 || run.Repaired != 0 || run.Described != 1 {
		t.Errorf("run %+v; want 3 checked, 1 described and flagged", run)
	}
	e.reset()
	run2, _ := pass(t, r, 1000)
	if run2.Checked != 2 || run2.Flagged != 0 || run2.Described != 0 {
		t.Errorf("second run %+v; want the flagged case not walked: 2 checked, none described or flagged", run2)
	}
	var findings, events int
	if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM reconcile_findings WHERE case_no = $1`, nos[1]).Scan(&findings); err != nil {
		t.Fatal(err)
	}
	if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM case_events WHERE case_no = $1 AND action = 'case.reconciled.flagged'`,
		nos[1]).Scan(&events); err != nil {
		t.Fatal(err)
	}
	var notices int
	if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE case_no = $1 AND party = 'supervisor'
		AND message_en LIKE '%completed%'`, nos[1]).Scan(&notices); err != nil {
		t.Fatal(err)
	}
	if s, _ := caseState(t, nos[1]); s != "open" || findings != 1 || events != 1 || notices != 1 {
		t.Errorf("flagged open case: %s, %d findings, %d events, %d notices to the supervisors after two passes; want open, 1, 1, 1",
			s, findings, events, notices)
	}
}

package supervision_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
)

// sweepAll runs batches to the end as the workflow does.
func sweepAll(t *testing.T, s *supervision.Sweeper, run string, asOf calendar.Date, size int) (archived, batches int) {
	t.Helper()
	ctx := context.Background()
	if err := s.Begin(ctx, run, asOf); err != nil {
		t.Fatal(err)
	}
	var cur supervision.SweepCursor
	for range 100 {
		b, err := s.Batch(ctx, run, asOf, cur, size)
		if err != nil {
			t.Fatal(err)
		}
		archived += b.Archived
		batches++
		cur = b.Next
		if b.Done {
			return archived, batches
		}
	}
	t.Fatal("sweep does not end")
	return 0, 0
}

func statuses(t *testing.T, ids map[string]int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, id := range ids {
		var st string
		if err := testPool.QueryRow(context.Background(), `SELECT status FROM records WHERE id = $1`, id).Scan(&st); err != nil {
			t.Fatal(err)
		}
		out[name] = st
	}
	return out
}

// The sweep archives every record whose disclosure ended before the day,
// in batches (size 2 here, so the keyset is exercised), whatever its
// status, and a second run finds nothing more to do.
func TestDisclosureSweepIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	prov := f.provider("公示单位")
	subj := f.subject()
	ids := map[string]int64{
		"ended-long-ago":      f.record(subj, prov, "2025-12-31", "active"),
		"ended-same-day-a":    f.record(subj, prov, "2026-01-10", "active"),
		"ended-same-day-b":    f.record(subj, prov, "2026-01-10", "corrected"),
		"ended-same-day-c":    f.record(subj, prov, "2026-01-10", "suspended"),
		"under-objection":     f.record(subj, prov, "2026-02-12", "under_objection"),
		"last-day-today":      f.record(subj, prov, "2026-02-13", "active"),
		"ends-later":          f.record(subj, prov, "2027-02-13", "active"),
		"no-end":              f.record(subj, prov, "", "active"),
		"already-archived":    f.record(subj, prov, "2025-01-01", "archived"),
		"repaired":            f.record(subj, prov, "2025-01-01", "repaired"),
		"ended-just-before-d": f.record(subj, prov, "2026-02-12", "active"),
	}
	// The objection on "under-objection" will restore its prior status
	// when it closes; the sweep makes that archived.
	no := f.newCase(caseSpec{provider: prov})
	f.exec(`INSERT INTO record_labels (case_no, record_id, prior_status, suspended) VALUES ($1, $2, 'active', false)`, no, ids["under-objection"])

	s := &supervision.Sweeper{Pool: testPool}
	asOf := calendar.MustParseDate("2026-02-13")
	archived, batches := sweepAll(t, s, "sweep-test-1", asOf, 2)
	if archived != 6 || batches != 4 {
		t.Errorf("first run archived %d in %d batches; want 6 in 4", archived, batches)
	}
	want := map[string]string{
		"ended-long-ago": "archived", "ended-same-day-a": "archived", "ended-same-day-b": "archived",
		"ended-same-day-c": "archived", "under-objection": "archived", "ended-just-before-d": "archived",
		"last-day-today": "active", "ends-later": "active", "no-end": "active",
		"already-archived": "archived", "repaired": "repaired",
	}
	first := statuses(t, ids)
	if !maps.Equal(first, want) {
		t.Errorf("after the first run %v; want %v", first, want)
	}
	var prior string
	if err := testPool.QueryRow(ctx, `SELECT prior_status FROM record_labels WHERE case_no = $1`, no).Scan(&prior); err != nil || prior != "archived" {
		t.Errorf("label prior status %q (%v); want archived", prior, err)
	}
	sum, err := s.Finish(ctx, "sweep-test-1")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Archived != 6 || sum.Batches != 3 || sum.UnderCase != 2 || sum.AsOf != "2026-02-13" || sum.FinishedAt.IsZero() {
		t.Errorf("summary %+v; want 6 archived in 3 non-empty batches, 2 under a case", sum)
	}
	if n := count(t, `SELECT coalesce(sum((data->>'count')::int), 0) FROM audit_events WHERE action = $1 AND object_id = $2`,
		supervision.ActionRecordsArchived, "sweep-test-1"); n != 6 {
		t.Errorf("audit events count %d records; want 6", n)
	}

	// Run again (another scheduled run the same day, or a retried one):
	// nothing changes.
	archived, _ = sweepAll(t, s, "sweep-test-2", asOf, 2)
	if archived != 0 {
		t.Errorf("second run archived %d; want 0", archived)
	}
	if again := statuses(t, ids); !maps.Equal(again, first) {
		t.Errorf("after the second run %v; want %v", again, first)
	}
	sum2, err := s.Finish(ctx, "sweep-test-2")
	if err != nil || sum2.Archived != 0 || sum2.Batches != 0 {
		t.Errorf("second summary %+v (%v)", sum2, err)
	}
	// Begin of a run already begun keeps its counters (a retried activity).
	if err := s.Begin(ctx, "sweep-test-1", asOf); err != nil {
		t.Fatal(err)
	}
	if sum, _ := s.Run(ctx, "sweep-test-1"); sum.Archived != 6 {
		t.Errorf("repeated Begin reset the run: %+v", sum)
	}
	// The next day, the record whose last day was the 13th goes.
	archived, _ = sweepAll(t, s, "sweep-test-3", asOf.AddDays(1), 1000)
	if archived != 1 || statuses(t, ids)["last-day-today"] != "archived" {
		t.Errorf("next day archived %d; want 1 (last-day-today)", archived)
	}
}

// A sweep that rests after each batch (Yield) gives the batch's result
// back when its context ends during the rest: the batch is committed, its
// records archived and counted once, and the next batch goes on from its
// cursor.
func TestDisclosureSweepRestEndsWithItsContext(t *testing.T) {
	f := newFixture(t)
	prov := f.provider("休息单位")
	subj := f.subject()
	// Days no other test's records end on: this run's batches see only these.
	a := f.record(subj, prov, "1990-03-01", "active")
	b := f.record(subj, prov, "1990-03-02", "active")
	// A rest a million times the batch's time would outlast the test.
	s := &supervision.Sweeper{Pool: testPool, Yield: 1e6}
	asOf := calendar.MustParseDate("1990-04-01")
	if err := s.Begin(context.Background(), "sweep-rest", asOf); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// End the rest once the batch's record is archived (committed).
		defer cancel()
		for {
			var st string
			if err := testPool.QueryRow(context.Background(), `SELECT status FROM records WHERE id = $1`, a).Scan(&st); err != nil || st == "archived" {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	first, err := s.Batch(ctx, "sweep-rest", asOf, supervision.SweepCursor{}, 1)
	if err != nil || first.Archived != 1 || first.Done {
		t.Fatalf("first batch %+v, %v; want one archived, not done", first, err)
	}
	rest, err := (&supervision.Sweeper{Pool: testPool}).Batch(context.Background(), "sweep-rest", asOf, first.Next, 10)
	if err != nil || rest.Archived != 1 || !rest.Done {
		t.Fatalf("second batch %+v, %v; want the other record archived", rest, err)
	}
	if got := statuses(t, map[string]int64{"a": a, "b": b}); got["a"] != "archived" || got["b"] != "archived" {
		t.Fatalf("statuses %v", got)
	}
	sum, err := s.Finish(context.Background(), "sweep-rest")
	if err != nil || sum.Archived != 2 || sum.Batches != 2 {
		t.Fatalf("summary %+v, %v; want 2 archived in 2 batches", sum, err)
	}
}

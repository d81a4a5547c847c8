package supervision

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
)

// Sweeper ends the disclosure of records whose disclosure period has run
// out (DESIGN.md §2.4): status → archived, one audit event per batch.
//
// A record's disclosure_end is the last day it is disclosed (the public
// lookup serves it while disclosure_end >= today), so a run as of day D
// archives every record with disclosure_end < D that is not archived or
// repaired yet.
//
// Records under objection or suspended are archived too: the end of the
// disclosure period is absolute (民法典-style counting of a period fixed
// by the decision; Nantong art. 30), and an objection does not extend it.
// If the record carries the label of an open objection, the label's
// prior_status becomes archived, so the objection, when it closes and
// restores the record's prior status, leaves it archived; the batch's audit
// event lists those records.
//
// Batches are keyset-paged on (disclosure_end, id) over the partial index
// records_disclosure_sweep (migration 00020), so each batch is a range scan
// whatever the table's size. A batch and the run's counters are written in
// one transaction: a retried batch archives nothing twice and counts
// nothing twice. Rows are locked (FOR UPDATE, waiting rather than skipping:
// the keyset moves on, so a skipped row would wait for the next day) and
// re-checked after the wait, so a record repaired meanwhile is left alone.
//
// A batch that archived records then rests Yield times as long as it took
// (context permitting) before it returns: the sweep holds the database at
// most 1/(1+Yield) of its run, so the public lookups beside it keep their
// latency (issue 20.4). Zero: no rest.
type Sweeper struct {
	Pool  *pgxpool.Pool
	Yield float64
}

// SweepYield is the rest the worker's sweep takes after each batch, as a
// multiple of the batch's time.
const SweepYield = 1.0

// SweepCursor is where the next batch starts.
type SweepCursor struct {
	End string `json:"end,omitempty"` // disclosure_end of the last record seen ("" = start)
	ID  int64  `json:"id,omitempty"`
}

// SweepBatch is the result of one batch.
type SweepBatch struct {
	Archived  int         `json:"archived"`
	UnderCase int         `json:"under_case"` // of which under an open objection or suspended
	Next      SweepCursor `json:"next"`
	Done      bool        `json:"done"`
}

// SweepRun is the stored summary of a run.
type SweepRun struct {
	RunID      string    `json:"run_id"`
	AsOf       string    `json:"as_of"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Batches    int       `json:"batches"`
	Archived   int       `json:"archived"`
	UnderCase  int       `json:"under_case"`
}

// ActionRecordsArchived is the audit action of a sweep batch.
const ActionRecordsArchived = "records.archived"

// Begin records the start of run runID as of day asOf; a repeated call
// leaves the row as it is.
func (s *Sweeper) Begin(ctx context.Context, runID string, asOf calendar.Date) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO sweep_runs (run_id, kind, as_of) VALUES ($1, 'disclosure', $2)
		ON CONFLICT (run_id) DO NOTHING`, runID, asOf.Start())
	return err
}

// Batch archives up to limit records after cur whose disclosure ended
// before asOf, and adds them to run runID.
func (s *Sweeper) Batch(ctx context.Context, runID string, asOf calendar.Date, cur SweepCursor, limit int) (SweepBatch, error) {
	if limit <= 0 || limit > 10000 {
		return SweepBatch{}, fmt.Errorf("sweep batch size %d: want 1–10000", limit)
	}
	args := []any{asOf.Start(), limit}
	keyset := ""
	if cur.End != "" {
		d, err := calendar.ParseDate(cur.End)
		if err != nil {
			return SweepBatch{}, fmt.Errorf("sweep cursor: %w", err)
		}
		keyset = "AND (disclosure_end, id) > ($3::date, $4::bigint)"
		args = append(args, d.Start(), cur.ID)
	}
	start := time.Now()
	out, err := s.batch(ctx, runID, asOf, keyset, args, limit, cur)
	if err == nil && out.Archived > 0 && s.Yield > 0 {
		t := time.NewTimer(time.Duration(s.Yield * float64(time.Since(start))))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return out, err
}

func (s *Sweeper) batch(ctx context.Context, runID string, asOf calendar.Date, keyset string, args []any, limit int, cur SweepCursor) (SweepBatch, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return SweepBatch{}, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `
		WITH batch AS (
			SELECT id, disclosure_end FROM records
			WHERE status NOT IN ('archived', 'repaired') AND disclosure_end IS NOT NULL
			  AND disclosure_end < $1 `+keyset+`
			ORDER BY disclosure_end, id
			LIMIT $2
			FOR UPDATE
		)
		UPDATE records r SET status = 'archived', updated_at = now()
		FROM batch b, records old
		WHERE r.id = b.id AND old.id = b.id
		RETURNING r.id, b.disclosure_end, old.status`, args...)
	if err != nil {
		return SweepBatch{}, fmt.Errorf("sweep batch: %w", err)
	}
	var ids, labelled []int64
	var out SweepBatch
	var lastEnd time.Time
	for rows.Next() {
		var id int64
		var end time.Time
		var prior string
		if err := rows.Scan(&id, &end, &prior); err != nil {
			rows.Close()
			return SweepBatch{}, err
		}
		ids = append(ids, id)
		if prior == "under_objection" || prior == "suspended" {
			labelled = append(labelled, id)
		}
		if end.After(lastEnd) || (end.Equal(lastEnd) && id > out.Next.ID) {
			lastEnd, out.Next.ID = end, id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return SweepBatch{}, err
	}
	out.Archived, out.UnderCase = len(ids), len(labelled)
	if len(ids) < limit {
		out.Done = true
	}
	if len(ids) == 0 {
		out.Next = cur
		return out, tx.Commit(ctx)
	}
	out.Next.End = calendar.NewDate(lastEnd.Year(), lastEnd.Month(), lastEnd.Day()).String()
	// The label of an open objection restores prior_status when the case
	// closes: make that archived.
	if _, err := tx.Exec(ctx, `UPDATE record_labels l SET prior_status = 'archived'
		FROM cases c WHERE c.case_no = l.case_no AND c.status = 'open' AND l.record_id = ANY($1)`, ids); err != nil {
		return SweepBatch{}, err
	}
	err = audit.Write(ctx, tx, audit.System, audit.Event{
		Action: ActionRecordsArchived, ObjectType: "records", ObjectID: runID,
		Reason: "disclosure period ended (公开期限届满)",
		Data:   map[string]any{"as_of": asOf.String(), "count": len(ids), "record_ids": ids, "under_case": labelled},
	})
	if err != nil {
		return SweepBatch{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE sweep_runs SET batches = batches + 1, archived = archived + $2, under_case = under_case + $3,
		last_end = $4, last_id = $5 WHERE run_id = $1`, runID, len(ids), len(labelled), lastEnd, out.Next.ID)
	if err != nil {
		return SweepBatch{}, err
	}
	return out, tx.Commit(ctx)
}

// Finish marks run runID finished and returns its summary.
func (s *Sweeper) Finish(ctx context.Context, runID string) (SweepRun, error) {
	_, err := s.Pool.Exec(ctx, `UPDATE sweep_runs SET finished_at = coalesce(finished_at, now()) WHERE run_id = $1`, runID)
	if err != nil {
		return SweepRun{}, err
	}
	return s.Run(ctx, runID)
}

// Run returns the summary of run runID.
func (s *Sweeper) Run(ctx context.Context, runID string) (SweepRun, error) {
	var r SweepRun
	var asOf time.Time
	var fin *time.Time
	err := s.Pool.QueryRow(ctx, `SELECT run_id, as_of, started_at, finished_at, batches, archived, under_case
		FROM sweep_runs WHERE run_id = $1`, runID).Scan(&r.RunID, &asOf, &r.StartedAt, &fin, &r.Batches, &r.Archived, &r.UnderCase)
	if db.IsNoRows(err) {
		return r, ErrNotFound
	}
	if fin != nil {
		r.FinishedAt = *fin
	}
	r.AsOf = calendar.NewDate(asOf.Year(), asOf.Month(), asOf.Day()).String()
	return r, err
}

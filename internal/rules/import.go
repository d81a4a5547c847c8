package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
)

// ErrNoChange: every file imported holds what the calendar holds already.
var ErrNoChange = errors.New("calendar: the files change nothing (the calendar already holds this content)")

// InvalidError is an import refused for its content: Problem says what is
// wrong, naming the file and, where known, the line.
type InvalidError struct {
	File    string `json:"file"`
	Problem string `json:"problem"`
}

func (e *InvalidError) Error() string { return e.Problem }

// ImportRequest brings one or more calendar files (a national year
// cn/YYYY.json or a regional overlay regions/NAME.json, told apart by
// content) with who brings them and why.
type ImportRequest struct {
	Files  []calendar.File
	Actor  audit.Actor
	Reason string
	// DryRun validates and shows the diff without storing anything.
	DryRun bool
}

// ImportResult is what an import did (or, dry, would do).
type ImportResult struct {
	// Revision is the new calendar revision (0 on a dry run); Previous the
	// one it replaces.
	Revision int64            `json:"revision"`
	Previous int64            `json:"previous"`
	Files    []string         `json:"files"`
	Changes  calendar.Changes `json:"changes"`
	// Versions are the calendar versions deadlines will carry, per region
	// ("" = national).
	Versions map[string]string `json:"versions"`
	// AffectedCases is the number of open cases with a deadline the change
	// may move: every provisional one, and those running over a changed day.
	AffectedCases int  `json:"affected_cases"`
	DryRun        bool `json:"dry_run"`
}

type revisionMeta struct {
	Actor  string
	Reason string
	Origin string
}

// Import validates files against the calendar they amend, shows the diff
// against what they replace, and (unless dry) stores them as a new
// revision, audited. The caller starts the recompute of the affected cases
// (worker.StartCalendarRecompute) once it has committed.
func (r *Rules) Import(ctx context.Context, req ImportRequest) (ImportResult, error) {
	if r.pool == nil {
		return ImportResult{}, errors.New("calendar import needs the database")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return ImportResult{}, &InvalidError{Problem: "reason is required (e.g. the notice's title and number)"}
	}
	if len(req.Files) == 0 {
		return ImportResult{}, &InvalidError{Problem: "no file to import"}
	}
	for i := range req.Files {
		f := &req.Files[i]
		key, err := calendar.KeyOf(f.Origin, f.Data)
		if err != nil {
			return ImportResult{}, &InvalidError{File: f.Origin, Problem: err.Error()}
		}
		if f.Key != "" && f.Key != key {
			return ImportResult{}, &InvalidError{File: f.Origin, Problem: fmt.Sprintf("calendar: %s: the content is %s, not %s", f.Origin, key, f.Key)}
		}
		f.Key = key
	}
	var res ImportResult
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := lockCalendar(ctx, tx); err != nil {
			return err
		}
		var head int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(rev), 0) FROM calendar_revisions`).Scan(&head); err != nil {
			return err
		}
		if head == 0 {
			return errors.New("calendar: the database holds no calendar yet (start a role once)")
		}
		meta := revisionMeta{Actor: req.Actor.Username, Reason: req.Reason, Origin: originOf(req.Files)}
		var err error
		if req.DryRun {
			res, err = r.diffLocked(ctx, tx, head, req.Files)
			res.DryRun = true
			return err
		}
		if res, err = importLocked(ctx, tx, head, req.Files, meta); err != nil {
			return err
		}
		return audit.Write(ctx, tx, req.Actor, audit.Event{Action: "calendar.imported", ObjectType: "calendar",
			ObjectID: fmt.Sprint(res.Revision), Reason: req.Reason, Data: map[string]any{
				"files": res.Files, "previous": res.Previous, "years": res.Changes.Years,
				"days_changed": len(res.Changes.Days), "affected_cases": res.AffectedCases, "origin": meta.Origin,
			}})
	})
	return res, err
}

func originOf(files []calendar.File) string {
	var o []string
	for _, f := range files {
		o = append(o, f.Origin)
	}
	return strings.Join(o, ", ")
}

// diffLocked compiles head + files and compares.
func (r *Rules) diffLocked(ctx context.Context, tx pgx.Tx, head int64, files []calendar.File) (ImportResult, error) {
	prevFiles, err := snapshot(ctx, tx, head)
	if err != nil {
		return ImportResult{}, err
	}
	prev, err := calendar.Compile(prevFiles)
	if err != nil {
		return ImportResult{}, err
	}
	next, err := calendar.Compile(append(prevFiles, files...))
	if err != nil {
		return ImportResult{}, &InvalidError{File: originOf(files), Problem: err.Error()}
	}
	res := ImportResult{Previous: head, Changes: calendar.Diff(prev, next), Versions: next.Versions()}
	for _, f := range files {
		res.Files = append(res.Files, f.Key)
	}
	if res.AffectedCases, err = countAffected(ctx, tx, res.Changes.WorkingDates()); err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// importLocked stores files as revision head+1 (the caller holds the lock).
func importLocked(ctx context.Context, tx pgx.Tx, head int64, files []calendar.File, meta revisionMeta) (ImportResult, error) {
	changed := false
	for _, f := range files {
		var same bool
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT digest = $2 FROM calendar_files WHERE key = $1 ORDER BY rev DESC LIMIT 1), false)`,
			f.Key, calendar.Digest(f)).Scan(&same); err != nil {
			return ImportResult{}, err
		}
		changed = changed || !same
	}
	if !changed {
		return ImportResult{}, ErrNoChange
	}
	r := &Rules{}
	res, err := r.diffLocked(ctx, tx, head, files)
	if err != nil {
		return ImportResult{}, err
	}
	prevFiles, err := snapshot(ctx, tx, head)
	if err != nil {
		return ImportResult{}, err
	}
	next, err := calendar.Compile(append(prevFiles, files...))
	if err != nil {
		return ImportResult{}, err
	}
	res.Revision = head + 1
	if _, err := writeRevision(ctx, tx, res.Revision, next, files, meta, res.Changes); err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// writeRevision stores revision rev: its row, its files and the versions of
// its compiled tables.
func writeRevision(ctx context.Context, tx pgx.Tx, rev int64, c *calendar.Calendar, files []calendar.File, meta revisionMeta, ch calendar.Changes) (int64, error) {
	changes, err := json.Marshal(ch)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO calendar_revisions (rev, actor, reason, origin, changes) VALUES ($1,$2,$3,$4,$5)`,
		rev, meta.Actor, meta.Reason, meta.Origin, changes); err != nil {
		return 0, fmt.Errorf("calendar revision %d: %w", rev, err)
	}
	for _, f := range files {
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_files (key, rev, digest, data) VALUES ($1,$2,$3,$4)`,
			f.Key, rev, calendar.Digest(f), string(f.Data)); err != nil {
			return 0, fmt.Errorf("calendar file %s: %w", f.Key, err)
		}
	}
	for region, v := range c.Versions() {
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_versions (version, region, rev) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`,
			v, region, rev); err != nil {
			return 0, err
		}
	}
	return rev, nil
}

// affectedWhere selects the open deadlines a calendar change may move:
// every provisional one and those whose counted days (start_date, due_date]
// hold a changed day ($1, a date array).
const affectedWhere = `d.state = 'pending' AND d.case_open
	AND (d.provisional OR EXISTS (SELECT 1 FROM unnest($1::date[]) x WHERE x > d.start_date AND x <= d.due_date))`

func countAffected(ctx context.Context, tx pgx.Tx, dates []calendar.Date) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(DISTINCT d.case_no) FROM case_deadlines d WHERE `+affectedWhere, pgDates(dates)).Scan(&n)
	return n, err
}

func pgDates(dates []calendar.Date) []time.Time {
	out := make([]time.Time, len(dates))
	for i, d := range dates {
		out[i] = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	}
	return out
}

// CaseTarget is an open case a calendar change may concern.
type CaseTarget struct {
	CaseNo     string `json:"case_no"`
	WorkflowID string `json:"workflow_id"`
}

// changedDates returns the dates whose working status revision rev changed.
func changedDates(ctx context.Context, q pgx.Tx, rev int64) ([]calendar.Date, error) {
	var raw []byte
	if err := q.QueryRow(ctx, `SELECT changes FROM calendar_revisions WHERE rev = $1`, rev).Scan(&raw); err != nil {
		return nil, fmt.Errorf("calendar revision %d: %w", rev, err)
	}
	var ch calendar.Changes
	if err := json.Unmarshal(raw, &ch); err != nil {
		return nil, fmt.Errorf("calendar revision %d changes: %w", rev, err)
	}
	return ch.WorkingDates(), nil
}

// AffectedCases returns, in case-number order after after, up to limit open
// cases with a deadline revision rev may move (every provisional one, and
// those running over a changed day), and records them as signalled in the
// run's progress (calendar_recompute_cases). Repeating it is harmless.
func AffectedCases(ctx context.Context, pool interface {
	Begin(context.Context) (pgx.Tx, error)
}, rev int64, after string, limit int) ([]CaseTarget, error) {
	var out []CaseTarget
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	dates, err := changedDates(ctx, tx, rev)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT c.case_no, c.workflow_id FROM cases c
		WHERE c.status = 'open' AND c.case_no > $2
		  AND EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_no = c.case_no AND `+affectedWhere+`)
		ORDER BY c.case_no LIMIT $3`, pgDates(dates), after, limit)
	if err != nil {
		return nil, err
	}
	if out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[CaseTarget]); err != nil {
		return nil, err
	}
	for _, c := range out {
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_recompute_cases (rev, case_no) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			rev, c.CaseNo); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit(ctx)
}

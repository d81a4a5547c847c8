// Package rules is where every role — API, worker, board, repair
// eligibility, documents — reads the policy profiles and the working-day
// calendar from. They are loaded once per process (the data embedded in the
// binary plus the POLICY_DIR and CALENDAR_DIR overrides; an invalid file
// stops the process at start, naming the file and line) and kept in
// PostgreSQL as versions:
//
//   - every profile version a process loads is stored with its YAML, so a
//     case keeps the version it opened with (Profile(id, version)) whatever
//     is loaded later;
//   - the calendar's data files are versioned rows (calendar revisions, the
//     embedded files being the first), so every replica sees an imported
//     year at once (Calendar), and the calendar a deadline was counted with
//     can be rebuilt from the version it carries (CalendarOf).
//
// A Rules without a database (Static) serves its local data only: unit
// tests and the offline CLI subcommands.
package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
)

// Dirs are the override directories (CALENDAR_DIR, POLICY_DIR); "" = none.
type Dirs struct {
	Calendar string
	Policy   string
}

// Local is what a process reads from its binary and its override
// directories, validated, before the database.
type Local struct {
	Dirs     Dirs
	Policies *policy.Set
	// Calendar is compiled from Embedded with Overrides applied.
	Calendar  *calendar.Calendar
	Embedded  []calendar.File
	Overrides []calendar.File
}

// LoadLocal reads and validates the embedded rules and the overrides. Any
// invalid file is an error naming it (and the line where the format
// allows): the process must not start with rules other than those asked.
func LoadLocal(d Dirs) (*Local, error) {
	l := &Local{Dirs: d}
	var err error
	if l.Policies, err = policy.Load(d.Policy); err != nil {
		return nil, fmt.Errorf("POLICY_DIR %s: %w", d.Policy, err)
	}
	if l.Embedded, err = calendar.EmbeddedFiles(); err != nil {
		return nil, err
	}
	files := l.Embedded
	if d.Calendar != "" {
		if l.Overrides, err = calendar.OverrideFiles(d.Calendar); err != nil {
			return nil, fmt.Errorf("CALENDAR_DIR %s: %w", d.Calendar, err)
		}
		files = append(append([]calendar.File(nil), files...), l.Overrides...)
	}
	if l.Calendar, err = calendar.Compile(files); err != nil {
		return nil, fmt.Errorf("CALENDAR_DIR %s: %w", d.Calendar, err)
	}
	return l, nil
}

// Rules serves the policy profiles and the calendar to one process. It is
// safe for concurrent use.
type Rules struct {
	pool  *pgxpool.Pool
	local *Local
	log   zerolog.Logger

	mu        sync.Mutex
	byRev     map[int64]*calendar.Calendar
	byVersion map[string]*calendar.Calendar
	profiles  map[string]*policy.Profile // id + "\x00" + version
}

// Static returns Rules over cal and pol without a database (nil = the
// embedded data).
func Static(cal *calendar.Calendar, pol *policy.Set) *Rules {
	if cal == nil {
		cal = calendar.Default()
	}
	if pol == nil {
		pol = policy.Default()
	}
	return &Rules{local: &Local{Policies: pol, Calendar: cal}, log: zerolog.Nop(),
		byRev: map[int64]*calendar.Calendar{}, byVersion: map[string]*calendar.Calendar{}, profiles: map[string]*policy.Profile{}}
}

// Open puts the local rules in the database and returns the process's
// Rules: the profile versions are registered; the calendar's first
// revision is the embedded data (on an empty database); any local file
// whose content the database has never held — a CALENDAR_DIR year, or a
// newer binary's data — becomes a new revision, recorded with its diff
// like an import (the recompute of the cases it touches is started by the
// worker, EnsureRecomputes). Content the database already moved past is
// not brought back.
func Open(ctx context.Context, pool *pgxpool.Pool, local *Local, log zerolog.Logger, host string) (*Rules, error) {
	r := Static(local.Calendar, local.Policies)
	r.pool, r.local, r.log = pool, local, log
	if err := r.registerProfiles(ctx); err != nil {
		return nil, err
	}
	if err := r.seedCalendar(ctx, host); err != nil {
		return nil, err
	}
	return r, nil
}

// Local returns what the process loaded itself.
func (r *Rules) Local() *Local { return r.local }

// Policies returns the profiles loaded now (for new cases).
func (r *Rules) Policies() *policy.Set { return r.local.Policies }

func (r *Rules) registerProfiles(ctx context.Context) error {
	for _, p := range r.local.Policies.Profiles() {
		if _, err := r.pool.Exec(ctx, `INSERT INTO policy_profile_versions (profile_id, version, origin, document)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, p.ID, p.Version, p.Source, string(p.Document())); err != nil {
			return fmt.Errorf("register profile %s %s: %w", p.ID, p.Version, err)
		}
	}
	return nil
}

// Profile returns profile id at version: the one loaded now if it is that
// version, else the stored document of that version. An empty version, or
// a version the database never held (cases opened before versions were
// kept), gets the profile loaded now, and the fallback is logged.
func (r *Rules) Profile(ctx context.Context, id, version string) (*policy.Profile, error) {
	cur, curErr := r.local.Policies.Get(id)
	if curErr == nil && (version == "" || cur.Version == version) {
		return cur, nil
	}
	if version == "" || r.pool == nil {
		if curErr != nil {
			return nil, curErr
		}
		return cur, nil
	}
	key := id + "\x00" + version
	r.mu.Lock()
	p, ok := r.profiles[key]
	r.mu.Unlock()
	if ok {
		return p, nil
	}
	var origin, doc string
	err := r.pool.QueryRow(ctx, `SELECT origin, document FROM policy_profile_versions WHERE profile_id = $1 AND version = $2`,
		id, version).Scan(&origin, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		if curErr != nil {
			return nil, fmt.Errorf("%w %q version %s", policy.ErrUnknownProfile, id, version)
		}
		r.log.Warn().Str("profile", id).Str("version", version).Str("using", cur.Version).
			Msg("profile version not kept in the database; using the version loaded now")
		return cur, nil
	}
	if err != nil {
		return nil, fmt.Errorf("profile %s %s: %w", id, version, err)
	}
	p, err = policy.ParseProfile(id, fmt.Sprintf("db:%s@%s (from %s)", id, version, origin), []byte(doc))
	if err != nil {
		return nil, err
	}
	if p.Version != version {
		return nil, fmt.Errorf("profile %s: stored document of version %s parses as %s", id, version, p.Version)
	}
	r.mu.Lock()
	r.profiles[key] = p
	r.mu.Unlock()
	return p, nil
}

// ProfileRef names one version of one profile.
type ProfileRef struct {
	ID      string
	Version string
}

// ProfileVersions lists every profile version cases may run under: every
// version any process has stored, and those loaded now.
func (r *Rules) ProfileVersions(ctx context.Context) ([]ProfileRef, error) {
	seen := map[ProfileRef]bool{}
	var out []ProfileRef
	for _, p := range r.local.Policies.Profiles() {
		ref := ProfileRef{p.ID, p.Version}
		seen[ref] = true
		out = append(out, ref)
	}
	if r.pool == nil {
		return out, nil
	}
	rows, err := r.pool.Query(ctx, `SELECT profile_id, version FROM policy_profile_versions ORDER BY profile_id, version`)
	if err != nil {
		return nil, fmt.Errorf("profile versions: %w", err)
	}
	stored, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ProfileRef, error) {
		var ref ProfileRef
		err := row.Scan(&ref.ID, &ref.Version)
		return ref, err
	})
	if err != nil {
		return nil, fmt.Errorf("profile versions: %w", err)
	}
	for _, ref := range stored {
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	return out, nil
}

// Head returns the latest calendar revision (0 without a database).
func (r *Rules) Head(ctx context.Context) (int64, error) {
	if r.pool == nil {
		return 0, nil
	}
	var rev int64
	err := r.pool.QueryRow(ctx, `SELECT coalesce(max(rev), 0) FROM calendar_revisions`).Scan(&rev)
	return rev, err
}

// Calendar returns the calendar as it stands now in the database: every
// replica sees an import from its next call on. Without a database it is
// the local calendar.
func (r *Rules) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	rev, err := r.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("calendar head: %w", err)
	}
	if rev == 0 {
		return r.local.Calendar, nil
	}
	return r.calendarAt(ctx, rev)
}

// CalendarOf returns the calendar a deadline was counted with, from the
// version it carries. A version the database does not know (deadlines
// counted before calendars were kept) gets the calendar of now.
func (r *Rules) CalendarOf(ctx context.Context, version string) (*calendar.Calendar, error) {
	r.mu.Lock()
	c, ok := r.byVersion[version]
	r.mu.Unlock()
	if ok {
		return c, nil
	}
	for _, v := range r.local.Calendar.Versions() {
		if v == version && r.pool == nil {
			return r.local.Calendar, nil
		}
	}
	if r.pool == nil || version == "" {
		return r.local.Calendar, nil
	}
	var rev int64
	err := r.pool.QueryRow(ctx, `SELECT rev FROM calendar_versions WHERE version = $1`, version).Scan(&rev)
	if errors.Is(err, pgx.ErrNoRows) {
		return r.Calendar(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("calendar version %s: %w", version, err)
	}
	c, err = r.calendarAt(ctx, rev)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.byVersion[version] = c
	r.mu.Unlock()
	return c, nil
}

// calendarAt compiles revision rev (cached: a revision never changes).
func (r *Rules) calendarAt(ctx context.Context, rev int64) (*calendar.Calendar, error) {
	r.mu.Lock()
	c, ok := r.byRev[rev]
	r.mu.Unlock()
	if ok {
		return c, nil
	}
	files, err := snapshot(ctx, r.pool, rev)
	if err != nil {
		return nil, err
	}
	if c, err = calendar.Compile(files); err != nil {
		return nil, fmt.Errorf("calendar revision %d: %w", rev, err)
	}
	r.mu.Lock()
	r.byRev[rev] = c
	for _, v := range c.Versions() {
		r.byVersion[v] = c
	}
	r.mu.Unlock()
	return c, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// snapshot returns the files of revision rev: for each key, its latest row
// at or before rev.
func snapshot(ctx context.Context, q querier, rev int64) ([]calendar.File, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT ON (key) key, rev, data FROM calendar_files
		WHERE rev <= $1 ORDER BY key, rev DESC`, rev)
	if err != nil {
		return nil, fmt.Errorf("calendar revision %d: %w", rev, err)
	}
	files, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (calendar.File, error) {
		var f calendar.File
		var at int64
		var data string
		err := row.Scan(&f.Key, &at, &data)
		f.Origin, f.Data = fmt.Sprintf("db:rev %d:%s", at, f.Key), []byte(data)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("calendar revision %d: %w", rev, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	return files, nil
}

// seedCalendar writes the first revision on an empty database and any
// local content the database never held as a new revision.
func (r *Rules) seedCalendar(ctx context.Context, host string) error {
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		if err := lockCalendar(ctx, tx); err != nil {
			return err
		}
		var head int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(rev), 0) FROM calendar_revisions`).Scan(&head); err != nil {
			return err
		}
		if head == 0 {
			c, err := calendar.Compile(r.local.Embedded)
			if err != nil {
				return err
			}
			if _, err := writeRevision(ctx, tx, 1, c, r.local.Embedded, revisionMeta{
				Actor: "system", Reason: "first version: the calendar data embedded in the binary", Origin: "embedded",
			}, calendar.Changes{}); err != nil {
				return err
			}
			head = 1
		}
		var fresh []calendar.File
		origins := map[string]bool{}
		local := append(append([]calendar.File(nil), r.local.Embedded...), r.local.Overrides...)
		for _, f := range dedupe(local) {
			var known bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calendar_files WHERE key = $1 AND digest = $2)`,
				f.Key, calendar.Digest(f)).Scan(&known); err != nil {
				return err
			}
			if !known && regresses(ctx, tx, f) {
				r.log.Warn().Str("file", f.Key).Str("origin", f.Origin).
					Msg("calendar: local file is unpublished where the database holds a published schedule; kept the database's")
				continue
			}
			if !known {
				fresh = append(fresh, f)
				if strings.HasPrefix(f.Origin, "embedded:") {
					origins["embedded data of this binary"] = true
				} else {
					origins["CALENDAR_DIR "+r.local.Dirs.Calendar] = true
				}
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		var from []string
		for o := range origins {
			from = append(from, o)
		}
		sort.Strings(from)
		_, err := importLocked(ctx, tx, head, fresh, revisionMeta{
			Actor: "system", Reason: "loaded at the start of " + host, Origin: strings.Join(from, "; "),
		})
		if errors.Is(err, ErrNoChange) {
			return nil
		}
		return err
	})
}

// regresses reports whether f would put an unpublished year (or overlay
// year) in place of the published one the database holds: a binary built
// before the notice must not undo its import.
func regresses(ctx context.Context, tx pgx.Tx, f calendar.File) bool {
	var data string
	if err := tx.QueryRow(ctx, `SELECT data FROM calendar_files WHERE key = $1 ORDER BY rev DESC LIMIT 1`, f.Key).Scan(&data); err != nil {
		return false
	}
	var now, local struct {
		Status string `json:"status"`
	}
	if json.Unmarshal([]byte(data), &now) != nil || json.Unmarshal(f.Data, &local) != nil {
		return false
	}
	return now.Status == calendar.StatusPublished && local.Status == calendar.StatusUnpublished
}

// dedupe keeps the last file of each key.
func dedupe(files []calendar.File) []calendar.File {
	idx := map[string]int{}
	var out []calendar.File
	for _, f := range files {
		if i, ok := idx[f.Key]; ok {
			out[i] = f
			continue
		}
		idx[f.Key] = len(out)
		out = append(out, f)
	}
	return out
}

// lockCalendar serialises the writers of calendar revisions.
func lockCalendar(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('creditcase.calendar_revisions'))`)
	return err
}

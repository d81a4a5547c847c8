// Package supervision serves the credit authority (信用管理部门): the
// red/yellow/green deadline board, escalation handling, the provider
// performance report (Nantong art. 40) and the disclosure-expiry sweep's
// store. Everything reads or writes the case projection in PostgreSQL,
// never Temporal.
package supervision

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/failing"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/rules"
)

// Lights of the board.
const (
	Green  = "green"  // more than the profile's warning margin left
	Yellow = "yellow" // within the warning margin (default 1 working day)
	Red    = "red"    // missed: due time passed
)

// Board lists open deadlines with their lights.
//
// How a light becomes an indexed condition: for every policy profile the
// board computes, through the calendar with the profile's region, the
// instant Edge = start of the (margin+1)-th working day after today
// (Asia/Shanghai). A deadline has at most `margin` working days left
// (calendar.WorkingDaysBetween(today, due) <= margin) exactly when its
// due date is before that day, i.e. due_at <= Edge (due_at is 24:00 of the
// due date). So, with now the board's clock:
//
//	red    due_at <= now           (missed deadlines lapsed at due_at, so they are in this range)
//	yellow now < due_at <= Edge(profile)
//	green  due_at > Edge(profile)
//
// The edges per profile, and per profile version (a case's lights follow the
// version it runs under, copied onto its deadlines as case_profile_version),
// are passed as arrays and joined on the case's profile and version; the scan itself is a range on case_deadlines.due_at bounded by
// the smallest and largest edge, in keyset order, over partial indexes that
// hold only the open deadlines of open cases (migrations 00022, 00023):
// (due_at), (party, due_at), (case_kind, due_at), (case_stage, due_at),
// (case_profile, due_at). The case's status, kind, stage and profile are
// copied onto its deadlines by triggers, so a page needs no join.
type Board struct {
	Pool *pgxpool.Pool
	// Rules serve the calendar as it stands (the yellow edges) and the
	// calendar each deadline was counted with (working days left). When
	// nil, Calendar and Policies are used as they are.
	Rules    *rules.Rules
	Calendar *calendar.Calendar
	Policies *policy.Set
	// Now is the board's clock (nil = time.Now).
	Now func() time.Time
}

// DefaultWarningMargin is used for a case whose profile is unknown.
const DefaultWarningMargin = 1

// BoardFilter selects and orders deadlines; zero fields select all.
type BoardFilter struct {
	Kind    string // objection, listing, repair
	Stage   string
	Party   string // centre, subject, supervisor, provider:<id>
	Light   string // green, yellow, red
	Profile string // locality (policy profile id)
	Desc    bool   // latest due first (default: soonest first)
	After   string // cursor from a previous page
	Limit   int
}

// BoardItem is one open deadline with its light.
type BoardItem struct {
	CaseNo      string    `json:"case_no"`
	Kind        string    `json:"kind"`
	Stage       string    `json:"stage"`
	Profile     string    `json:"profile"`
	Rule        string    `json:"rule"`
	Seq         int       `json:"seq"`
	Party       string    `json:"party"`
	Due         string    `json:"due"`
	DueAt       time.Time `json:"due_at"`
	State       string    `json:"state"`
	Light       string    `json:"light"`
	DaysLeft    *int      `json:"working_days_left,omitempty"`
	Explanation string    `json:"explanation"`
	// CalendarVersion is the calendar the deadline was counted with (its
	// working days left are counted with the same one).
	CalendarVersion string `json:"calendar_version"`
	// Provisional deadlines run into a year whose schedule is not
	// published; ProvisionalNote says so.
	Provisional     bool   `json:"provisional"`
	ProvisionalNote string `json:"provisional_note,omitempty"`
	// The rest of the deadline's row, for the one deadline shape the
	// application core answers with.
	StartsAt time.Time  `json:"-"`
	N        int        `json:"-"`
	Unit     string     `json:"-"`
	ExtraWD  int        `json:"-"`
	RemindAt *time.Time `json:"-"`
	Source   string     `json:"-"`
}

// BoardPage is a page of the board. The first page also lists what keeps
// failing on the worker (Failing): the open cases held up by an activity
// that cannot finish, and why.
type BoardPage struct {
	AsOf time.Time `json:"as_of"`
	// Warnings for the operator, e.g. next year's holiday schedule still
	// missing from 1 November.
	Warnings []string `json:"warnings,omitempty"`
	// Failing: what keeps failing on the worker (first page only).
	Failing []failing.Activity `json:"failing,omitempty"`
	Items   []BoardItem        `json:"items"`
	Next    string             `json:"next,omitempty"`
	// DeadDeliveries counts the events a subscriber never received
	// (GET /deliveries?state=dead lists them; a supervisor re-sends).
	DeadDeliveries int `json:"dead_deliveries"`
}

// MaxPage is the largest page any list here returns.
const MaxPage = 500

// ErrInvalid is a filter or input the caller must correct.
type ErrInvalid struct{ Field, ZH, EN string }

func (e *ErrInvalid) Error() string { return e.Field + ": " + e.EN }

type edge struct {
	profile string
	// version is the profile version the edge is for; "" = a case whose
	// version is not known here (it gets its profile's loaded now).
	version string
	at      time.Time
}

// edges returns, per profile and per profile version a case may run under,
// the instant up to which a due_at is yellow: a case's lights follow the
// warning margin of the version it opened with.
func (b *Board) edges(ctx context.Context, rl *rules.Rules, cal *calendar.Calendar, now time.Time) ([]edge, error) {
	today := calendar.DateOf(now)
	var out []edge
	add := func(p *policy.Profile, version string) error {
		at, err := edgeOf(cal, today, p.Region, p.Settings.WarningMarginWD.Value)
		if err != nil {
			return fmt.Errorf("profile %s %s: %w", p.ID, p.Version, err)
		}
		out = append(out, edge{p.ID, version, at})
		return nil
	}
	pol := rl.Policies()
	for _, id := range pol.IDs() {
		p, err := pol.Get(id)
		if err != nil {
			return nil, err
		}
		if err := add(p, ""); err != nil {
			return nil, err
		}
	}
	refs, err := rl.ProfileVersions(ctx)
	if err != nil {
		return nil, err
	}
	for _, ref := range refs {
		p, err := rl.Profile(ctx, ref.ID, ref.Version)
		if err != nil {
			return nil, err
		}
		if p.Version != ref.Version {
			continue // not kept: the by-profile edge serves it
		}
		if err := add(p, ref.Version); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func edgeOf(cal *calendar.Calendar, today calendar.Date, region string, margin int) (time.Time, error) {
	opt := calendar.Options{Region: region, Provisional: true}
	d, err := cal.Add(today, margin+1, calendar.WorkingDays, opt)
	if err != nil {
		return time.Time{}, err
	}
	return d.Due.Start(), nil
}

type cursor struct {
	DueAt  time.Time `json:"d"`
	CaseNo string    `json:"c"`
	Rule   string    `json:"r"`
	Seq    int       `json:"s"`
}

func (c cursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.CaseNo == "" {
		return c, &ErrInvalid{Field: "after", ZH: "分页游标无效", EN: "invalid page cursor"}
	}
	return c, nil
}

// ValidParty reports whether p names a party: centre, subject, supervisor or
// provider:<id>.
func ValidParty(p string) bool {
	switch p {
	case "centre", "subject", "supervisor":
		return true
	}
	id, ok := strings.CutPrefix(p, "provider:")
	if !ok {
		return false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == id
}

// List returns one page of open deadlines of open cases.
func (b *Board) List(ctx context.Context, f BoardFilter) (BoardPage, error) {
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > MaxPage {
		limit = MaxPage
	}
	rl := b.Rules
	if rl == nil {
		rl = rules.Static(b.Calendar, b.Policies)
	}
	cal, err := rl.Calendar(ctx)
	if err != nil {
		return BoardPage{}, err
	}
	pol := rl.Policies()
	edges, err := b.edges(ctx, rl, cal, now)
	if err != nil {
		return BoardPage{}, err
	}
	var profiles, vprofiles, versions []string
	var ats, vats []time.Time
	lo, hi := now, now
	for i, e := range edges {
		if e.version == "" {
			profiles, ats = append(profiles, e.profile), append(ats, e.at)
		} else {
			vprofiles, versions, vats = append(vprofiles, e.profile), append(versions, e.version), append(vats, e.at)
		}
		if i == 0 || e.at.Before(lo) {
			lo = e.at
		}
		if e.at.After(hi) {
			hi = e.at
		}
	}
	// A case under a profile the set does not know gets the default margin,
	// national calendar.
	defEdge, err := edgeOf(cal, calendar.DateOf(now), "", DefaultWarningMargin)
	if err != nil {
		return BoardPage{}, err
	}
	if defEdge.Before(lo) {
		lo = defEdge
	}
	if defEdge.After(hi) {
		hi = defEdge
	}

	args := []any{profiles, ats, defEdge, vprofiles, versions, vats}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"d.state IN ('pending', 'missed')", "d.case_open"}
	if f.Kind != "" {
		where = append(where, "d.case_kind = "+arg(f.Kind))
	}
	if f.Stage != "" {
		where = append(where, "d.case_stage = "+arg(f.Stage))
	}
	if f.Profile != "" {
		where = append(where, "d.case_profile = "+arg(f.Profile))
	}
	if f.Party != "" {
		if !ValidParty(f.Party) {
			return BoardPage{}, &ErrInvalid{Field: "party", ZH: "责任方应为 centre、subject、supervisor 或 provider:<编号>", EN: "party must be centre, subject, supervisor or provider:<id>"}
		}
		where = append(where, "d.party = "+arg(f.Party))
	}
	edgeExpr := "coalesce(ev.edge, e.edge, $3)"
	switch f.Light {
	case "":
	case Red:
		where = append(where, "d.due_at <= "+arg(now))
	case Yellow:
		where = append(where, "d.due_at > "+arg(now), "d.due_at <= "+arg(hi), "d.due_at <= "+edgeExpr)
	case Green:
		where = append(where, "d.due_at > "+arg(lo), "d.due_at > "+edgeExpr)
	default:
		return BoardPage{}, &ErrInvalid{Field: "light", ZH: "灯色应为 green、yellow 或 red", EN: "light must be green, yellow or red"}
	}
	cmp, order := ">", "ASC"
	if f.Desc {
		cmp, order = "<", "DESC"
	}
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return BoardPage{}, err
		}
		where = append(where, fmt.Sprintf("(d.due_at, d.case_no, d.rule_id, d.seq) %s (%s, %s, %s, %s)",
			cmp, arg(c.DueAt), arg(c.CaseNo), arg(c.Rule), arg(c.Seq)))
	}
	q := `SELECT d.case_no, d.case_kind, d.case_stage, d.case_profile, d.rule_id, d.seq, d.party, d.due_date, d.due_at, d.state,
			d.explanation, d.starts_at, d.n, d.unit, d.extra_wd, d.remind_at, d.calendar_version, d.provisional, d.source, ` + edgeExpr + `
		FROM case_deadlines d
		LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS e(profile, edge) ON e.profile = d.case_profile
		LEFT JOIN unnest($4::text[], $5::text[], $6::timestamptz[]) AS ev(profile, version, edge)
			ON ev.profile = d.case_profile AND ev.version = d.case_profile_version
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY d.due_at ` + order + `, d.case_no ` + order + `, d.rule_id ` + order + `, d.seq ` + order + `
		LIMIT ` + arg(limit+1)
	// A page is a short keyset scan: parallel workers only add their start-up
	// time (tens of milliseconds at 1 M cases), so the board does without.
	tx, err := b.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return BoardPage{}, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL max_parallel_workers_per_gather = 0"); err != nil {
		return BoardPage{}, err
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return BoardPage{}, err
	}
	type row struct {
		BoardItem
		due  time.Time
		edge time.Time
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var it row
		err := r.Scan(&it.CaseNo, &it.Kind, &it.Stage, &it.Profile, &it.Rule, &it.Seq, &it.Party, &it.due, &it.DueAt,
			&it.State, &it.Explanation, &it.StartsAt, &it.N, &it.Unit, &it.ExtraWD, &it.RemindAt, &it.CalendarVersion,
			&it.Provisional, &it.Source, &it.edge)
		return it, err
	})
	if err != nil {
		return BoardPage{}, err
	}
	var dead int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM event_deliveries WHERE state = 'dead'`).Scan(&dead); err != nil {
		return BoardPage{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return BoardPage{}, err
	}
	page := BoardPage{AsOf: now, Items: make([]BoardItem, 0, min(len(got), limit)), DeadDeliveries: dead}
	if w := cal.NextYearWarning(calendar.DateOf(now)); w != "" {
		page.Warnings = append(page.Warnings, w)
	}
	for i, r := range got {
		if i == limit {
			last := page.Items[limit-1]
			page.Next = cursor{DueAt: last.DueAt, CaseNo: last.CaseNo, Rule: last.Rule, Seq: last.Seq}.encode()
			break
		}
		it := r.BoardItem
		due := calendar.NewDate(r.due.Year(), r.due.Month(), r.due.Day())
		it.Due = due.String()
		it.Light = LightOf(now, it.DueAt, r.edge, it.State)
		region := ""
		if p, err := pol.Get(it.Profile); err == nil {
			region = p.Region
		}
		if it.Provisional {
			it.ProvisionalNote = calendar.ProvisionalNote
		}
		dcal, err := rl.CalendarOf(ctx, it.CalendarVersion)
		if err != nil {
			return BoardPage{}, err
		}
		if n, err := dcal.WorkingDaysBetween(calendar.DateOf(now), due, calendar.Options{Region: region, Provisional: true}); err == nil {
			it.DaysLeft = &n
		}
		page.Items = append(page.Items, it)
	}
	if f.After == "" {
		if page.Failing, err = failing.Open(ctx, b.Pool, 100); err != nil {
			return BoardPage{}, err
		}
		if len(page.Failing) == 0 {
			page.Failing = nil
		}
	}
	return page, nil
}

// LightOf is the light of a deadline due at dueAt in state, at now, where
// edge is its profile's yellow edge (see Board).
func LightOf(now, dueAt, edge time.Time, state string) string {
	switch {
	case state == "missed" || !dueAt.After(now):
		return Red
	case !dueAt.After(edge):
		return Yellow
	}
	return Green
}

// ErrNotFound is returned for a row that does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is an action the object's state does not allow.
type ErrConflict struct{ ZH, EN string }

func (e *ErrConflict) Error() string { return e.EN }

package main

// The advance phase: a province's open cases are not all one day old. They
// stand at different stages, and the stage decides how far off a case's
// next deadline is: an objection forwarded to its provider waits on the
// provider's five working days, a decided one on the subject's sixty-day
// appeal window (≈ 41 working days), a listing whose hearing is scheduled
// on the hearing's day, which the caseworker sets at least the notice
// period (7 WD) ahead. Filing dates cannot be backdated through the real
// path, so the kept dataset's cases are moved on through the API, by the
// calls a caseworker, the provider and the subject make, until their
// pending deadlines fall over the coming weeks:
//
//	objection  accept → forward to the provider → provider's reply (accurate)
//	           → decision (upheld, written reply issued: appeal window)
//	listing    (served when seeded) → hearing requested by the subject →
//	           hearing scheduled 8 to 57 working days ahead
//	repair     accept (provider's opinion 3 WD, overall 10 WD)
//
// Which cases, and how far: the cases still at their first stage are taken
// in the order of md5(case_no) (the same on every run), and each one's
// target stage follows from the same hash, so a re-run counts the cases
// already moved on (any stage past the first) and moves only the missing
// number; a case a killed run left half-way is finished first.

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/workflows"
)

// step is one call that moves a case from stage from on.
type step struct {
	from, to string // stage before, stage after
	name     string // the operation, as the API names it
}

// steps are each kind's calls in order, from its first stage at rest.
var steps = map[string][]step{
	workflows.CaseKindObjection: {
		{workflows.StageAcceptance, workflows.StageCentreCheck, "accept"},
		{workflows.StageCentreCheck, workflows.StageProviderVerification, "forward-to-provider"},
		{workflows.StageProviderVerification, workflows.StageDeciding, "provider-reply"},
		{workflows.StageDeciding, workflows.StageClosed, "decide"},
	},
	"listing": {
		{workflows.StageRepresentation, workflows.StageHearing, "hearing-request"},
		{workflows.StageHearing, stageHearingSet, "hearing"},
	},
	"repair": {
		{workflows.StageAcceptance, workflows.StageProviderOpinion, "accept"},
	},
}

// stageHearingSet is the bench's name for a listing at stage hearing whose
// hearing is scheduled (a pending listing.hearing deadline).
const stageHearingSet = "hearing:scheduled"

// target is the stage the case is moved to: objections a quarter each
// accepted, forwarded, replied to, and (the remaining 40 %) decided;
// listings their hearing scheduled; repairs accepted.
func target(kind string, h uint64) string {
	switch kind {
	case workflows.CaseKindObjection:
		switch p := h % 100; {
		case p < 20:
			return workflows.StageCentreCheck
		case p < 40:
			return workflows.StageProviderVerification
		case p < 60:
			return workflows.StageDeciding
		default:
			return workflows.StageClosed
		}
	case "listing":
		return stageHearingSet
	default:
		return workflows.StageProviderOpinion
	}
}

// hearingWD is how many working days ahead the caseworker sets a listing's
// hearing: 8 to 57, the notice period (7 WD) being the least the law allows.
func hearingWD(h uint64) int { return 8 + int((h>>8)%50) }

func hashOf(caseNo string) uint64 {
	s := md5.Sum([]byte(caseNo))
	return binary.BigEndian.Uint64(s[:8])
}

type heldCase struct {
	no, kind, stage string
	h               uint64
}

// first is a kind's first stage at rest (where seeding leaves it).
func first(kind string) string { return steps[kind][0].from }

// advance moves cases on until n of the held cases stand past their first
// stage (counted across runs).
func (b *bench) advance(ctx context.Context, n, conc int, budget time.Duration) error {
	rows, err := b.pool.Query(ctx, `SELECT c.case_no, c.kind, c.stage || CASE WHEN c.kind = 'listing' AND c.stage = 'hearing' AND EXISTS (
		SELECT 1 FROM case_deadlines d WHERE d.case_no = c.case_no AND d.rule_id = $1 AND d.state = 'pending') THEN ':scheduled' ELSE '' END
		FROM cases c WHERE c.stage <> 'finished' ORDER BY md5(c.case_no)`, workflows.RuleHearing)
	if err != nil {
		return err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (heldCase, error) {
		var c heldCase
		err := r.Scan(&c.no, &c.kind, &c.stage)
		c.h = hashOf(c.no)
		return c, err
	})
	if err != nil {
		return err
	}
	var moved, todo []heldCase
	for _, c := range all {
		if c.stage != first(c.kind) && slices.ContainsFunc(steps[c.kind], func(s step) bool { return s.to == c.stage || s.from == c.stage }) {
			moved = append(moved, c)
			if c.stage != target(c.kind, c.h) {
				todo = append(todo, c) // left half-way by an earlier run
			}
		}
	}
	halfway := len(todo)
	need := n - len(moved)
	for _, c := range all {
		if need <= 0 {
			break
		}
		if c.stage == first(c.kind) {
			todo = append(todo, c)
			need--
		}
	}
	calls := 0
	for _, c := range todo {
		calls += len(b.plan(c))
	}
	say(fmt.Sprintf("advance: %d of %d held cases already past their first stage (%d of them half-way, finished now); moving %d more; %d calls (load %s)",
		len(moved), len(all), halfway, len(todo)-halfway, calls, loadavg()))
	if len(todo) == 0 {
		return nil
	}
	cal, err := b.calendar(ctx)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var done, made atomic.Int64
	var firstErr error
	var mu sync.Mutex
	ch := make(chan heldCase)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range ch {
				for _, s := range b.plan(c) {
					if err := b.move(ctx, hc, cal, c, s); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("%s %s: %w", c.no, s.name, err)
						}
						mu.Unlock()
						break
					}
					made.Add(1)
				}
				if d := done.Add(1); d%500 == 0 {
					el := time.Since(t0).Seconds()
					say(fmt.Sprintf("advance: %d of %d cases moved on (%.1f cases/s, %.1f calls/s; load %s)", d, len(todo), float64(d)/el, float64(made.Load())/el, loadavg()))
					if d%5000 == 0 {
						say("advance: the API's answers so far:\n" + b.lat.String())
					}
				}
			}
		}()
	}
	handed := 0
	for _, c := range todo {
		if ctx.Err() != nil {
			break
		}
		if budget > 0 && time.Since(t0) > budget {
			say(fmt.Sprintf("advance: -advance-for %s spent: %d of the %d cases not handed out (a re-run moves them on)", budget, len(todo)-handed, len(todo)))
			break
		}
		handed++
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		ch <- c
	}
	close(ch)
	wg.Wait()
	el := time.Since(t0)
	say(fmt.Sprintf("advance: %d cases moved on by %d calls in %s: %.1f cases/s, %.1f calls/s (load %s)",
		done.Load(), made.Load(), el.Round(time.Second), float64(done.Load())/el.Seconds(), float64(made.Load())/el.Seconds(), loadavg()))
	say("advance: the API's answers by call (as the bench timed them, retries counted apiece):\n" + b.lat.String())
	return firstErr
}

// latencies are the API's answer times by call, as the client sees them.
type latencies struct {
	mu   sync.Mutex
	by   map[string][]time.Duration
	errs map[string]int
}

func (l *latencies) add(name string, d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by, l.errs = map[string][]time.Duration{}, map[string]int{}
	}
	l.by[name] = append(l.by[name], d)
	if err != nil {
		l.errs[name]++
	}
}

// String is a line per call: count, refused/failed answers, p50, p90,
// p99, max.
func (l *latencies) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var names []string
	for k := range l.by {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	fmt.Fprintf(&sb, "  %-28s %7s %6s %9s %9s %9s %9s\n", "call", "n", "not ok", "p50", "p90", "p99", "max")
	for _, k := range names {
		ds := slices.Clone(l.by[k])
		slices.Sort(ds)
		q := func(f float64) time.Duration {
			return ds[min(len(ds)-1, int(f*float64(len(ds))))].Round(time.Millisecond)
		}
		fmt.Fprintf(&sb, "  %-28s %7d %6d %9s %9s %9s %9s\n", k, len(ds), l.errs[k], q(0.5), q(0.9), q(0.99), ds[len(ds)-1].Round(time.Millisecond))
	}
	return sb.String()
}

// plan is the calls that take c from its stage to its target.
func (b *bench) plan(c heldCase) []step {
	to := target(c.kind, c.h)
	var out []step
	on := false
	for _, s := range steps[c.kind] {
		if s.from == c.stage {
			on = true
		}
		if on {
			out = append(out, s)
			if s.to == to {
				return out
			}
		}
	}
	return nil // at or past the target
}

// move makes one call as the party who makes it. A 503 or 500 is tried
// again, as a patient caseworker would; an answer 409 wrong-stage after
// such a retry means the earlier attempt went through (the case is at the
// next stage).
func (b *bench) move(ctx context.Context, hc *http.Client, cal *calendar.Calendar, c heldCase, s step) error {
	kind := "objections"
	switch c.kind {
	case "listing":
		kind = "listings"
	case "repair":
		kind = "repairs"
	}
	u := b.base + "/api/v1/" + kind + "/" + c.no + "/" + s.name
	who, body := "caseworker", map[string]any{}
	switch s.name {
	case "forward-to-provider":
		body = map[string]any{"note": "请核实该记录的登记内容"}
	case "provider-reply":
		who, body = "provider", map[string]any{"finding": workflows.FindingAccurate, "reasons": "经核对原始文件，记录内容准确"}
	case "decide":
		body = map[string]any{"outcome": workflows.OutcomeUpheld, "reasons": "经信息提供单位核实，记录内容准确，予以维持"}
	case "hearing-request":
		who, body = "subject", map[string]any{"reason": "对拟列入严重失信主体名单有异议，申请听证"}
	case "hearing":
		today := calendar.DateOf(time.Now())
		d, err := cal.Add(today, hearingWD(c.h), calendar.WorkingDays, calendar.Options{Provisional: true})
		if err != nil {
			return err
		}
		at := time.Date(d.Due.Year, d.Due.Month, d.Due.Day, 9, 30, 0, 0, calendar.Shanghai)
		body = map[string]any{"at": at.Format(time.RFC3339), "place": "南通市公共信用信息中心听证室"}
	}
	var err error
	for attempt := 0; attempt < 30; attempt++ {
		t0 := time.Now()
		err = post(ctx, hc, u, b.tokens[who], body)
		b.lat.add(c.kind+" "+s.name, time.Since(t0), err)
		var st errStatus
		if err != nil && attempt > 0 && errors.As(err, &st) && st.code == http.StatusConflict && strings.Contains(st.msg, "/problems/wrong-stage") {
			return nil // the earlier attempt, answered 503 late, went through
		}
		// 503: the engine did not answer in time. 500: under load the
		// API answers an update refused "due to Workflow Task in failed
		// state" (a workflow task of the case timed out and is being
		// retried) as an internal error; it passes once the task has run.
		if err == nil || !errors.As(err, &st) || (st.code != http.StatusServiceUnavailable && st.code != http.StatusInternalServerError) {
			return err
		}
		time.Sleep(5 * time.Second)
	}
	return err
}

// calendar is the calendar as the API and worker hold it (rules.Open: the
// database's head revision), to count working days as the product does.
func (b *bench) calendar(ctx context.Context) (*calendar.Calendar, error) {
	local, err := rules.LoadLocal(rules.Dirs{})
	if err != nil {
		return nil, err
	}
	rl, err := rules.Open(ctx, b.pool, local, zerolog.Nop(), "bench/atrest")
	if err != nil {
		return nil, err
	}
	return rl.Calendar(ctx)
}

// spreadWD is how the pending deadlines of the held cases fall over the
// working days from today, counted with the product's calendar (region of
// the Nantong profile: national; years not yet published counted
// provisionally): by 5-working-day bucket, both every pending deadline and
// each case's next one. Bucket "0–4" holds deadlines due today (0) to four
// working days on; overdue ones are "<0".
func (b *bench) spreadWD(ctx context.Context) (string, error) {
	cal, err := b.calendar(ctx)
	if err != nil {
		return "", err
	}
	today := calendar.DateOf(time.Now())
	bucketOf := func(d time.Time) (int, error) {
		wd, err := cal.WorkingDaysBetween(today, calendar.DateOf(d), calendar.Options{Provisional: true})
		if err != nil {
			return 0, err
		}
		if wd < 0 {
			return -1, nil
		}
		return wd / 5, nil
	}
	count := func(q string, args ...any) (map[int]int, int, error) {
		rows, err := b.pool.Query(ctx, q, args...)
		if err != nil {
			return nil, 0, err
		}
		type dayCount struct {
			Day   time.Time
			Count int
		}
		days, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dayCount])
		if err != nil {
			return nil, 0, err
		}
		m, total := map[int]int{}, 0
		for _, d := range days {
			k, err := bucketOf(d.Day)
			if err != nil {
				return nil, 0, err
			}
			m[k] += d.Count
			total += d.Count
		}
		return m, total, nil
	}
	// due_date is the deadline's last day (Asia/Shanghai), as the board
	// counts it.
	all, nAll, err := count(`SELECT d.due_date::timestamp, count(*) FROM case_deadlines d JOIN cases c USING (case_no)
		WHERE c.stage <> 'finished' AND d.state = 'pending' GROUP BY 1`)
	if err != nil {
		return "", err
	}
	next, nNext, err := count(`SELECT (next_due_at AT TIME ZONE 'Asia/Shanghai')::date::timestamp, count(*) FROM cases
		WHERE stage <> 'finished' AND next_due_at IS NOT NULL GROUP BY 1`)
	if err != nil {
		return "", err
	}
	var keys []int
	for k := range all {
		keys = append(keys, k)
	}
	for k := range next {
		if _, ok := all[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Ints(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "pending deadlines by working days from today (%s), %d deadlines of %d cases' next:\n", today, nAll, nNext)
	fmt.Fprintf(&sb, "  %-9s %10s %10s\n", "WD", "deadlines", "cases' next")
	for _, k := range keys {
		label := "overdue"
		if k >= 0 {
			label = fmt.Sprintf("%d–%d", 5*k, 5*k+4)
		}
		fmt.Fprintf(&sb, "  %-9s %10d %10d\n", label, all[k], next[k])
	}
	return sb.String(), nil
}

package casework

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

// WorklistFilter selects the caseworker's worklist: open cases of a kind,
// at a stage, under a profile, waiting for a party, of a light, or assigned
// to the caller; After is the cursor of the previous page.
type WorklistFilter struct {
	Kind    string `query:"kind"`
	Stage   string `query:"stage"`
	Profile string `query:"profile"`
	// Party: centre, subject, supervisor, provider (any provider) or
	// provider:<id>.
	Party string `query:"party"`
	Light string `query:"light"` // red, yellow, green, none (no open deadline)
	Mine  bool   `query:"mine"`
	After string `query:"after"`
	Limit int    `query:"limit"`
}

// WorklistRow is an open case on the worklist: where it stands, the
// deadline that puts it there (its earliest open one) in the one deadline
// shape, its light and working days left, and who handles it.
type WorklistRow struct {
	CaseNo     string    `json:"case_no"`
	Kind       string    `json:"kind"`
	Stage      string    `json:"stage"`
	Profile    string    `json:"profile"`
	RecordID   int64     `json:"record_id"`
	SubjectID  int64     `json:"subject_id"`
	ProviderID int64     `json:"provider_id"`
	OpenedAt   time.Time `json:"opened_at"`
	// Light is red, yellow, green, or none for a case without an open
	// deadline.
	Light           string    `json:"light"`
	WorkingDaysLeft *int      `json:"working_days_left,omitempty"`
	Deadline        *Deadline `json:"deadline,omitempty"`
	// AssignedTo is the user name of the caseworker who handles the case
	// ("" while nobody has taken it).
	AssignedTo string `json:"assigned_to,omitempty"`
	// AssignedName is that caseworker's display name.
	AssignedName string `json:"assigned_name,omitempty"`
}

// LightCounts counts open cases by light.
type LightCounts struct {
	Red    int `json:"red"`
	Yellow int `json:"yellow"`
	Green  int `json:"green"`
	None   int `json:"none"`
}

// Total is every case counted.
func (c LightCounts) Total() int { return c.Red + c.Yellow + c.Green + c.None }

// WorklistPage is a page of the worklist with the counts per light of
// every case the filter selects (the light filter aside).
type WorklistPage struct {
	AsOf   time.Time     `json:"as_of"`
	Counts LightCounts   `json:"counts"`
	Rows   []WorklistRow `json:"items"`
	Next   string        `json:"next,omitempty"`
}

// Worklist lights beside the board's.
const LightNone = "none"

var worklistKinds = []string{workflows.CaseKindObjection, workflows.CaseKindListing, workflows.CaseKindRepair}

type worklistCursor struct {
	DueAt  time.Time `json:"d,omitzero"`
	None   bool      `json:"n,omitempty"` // the case has no open deadline (due 'infinity')
	CaseNo string    `json:"c"`
}

// Worklist is the caseworkers' worklist: every open case, soonest deadline
// first (a case counts by its earliest open deadline, a missed one
// included), with its light by its profile's warning margin — the board's
// edges —, the party who must act and the working days left; cases without
// an open deadline come last. Keyset paged.
func (s *Service) Worklist(ctx context.Context, a permission.Actor, f WorklistFilter) (WorklistPage, error) {
	if err := s.guard.Require(ctx, a, "getWorklist"); err != nil {
		return WorklistPage{}, err
	}
	if err := enumParam("kind", f.Kind, worklistKinds); err != nil {
		return WorklistPage{}, err
	}
	if err := enumParam("light", f.Light, []string{supervision.Red, supervision.Yellow, supervision.Green, LightNone}); err != nil {
		return WorklistPage{}, err
	}
	if f.Stage != "" {
		if _, ok := stageNames[f.Stage]; !ok {
			return WorklistPage{}, refusal.BadParam("stage", "enum", refusal.T("未知的阶段", "unknown stage"))
		}
	}
	if f.Profile != "" {
		if _, err := s.d.Policies.Get(f.Profile); err != nil {
			return WorklistPage{}, refusal.BadParam("profile", "enum", refusal.T("未知的政策配置："+strings.Join(s.d.Policies.IDs(), "、"),
				"unknown profile; profiles are "+strings.Join(s.d.Policies.IDs(), ", ")))
		}
	}
	if f.Party != "" && f.Party != "provider" && !supervision.ValidParty(f.Party) {
		return WorklistPage{}, refusal.BadParam("party", "enum", refusal.T("责任方应为 centre、subject、supervisor、provider 或 provider:<编号>",
			"party must be centre, subject, supervisor, provider or provider:<id>"))
	}
	if f.Mine && a.Role() != auth.Caseworker {
		return WorklistPage{}, refusal.BadParam("mine", "not_allowed", refusal.T("只有办件人员有经办的案件", "only caseworkers handle cases"))
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultCasePage
	}
	if limit < 1 || limit > supervision.MaxPage {
		return WorklistPage{}, refusal.BadParam("limit", "range", refusal.T(fmt.Sprintf("应为 1–%d", supervision.MaxPage), fmt.Sprintf("must be 1–%d", supervision.MaxPage)))
	}
	var after *worklistCursor
	if f.After != "" {
		var c worklistCursor
		raw, err := base64.RawURLEncoding.DecodeString(f.After)
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		if err != nil || c.CaseNo == "" {
			return WorklistPage{}, refusal.BadParam("after", "format", refusal.T("分页游标无效", "invalid page cursor"))
		}
		after = &c
	}
	edges, err := s.board.LightEdges(ctx, s.now())
	if err != nil {
		return WorklistPage{}, refusal.Internalf(err, "worklist light edges")
	}

	// The filters except light and the cursor: shared by the page and the
	// counts.
	args := []any{edges.Profiles, edges.At, edges.Default, edges.VProfiles, edges.Versions, edges.VAt}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"c.status = 'open'"}
	if f.Kind != "" {
		where = append(where, "c.kind = "+arg(f.Kind))
	}
	if f.Stage != "" {
		where = append(where, "c.stage = "+arg(f.Stage))
	}
	if f.Profile != "" {
		where = append(where, "c.profile_id = "+arg(f.Profile))
	}
	switch f.Party {
	case "":
	case "provider":
		where = append(where, `c.work_party COLLATE "C" >= 'provider:'`, `c.work_party COLLATE "C" < 'provider;'`)
	default:
		where = append(where, `c.work_party COLLATE "C" = `+arg(f.Party))
	}
	if f.Mine {
		where = append(where, "c.assignee_id = "+arg(a.Account.ID))
	}
	edge := "coalesce(ev.edge, e.edge, $3)"
	from := `FROM cases c LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS e(profile, edge) ON e.profile = c.profile_id
		LEFT JOIN unnest($4::text[], $5::text[], $6::timestamptz[]) AS ev(profile, version, edge)
			ON ev.profile = c.profile_id AND ev.version = c.profile_version`

	tx, err := s.d.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return WorklistPage{}, faults.Database(err)
	}
	defer tx.Rollback(ctx)
	// Short keyset scans: parallel workers only add their start-up time.
	if _, err := tx.Exec(ctx, "SET LOCAL max_parallel_workers_per_gather = 0"); err != nil {
		return WorklistPage{}, faults.Database(err)
	}
	out := WorklistPage{AsOf: shanghai(edges.Now), Rows: []WorklistRow{}}
	cargs := append(slices.Clone(args), edges.Now)
	now := "$" + strconv.Itoa(len(cargs))
	var counts string
	if f.Mine {
		// The caller's own cases (cases.assignee_id, migration 00096): a
		// few thousand at most, one range of an index, counted row by row.
		counts = `SELECT count(*) FILTER (WHERE c.work_due_at <= ` + now + `),
			count(*) FILTER (WHERE c.work_due_at > ` + now + ` AND c.work_due_at <= ` + edge + `),
			count(*) FILTER (WHERE c.work_due_at > ` + edge + ` AND c.work_due_at <> 'infinity'),
			count(*) FILTER (WHERE c.work_due_at = 'infinity')
		` + from + ` WHERE ` + strings.Join(where, " AND ")
	} else {
		// Every open case: summed from worklist_tally (migration 00096),
		// how many open cases per kind, stage, profile version, party and
		// place on the worklist, with the same filters.
		tally := strings.NewReplacer("c.kind ", "t.kind ", "c.stage ", "t.stage ", "c.profile_id ", "t.profile_id ", "c.work_party ", "t.work_party ").Replace
		tw := []string{"true"}
		for _, w := range where[1:] { // where[0] is c.status = 'open'
			tw = append(tw, tally(w))
		}
		counts = `SELECT coalesce(sum(t.n) FILTER (WHERE t.work_due_at <= ` + now + `), 0)::bigint,
			coalesce(sum(t.n) FILTER (WHERE t.work_due_at > ` + now + ` AND t.work_due_at <= coalesce(ev.edge, e.edge, $3)), 0)::bigint,
			coalesce(sum(t.n) FILTER (WHERE t.work_due_at > coalesce(ev.edge, e.edge, $3) AND t.work_due_at <> 'infinity'), 0)::bigint,
			coalesce(sum(t.n) FILTER (WHERE t.work_due_at = 'infinity'), 0)::bigint
		FROM worklist_tally t LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS e(profile, edge) ON e.profile = t.profile_id
		LEFT JOIN unnest($4::text[], $5::text[], $6::timestamptz[]) AS ev(profile, version, edge)
			ON ev.profile = t.profile_id AND ev.version = t.profile_version
		WHERE ` + strings.Join(tw, " AND ")
	}
	if err := tx.QueryRow(ctx, counts, cargs...).Scan(&out.Counts.Red, &out.Counts.Yellow, &out.Counts.Green, &out.Counts.None); err != nil {
		return WorklistPage{}, faults.Database(err)
	}

	switch f.Light {
	case "":
	case supervision.Red:
		where = append(where, "c.work_due_at <= "+arg(edges.Now))
	case supervision.Yellow:
		where = append(where, "c.work_due_at > "+arg(edges.Now), "c.work_due_at <= "+arg(edges.Hi), "c.work_due_at <= "+edge)
	case supervision.Green:
		where = append(where, "c.work_due_at > "+arg(edges.Lo), "c.work_due_at > "+edge, "c.work_due_at <> 'infinity'")
	case LightNone:
		where = append(where, "c.work_due_at = 'infinity'")
	}
	switch {
	case after == nil:
	case after.None:
		where = append(where, "c.work_due_at = 'infinity'", "c.case_no > "+arg(after.CaseNo))
	default:
		where = append(where, "(c.work_due_at, c.case_no) > ("+arg(after.DueAt)+", "+arg(after.CaseNo)+")")
	}
	// The page's cases first (a keyset scan of one index, LIMIT), then
	// their deadline and handler: joined to the page's rows only, whatever
	// the planner thinks of the filter.
	q := `SELECT c.case_no, c.kind, c.stage, c.profile_id, c.record_id, c.subject_id, c.provider_id, c.opened_at,
			CASE WHEN c.work_due_at = 'infinity' THEN 'epoch' ELSE c.work_due_at END, c.work_due_at = 'infinity', c.edge, coalesce(acc.username, ''), coalesce(acc.display_name, ''), d.rule_id IS NOT NULL,
			coalesce(d.rule_id, ''), coalesce(d.seq, 0), coalesce(d.party, ''), coalesce(d.starts_at, 'epoch'), coalesce(d.n, 0),
			coalesce(d.unit, ''), coalesce(d.extra_wd, 0), coalesce(d.due_date, 'epoch'), coalesce(d.due_at, 'epoch'), d.remind_at,
			coalesce(d.calendar_version, ''), coalesce(d.provisional, false), coalesce(d.explanation, ''), coalesce(d.source, ''),
			coalesce(d.state, ''), d.settled_at, coalesce(d.reason, '')
		FROM (SELECT c.case_no, c.kind, c.stage, c.profile_id, c.record_id, c.subject_id, c.provider_id, c.opened_at, c.work_due_at,
				c.work_rule, c.work_seq, ` + edge + ` AS edge
			` + from + `
			WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY c.work_due_at, c.case_no LIMIT ` + arg(limit+1) + `) c
		LEFT JOIN LATERAL (SELECT * FROM case_deadlines d WHERE d.case_no = c.case_no AND d.rule_id = c.work_rule AND d.seq = c.work_seq) d ON true
		LEFT JOIN LATERAL (SELECT acc.username, acc.display_name FROM case_assignments asg JOIN accounts acc ON acc.id = asg.account_id
			WHERE asg.case_no = c.case_no) acc ON true
		ORDER BY c.work_due_at, c.case_no`
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return WorklistPage{}, faults.Database(err)
	}
	type scanned struct {
		row   WorklistRow
		key   time.Time
		none  bool
		edge  time.Time
		hasDl bool
		d     Deadline
		due   time.Time
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (scanned, error) {
		var x scanned
		err := r.Scan(&x.row.CaseNo, &x.row.Kind, &x.row.Stage, &x.row.Profile, &x.row.RecordID, &x.row.SubjectID, &x.row.ProviderID,
			&x.row.OpenedAt, &x.key, &x.none, &x.edge, &x.row.AssignedTo, &x.row.AssignedName, &x.hasDl,
			&x.d.Rule, &x.d.Seq, &x.d.Party, &x.d.StartsAt, &x.d.N, &x.d.Unit, &x.d.ExtraWD, &x.due, &x.d.DueAt, &x.d.RemindAt,
			&x.d.CalendarVersion, &x.d.Provisional, &x.d.Explanation, &x.d.Source, &x.d.State, &x.d.SettledAt, &x.d.Reason)
		return x, err
	})
	if err != nil {
		return WorklistPage{}, faults.Database(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return WorklistPage{}, faults.Database(err)
	}
	today := calendar.DateOf(edges.Now)
	for i, x := range got {
		if i == limit {
			last := got[limit-1]
			c := worklistCursor{DueAt: last.key, CaseNo: last.row.CaseNo, None: last.none}
			if c.None {
				c.DueAt = time.Time{}
			}
			raw, _ := json.Marshal(c)
			out.Next = base64.RawURLEncoding.EncodeToString(raw)
			break
		}
		row := x.row
		row.OpenedAt = shanghai(row.OpenedAt)
		row.Light = LightNone
		if x.hasDl && !x.none {
			d := x.d
			d.DueDate = x.due.Format(time.DateOnly)
			d.StartsAt, d.DueAt = shanghai(d.StartsAt), shanghai(d.DueAt)
			d.RemindAt, d.SettledAt = shanghaiPtr(d.RemindAt), shanghaiPtr(d.SettledAt)
			row.Deadline = &d
			row.Light = supervision.LightOf(edges.Now, d.DueAt, x.edge, d.State)
			region := ""
			if p, err := s.d.Policies.Get(row.Profile); err == nil {
				region = p.Region
			}
			due := calendar.NewDate(x.due.Year(), x.due.Month(), x.due.Day())
			if n, err := s.d.Calendar.WorkingDaysBetween(today, due, calendar.Options{Region: region, Provisional: true}); err == nil {
				row.WorkingDaysLeft = &n
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// take makes a caseworker who has taken a step on a case the one who
// handles it (经办人), unless somebody already does: the case is then on
// their worklist's "assigned to me". The step is taken whatever happens
// here; a failure is logged, and the next step takes the case again.
func (s *Service) take(ctx context.Context, a permission.Actor, caseNo string) {
	if a.Role() != auth.Caseworker {
		return
	}
	if _, err := s.d.Pool.Exec(context.WithoutCancel(ctx), `INSERT INTO case_assignments (case_no, account_id, how, assigned_by)
		VALUES ($1, $2, 'took', $3) ON CONFLICT (case_no) DO NOTHING`, caseNo, a.Account.ID, a.Account.Username); err != nil {
		s.log(ctx).Error().Err(err).Str("case_no", caseNo).Msg("cannot record who handles the case")
	}
}

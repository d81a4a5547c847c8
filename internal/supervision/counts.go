package supervision

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// LightTally counts open deadlines by light.
type LightTally struct {
	Red    int `json:"red"`
	Yellow int `json:"yellow"`
	Green  int `json:"green"`
}

// Total is every deadline counted.
func (t LightTally) Total() int { return t.Red + t.Yellow + t.Green }

// BoardCounts are the counts at the top of the board: the open deadlines
// the filter selects (its light and cursor aside) by light, and by case
// kind with their lights.
type BoardCounts struct {
	Lights LightTally            `json:"lights"`
	Kinds  map[string]LightTally `json:"kinds"`
}

// Counts counts the open deadlines of open cases that f selects (f.Light,
// f.After, f.Desc and f.Limit are ignored), by light — the lights of List,
// with the same per-profile edges — and by case kind.
func (b *Board) Counts(ctx context.Context, f BoardFilter) (BoardCounts, error) {
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	edges, err := b.LightEdges(ctx, now)
	if err != nil {
		return BoardCounts{}, err
	}
	// The open deadlines are summed from board_tally (migration 00096):
	// how many per kind, stage, profile version, party and due time.
	args := []any{edges.Profiles, edges.At, edges.Default, now, edges.VProfiles, edges.Versions, edges.VAt}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"true"}
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
			return BoardCounts{}, &ErrInvalid{Field: "party", ZH: "责任方应为 centre、subject、supervisor 或 provider:<编号>", EN: "party must be centre, subject, supervisor or provider:<id>"}
		}
		where = append(where, "d.party = "+arg(f.Party))
	}
	edge := "coalesce(ev.edge, e.edge, $3)"
	q := `SELECT d.case_kind,
			coalesce(sum(d.n) FILTER (WHERE d.due_at <= $4), 0)::bigint,
			coalesce(sum(d.n) FILTER (WHERE d.due_at > $4 AND d.due_at <= ` + edge + `), 0)::bigint,
			coalesce(sum(d.n) FILTER (WHERE d.due_at > $4 AND d.due_at > ` + edge + `), 0)::bigint
		FROM board_tally d
		LEFT JOIN unnest($1::text[], $2::timestamptz[]) AS e(profile, edge) ON e.profile = d.case_profile
		LEFT JOIN unnest($5::text[], $6::text[], $7::timestamptz[]) AS ev(profile, version, edge)
			ON ev.profile = d.case_profile AND ev.version = d.case_profile_version
		WHERE ` + strings.Join(where, " AND ") + `
		GROUP BY d.case_kind`
	rows, err := b.Pool.Query(ctx, q, args...)
	if err != nil {
		return BoardCounts{}, err
	}
	out := BoardCounts{Kinds: map[string]LightTally{}}
	var kind string
	var t LightTally
	if _, err := pgx.ForEachRow(rows, []any{&kind, &t.Red, &t.Yellow, &t.Green}, func() error {
		out.Kinds[kind] = t
		out.Lights.Red += t.Red
		out.Lights.Yellow += t.Yellow
		out.Lights.Green += t.Green
		return nil
	}); err != nil {
		return BoardCounts{}, err
	}
	return out, nil
}

package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/supervision"
)

// boardView is the deadline board: counts by light and by kind at the top,
// then every open deadline, overdue first.
type boardView struct {
	Filter   casework.BoardFilter
	Page     casework.BoardPage
	Counts   []lightCount
	Kinds    []kindCount
	Rows     []boardRow
	KindOpts []option
	Stages   []option
	Profiles []option
	Parties  []option
	Lights   []option
	Next     string
	First    string
	Filtered bool
}

type kindCount struct {
	Kind               string
	Red, Yellow, Green int
	Total              int
	Href               string
}

// boardRow is a row of the board as the page draws it: fields of its own,
// not an embedded casework.BoardRow (see worklistRow).
type boardRow struct {
	CaseNo, Kind, Stage, Profile, Light, Rule string
	Due                                       deadlineView
}

var boardParties = []string{"centre", "subject", "supervisor"}

// board is the supervisors' (and caseworkers') deadline board.
func (c *Console) board(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getBoard", auth.Supervisor, auth.Caseworker); err != nil {
		return err
	}
	p.Nav = "/board"
	f := casework.BoardFilter{Kind: ctx.QueryParam("kind"), Stage: ctx.QueryParam("stage"), Profile: ctx.QueryParam("profile"),
		Party: ctx.QueryParam("party"), Light: ctx.QueryParam("light"), After: ctx.QueryParam("after")}
	rc := ctx.Request().Context()
	pg, err := c.App.Casework.Board(rc, actor(p), f)
	if err != nil {
		return err
	}
	counts, err := c.App.Casework.BoardCounts(rc, actor(p), f)
	if err != nil {
		return err
	}
	v := boardView{Filter: f, Page: pg, KindOpts: options(f.Kind, caseKinds, "kind"), Stages: stageOptions(p, f.Stage),
		Parties: options(f.Party, boardParties, "partyf"), Lights: options(f.Light, lights[:3], "light"),
		Filtered: f.Kind != "" || f.Stage != "" || f.Profile != "" || f.Party != "" || f.Light != ""}
	for _, id := range policy.Default().IDs() {
		v.Profiles = append(v.Profiles, option{Value: id, Key: "profile." + id, Selected: id == f.Profile})
	}
	q := func(kind, light, after string) string {
		u := url.Values{}
		for k, val := range map[string]string{"kind": kind, "stage": f.Stage, "profile": f.Profile, "party": f.Party, "light": light, "after": after} {
			if val != "" {
				u.Set(k, val)
			}
		}
		if len(u) == 0 {
			return "/board"
		}
		return "/board?" + u.Encode()
	}
	for _, l := range []struct {
		light string
		n     int
	}{{supervision.Red, counts.Lights.Red}, {supervision.Yellow, counts.Lights.Yellow}, {supervision.Green, counts.Lights.Green}} {
		v.Counts = append(v.Counts, lightCount{Light: l.light, N: l.n, Href: q(f.Kind, l.light, ""), On: f.Light == l.light})
	}
	for _, k := range caseKinds {
		t := counts.Kinds[k]
		if f.Kind != "" && f.Kind != k {
			continue
		}
		v.Kinds = append(v.Kinds, kindCount{Kind: k, Red: t.Red, Yellow: t.Yellow, Green: t.Green, Total: t.Total(), Href: q(k, f.Light, "")})
	}
	for _, r := range pg.Rows {
		d := c.staffDeadline(r.Deadline, r.Profile)
		if r.WorkingDaysLeft != nil {
			d.DaysLeft, d.HasDays = *r.WorkingDaysLeft, true
		}
		d.Light = r.Light
		v.Rows = append(v.Rows, boardRow{CaseNo: r.CaseNo, Kind: r.Kind, Stage: r.Stage, Profile: r.Profile, Light: r.Light, Rule: r.Rule, Due: d})
	}
	if pg.Next != "" {
		v.Next = q(f.Kind, f.Light, pg.Next)
	}
	if f.After != "" {
		v.First = q(f.Kind, f.Light, "")
	}
	return c.render(ctx, p, http.StatusOK, "staff-board", v)
}

package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/workflows"
)

// appealsView lists the objections whose applicant appealed (申诉) and that
// wait for the supervisors' decision, soonest deadline first.
type appealsView struct {
	Items []appealItem
}

type appealItem struct {
	CaseNo   string
	Outcome  string
	Due      *deadlineView
	Grounds  string
	Appealed time.Time
}

// appeals is the supervisors' list of appeals to decide; each opens on the
// case page, where the core offers the decision.
func (c *Console) appeals(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listObjections", auth.Supervisor); err != nil {
		return err
	}
	p.Nav = "/appeals"
	rc := ctx.Request().Context()
	pg, err := c.App.Casework.ListObjections(rc, actor(p), casework.ObjectionFilter{Stage: workflows.StageAppeal, Limit: 200})
	if err != nil {
		return err
	}
	v := appealsView{}
	for _, cs := range pg.Cases {
		it := appealItem{CaseNo: cs.CaseNo, Outcome: cs.Outcome}
		if cs.NextDeadline != nil {
			d := c.staffDeadline(*cs.NextDeadline, cs.ProfileID)
			it.Due = &d
		}
		d, err := c.App.Casework.Objection(rc, actor(p), cs.CaseNo)
		if err != nil {
			return err
		}
		if g, at, ok := appealOf(d.Events); ok {
			it.Grounds, it.Appealed = g, at
		}
		v.Items = append(v.Items, it)
	}
	return c.render(ctx, p, http.StatusOK, "staff-appeals", v)
}

// appealOf is the applicant's latest appeal: its grounds and when.
func appealOf(events []casework.CaseEvent) (string, time.Time, bool) {
	for i := len(events) - 1; i >= 0; i-- {
		if e := events[i]; e.Action == "objection.appealed" {
			return e.Reason, e.At, true
		}
	}
	return "", time.Time{}, false
}

package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/registry"
	"github.com/creditcase/creditcase/internal/repair"
)

func (c *Console) routesSubject(get, post func(string, handler)) {
	get("/my", c.myHome)
	get("/my/records", c.myRecords)
}

// myHome is the subject's office: what it can do, as a task list.
func (c *Console) myHome(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "office", auth.Subject); err != nil {
		return err
	}
	p.Nav = "/my"
	return c.render(ctx, p, http.StatusOK, "my-home", nil)
}

// myRecordsView is the subject's own records, each negative one with the
// answer to "may I apply for credit repair" (the core's dry run).
type myRecordsView struct {
	Records []myRecord
}

type myRecord struct {
	records.Record
	Repair *casework.RepairEligibility // negative records only
	// Failed is the first unmet condition that no date cures, when no
	// date can be given.
	Failed *repair.Condition
}

// myRecords lists the subject's own records; reads of records that are not
// public are written to the query log as the API writes them.
func (c *Console) myRecords(ctx echo.Context, p *page) error {
	a, err := c.require(ctx, p, "record", auth.Subject)
	if err != nil {
		return err
	}
	p.Nav = "/my/records"
	rc := ctx.Request().Context()
	// The core's listing: the subject's own, each read of a record that is
	// not public written to the query log.
	page, err := c.App.Registry.Records(rc, actor(p), registry.RecordFilter{Limit: records.MaxPage})
	if err != nil {
		return err
	}
	answers, err := c.App.Casework.RepairEligibilities(rc, actor(p), a.SubjectID)
	if err != nil {
		return err
	}
	v := myRecordsView{}
	for _, r := range page.Records {
		row := myRecord{Record: r}
		if el, ok := answers[r.ID]; ok {
			row.Repair = &el
			for i, cond := range el.Conditions {
				if !cond.Met && !cond.Pending && cond.From == nil {
					row.Failed = &el.Conditions[i]
					break
				}
			}
		}
		v.Records = append(v.Records, row)
	}
	return c.render(ctx, p, http.StatusOK, "my-records", v)
}

// record reads record id through the core as the reader: one that is not
// the reader's answers 404 (audited); a read of a record that is not
// public is written to the query log.
func (c *Console) record(rc context.Context, p *page, id int64) (records.Record, error) {
	d, err := c.App.Registry.Record(rc, actor(p), id, "")
	return d.Record, err
}

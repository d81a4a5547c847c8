package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/records"
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

// myRecordsView is the subject's own records.
type myRecordsView struct {
	Records []records.Record
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
	page, err := c.records.Records(rc, records.RecordFilter{SubjectID: a.SubjectID, Limit: records.MaxPage})
	if err != nil {
		return err
	}
	var ids []int64
	for _, r := range page.Records {
		if r.Disclosure != records.Public {
			ids = append(ids, r.ID)
		}
	}
	if err := audit.LogQueries(rc, c.Pool, a.Actor(), ids, "本人查询 (subject reads own records)"); err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "my-records", myRecordsView{Records: page.Records})
}

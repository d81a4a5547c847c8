package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/records"
)

func (c *Console) routesPublic(get, post func(string, handler)) {
	get("/public/records", c.publicRecords)
}

// publicRecordsView is the public lookup: the query and what it found.
type publicRecordsView struct {
	Q       string
	Asked   bool
	Records []records.PublicRecord
}

// publicRecords looks up the 社会公开 records of a subject by exact name or
// identifier — the API's public lookup, with identity numbers masked.
func (c *Console) publicRecords(ctx echo.Context, p *page) error {
	p.Nav = "/public/records"
	v := publicRecordsView{Q: strings.TrimSpace(ctx.QueryParam("q"))}
	_, v.Asked = ctx.QueryParams()["q"]
	if !v.Asked {
		return c.render(ctx, p, http.StatusOK, "public-records", v)
	}
	if n := utf8.RuneCountInString(v.Q); n < 2 || n > 100 {
		p.Errors = append(p.Errors, fieldError{"q", p.L.T("public.records.q.invalid")})
		return c.render(ctx, p, http.StatusUnprocessableEntity, "public-records", v)
	}
	recs, err := c.records.PublicLookup(ctx.Request().Context(), v.Q)
	if err != nil {
		return err
	}
	v.Records = recs
	return c.render(ctx, p, http.StatusOK, "public-records", v)
}

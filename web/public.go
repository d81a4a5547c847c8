package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/registry"
)

func (c *Console) routesPublic(get, post func(string, handler)) {
	get("/public/records", c.publicRecords)
	get("/public/listings", c.publicListings)
	get("/public/repair-notices", c.repairNotices)
	get("/public/repair-notices/:no/objection", c.repairObjectionForm)
	post("/public/repair-notices/:no/objection", c.repairObjection)
	get("/public/receipts", c.receipt)
}

// publicListings is the serious-dishonesty list (严重失信主体名单) with each
// entry's removal date; persons' identity numbers masked.
func (c *Console) publicListings(ctx echo.Context, p *page) error {
	p.Nav = "/public/listings"
	ls, err := c.App.Casework.PublicListings(ctx.Request().Context(), actor(p))
	if err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "public-listings", ls)
}

// repairNotices are the repair applications in their publicity period
// (信用修复公示), each with the objection form's link and the period's end.
func (c *Console) repairNotices(ctx echo.Context, p *page) error {
	p.Nav = "/public/repair-notices"
	ns, err := c.App.Casework.RepairNotices(ctx.Request().Context(), actor(p))
	if err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "public-repair-notices", ns)
}

// repairObjectionView is the public objection form of one notice.
type repairObjectionView struct {
	Notice casework.PublicRepairNotice
	Form   casework.PublicObjectionForm
}

// notice finds the notice no among those in publicity now; one that is not
// (ended, or never) answers 404.
func (c *Console) notice(ctx echo.Context, p *page) (casework.PublicRepairNotice, error) {
	ns, err := c.App.Casework.RepairNotices(ctx.Request().Context(), actor(p))
	if err != nil {
		return casework.PublicRepairNotice{}, err
	}
	for _, n := range ns {
		if n.ApplicationNo == ctx.Param("no") {
			return n, nil
		}
	}
	return casework.PublicRepairNotice{}, errNotFound
}

func (c *Console) repairObjectionForm(ctx echo.Context, p *page) error {
	p.Nav = "/public/repair-notices"
	n, err := c.notice(ctx, p)
	if err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "public-repair-objection", repairObjectionView{Notice: n})
}

// repairObjection takes an objection through the core's public form:
// validated, rate-limited per client address, a receipt shown.
func (c *Console) repairObjection(ctx echo.Context, p *page) error {
	p.Nav = "/public/repair-notices"
	n, err := c.notice(ctx, p)
	if err != nil {
		return err
	}
	v := repairObjectionView{Notice: n, Form: casework.PublicObjectionForm{Name: strings.TrimSpace(ctx.FormValue("name")),
		Contact: strings.TrimSpace(ctx.FormValue("contact")), Grounds: strings.TrimSpace(ctx.FormValue("grounds"))}}
	out, err := c.App.Casework.ObjectToRepair(ctx.Request().Context(), actor(p), clientAddress(ctx), n.ApplicationNo, v.Form)
	if err != nil {
		if formRefused(p, err) {
			return c.render(ctx, p, statusOf(err), "public-repair-objection", v)
		}
		return err
	}
	return ctx.Redirect(http.StatusSeeOther, "/public/receipts?receipt="+url.QueryEscape(out.Receipt)+"&new=1")
}

// clientAddress is the client's address as the server resolved it (the
// peer, or the address a trusted proxy names: TRUSTED_PROXIES), the key of
// the one limiter of anonymous requests.
func clientAddress(ctx echo.Context) string { return ctx.RealIP() }

// receiptView is the answer to an objection, read with its receipt.
type receiptView struct {
	Receipt string
	New     bool
	Found   bool
	Answer  casework.PublicObjectionAnswer
}

func (c *Console) receipt(ctx echo.Context, p *page) error {
	p.Nav = "/public/repair-notices"
	v := receiptView{Receipt: strings.TrimSpace(ctx.QueryParam("receipt")), New: ctx.QueryParam("new") == "1"}
	if v.Receipt == "" {
		return c.render(ctx, p, http.StatusOK, "public-receipt", v)
	}
	ans, err := c.App.Casework.RepairObjectionAnswer(ctx.Request().Context(), actor(p), v.Receipt)
	if st, ok := refusalOf(err); ok && st == http.StatusNotFound {
		p.Errors = append(p.Errors, fieldError{"receipt", p.L.T("receipt.unknown")})
		return c.render(ctx, p, http.StatusNotFound, "public-receipt", v)
	}
	if err != nil {
		return err
	}
	v.Found, v.Answer = true, ans
	return c.render(ctx, p, http.StatusOK, "public-receipt", v)
}

// publicRecordsView is the public lookup: the query and the page of what
// it found.
type publicRecordsView struct {
	Q     string
	Asked bool
	records.PublicPage
	// First is the address of the lookup's first page ("" on it), Next
	// the next page's ("" on the last one).
	First, Next string
}

// From and To number the records on this page (1-based).
func (v publicRecordsView) From() int { return v.Seen + 1 }
func (v publicRecordsView) To() int   { return v.Seen + len(v.Records) }

// publicRecords looks up the 社会公开 records of a subject by exact name or
// identifier — the API's public lookup, with identity numbers masked, a
// page at a time with a link to the next one. No total is counted: the
// total shows once the last page is reached (the records before it are
// counted by the cursor).
func (c *Console) publicRecords(ctx echo.Context, p *page) error {
	p.Nav = "/public/records"
	v := publicRecordsView{Q: strings.TrimSpace(ctx.QueryParam("q"))}
	_, v.Asked = ctx.QueryParams()["q"]
	if !v.Asked {
		return c.render(ctx, p, http.StatusOK, "public-records", v)
	}
	// The core's lookup, as the API's: its checks of the query and its
	// log of lookups by identifier, with the client's address.
	pg, err := c.App.Registry.PublicLookup(ctx.Request().Context(), actor(p), ctx.RealIP(),
		registry.PublicLookupQuery{Q: v.Q, Cursor: ctx.QueryParam("cursor")})
	if r, ok := refusal.As(err); ok && refusedField(r, "q") {
		key := "public.records.q.invalid"
		if r.Fields[0].Code == "id-number" {
			key = "public.records.q.idnumber"
		}
		p.Errors = append(p.Errors, fieldError{"q", p.L.T(key)})
		return c.render(ctx, p, http.StatusUnprocessableEntity, "public-records", v)
	}
	if r, ok := refusal.As(err); ok && refusedField(r, "cursor") {
		// A page address altered or of another query: the search box
		// keeps the query, the message says to start again.
		p.Errors = append(p.Errors, fieldError{"q", p.L.T("public.records.cursor.invalid")})
		return c.render(ctx, p, http.StatusBadRequest, "public-records", v)
	}
	if err != nil {
		return err
	}
	v.PublicPage = pg
	first := url.Values{"q": {v.Q}}
	if pg.Seen > 0 {
		v.First = "/public/records?" + first.Encode() + "#results"
	}
	if pg.Next != "" {
		v.Next = "/public/records?" + url.Values{"q": {v.Q}, "cursor": {pg.Next}}.Encode() + "#results"
	}
	return c.render(ctx, p, http.StatusOK, "public-records", v)
}

// Package web is the console: server-rendered HTML pages for the public,
// subjects, providers, caseworkers and supervisors, served by the same
// binary as the JSON API (at /, the API staying under /api/v1). Pages call
// the application's stores and use cases directly — the same functions,
// role rules and refusals as the API — never the API over HTTP.
//
// Every string a page shows is in the message catalogues (messages*.go), in
// Chinese and English; templates name keys only. Every action is a plain
// HTML form post protected by the double-submit CSRF token the API uses
// (the _csrf cookie, echoed as a hidden form field). All assets are
// embedded: the console works on a network without internet.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/repair"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Cookies. The session and CSRF cookies are the API's own: one log-in
// serves the console and the JSON API alike.
const (
	sessionCookie = "cc_session"
	csrfCookie    = "_csrf"
	csrfField     = "_csrf"
	textCookie    = "cc_text" // "large": the larger-text mode (适老化)
)

// Deps are what the console uses.
type Deps struct {
	// App is the application core, shared with the JSON API (nil: built
	// from Pool and Temporal).
	App      *application.App
	Pool     *pgxpool.Pool
	Temporal client.Client
	Logger   zerolog.Logger
	// BcryptCost hashes passwords (0 = bcrypt.DefaultCost).
	BcryptCost int
	// Profile computes records' disclosure periods (nil = nantong).
	Profile *policy.Profile
	// OIDC configures sign-in through the government identity platform
	// (统一身份认证); a zero value offers none.
	OIDC OIDCConfig
	// Now is the clock (nil = time.Now); tests and benchmarks set it.
	Now func() time.Time
}

// Console serves the pages.
type Console struct {
	Deps
	auth    *auth.Service
	records *records.Store
	pages   map[string]*template.Template
	oidc    *oidcClient
}

// Mount registers the console's routes on e beside the API. It fails only
// when the embedded templates do not parse, or the OIDC settings are
// incomplete.
func Mount(e *echo.Echo, d Deps) (*Console, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	profile := d.Profile
	if profile == nil {
		var err error
		if profile, err = policy.Default().Get(policy.DefaultProfileID); err != nil {
			return nil, fmt.Errorf("web: default policy profile: %w", err)
		}
	}
	if d.App == nil {
		d.App = application.New(application.Deps{Pool: d.Pool, Temporal: d.Temporal, Profile: d.Profile, Logger: d.Logger, BcryptCost: d.BcryptCost})
	}
	// The account store of the core: the same log-in throttle, token
	// lifetimes and password policy as the API.
	c := &Console{Deps: d, auth: d.App.Accounts.Store(), records: records.NewStore(d.Pool, profile, calendar.Default())}
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if d.OIDC.Enabled() {
		if c.oidc, err = newOIDCClient(d.OIDC); err != nil {
			return nil, err
		}
	}
	c.routes(e)
	return c, nil
}

// funcs are the template helpers; none produces text of its own.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"join": func(sep string, xs []string) string {
		return strings.Join(xs, sep)
	},
	"query": url.QueryEscape,
	// field describes a form field for the "input" and "textarea" partials:
	// page, element id (= form name), label key, value, optional hint key.
	"field": func(p *page, name, label string, value any, hint ...string) fieldView {
		f := fieldView{P: p, Name: name, Label: label, Value: value, Type: "text", Err: p.Err(name)}
		if len(hint) > 0 {
			f.Hint = hint[0]
		}
		var ids []string
		if f.Hint != "" {
			ids = append(ids, name+"-hint")
		}
		if f.Err != "" {
			ids = append(ids, name+"-error")
		}
		f.Described = strings.Join(ids, " ")
		return f
	},
	"wide":  func(f fieldView) fieldView { f.Wide = true; return f },
	"duep":  func(p *page, d deadlineView) dueView { return dueView{P: p, D: d} },
	"neg":   func(n int) int { return -n },
	"typed": func(t string, f fieldView) fieldView { f.Type = t; return f },
	"auto":  func(a string, f fieldView) fieldView { f.Auto = a; return f },
	// conds are repair conditions with their page, for "repair-conditions".
	"conds": func(p *page, cs []repair.Condition) condsView { return condsView{P: p, Conditions: cs} },
}

// condsView is a list of repair conditions with its page.
type condsView struct {
	P          *page
	Conditions []repair.Condition
}

// dueView is a deadline with its page, for the "due" and "explain"
// partials.
type dueView struct {
	P *page
	D deadlineView
}

// fieldView is a form field as the partials draw it.
type fieldView struct {
	P         *page
	ID        string // the element's id when it is not Name (several forms on a page)
	Name      string
	Label     string
	Hint      string
	Value     any
	Type      string
	Err       string
	Described string
	Wide      bool
	Auto      string
}

// parsePages parses each page with the layout and the shared partials
// (templates/partials*.html).
func parsePages() (map[string]*template.Template, error) {
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, p := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "partials") {
			continue
		}
		// Every page gets the layout and all the partials (partials*.html).
		t, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials*.html", p)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

func (c *Console) routes(e *echo.Echo) {
	static := echo.MustSubFS(assetFS, "assets")
	e.GET("/assets/*", func(ctx echo.Context) error {
		ctx.Response().Header().Set("Cache-Control", "public, max-age=3600")
		return echo.StaticDirectoryHandler(static, false)(ctx)
	})
	mw := []echo.MiddlewareFunc{c.session, c.csrf}
	get := func(path string, h handler) { e.GET(path, c.page(h), mw...) }
	// Every post runs under its form's Idempotency-Key (idempotency.go).
	post := func(path string, h handler) { e.POST(path, c.page(h), c.session, c.csrf, c.idempotent) }

	get("/", c.home)
	get("/lang", c.switchLanguage)
	get("/text-size", c.switchTextSize)
	get("/login", c.loginForm)
	post("/login", c.login)
	post("/logout", c.logout)
	get("/login/oidc", c.oidcStart)
	get("/login/oidc/callback", c.oidcCallback)

	c.routesPublic(get, post)
	c.routesSubject(get, post)
	c.routesObjections(get, post)
	c.routesRepairs(get, post)
	c.routesCases(get, post)
	c.routesInbox(get, post)
	c.routesStaff(get, post)

	// Anything else outside the API is a page that does not exist.
	e.Any("/*", c.page(func(ctx echo.Context, p *page) error {
		if strings.HasPrefix(ctx.Request().URL.Path, "/api/") {
			return echo.ErrNotFound
		}
		return errNotFound
	}), mw...)
}

// ---- request state ----

const (
	ctxPage    = "web.page"
	ctxSession = "web.session" // the session token of a logged-in reader
)

// page is what every template receives: the reader's language and text
// size, the account (nil for the public), the CSRF token, the page's
// title and navigation, refused fields and the page's own data.
type page struct {
	L       *Localizer
	Account *auth.Account
	CSRF    string
	Path    string // the request's path and query, for the switches' way back
	Large   bool
	Title   string
	Nav     string // the navigation entry that is current
	Errors  []fieldError
	Notice  string // a confirmation shown above the content
	Problem string // a refusal's title and what to do, above the fields in the summary
	Print   bool
	D       any
	// routeOf is what follows an objection's written reply under a
	// profile (policy.ResultRoute), for the words of the stage and the
	// window after it; nil: the words of a profile granting an appeal.
	routeOf func(profile string) string
}

// Route is what follows an objection's written reply under profile
// (policy.ResultRoute: appeal, handover, final; "" when unknown).
func (p *page) Route(profile string) string {
	if p.routeOf == nil || profile == "" {
		return ""
	}
	return p.routeOf(profile)
}

// fieldError is one refused field: the field's element id and the message
// in the reader's language.
type fieldError struct {
	Field string
	Msg   string
}

// Err returns the message for field, or "".
func (p *page) Err(field string) string {
	for _, f := range p.Errors {
		if f.Field == field {
			return f.Msg
		}
	}
	return ""
}

// NavItems are the links of the service navigation for the reader's role.
func (p *page) NavItems() []navItem {
	var items []navItem
	if p.Account == nil {
		items = []navItem{{Href: "/", Key: "nav.home"}, {Href: "/public/records", Key: "nav.public.records"}, {Href: "/public/listings", Key: "nav.public.listings"},
			{Href: "/public/repair-notices", Key: "nav.public.repairs"}}
	} else {
		switch p.Account.Role {
		case auth.Subject:
			items = []navItem{{Href: "/my", Key: "nav.my.home"}, {Href: "/my/records", Key: "nav.my.records"}, {Href: "/my/cases", Key: "nav.my.cases"}, {Href: "/my/inbox", Key: "nav.my.inbox"}}
		default:
			items = staffNav(p.Account.Role)
		}
		if p.Account.Role == auth.Subject {
			items = append(items, navItem{Href: "/public/records", Key: "nav.public.records"})
		}
	}
	for i := range items {
		items[i].Current = items[i].Href == p.Nav
	}
	return items
}

type navItem struct {
	Href    string
	Key     string
	Current bool
}

type handler func(ctx echo.Context, p *page) error

// session resolves the session cookie to an account. A stale or revoked
// cookie is dropped and the reader continues as the public: a page, unlike
// an API call, must not fail on an expired log-in.
func (c *Console) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		r := ctx.Request()
		p := &page{L: localizerFor(r), Path: r.URL.RequestURI()}
		p.routeOf = func(profile string) string { return c.App.Casework.ResultRoute(r.Context(), profile, "") }
		if ck, err := r.Cookie(textCookie); err == nil && ck.Value == "large" {
			p.Large = true
		}
		p.Print = r.URL.Query().Get("print") == "1"
		if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
			a, err := c.auth.Authenticate(r.Context(), ck.Value, auth.KindSession)
			switch {
			case err == nil:
				p.Account = &a
				ctx.Set(ctxSession, ck.Value)
			case errors.Is(err, auth.ErrUnauthenticated):
				clearCookie(ctx, sessionCookie, true)
			default:
				return c.fail(ctx, p, err)
			}
		}
		ctx.Set(ctxPage, p)
		return next(ctx)
	}
}

// csrf protects every form post. A logged-in reader's token is the API's
// own CSRF token of the session (auth.CSRFToken: an HMAC of the session
// under the server's key), echoed as a hidden form field and checked
// against the session, so a token from another session or made up does
// not pass; the _csrf cookie carries the same token for the JSON API. The
// public (log-in, the public objection form) get a random token in the
// _csrf cookie that the form must echo (double submit): another site
// cannot make a reader's browser post to the console either way.
func (c *Console) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		p := ctx.Get(ctxPage).(*page)
		session, _ := ctx.Get(ctxSession).(string)
		ck, _ := ctx.Cookie(csrfCookie)
		switch {
		case session != "":
			tok, err := c.auth.CSRFToken(ctx.Request().Context(), session)
			if err != nil {
				return c.fail(ctx, p, err)
			}
			p.CSRF = tok
			if ck == nil || ck.Value != tok {
				setCSRFCookie(ctx, tok, time.Time{})
			}
		case ck != nil && ck.Value != "":
			p.CSRF = ck.Value
		default:
			p.CSRF = newToken()
			setCSRFCookie(ctx, p.CSRF, time.Time{})
		}
		m := ctx.Request().Method
		if m != http.MethodGet && m != http.MethodHead {
			sent := ctx.FormValue(csrfField)
			ok := sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(p.CSRF)) == 1
			if session != "" {
				var err error
				if ok, err = c.auth.CheckCSRF(ctx.Request().Context(), session, sent); err != nil {
					return c.fail(ctx, p, err)
				}
			}
			if !ok {
				c.Logger.Warn().Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).
					Str("route", ctx.Path()).Msg("console form without a valid CSRF token")
				return c.render(ctx, p, http.StatusForbidden, "error", errorView{Heading: "error.csrf.title", Body: "error.csrf.body"})
			}
		}
		return next(ctx)
	}
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func setCSRFCookie(ctx echo.Context, v string, expires time.Time) {
	ctx.SetCookie(&http.Cookie{Name: csrfCookie, Value: v, Path: "/", Expires: expires,
		Secure: ctx.Scheme() == "https", SameSite: http.SameSiteStrictMode})
}

func clearCookie(ctx echo.Context, name string, httpOnly bool) {
	ctx.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: httpOnly, SameSite: http.SameSiteStrictMode})
}

// ---- errors and rendering ----

// statusError is a page that answers with an HTTP error status.
type statusError struct {
	status int
	view   errorView
}

// El is the field's element id.
func (f fieldView) El() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Name
}

func (e *statusError) Error() string { return http.StatusText(e.status) }

// errorView is the data of the error page: catalogue keys.
type errorView struct {
	Heading string
	Body    string
	Back    string
}

var (
	errNotFound  = &statusError{http.StatusNotFound, errorView{Heading: "error.404.title", Body: "error.404.body"}}
	errForbidden = &statusError{http.StatusForbidden, errorView{Heading: "error.403.title", Body: "error.403.body"}}
)

// page wraps a handler: it renders the handler's error as an HTML page.
func (c *Console) page(h handler) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		p := ctx.Get(ctxPage).(*page)
		err := h(ctx, p)
		if err == nil {
			return nil
		}
		return c.fail(ctx, p, err)
	}
}

// fail answers err as a page: 401 sends the reader to log in, 403 and 404
// as the API answers them, anything else a logged 500 that tells nothing
// of the cause.
func (c *Console) fail(ctx echo.Context, p *page, err error) error {
	var se *statusError
	var he *echo.HTTPError
	if r, ok := refusal.As(err); ok {
		return c.refusalPage(ctx, p, r)
	}
	switch {
	case errors.Is(err, errLogin):
		return ctx.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(p.Path))
	case errors.As(err, &se):
		return c.render(ctx, p, se.status, "error", se.view)
	case errors.As(err, &he):
		return err
	case errors.Is(err, context.Canceled):
		return nil
	}
	c.Logger.Error().Err(err).Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).
		Str("route", ctx.Path()).Msg("console page failed")
	return c.render(ctx, p, http.StatusInternalServerError, "error", errorView{Heading: "error.500.title", Body: "error.500.body"})
}

// refusalPage answers a refusal of the core that no form shows next to
// its fields: as the API answers it (401 → log in, 403, 404), or a page
// with the refusal's title and what to do, in the reader's language.
func (c *Console) refusalPage(ctx echo.Context, p *page, r *refusal.Error) error {
	switch st := r.Status(); st {
	case http.StatusUnauthorized:
		return ctx.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(p.Path))
	case http.StatusForbidden:
		return c.render(ctx, p, st, "error", errForbidden.view)
	case http.StatusNotFound:
		return c.render(ctx, p, st, "error", errNotFound.view)
	default:
		if st >= 500 {
			c.Logger.Error().Err(r).Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).
				Str("route", ctx.Path()).Msg("console page failed")
		}
		if r.RetryAfter > 0 {
			ctx.Response().Header().Set("Retry-After", fmt.Sprint(int(r.RetryAfter.Seconds())+1))
		}
		if r.Kind == refusal.KeyReused {
			// A form's key sent again with other fields (the form submitted,
			// then changed and sent again): the API's 422, in the words of a
			// page.
			p.Title = p.L.T("form.reused.title")
			return c.render(ctx, p, st, "refused", refusedView{Title: p.Title, Detail: p.L.T("form.reused.body")})
		}
		p.Title = p.L.Pick(r.Title.ZH, r.Title.EN)
		return c.render(ctx, p, st, "refused", refusedView{Title: p.L.Pick(r.Title.ZH, r.Title.EN), Detail: p.L.Pick(r.Detail.ZH, r.Detail.EN), Fields: fieldsOf(p.L, r)})
	}
}

// refusedView is a refusal shown on a page of its own.
type refusedView struct {
	Title, Detail string
	Fields        []fieldError
}

// fieldsOf turns a refusal's fields into the reader's language, keyed by
// the form element that holds each (grounds[2] → grounds).
func fieldsOf(l *Localizer, r *refusal.Error) []fieldError {
	var out []fieldError
	for _, f := range r.Fields {
		out = append(out, fieldError{Field: elementOf(f.Name), Msg: l.Pick(f.Message.ZH, f.Message.EN)})
	}
	return out
}

// elementOf maps a field name as the core spells it to the form element's
// id: an index or sub-field names its list's element.
func elementOf(name string) string {
	if i := strings.IndexAny(name, "[."); i > 0 {
		name = name[:i]
	}
	switch name {
	case "file", "correction_evidence":
		return "evidence"
	case "credit_commitment":
		return "commitment_accepted"
	case "points":
		return "statement"
	case "reasons":
		return "reason"
	}
	return name
}

// formRefused shows a refusal on the form that was posted: its fields next
// to theirs and in the summary, with what to do. It reports false for any
// other error.
func formRefused(p *page, err error) bool {
	r, ok := refusal.As(err)
	if !ok || r.Status() >= 500 || r.Status() == http.StatusUnauthorized || r.Status() == http.StatusForbidden || r.Status() == http.StatusNotFound {
		return false
	}
	p.Errors = append(p.Errors, fieldsOf(p.L, r)...)
	title, detail := p.L.Pick(r.Title.ZH, r.Title.EN), p.L.Pick(r.Detail.ZH, r.Detail.EN)
	p.Problem = title
	if detail != "" {
		p.Problem = p.L.T("fmt.colon", title, detail)
	}
	return true
}

// refusalOf is the HTTP status of a refusal.
func refusalOf(err error) (int, bool) {
	r, ok := refusal.As(err)
	if !ok {
		return 0, false
	}
	return r.Status(), true
}

// actor is the reader as the core sees it.
func actor(p *page) permission.Actor {
	if p.Account == nil {
		return permission.Anonymous
	}
	return permission.As(*p.Account)
}

// errLogin asks the reader to log in first.
var errLogin = errors.New("web: log-in needed")

// render writes page name with p.D = data.
func (c *Console) render(ctx echo.Context, p *page, status int, name string, data any) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	p.D = data
	if p.Title == "" {
		p.Title = p.L.T("page." + name)
	}
	h := ctx.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Content-Language", p.L.Lang)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
	if p.Account != nil {
		h.Set("Cache-Control", "no-store")
	}
	// The whole page is made before a byte is sent: a template that fails
	// half way answers the 500 page (the handler's caller renders it), not
	// a 200 page cut off in the middle of a form.
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: page %s: %w", name, err)
	}
	ctx.Response().WriteHeader(status)
	_, err := buf.WriteTo(ctx.Response())
	return err
}

// ---- the frame's own pages ----

// home is the start page: the public services, or the reader's own office.
func (c *Console) home(ctx echo.Context, p *page) error {
	if p.Account != nil && homeOf(*p.Account) != "/" {
		return ctx.Redirect(http.StatusSeeOther, homeOf(*p.Account))
	}
	p.Nav = "/"
	return c.render(ctx, p, http.StatusOK, "home", nil)
}

// localPath returns v if it is a path on this site, else "/": a switch
// or log-in never sends the reader elsewhere.
func localPath(v string) string {
	if v == "" || !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\") {
		return "/"
	}
	if u, err := url.Parse(v); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return v
}

// switchLanguage keeps the chosen language in a cookie for a year.
func (c *Console) switchLanguage(ctx echo.Context, p *page) error {
	to := ctx.QueryParam("to")
	if to != "en" && to != "zh" {
		return errNotFound
	}
	ctx.SetCookie(&http.Cookie{Name: langCookie, Value: to, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	return ctx.Redirect(http.StatusSeeOther, localPath(ctx.QueryParam("back")))
}

// switchTextSize turns the larger-text mode (适老化) on or off.
func (c *Console) switchTextSize(ctx echo.Context, p *page) error {
	switch ctx.QueryParam("size") {
	case "large":
		ctx.SetCookie(&http.Cookie{Name: textCookie, Value: "large", Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
	case "normal":
		clearCookie(ctx, textCookie, false)
	default:
		return errNotFound
	}
	return ctx.Redirect(http.StatusSeeOther, localPath(ctx.QueryParam("back")))
}

// require answers 401 (log in) for the public and a logged 403 for an
// account whose role may not see the page.
func (c *Console) require(ctx echo.Context, p *page, what string, roles ...auth.Role) (auth.Account, error) {
	if p.Account == nil {
		return auth.Account{}, errLogin
	}
	for _, r := range roles {
		if p.Account.Role == r {
			return *p.Account, nil
		}
	}
	return *p.Account, c.deny(ctx, p, http.StatusForbidden, what, "")
}

// deny writes the access.denied event the API writes and answers 403, or
// 404 where telling "forbidden" would reveal that the object exists.
func (c *Console) deny(ctx echo.Context, p *page, status int, objectType, objectID string) error {
	a := audit.Public
	if p.Account != nil {
		a = p.Account.Actor()
	}
	if err := audit.Write(ctx.Request().Context(), c.Pool, a, audit.Event{
		Action: audit.ActionDenied, ObjectType: objectType, ObjectID: objectID,
		Data: map[string]any{"method": ctx.Request().Method, "route": ctx.Path(), "status": status, "via": "console"},
	}); err != nil {
		c.Logger.Error().Err(err).Msg("cannot write access.denied event")
	}
	c.Logger.Warn().Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).
		Str("actor", a.Username).Str("role", a.Role).Str("route", ctx.Path()).Str("object", objectType).
		Int("status", status).Msg("access denied")
	if status == http.StatusNotFound {
		return errNotFound
	}
	return errForbidden
}

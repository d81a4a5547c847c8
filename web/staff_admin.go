package web

// The administrator's pages (issue 15): accounts (create, disable or
// enable, reset the password, end every session and token), providers (list, add) and the
// holiday calendar (the operator's view, an import shown first as a dry
// run with the days it changes). Each calls the core's use case of the
// API's operation: internal/accounts, internal/registry,
// internal/calendaradmin.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/accounts"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendaradmin"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/rules"
)

func (c *Console) routesAdmin(get, post func(string, handler)) {
	get("/admin/accounts", c.adminAccounts)
	post("/admin/accounts", c.adminCreateAccount)
	post("/admin/accounts/:id/:action", c.adminAccountAction)
	get("/admin/providers", c.adminProviders)
	post("/admin/providers", c.adminCreateProvider)
	get("/admin/calendar", c.adminCalendar)
	post("/admin/calendar", c.adminCalendarImport)
}

// ---- accounts ----

type accountsView struct {
	Accounts  []accountRow
	Roles     []option
	Providers []option
	Form      url.Values // the refused form (never its password)
	FormStep  string     // the step of Form: "new", or "a<id>-<action>"
	Refused   int64      // the account whose action was refused
	Action    string
}

type accountRow struct {
	auth.Account
	Provider string
	Self     bool
}

func (v accountsView) posted(step, name string) (string, bool) {
	if step != v.FormStep || v.Form == nil {
		return "", false
	}
	return v.Form.Get(name), true
}

var accountRoles = []string{string(auth.Caseworker), string(auth.Supervisor), string(auth.Provider), string(auth.Admin)}

func (c *Console) accountsView(ctx echo.Context, p *page) (accountsView, error) {
	p.Nav = "/admin/accounts"
	rc := ctx.Request().Context()
	list, err := c.App.Accounts.ListAccounts(rc, actor(p))
	if err != nil {
		return accountsView{}, err
	}
	ps, err := c.App.Registry.Providers(rc, actor(p))
	if err != nil {
		return accountsView{}, err
	}
	names := map[int64]string{}
	v := accountsView{Providers: []option{{Value: "", Key: "admin.provider.none"}}}
	for _, x := range ps {
		names[x.ID] = x.Name
		v.Providers = append(v.Providers, option{Value: strconv.FormatInt(x.ID, 10), Text: x.Name})
	}
	for _, a := range list {
		v.Accounts = append(v.Accounts, accountRow{Account: a, Provider: names[a.ProviderID], Self: a.ID == p.Account.ID})
	}
	v.Roles = options("", accountRoles, "role")
	return v, nil
}

// adminAccounts lists the accounts with the form to add one.
func (c *Console) adminAccounts(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listAccounts", auth.Admin); err != nil {
		return err
	}
	v, err := c.accountsView(ctx, p)
	if err != nil {
		return err
	}
	if done := ctx.QueryParam("done"); done != "" && known("admin.done."+done) {
		p.Notice = p.L.T("admin.done."+done, ctx.QueryParam("who"))
	}
	return c.render(ctx, p, http.StatusOK, "admin-accounts", v)
}

// adminCreateAccount adds an account; the password policy's refusal is
// shown next to the password.
func (c *Console) adminCreateAccount(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "createAccount", auth.Admin); err != nil {
		return err
	}
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	in := auth.NewAccount{Username: strings.TrimSpace(form.Get("username")), DisplayName: strings.TrimSpace(form.Get("display_name")),
		Password: form.Get("password"), Role: auth.Role(form.Get("role"))}
	if s := form.Get("provider_id"); s != "" && in.Role == auth.Provider {
		in.ProviderID, _ = strconv.ParseInt(s, 10, 64)
	}
	acc, err := c.App.Accounts.CreateAccount(ctx.Request().Context(), actor(p), in)
	if err == nil {
		return ctx.Redirect(http.StatusSeeOther, "/admin/accounts?"+url.Values{"done": {"created"}, "who": {acc.Username}}.Encode())
	}
	if !stepRefused(p, "new", err) {
		return err
	}
	v, verr := c.accountsView(ctx, p)
	if verr != nil {
		return verr
	}
	form.Del("password") // never sent back
	v.Form, v.FormStep = form, "new"
	return c.render(ctx, p, statusOf(err), "admin-accounts", v)
}

// adminAccountAction disables or enables an account, gives it a new
// password (which ends its sessions and tokens too), or ends all its
// sessions and tokens, with the reason kept in the audit trail.
func (c *Console) adminAccountAction(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "account", auth.Admin); err != nil {
		return err
	}
	id, err := strconv.ParseInt(ctx.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	action := ctx.Param("action")
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	in := accounts.Reason{Reason: form.Get("reason")}
	rc, a := ctx.Request().Context(), actor(p)
	var who string
	switch action {
	case "disable":
		var acc auth.Account
		acc, err = c.App.Accounts.DisableAccount(rc, a, id, in)
		who = acc.Username
	case "enable":
		var acc auth.Account
		acc, err = c.App.Accounts.EnableAccount(rc, a, id, in)
		who = acc.Username
	case "reset":
		var r accounts.PasswordReset
		r, err = c.App.Accounts.ResetAccountPassword(rc, a, id, accounts.ResetPassword{Password: form.Get("password"), Reason: in.Reason})
		who = r.Account.Username
	case "revoke":
		var r accounts.Revoked
		r, err = c.App.Accounts.RevokeAccountTokens(rc, a, id, in)
		who = strconv.FormatInt(r.Revoked, 10)
	default:
		return errNotFound
	}
	if err == nil {
		return ctx.Redirect(http.StatusSeeOther, "/admin/accounts?"+url.Values{"done": {action}, "who": {who}}.Encode())
	}
	if s, ok := refusalOf(err); ok && s == http.StatusNotFound {
		return err
	}
	if !stepRefused(p, "a"+strconv.FormatInt(id, 10)+"-"+action, err) {
		return err
	}
	v, verr := c.accountsView(ctx, p)
	if verr != nil {
		return verr
	}
	form.Del("password") // never sent back
	v.Refused, v.Action = id, action
	v.Form, v.FormStep = form, "a"+strconv.FormatInt(id, 10)+"-"+action
	return c.render(ctx, p, statusOf(err), "admin-accounts", v)
}

// ---- providers ----

type providersView struct {
	Providers []records.Provider
	Code      string
	Name      string
}

func (c *Console) adminProviders(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "listProviders", auth.Admin); err != nil {
		return err
	}
	p.Nav = "/admin/providers"
	ps, err := c.App.Registry.Providers(ctx.Request().Context(), actor(p))
	if err != nil {
		return err
	}
	if ctx.QueryParam("done") == "created" {
		p.Notice = p.L.T("admin.done.provider", ctx.QueryParam("who"))
	}
	return c.render(ctx, p, http.StatusOK, "admin-providers", providersView{Providers: ps})
}

func (c *Console) adminCreateProvider(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "createProvider", auth.Admin); err != nil {
		return err
	}
	p.Nav = "/admin/providers"
	in := records.ProviderInput{Code: strings.TrimSpace(ctx.FormValue("code")), Name: strings.TrimSpace(ctx.FormValue("name"))}
	rc := ctx.Request().Context()
	pr, err := c.App.Registry.CreateProvider(rc, actor(p), in)
	if err == nil {
		return ctx.Redirect(http.StatusSeeOther, "/admin/providers?"+url.Values{"done": {"created"}, "who": {pr.Name}}.Encode())
	}
	if !formRefused(p, err) {
		return err
	}
	ps, lerr := c.App.Registry.Providers(rc, actor(p))
	if lerr != nil {
		return lerr
	}
	return c.render(ctx, p, statusOf(err), "admin-providers", providersView{Providers: ps, Code: in.Code, Name: in.Name})
}

// ---- the holiday calendar ----

type calendarView struct {
	Status *rules.Status
	Reason string
	Result *calendaradmin.ImportOutput
	// Pending is the dry run's files, carried to the confirmation.
	Pending  string
	Names    string
	Imported bool
}

// adminCalendar is the operator's view of the calendar: which years are
// published, provisional or missing, the revision in use, recompute runs;
// and the import form.
func (c *Console) adminCalendar(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "getCalendarStatus", auth.Admin, auth.Supervisor); err != nil {
		return err
	}
	v, err := c.calendarView(ctx, p)
	if err != nil {
		return err
	}
	return c.render(ctx, p, http.StatusOK, "admin-calendar", v)
}

func (c *Console) calendarView(ctx echo.Context, p *page) (calendarView, error) {
	p.Nav = "/admin/calendar"
	st, err := c.App.Calendar.CalendarStatus(ctx.Request().Context(), actor(p))
	if err != nil {
		return calendarView{}, err
	}
	return calendarView{Status: &st}, nil
}

// maxCalendarFile bounds one uploaded calendar file.
const maxCalendarFile = 1 << 20

// adminCalendarImport imports calendar files in two steps: a dry run shows
// the days and years the files change and the open cases concerned; the
// administrator then confirms, and the same files are imported (a new
// revision, the recompute of the cases started).
func (c *Console) adminCalendarImport(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "importCalendar", auth.Admin); err != nil {
		return err
	}
	form, err := c.readForm(ctx)
	if err != nil {
		return err
	}
	in := calendaradmin.ImportInput{Reason: form.Get("reason"), DryRun: form.Get("confirm") != "1"}
	if in.DryRun {
		mf, _ := ctx.MultipartForm()
		if mf != nil {
			for _, fh := range mf.File["files"] {
				f, err := fh.Open()
				if err != nil {
					return err
				}
				b, err := io.ReadAll(io.LimitReader(f, maxCalendarFile+1))
				f.Close()
				if err != nil {
					return err
				}
				if len(b) > maxCalendarFile {
					p.Errors = append(p.Errors, fieldError{Field: "files", Msg: p.L.T("calendar.file.large", fh.Filename)})
					continue
				}
				in.Files = append(in.Files, calendaradmin.ImportFile{Name: fh.Filename, Content: json.RawMessage(b)})
			}
		}
	} else if err := json.Unmarshal([]byte(form.Get("pending")), &in.Files); err != nil {
		return errNotFound
	}
	v, verr := c.calendarView(ctx, p)
	if verr != nil {
		return verr
	}
	v.Reason = in.Reason
	if len(p.Errors) > 0 {
		p.Problem = p.L.T("form.fix")
		return c.render(ctx, p, http.StatusRequestEntityTooLarge, "admin-calendar", v)
	}
	out, err := c.App.Calendar.ImportCalendar(ctx.Request().Context(), actor(p), in)
	if err != nil {
		if !formRefused(p, err) {
			return err
		}
		for i, f := range p.Errors {
			if strings.HasPrefix(f.Field, "files") {
				p.Errors[i].Field = "files"
			}
		}
		return c.render(ctx, p, statusOf(err), "admin-calendar", v)
	}
	v.Result = &out
	if in.DryRun {
		b, _ := json.Marshal(in.Files)
		v.Pending = string(b)
		var names []string
		for _, f := range in.Files {
			names = append(names, f.Name)
		}
		v.Names = strings.Join(names, "、")
		return c.render(ctx, p, http.StatusOK, "admin-calendar", v)
	}
	v.Imported = true
	p.Notice = p.L.T("calendar.done", out.Revision)
	if v, err = c.calendarView(ctx, p); err != nil {
		return err
	}
	v.Result, v.Imported = &out, true
	return c.render(ctx, p, http.StatusOK, "admin-calendar", v)
}

// dayDesc is a day of the calendar's diff in the reader's language: the
// core describes days as "working day", "working day: 春节 调休上班",
// "off: weekend" or "off: 春节".
func dayDesc(p *page, s string) string {
	switch {
	case s == "working day":
		return p.L.T("cday.working")
	case s == "off: weekend":
		return p.L.T("cday.weekend")
	case strings.HasPrefix(s, "working day: "):
		return p.L.T("cday.makeup", strings.TrimSuffix(strings.TrimPrefix(s, "working day: "), " 调休上班"))
	case strings.HasPrefix(s, "off: "):
		return p.L.T("cday.off", strings.TrimPrefix(s, "off: "))
	}
	return s
}

func init() { funcs["daydesc"] = dayDesc }

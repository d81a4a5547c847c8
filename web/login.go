package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
)

// loginView is the log-in page.
type loginView struct {
	Username  string
	Next      string
	OIDC      bool
	LoggedOut bool
	OIDCError string // a catalogue key: why a sign-in through the platform was refused
}

func (c *Console) loginForm(ctx echo.Context, p *page) error {
	if p.Account != nil {
		return ctx.Redirect(http.StatusSeeOther, homeOf(*p.Account))
	}
	v := loginView{Next: localPath(ctx.QueryParam("next")), OIDC: c.oidc != nil, LoggedOut: ctx.QueryParam("out") == "1"}
	return c.render(ctx, p, http.StatusOK, "login", v)
}

// login checks the user name and password with the same service as the
// API's log-in and opens the same kind of session (cookie cc_session, CSRF
// token in _csrf): the reader is then logged in to the console and to the
// JSON API alike.
func (c *Console) login(ctx echo.Context, p *page) error {
	v := loginView{Username: strings.TrimSpace(ctx.FormValue("username")), Next: localPath(ctx.FormValue("next")), OIDC: c.oidc != nil}
	password := ctx.FormValue("password")
	if v.Username == "" {
		p.Errors = append(p.Errors, fieldError{"username", p.L.T("login.username.required")})
	}
	if password == "" {
		p.Errors = append(p.Errors, fieldError{"password", p.L.T("login.password.required")})
	}
	if len(p.Errors) > 0 {
		return c.render(ctx, p, http.StatusUnprocessableEntity, "login", v)
	}
	// Throttled like the API's log-in: per account name and per client
	// address (ctx.RealIP, through the trusted proxies).
	a, tok, err := c.auth.LoginFrom(ctx.Request().Context(), auth.LoginAttempt{Username: v.Username, Password: password, Client: ctx.RealIP()})
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		c.Logger.Warn().Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).Msg("console log-in throttled")
		ctx.Response().Header().Set("Retry-After", strconv.Itoa(te.RetryAfterSeconds()))
		p.Errors = append(p.Errors, fieldError{"username", fmt.Sprintf(p.L.T("login.throttled"), te.RetryAfterSeconds())})
		return c.render(ctx, p, http.StatusTooManyRequests, "login", v)
	}
	if errors.Is(err, auth.ErrBadCredentials) {
		c.Logger.Warn().Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).Msg("console log-in refused")
		p.Errors = append(p.Errors, fieldError{"username", p.L.T("login.bad")})
		return c.render(ctx, p, http.StatusUnauthorized, "login", v)
	}
	if err != nil {
		return err
	}
	if err := c.startSession(ctx, tok); err != nil {
		return err
	}
	next := v.Next
	if next == "/" {
		next = homeOf(a)
	}
	return ctx.Redirect(http.StatusSeeOther, next)
}

// startSession sets the session cookie and the session's CSRF token
// (bound to it, as the API's log-in gives it).
func (c *Console) startSession(ctx echo.Context, tok auth.Token) error {
	csrf, err := c.auth.CSRFToken(ctx.Request().Context(), tok.Value)
	if err != nil {
		return err
	}
	secure := ctx.Scheme() == "https"
	ctx.SetCookie(&http.Cookie{Name: sessionCookie, Value: tok.Value, Path: "/", Expires: tok.ExpiresAt,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	setCSRFCookie(ctx, csrf, tok.ExpiresAt)
	return nil
}

// logout ends the session (the API's session too: it is the same one).
func (c *Console) logout(ctx echo.Context, p *page) error {
	if p.Account != nil {
		ck, err := ctx.Cookie(sessionCookie)
		if err == nil {
			if err := c.auth.Logout(ctx.Request().Context(), *p.Account, ck.Value); err != nil {
				return err
			}
		}
	}
	clearCookie(ctx, sessionCookie, true)
	clearCookie(ctx, csrfCookie, false)
	return ctx.Redirect(http.StatusSeeOther, "/login?out=1")
}

// homeOf is the page an account starts on.
func homeOf(a auth.Account) string {
	if a.Role == auth.Subject {
		return "/my"
	}
	return staffHome(a.Role)
}

package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/accounts"
	"github.com/creditcase/creditcase/internal/auth"
)

// LoginRequest logs in. Kind "session" (default) sets the console's session
// cookie; kind "bearer" returns a bearer token for API clients instead.
type LoginRequest = accounts.LogIn

// LoginResponse is the logged-in account, the CSRF token the console must
// echo in X-CSRF-Token (session) or the bearer token (bearer).
type LoginResponse struct {
	Account   auth.Account `json:"account"`
	CSRFToken string       `json:"csrf_token,omitempty"`
	Token     string       `json:"token,omitempty"`
	ExpiresAt time.Time    `json:"expires_at"`
}

// MeResponse is the current account.
type MeResponse struct {
	Account auth.Account `json:"account"`
	Via     string       `json:"via"`
}

// routesAccounts registers log-in, log-out, the current account and the
// administrator's accounts.
func (s *Server) routesAccounts(r *router) {
	acc := s.app.Accounts
	r.op(http.MethodPost, "/auth/login", "logIn", func(c echo.Context) error {
		var in accounts.LogIn
		if err := readJSON(c, &in); err != nil {
			return err
		}
		out, err := acc.LogIn(c.Request().Context(), actor(c), clientIP(c), in)
		if err != nil {
			return err
		}
		if out.Kind == auth.KindBearer {
			return c.JSON(http.StatusOK, LoginResponse{Account: out.Account, Token: out.Token, ExpiresAt: out.ExpiresAt})
		}
		secure := c.Scheme() == "https"
		c.SetCookie(&http.Cookie{Name: sessionCookie, Value: out.Token, Path: "/", Expires: out.ExpiresAt,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
		csrf := newCSRFToken()
		// The console reads this cookie and echoes it in X-CSRF-Token.
		c.SetCookie(&http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Expires: out.ExpiresAt,
			Secure: secure, SameSite: http.SameSiteStrictMode})
		return c.JSON(http.StatusOK, LoginResponse{Account: out.Account, CSRFToken: csrf, ExpiresAt: out.ExpiresAt})
	})
	r.op(http.MethodPost, "/auth/logout", "logOut", func(c echo.Context) error {
		tok, _ := c.Get(ctxToken).(string)
		if err := acc.LogOut(c.Request().Context(), actor(c), tok); err != nil {
			return err
		}
		if c.Get(ctxVia) == auth.KindSession {
			c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		return c.NoContent(http.StatusNoContent)
	})
	r.op(http.MethodGet, "/auth/me", "getMe", func(c echo.Context) error {
		a, err := acc.Me(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		via, _ := c.Get(ctxVia).(string)
		return c.JSON(http.StatusOK, MeResponse{Account: a, Via: via})
	})
	r.op(http.MethodGet, "/accounts", "listAccounts", func(c echo.Context) error {
		as, err := acc.Accounts(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, AccountList{Accounts: as})
	})
	r.op(http.MethodPost, "/accounts", "createAccount", func(c echo.Context) error {
		var in auth.NewAccount
		if err := readJSON(c, &in); err != nil {
			return err
		}
		a, err := acc.CreateAccount(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, a)
	})
}

package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/accounts"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
)

// routesAccounts registers log-in, log-out, the current account and the
// administration of accounts and of the log-in throttle.
func (s *Server) routesAccounts(r *router) {
	r.op(http.MethodPost, "/auth/login", "logIn", s.login)
	r.op(http.MethodPost, "/auth/logout", "logOut", s.logout)
	r.op(http.MethodGet, "/auth/me", "getMe", s.me)
	r.op(http.MethodGet, "/accounts", "listAccounts", s.listAccounts)
	r.op(http.MethodPost, "/accounts", "createAccount", s.createAccount)
	r.op(http.MethodPost, "/accounts/:id/disable", "disableAccount", s.disableAccount)
	r.op(http.MethodPost, "/accounts/:id/enable", "enableAccount", s.enableAccount)
	r.op(http.MethodPost, "/accounts/:id/revoke-tokens", "revokeAccountTokens", s.revokeAccountTokens)
	r.op(http.MethodPost, "/accounts/:id/reset-password", "resetAccountPassword", s.resetAccountPassword)
	r.op(http.MethodGet, "/accounts/:id/tokens", "listAccountTokens", s.listAccountTokens)
	r.op(http.MethodGet, "/login-throttles", "listLoginThrottles", s.listLoginThrottles)
	r.op(http.MethodPost, "/login-throttles/unblock", "unblockLogin", s.unblockLogin)
}

// LoginRequest logs in: kind "session" (default) or "bearer".
type LoginRequest = accounts.LogIn

// LoginResponse is the logged-in account and its credential: the CSRF
// token the console echoes in X-CSRF-Token (session; the session itself is
// the HttpOnly cc_session cookie) or the bearer token (bearer), with when
// it expires and how long such a credential lives.
type LoginResponse = accounts.LoggedIn

func (s *Server) login(c echo.Context) error {
	var in accounts.LogIn
	if err := readJSON(c, &in); err != nil {
		return err
	}
	out, err := s.app.Accounts.LogIn(c.Request().Context(), actor(c), c.RealIP(), in)
	if err != nil {
		return err
	}
	if out.Via == auth.KindSession {
		secure := c.Scheme() == "https"
		c.SetCookie(&http.Cookie{Name: sessionCookie, Value: out.Session, Path: "/", Expires: out.ExpiresAt,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
		// The console reads this cookie (or the body) and echoes it in
		// X-CSRF-Token; it is bound to this session.
		c.SetCookie(&http.Cookie{Name: csrfCookie, Value: out.CSRFToken, Path: "/", Expires: out.ExpiresAt,
			Secure: secure, SameSite: http.SameSiteStrictMode})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) logout(c echo.Context) error {
	tok, _ := c.Get(ctxToken).(string)
	via, _ := c.Get(ctxVia).(string)
	if err := s.app.Accounts.LogOut(c.Request().Context(), actor(c), accounts.Credential{Token: tok, Kind: via}); err != nil {
		return err
	}
	if via == auth.KindSession {
		c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		c.SetCookie(&http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteStrictMode})
	}
	return c.NoContent(http.StatusNoContent)
}

// MeResponse is the current account, how it authenticated and until when.
type MeResponse = accounts.Me

func (s *Server) me(c echo.Context) error {
	info, _ := c.Get(ctxInfo).(auth.TokenInfo)
	out, err := s.app.Accounts.GetMe(c.Request().Context(), actor(c), info)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) listAccounts(c echo.Context) error {
	as, err := s.app.Accounts.ListAccounts(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, AccountList{Accounts: as})
}

func (s *Server) createAccount(c echo.Context) error {
	var in auth.NewAccount
	if err := readJSON(c, &in); err != nil {
		return err
	}
	a, err := s.app.Accounts.CreateAccount(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) disableAccount(c echo.Context) error {
	return s.setDisabled(c, s.app.Accounts.DisableAccount)
}

func (s *Server) enableAccount(c echo.Context) error {
	return s.setDisabled(c, s.app.Accounts.EnableAccount)
}

func (s *Server) setDisabled(c echo.Context, do func(ctx context.Context, a permission.Actor, id int64, in accounts.Reason) (auth.Account, error)) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var in accounts.Reason
	if err := readJSON(c, &in); err != nil {
		return err
	}
	a, err := do(c.Request().Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (s *Server) revokeAccountTokens(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var in accounts.Reason
	if err := readJSON(c, &in); err != nil {
		return err
	}
	out, err := s.app.Accounts.RevokeAccountTokens(c.Request().Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) resetAccountPassword(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	var in accounts.ResetPassword
	if err := readJSON(c, &in); err != nil {
		return err
	}
	out, err := s.app.Accounts.ResetAccountPassword(c.Request().Context(), actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// TokenList is an account's sessions and tokens, without their secrets.
type TokenList struct {
	Tokens []auth.TokenInfo `json:"tokens"`
	AsOf   time.Time        `json:"as_of"`
}

func (s *Server) listAccountTokens(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	out, err := s.app.Accounts.ListAccountTokens(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, TokenList{Tokens: out, AsOf: time.Now().UTC()})
}

func (s *Server) listLoginThrottles(c echo.Context) error {
	out, err := s.app.Accounts.ListLoginThrottles(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) unblockLogin(c echo.Context) error {
	var in accounts.Unblock
	if err := readJSON(c, &in); err != nil {
		return err
	}
	if err := s.app.Accounts.UnblockLogin(c.Request().Context(), actor(c), in); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

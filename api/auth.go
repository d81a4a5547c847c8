package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/records"
)

// LoginRequest logs in. Kind "session" (default) sets the console's session
// cookie; kind "bearer" returns a bearer token for API clients instead.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Kind     string `json:"kind,omitempty"`
	// Label names a bearer token (e.g. the client's host).
	Label string `json:"label,omitempty"`
}

// LoginResponse is the logged-in account, the CSRF token the console must
// echo in X-CSRF-Token (session) or the bearer token (bearer).
type LoginResponse struct {
	Account   auth.Account `json:"account"`
	CSRFToken string       `json:"csrf_token,omitempty"`
	Token     string       `json:"token,omitempty"`
	ExpiresAt time.Time    `json:"expires_at"`
}

func (s *Server) login(c echo.Context) error {
	var in LoginRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Kind == "" {
		in.Kind = auth.KindSession
	}
	if in.Kind != auth.KindSession && in.Kind != auth.KindBearer {
		return invalid([]records.FieldError{{Field: "kind", Code: "enum", ZH: "应为 session 或 bearer", EN: "must be session or bearer"}})
	}
	ctx := c.Request().Context()
	a, tok, err := s.auth.Login(ctx, in.Username, in.Password)
	if errors.Is(err, auth.ErrBadCredentials) {
		s.Logger.Warn().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).Msg("log-in refused")
		return &Error{Status: http.StatusUnauthorized, Code: "bad-credentials",
			Title:  Message{ZH: "用户名或密码错误", EN: "Wrong user name or password"},
			Detail: Message{ZH: "用户名或密码错误，或账户已停用", EN: "The user name or password is wrong, or the account is disabled"}}
	}
	if err != nil {
		return err
	}
	if in.Kind == auth.KindBearer {
		// The log-in session only proves the password; the client gets a
		// bearer token and the session is ended at once.
		bt, err := s.auth.IssueBearer(ctx, a, in.Label, 0)
		if err != nil {
			return err
		}
		if err := s.auth.Logout(ctx, a, tok.Value); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, LoginResponse{Account: a, Token: bt.Value, ExpiresAt: bt.ExpiresAt})
	}
	secure := c.Scheme() == "https"
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: tok.Value, Path: "/", Expires: tok.ExpiresAt,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	csrf := newCSRFToken()
	// The console reads this cookie and echoes it in X-CSRF-Token.
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Expires: tok.ExpiresAt,
		Secure: secure, SameSite: http.SameSiteStrictMode})
	return c.JSON(http.StatusOK, LoginResponse{Account: a, CSRFToken: csrf, ExpiresAt: tok.ExpiresAt})
}

func (s *Server) logout(c echo.Context) error {
	a, ok := caller(c)
	if !ok {
		return unauthenticated()
	}
	tok, _ := c.Get(ctxToken).(string)
	if err := s.auth.Logout(c.Request().Context(), a, tok); err != nil {
		return err
	}
	if c.Get(ctxVia) == auth.KindSession {
		c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	return c.NoContent(http.StatusNoContent)
}

// MeResponse is the current account.
type MeResponse struct {
	Account auth.Account `json:"account"`
	Via     string       `json:"via"`
}

func (s *Server) me(c echo.Context) error {
	a, ok := caller(c)
	if !ok {
		return unauthenticated()
	}
	via, _ := c.Get(ctxVia).(string)
	return c.JSON(http.StatusOK, MeResponse{Account: a, Via: via})
}

func (s *Server) listAccounts(c echo.Context) error {
	if _, err := s.require(c, "account", auth.Admin); err != nil {
		return err
	}
	as, err := s.auth.Accounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"accounts": nonNil(as)})
}

func (s *Server) createAccount(c echo.Context) error {
	if _, err := s.require(c, "account", auth.Admin); err != nil {
		return err
	}
	var in auth.NewAccount
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	a, err := s.auth.CreateAccount(c.Request().Context(), auditActor(c), in)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusCreated, a)
}

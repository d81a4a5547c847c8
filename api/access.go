package api

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Cookies of the console.
const (
	sessionCookie = "cc_session"
	csrfCookie    = "_csrf"
	csrfHeader    = echo.HeaderXCSRFToken
)

// Context keys set by authenticate.
const (
	ctxAccount = "creditcase.account"
	ctxToken   = "creditcase.token"
	ctxVia     = "creditcase.via" // auth.KindSession or auth.KindBearer
)

// authenticate resolves the caller from a bearer token (Authorization:
// Bearer …) or the session cookie, through the core. A request with
// neither is anonymous; a request with a bad one is refused, so a client
// never silently continues as the public.
func (s *Server) authenticate() echo.MiddlewareFunc {
	acc := s.app.Accounts
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
				tok, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					return refusal.Unauth()
				}
				tok = strings.TrimSpace(tok)
				a, err := acc.Authenticate(ctx, tok, auth.KindBearer)
				if err != nil {
					return err
				}
				c.Set(ctxAccount, a)
				c.Set(ctxToken, tok)
				c.Set(ctxVia, auth.KindBearer)
				return next(c)
			}
			if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
				a, err := acc.Authenticate(ctx, ck.Value, auth.KindSession)
				if err != nil {
					return err
				}
				c.Set(ctxAccount, a)
				c.Set(ctxToken, ck.Value)
				c.Set(ctxVia, auth.KindSession)
			}
			return next(c)
		}
	}
}

// csrf protects cookie-authenticated unsafe requests with Echo's
// double-submit token: the console echoes the _csrf cookie in the
// X-CSRF-Token header. Bearer-token and anonymous requests carry no
// ambient credential and are not checked.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        func(c echo.Context) bool { return c.Get(ctxVia) != auth.KindSession },
		TokenLookup:    "header:" + csrfHeader,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return &refusal.Error{Kind: refusal.CSRF,
				Title:  refusal.T("跨站请求校验失败", "Cross-site request check failed"),
				Detail: refusal.T("请在 X-CSRF-Token 头中回传 _csrf Cookie 的值", "Send the value of the _csrf cookie in the X-CSRF-Token header"),
				Cause:  err}
		},
	})
}

func newCSRFToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// actor is who calls, for the application core.
func actor(c echo.Context) permission.Actor {
	if a, ok := c.Get(ctxAccount).(auth.Account); ok {
		return permission.As(a)
	}
	return permission.Anonymous
}

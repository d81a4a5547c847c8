package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
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
// Bearer …) or the session cookie. A request with neither is anonymous; a
// request with a bad one is refused, so a client never silently continues
// as the public.
func (s *Server) authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
				tok, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					return unauthenticated()
				}
				a, err := s.auth.Authenticate(ctx, strings.TrimSpace(tok), auth.KindBearer)
				if err != nil {
					return authErr(err)
				}
				c.Set(ctxAccount, a)
				c.Set(ctxToken, strings.TrimSpace(tok))
				c.Set(ctxVia, auth.KindBearer)
				return next(c)
			}
			if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
				a, err := s.auth.Authenticate(ctx, ck.Value, auth.KindSession)
				if err != nil {
					return authErr(err)
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
			return &Error{Status: http.StatusForbidden, Code: "csrf",
				Title:  Message{ZH: "跨站请求校验失败", EN: "Cross-site request check failed"},
				Detail: Message{ZH: "请在 X-CSRF-Token 头中回传 _csrf Cookie 的值", EN: "Send the value of the _csrf cookie in the X-CSRF-Token header"},
				Cause:  err}
		},
	})
}

func newCSRFToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func authErr(err error) error {
	if errors.Is(err, auth.ErrUnauthenticated) {
		return unauthenticated()
	}
	return err
}

// actor is who calls, for the application core.
func actor(c echo.Context) permission.Actor {
	if a, ok := caller(c); ok {
		return permission.As(a)
	}
	return permission.Anonymous
}

// caller returns the authenticated account, if any.
func caller(c echo.Context) (auth.Account, bool) {
	a, ok := c.Get(ctxAccount).(auth.Account)
	return a, ok
}

// actor names the caller for the audit trail.
func auditActor(c echo.Context) audit.Actor {
	if a, ok := caller(c); ok {
		return a.Actor()
	}
	return audit.Public
}

// require answers 401 for anonymous callers and a logged 403 for roles
// not in allowed.
func (s *Server) require(c echo.Context, what string, allowed ...auth.Role) (auth.Account, error) {
	a, ok := caller(c)
	if !ok {
		return a, unauthenticated()
	}
	if !slices.Contains(allowed, a.Role) {
		return a, s.deny(c, http.StatusForbidden, what, "")
	}
	return a, nil
}

// deny refuses the request: it writes an access.denied event (who, which
// route, what) and a log line, changes nothing else, and answers 403, or
// 404 where telling "forbidden" would reveal that the object exists.
func (s *Server) deny(c echo.Context, status int, objectType, objectID string) error {
	ctx := c.Request().Context()
	err := audit.Write(ctx, s.Pool, auditActor(c), audit.Event{
		Action: audit.ActionDenied, ObjectType: objectType, ObjectID: objectID,
		Data: map[string]any{"method": c.Request().Method, "route": c.Path(), "status": status},
	})
	if err != nil {
		s.Logger.Error().Err(err).Msg("cannot write access.denied event")
	}
	s.Logger.Warn().Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
		Str("actor", auditActor(c).Username).Str("role", auditActor(c).Role).
		Str("route", c.Path()).Str("object", objectType).Int("status", status).Msg("access denied")
	if status == http.StatusNotFound {
		return notFound()
	}
	return &Error{Status: http.StatusForbidden, Code: "forbidden",
		Title:  Message{ZH: "无权操作", EN: "Forbidden"},
		Detail: Message{ZH: "您的角色无权执行此操作", EN: "Your role may not do this"}}
}

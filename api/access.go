package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/accounts"
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
	ctxVia     = "creditcase.via"       // auth.KindSession or auth.KindBearer
	ctxInfo    = "creditcase.tokeninfo" // auth.TokenInfo of the credential used
)

// credentials returns the credential a request presents: a bearer token
// (Authorization: Bearer …) or the session cookie; ok is false for an
// anonymous request. A malformed Authorization header is a credential
// that will not verify.
func credentials(c echo.Context) (accounts.Credential, bool) {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		tok, _ := strings.CutPrefix(h, "Bearer ")
		return accounts.Credential{Token: strings.TrimSpace(tok), Kind: auth.KindBearer}, true
	}
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		return accounts.Credential{Token: ck.Value, Kind: auth.KindSession}, true
	}
	return accounts.Credential{}, false
}

// authenticate resolves the caller from a bearer token or the session
// cookie. A request with neither is anonymous; a request with a bad one is
// refused, so a client never silently continues as the public.
func (s *Server) authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			cred, ok := credentials(c)
			if !ok {
				return next(c)
			}
			a, info, err := s.app.Accounts.Authenticate(c.Request().Context(), cred)
			if err != nil {
				return err
			}
			c.Set(ctxAccount, a)
			c.Set(ctxToken, cred.Token)
			c.Set(ctxVia, cred.Kind)
			c.Set(ctxInfo, info)
			return next(c)
		}
	}
}

// csrf protects cookie-authenticated unsafe requests: the X-CSRF-Token
// header must carry the token of this very session (an HMAC of the
// session under a server key, given at log-in and in the _csrf cookie), so
// a token taken from another session, or made up, is refused. Bearer-token
// and anonymous requests carry no ambient credential and are not checked.
func (s *Server) csrf() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
				return next(c)
			}
			if c.Get(ctxVia) != auth.KindSession {
				return next(c)
			}
			session, _ := c.Get(ctxToken).(string)
			if err := s.app.Accounts.CheckCSRF(c.Request().Context(), session, c.Request().Header.Get(csrfHeader)); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// actor is who calls, for the application core.
func actor(c echo.Context) permission.Actor {
	if a, ok := c.Get(ctxAccount).(auth.Account); ok {
		return permission.As(a)
	}
	return permission.Anonymous
}

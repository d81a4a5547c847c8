package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/ratelimit"
	"github.com/creditcase/creditcase/internal/refusal"
)

// classOf is the rate-limit class of an anonymous request's route.
// The console's pages (mounted on the same server) count as the API
// operations they stand for.
func classOf(method, route string) string {
	switch {
	case route == "/api/v1/public/records", route == "/public/records":
		return ratelimit.Lookup
	case route == "/api/v1/auth/login", route == "/login" && method == http.MethodPost:
		return ratelimit.Login
	case strings.HasPrefix(route, "/api/v1/public/") && strings.HasSuffix(route, "/objections"),
		route == "/public/repair-notices/:no/objection" && method == http.MethodPost:
		return ratelimit.Objection
	}
	return ratelimit.Anonymous
}

// limitAnonymous puts every request that presents no credential (the
// public lookup and lists, the public objection form, log-in, the OpenAPI
// document, readiness) through the one limiter, per client address and
// route class; over budget it answers 429 rate-limited with Retry-After.
// /healthz, /metrics and the console's static assets are left out:
// probes, scrapers and page loads fetch them. A
// request with a credential is an account's, refused (401) if the
// credential does not verify.
func limitAnonymous(l *ratelimit.Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			route := c.Path()
			if route == "/healthz" || route == "/metrics" || strings.HasPrefix(route, "/assets/") {
				return next(c)
			}
			if _, ok := credentials(c); ok {
				return next(c)
			}
			class := classOf(c.Request().Method, route)
			if ok, wait := l.Allow(class, c.RealIP()); !ok {
				return &refusal.Error{Kind: refusal.RateLimited, RetryAfter: wait,
					Title:  refusal.T("请求过于频繁", "Too many requests"),
					Detail: refusal.T("来自您地址的请求过多，请按 Retry-After 所示的秒数后再试", "Too many requests from your address; try again after the seconds in Retry-After")}
			}
			return next(c)
		}
	}
}

// Package api is the HTTP face of creditcase: an Echo server whose handlers
// parse, authorise, call Temporal or the store, and map errors to RFC 9457
// problems. Lists come from PostgreSQL; live case detail from workflow queries.
package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/ratelimit"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/reqid"
)

// Deps are what the handlers use: the application core and the plumbing
// of the HTTP front end. The API holds no database pool and no Temporal
// client: every request goes through the core.
type Deps struct {
	App    *application.App
	Logger zerolog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Limits are the budgets of anonymous requests per client (nil =
	// ratelimit.Defaults).
	Limits ratelimit.Config
	// Proxies are the reverse proxies trusted to name the client in
	// X-Forwarded-For (none: the peer address is the client).
	Proxies ratelimit.Proxies
	// NoMetrics leaves /metrics out (it is served on its own address).
	NoMetrics bool
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	app *application.App
}

// New returns the Echo instance with every route and middleware.
func New(d Deps) *echo.Echo {
	s := &Server{Deps: d, app: d.App}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	// The client is the peer, or the address a trusted proxy names:
	// c.RealIP() everywhere (rate limits, log-in throttling, query log).
	e.IPExtractor = d.Proxies.ClientAddr
	e.Use(requestID)
	e.Use(recoverer(d.Logger))
	e.Use(s.observe())
	e.Use(limitAnonymous(ratelimit.New(d.Limits)))
	e.Use(middleware.BodyLimit("32M"))
	e.Use(cleanParams)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if !d.NoMetrics {
		e.GET("/metrics", echo.WrapHandler(MetricsHandler(d.Registry)))
	}

	v1 := e.Group("/api/v1", noStore)
	r := &router{g: v1, s: s, mw: []echo.MiddlewareFunc{s.authenticate(), s.csrf()}}
	s.routesHealth(r)
	s.routesRecords(r)
	s.routesObjections(r)
	s.routesDownstream(r)
	s.routesSupervision(r)
	s.routesListings(r)
	s.routesRepairs(r)
	s.routesCalendar(r)
	return e
}

// noStore marks every answer of the API as not to be kept by a browser's
// or a proxy's cache: records, letters and evidence carry names and ID
// numbers, and the console's session cookie is accepted here too.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// router registers operations: each with its operationId, which is also
// its use case in the permission table. A role the table does not allow is
// refused before the body is read (401 for the public, 403 otherwise).
type router struct {
	g  *echo.Group
	s  *Server
	mw []echo.MiddlewareFunc
}

func (r *router) op(method, path, operationID string, h echo.HandlerFunc) {
	uc := permission.UseCase(operationID)
	if _, ok := permission.Lookup(uc); !ok {
		panic("api: operation " + operationID + " is not in the permission table")
	}
	guard := r.s.app.Guard
	write := method != http.MethodGet && method != http.MethodHead
	known := queryParams()[operationID]
	r.g.Add(method, path, func(c echo.Context) error {
		if err := guard.Require(c.Request().Context(), actor(c), uc); err != nil {
			return err
		}
		if err := onlyDeclaredQuery(c, known); err != nil {
			return err
		}
		if write {
			return r.s.idempotent(c, h)
		}
		return h(c)
	}, r.mw...).Name = operationID
}

// requestIDPattern is what a client's X-Request-Id must look like to be
// kept: short, letters, digits, dot, dash, underscore.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID gives every request an ID: the client's X-Request-Id when it
// matches requestIDPattern, a fresh one otherwise. It is answered in
// X-Request-Id, logged, carried into the workflows (package reqid) and
// quoted in problems.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.SetRequest(c.Request().WithContext(reqid.With(c.Request().Context(), id)))
		return next(c)
	}
}

// cleanParams refuses (400, naming the parameter) a query or path
// parameter that is not clean text: invalid UTF-8, control characters,
// longer than cleantext.ParamMax.
func cleanParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := url.ParseQuery(c.Request().URL.RawQuery); err != nil {
			return refusal.BadParam("query", "format", refusal.T("查询字符串格式有误", "the query string is malformed"))
		}
		fe := cleantext.Params(c.QueryParams())
		for i, name := range c.ParamNames() {
			if i < len(c.ParamValues()) {
				v, err := url.PathUnescape(c.ParamValues()[i])
				if err != nil {
					v = c.ParamValues()[i]
				}
				if f, ok := cleantext.Param(name, v); !ok {
					fe = append(fe, f)
				}
			}
		}
		if len(fe) > 0 {
			return refusal.BadParams(fe...)
		}
		return next(c)
	}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// observe logs one line per request and records the HTTP metrics. It logs
// the route pattern, not the URL, so identifiers in paths never reach logs.
func (s *Server) observe() echo.MiddlewareFunc {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "creditcase_http_requests_total", Help: "HTTP requests answered.",
	}, []string{"method", "route", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "creditcase_http_request_duration_seconds", Help: "HTTP request latency.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	s.Registry.MustRegister(requests, latency)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			elapsed := time.Since(start)
			requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
			latency.WithLabelValues(c.Request().Method, route).Observe(elapsed.Seconds())
			ev := s.Logger.Info()
			if status >= 500 {
				ev = s.Logger.Error()
			} else if route == "/healthz" || route == "/readyz" || route == "/metrics" {
				ev = s.Logger.Debug()
			}
			ev.Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
				Str("method", c.Request().Method).
				Str("route", route).
				Int("status", status).
				Int64("bytes", c.Response().Size).
				Dur("latency", elapsed).
				Msg("http")
			return nil
		}
	}
}

func recoverer(log zerolog.Logger) echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.Error().Err(err).Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).
				Str("route", c.Path()).Bytes("stack", stack).Msg("panic in handler")
			return err
		},
	})
}

// healthz answers while the process runs.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readiness is the body of /readyz.
type Readiness = health.Readiness

// readyz answers 200 when PostgreSQL and Temporal answer and every check of
// the process passes (a worker's fonts, document store, calendar year),
// 503 otherwise, naming what is missing.
func (s *Server) readyz(c echo.Context) error {
	r := s.app.Health.Ready(c.Request().Context())
	if r.Status != "ready" {
		return c.JSON(http.StatusServiceUnavailable, r)
	}
	return c.JSON(http.StatusOK, r)
}

// EngineCheckResponse is the answer to an engine check.
type EngineCheckResponse = health.EngineCheck

// routesHealth registers the engine checks.
func (s *Server) routesHealth(r *router) {
	h := s.app.Health
	r.op(http.MethodPost, "/engine-checks", "createEngineCheck", func(c echo.Context) error {
		out, err := h.RunEngineCheck(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, out)
	})
	r.op(http.MethodGet, "/engine-checks/:id", "getEngineCheck", func(c echo.Context) error {
		out, err := h.EngineCheckByID(c.Request().Context(), actor(c), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	})
}

// MetricsHandler serves the Prometheus registry (on the API address, or on
// METRICS_ADDR alone).
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// queryParams is, per operationId, the query parameters the served OpenAPI
// document declares (the document is generated from the handlers' types and
// checked against them by the tests).
var queryParams = sync.OnceValue(func() map[string]map[string]bool {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		panic("api: openapi.json: " + err.Error())
	}
	out := map[string]map[string]bool{}
	for _, item := range doc.Paths {
		for _, op := range item {
			names := map[string]bool{}
			for _, p := range op.Parameters {
				if p.In == "query" {
					names[p.Name] = true
				}
			}
			out[op.OperationID] = names
		}
	}
	return out
})

// onlyDeclaredQuery refuses (400, naming each) a query parameter the
// operation does not take: a misspelt or invented one (?dry_run=true on an
// import, ?page_size=5, ?subject=3) was ignored, and the client believed a
// filter, a limit or a dry run applied that did not — an import committed
// its rows.
func onlyDeclaredQuery(c echo.Context, known map[string]bool) error {
	var fe []refusal.Field
	for name := range c.QueryParams() {
		if !known[name] {
			fe = append(fe, refusal.Field{Name: name, Code: "unknown",
				Message: refusal.T("该操作没有这个查询参数，未作任何更改；可用的参数见 /api/v1/openapi.json",
					"this operation takes no such query parameter; nothing was changed (its parameters are in /api/v1/openapi.json)")})
		}
	}
	if len(fe) == 0 {
		return nil
	}
	sort.Slice(fe, func(i, j int) bool { return fe[i].Name < fe[j].Name })
	return refusal.BadParams(fe...)
}

// Package api is the HTTP face of creditcase: an Echo server whose handlers
// parse, authorise, call Temporal or the store, and map errors to RFC 9457
// problems. Lists come from PostgreSQL; live case detail from workflow queries.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/reqid"
)

// Deps are what the handlers use.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client
	Logger   zerolog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Profile computes records' disclosure periods (nil = the default
	// profile, nantong).
	Profile *policy.Profile
	// BcryptCost hashes new passwords (0 = bcrypt.DefaultCost).
	BcryptCost int
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	records *records.Store
	auth    *auth.Service
}

// New returns the Echo instance with every route and middleware.
func New(d Deps) *echo.Echo {
	s := &Server{Deps: d}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(d.Logger)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: newRequestID,
		RequestIDHandler: func(c echo.Context, id string) {
			c.SetRequest(c.Request().WithContext(reqid.With(c.Request().Context(), id)))
		},
	}))
	e.Use(recoverer(d.Logger))
	e.Use(s.observe())
	e.Use(middleware.BodyLimit("32M"))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry})))

	v1 := e.Group("/api/v1")
	v1.POST("/engine-checks", s.createEngineCheck)
	v1.GET("/engine-checks/:id", s.getEngineCheck)
	s.routesRecords(v1)
	s.routesObjections(v1)
	s.routesSupervision(v1)
	s.routesListings(v1)
	s.routesRepairs(v1)
	return e
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
type Readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz answers 200 when PostgreSQL and Temporal both answer, 503 otherwise,
// naming what failed.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	r := Readiness{Status: "ready", Checks: map[string]string{"postgres": "ok", "temporal": "ok"}}
	if err := s.Pool.Ping(ctx); err != nil {
		r.Status, r.Checks["postgres"] = "unavailable", "unreachable"
		s.Logger.Warn().Err(err).Msg("readiness: PostgreSQL unreachable")
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		r.Status, r.Checks["temporal"] = "unavailable", "unreachable"
		s.Logger.Warn().Err(err).Msg("readiness: Temporal unreachable")
	}
	if r.Status != "ready" {
		return c.JSON(http.StatusServiceUnavailable, r)
	}
	return c.JSON(http.StatusOK, r)
}

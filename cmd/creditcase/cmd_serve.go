package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/logging"
	"github.com/creditcase/creditcase/internal/metrics"
	"github.com/creditcase/creditcase/internal/notify"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/stack"
	"github.com/creditcase/creditcase/internal/temporalclient"
	"github.com/creditcase/creditcase/web"
	"github.com/creditcase/creditcase/worker"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

func init() {
	register(command{
		name:    "api",
		summary: "serve the HTTP API against TEMPORAL_ADDRESS and DATABASE_URL (production role)",
		usage: `Usage: creditcase api

Serves the API on HTTP_ADDR. Needs DATABASE_URL (migrated with
"creditcase migrate up") and a Temporal frontend at TEMPORAL_ADDRESS.
Run any number of replicas.`,
		run: runAPI,
	})
	register(command{
		name:    "worker",
		summary: "run the workflow and activity worker against TEMPORAL_ADDRESS and DATABASE_URL (production role)",
		usage: `Usage: creditcase worker

Polls the creditcase task queue and runs workflows and activities. Serves
/healthz, /readyz and /metrics on HTTP_ADDR (default :8080). Run any number
of replicas.`,
		run: runWorker,
	})
}

// role is what the production roles share: logger, pool, Temporal client, metrics.
type role struct {
	log      zerolog.Logger
	cfg      config.Config
	pool     *pgxpool.Pool
	temporal client.Client
	registry *prometheus.Registry
	// sdkMetrics stops the Temporal SDK's metrics reporting.
	sdkMetrics io.Closer
	// rules: the policy profiles and calendar, loaded once for the process.
	rules *rules.Rules
}

func startRole(ctx context.Context, name string) (*role, error) {
	cfg, err := config.FromEnv(string(logging.JSON))
	if err != nil {
		return nil, err
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel, logging.Format(cfg.LogFormat))
	if err != nil {
		return nil, err
	}
	log = log.With().Str("role", name).Logger()
	// Invalid overrides stop the process here, naming the file and line.
	local, err := rules.LoadLocal(rules.Dirs{Calendar: cfg.CalendarDir, Policy: cfg.PolicyDir})
	if err != nil {
		return nil, err
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	rl, err := rules.Open(ctx, pool, local, log, fmt.Sprintf("%s %s/%d", name, host, os.Getpid()))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("rules: %w (run \"creditcase migrate up\" first?)", err)
	}
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewPoolCollector(pool))
	sdkMetrics, sdkMetricsCloser := metrics.NewSDKHandler(reg, log)
	tc, err := temporalclient.Dial(ctx, temporalclient.Options{Logger: log, Metrics: sdkMetrics})
	if err != nil {
		_ = sdkMetricsCloser.Close()
		pool.Close()
		return nil, err
	}
	return &role{log: log, cfg: cfg, pool: pool, temporal: tc, registry: reg, sdkMetrics: sdkMetricsCloser, rules: rl}, nil
}

func (r *role) close() {
	r.temporal.Close()
	_ = r.sdkMetrics.Close()
	r.pool.Close()
}

// serve runs the HTTP server until ctx ends, then shuts it down gracefully.
// checks are what the role needs beyond PostgreSQL and Temporal (a
// worker's fonts, document store and calendar), reported on /readyz.
func (r *role) serve(ctx context.Context, checks []health.Check) error {
	ln, err := stack.Listen(r.cfg.HTTPAddr)
	if err != nil {
		return err
	}
	// One application core for both front ends: the JSON API and the console.
	app := application.New(application.Deps{Pool: r.pool, Temporal: r.temporal, Logger: r.log, Rules: r.rules,
		Auth: authOptions(r.cfg), Checks: checks})
	handler := api.New(api.Deps{App: app, Logger: r.log, Registry: r.registry,
		Limits: r.cfg.RateLimits, Proxies: r.cfg.TrustedProxies, NoMetrics: r.cfg.MetricsAddr != ""})
	if _, err := web.Mount(handler, web.Deps{App: app, Pool: r.pool, Temporal: r.temporal, Logger: r.log, OIDC: web.OIDCConfigFromEnv()}); err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	// What the core owes without a request: workflow starts a crash left
	// owed, old idempotency keys.
	go app.Run(ctx)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	r.log.Info().Str("addr", ln.Addr().String()).Msg("HTTP listening")
	if r.cfg.MetricsAddr != "" {
		msrv, addr, err := stack.ServeMetrics(r.cfg.MetricsAddr, r.registry, errc)
		if err != nil {
			_ = srv.Close()
			return err
		}
		defer msrv.Close()
		r.log.Info().Str("addr", addr).Msg("metrics listening")
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runAPI(ctx context.Context, args []string, _ io.Writer) error {
	if len(args) > 0 {
		return newUsageError("api takes no arguments")
	}
	r, err := startRole(ctx, "api")
	if err != nil {
		return err
	}
	defer r.close()
	// /readyz: every migration applied; whether a worker polls is
	// reported, not required (the API files cases without one).
	return r.serve(ctx, health.RoleChecks("api", r.pool, r.temporal, r.rules))
}

// authOptions are the log-in settings of the environment.
func authOptions(cfg config.Config) auth.Options {
	o := auth.Options{BearerTTL: cfg.TokenLifetime}
	if cfg.CentreName != "" {
		o.ContextWords = []string{cfg.CentreName}
	}
	return o
}

func runWorker(ctx context.Context, args []string, _ io.Writer) error {
	if len(args) > 0 {
		return newUsageError("worker takes no arguments")
	}
	r, err := startRole(ctx, "worker")
	if err != nil {
		return err
	}
	defer r.close()
	worker.SetCacheSize(r.cfg.WorkflowCacheSize)
	host, _ := os.Hostname()
	// A worker without its fonts, document store or this year's calendar
	// would stall cases: it refuses to start, naming what is missing.
	checks := health.WorkerChecks(r.pool, r.rules, nil)
	if err := health.RunChecks(ctx, checks); err != nil {
		return err
	}
	notifier, err := notify.FromEnv(r.pool, r.log, false)
	if err != nil {
		return err
	}
	w := worker.New(r.temporal, worker.Deps{Pool: r.pool, Identity: fmt.Sprintf("%s/%d", host, os.Getpid()), Rules: r.rules,
		Notifier: notifier, Logger: r.log, DeadlockTimeout: r.cfg.WorkflowDeadlockTimeout})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if err := worker.EnsureSchedules(ctx, r.temporal); err != nil {
		return err
	}
	subs, smtpCfg, err := relay.FromEnv()
	if err != nil {
		return err
	}
	stopRelay, err := relay.Start(ctx, r.pool, subs, smtpCfg, r.log)
	if err != nil {
		return err
	}
	defer stopRelay()
	if err := worker.EnsureCalendarRecomputes(ctx, r.temporal, r.pool); err != nil {
		return err
	}
	r.log.Info().Int("workflow_cache_size", r.cfg.WorkflowCacheSize).
		Dur("workflow_deadlock_timeout", r.cfg.WorkflowDeadlockTimeout).Msg("worker polling")
	// /readyz: the worker's own checks, every migration applied and this
	// worker polling the task queue.
	return r.serve(ctx, health.RoleChecks("worker", r.pool, r.temporal, r.rules))
}

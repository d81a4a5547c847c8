// Package stack assembles the whole system in one process: a private
// PostgreSQL (unless a URL is given), the embedded Temporal server, the
// migrations, the worker and the API. `creditcase dev` runs it; the
// integration tests start the very same stack once per test binary.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserver_options "github.com/temporalio/ui-server/v2/server/server_options"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/engine"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/logging"
	"github.com/creditcase/creditcase/internal/metrics"
	"github.com/creditcase/creditcase/internal/notify"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/ratelimit"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/temporalclient"
	"github.com/creditcase/creditcase/web"
	"github.com/creditcase/creditcase/worker"
	"github.com/creditcase/creditcase/workflows"
)

// AppDatabase is the application's database in the private cluster.
const AppDatabase = "creditcase"

// Options configure the stack.
type Options struct {
	// DatabaseURL, when set, is used instead of a private cluster; Temporal's
	// databases are created on the same server.
	DatabaseURL string
	// DataDir holds the private cluster (DataDir/pg).
	DataDir string
	PGPort  int
	// PGSettings are more settings of the private cluster (PG_SETTINGS).
	PGSettings []string
	// TemporalPort is the embedded frontend port; 0 picks a free one.
	TemporalPort int
	Namespace    string
	// HTTPAddr is where the API listens ("127.0.0.1:0" picks a free port).
	HTTPAddr string
	// UIPort serves the Temporal Web UI on 127.0.0.1; 0 serves none.
	UIPort int
	Logger zerolog.Logger
	// TemporalLogLevel filters the embedded server's own lines.
	TemporalLogLevel string
	// Progress receives one line per started part, for people.
	Progress func(string)
	// Relay is the subscribers' configuration; nil reads SUBSCRIBERS_FILE.
	Relay *relay.Config
	// OIDC is the console's sign-in through the identity platform (zero:
	// none).
	OIDC web.OIDCConfig
	// Rules are the override directories (CALENDAR_DIR, POLICY_DIR) of the
	// policy profiles and calendar every part of the stack reads.
	Rules rules.Dirs
	// Auth configures log-in throttling, token lifetimes and the password
	// policy; Limits the budgets of anonymous requests; Proxies the
	// reverse proxies trusted to name the client (zero = the defaults).
	Auth    auth.Options
	Limits  ratelimit.Config
	Proxies ratelimit.Proxies
	// MetricsAddr serves /metrics alone on this address ("" = on the API).
	MetricsAddr string
	// WorkflowDeadlockTimeout is the worker's deadlock detection timeout
	// (WORKFLOW_DEADLOCK_TIMEOUT; 0 = the default).
	WorkflowDeadlockTimeout time.Duration
	// Seeded, when set, is a readiness check (/readyz "seed"): nil once
	// what the caller seeds after Start exists (dev: the demo accounts).
	Seeded func(ctx context.Context, pool *pgxpool.Pool) error
}

// Stack is the running system.
type Stack struct {
	PG       *pgcluster.Cluster // nil when DatabaseURL was given
	AppURL   string
	AdminURL string
	Engine   *engine.Server
	Pool     *pgxpool.Pool
	Temporal client.Client
	Worker   sdkworker.Worker
	Registry *prometheus.Registry
	Rules    *rules.Rules
	App      *application.App // the application core every front end calls
	HTTP     *http.Server
	APIAddr  string
	// MetricsAddr is where /metrics is served alone ("" = on the API).
	MetricsAddr string
	metrics     *http.Server
	UIAddr      string // "" when the Web UI is not served
	Namespace   string
	ui          *uiserver.Server
	sdkMetrics  io.Closer
	stopWorkers func()
	stopSweep   context.CancelFunc
	serveErr    chan error
	pgFailed    chan error
	log         zerolog.Logger
	// deadlock is the worker's deadlock detection timeout.
	deadlock time.Duration
}

// Start brings every part up in order and stops what it started if a later
// part fails, so nothing is left half-initialised.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	started := &Stack{Namespace: o.Namespace, serveErr: make(chan error, 1), pgFailed: make(chan error, 1),
		deadlock: o.WorkflowDeadlockTimeout}
	s = started
	defer func() {
		if err != nil {
			// s may be nil here (return nil, err): stop what was started.
			started.Stop()
			s = nil
		}
	}()
	// Invalid overrides stop the start here, before anything runs.
	local, err := rules.LoadLocal(o.Rules)
	if err != nil {
		return nil, err
	}

	if o.DatabaseURL == "" {
		if o.DataDir == "" {
			o.DataDir = ".data"
		}
		s.PG, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(o.DataDir, "pg"), Port: o.PGPort, Log: progress, Settings: o.PGSettings})
		if err != nil {
			return nil, err
		}
		s.AdminURL = s.PG.URL("postgres")
		if err = pgcluster.CreateDatabase(ctx, s.AdminURL, AppDatabase); err != nil {
			return nil, fmt.Errorf("create database %s: %w", AppDatabase, err)
		}
		s.AppURL = s.PG.URL(AppDatabase)
	} else {
		s.AppURL, s.AdminURL = o.DatabaseURL, o.DatabaseURL
	}
	if s.Pool, err = db.Open(ctx, s.AppURL); err != nil {
		return nil, err
	}

	port := o.TemporalPort
	if port == 0 {
		if port, err = engine.FreeFrontendPort("127.0.0.1"); err != nil {
			return nil, err
		}
	}
	srvLog := o.Logger
	if lvl, perr := logging.ParseLevel(o.TemporalLogLevel); perr == nil && o.TemporalLogLevel != "" {
		srvLog = srvLog.Level(lvl)
	}
	start := time.Now()
	s.Engine, err = engine.Start(ctx, engine.Config{
		PostgresURL:      s.AdminURL,
		FrontendPort:     port,
		Namespace:        o.Namespace,
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           logging.NewServer(srvLog),
	})
	if err != nil {
		if o.TemporalPort == 0 {
			engine.ReleasePort(port)
		}
		return nil, err
	}
	progress(fmt.Sprintf("Temporal server ready on %s, namespace %s (%s)", s.Engine.HostPort(), o.Namespace, time.Since(start).Round(time.Millisecond)))

	if err = migrateUp(ctx, s.Pool, progress); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if s.Rules, err = rules.Open(ctx, s.Pool, local, o.Logger, fmt.Sprintf("dev %s/%d", host, os.Getpid())); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}

	s.Registry = metrics.NewRegistry()
	s.Registry.MustRegister(metrics.NewPoolCollector(s.Pool))
	sdkMetrics, sdkMetricsCloser := metrics.NewSDKHandler(s.Registry, o.Logger)
	s.sdkMetrics = sdkMetricsCloser
	s.Temporal, err = temporalclient.Dial(ctx, temporalclient.Options{
		HostPort:  s.Engine.HostPort(),
		Namespace: o.Namespace,
		Logger:    o.Logger,
		Metrics:   sdkMetrics,
	})
	if err != nil {
		return nil, err
	}
	s.log = o.Logger
	relayCfg, smtpCfg, err := relay.FromEnv()
	if err != nil {
		return nil, err
	}
	if o.Relay != nil {
		relayCfg = *o.Relay
	}
	// What the worker needs (fonts, document store, this year's calendar)
	// is checked before it starts: a missing font would otherwise stall
	// every case at its first letter.
	checks := health.WorkerChecks(s.Pool, s.Rules, nil)
	if err = health.RunChecks(ctx, checks); err != nil {
		return nil, err
	}
	if err = s.startWorker(ctx, relayCfg, smtpCfg); err != nil {
		return nil, err
	}
	if err = worker.EnsureSchedules(ctx, s.Temporal); err != nil {
		return nil, err
	}
	if err = worker.EnsureCalendarRecomputes(ctx, s.Temporal, s.Pool); err != nil {
		return nil, err
	}
	progress(fmt.Sprintf("worker polling task queue %q", workflows.TaskQueue))

	ln, err := Listen(o.HTTPAddr)
	if err != nil {
		return nil, err
	}
	s.APIAddr = ln.Addr().String()
	// One application core for both front ends: the JSON API and the console.
	var seeded func(context.Context) error
	if o.Seeded != nil {
		seeded = func(ctx context.Context) error { return o.Seeded(ctx, s.Pool) }
	}
	s.App = application.New(application.Deps{Pool: s.Pool, Temporal: s.Temporal, Logger: o.Logger, Rules: s.Rules,
		Auth: o.Auth, Checks: append(checks, s.readinessChecks(seeded)...)})
	handler := api.New(api.Deps{App: s.App, Logger: o.Logger, Registry: s.Registry,
		Limits: o.Limits, Proxies: o.Proxies, NoMetrics: o.MetricsAddr != ""})
	if _, err = web.Mount(handler, web.Deps{App: s.App, Pool: s.Pool, Temporal: s.Temporal, Logger: o.Logger, OIDC: o.OIDC}); err != nil {
		return nil, err
	}
	s.HTTP = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	// What the core owes without a request: workflow starts a crash left
	// owed, old idempotency keys.
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	s.stopSweep = stopSweep
	go s.App.Run(sweepCtx)
	go func() {
		if err := s.HTTP.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
	}()
	progress(fmt.Sprintf("API listening on http://%s/api/v1, console on http://%s/", s.APIAddr, s.APIAddr))
	if o.MetricsAddr != "" {
		if s.metrics, s.MetricsAddr, err = ServeMetrics(o.MetricsAddr, s.Registry, s.serveErr); err != nil {
			return nil, err
		}
		progress(fmt.Sprintf("metrics on http://%s/metrics", s.MetricsAddr))
	}

	if o.UIPort != 0 {
		if s.ui, s.UIAddr, err = StartUI(s.Engine.HostPort(), "127.0.0.1", o.UIPort, o.Namespace); err != nil {
			return nil, err
		}
		progress(fmt.Sprintf("Temporal Web UI on http://%s", s.UIAddr))
	}
	if s.PG != nil {
		go s.superviseDB()
	}
	return s, nil
}

// startWorker starts the worker's parts: the Temporal worker and the
// relay of the outbox.
func (s *Stack) startWorker(ctx context.Context, relayCfg relay.Config, smtpCfg *notify.SMTPConfig) error {
	host, _ := os.Hostname()
	notifier, err := notify.FromEnv(s.Pool, s.log, true)
	if err != nil {
		return err
	}
	s.Worker = worker.New(s.Temporal, worker.Deps{Pool: s.Pool, Identity: fmt.Sprintf("%s/%d", host, os.Getpid()), Rules: s.Rules,
		Notifier: notifier, Logger: s.log, DeadlockTimeout: s.deadlock})
	if err = s.Worker.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	stopRelay, err := relay.Start(ctx, s.Pool, relayCfg, smtpCfg, s.log)
	if err != nil {
		s.Worker.Stop()
		return err
	}
	w := s.Worker
	s.stopWorkers = func() { stopRelay(); w.Stop() }
	return nil
}

// RestartWorker stops the worker (the relay, then the Temporal worker,
// each letting its work in flight finish) and starts it again with the
// relay configuration cfg, as a redeployed worker process would start.
func (s *Stack) RestartWorker(ctx context.Context, cfg relay.Config) error {
	if s.stopWorkers != nil {
		s.stopWorkers()
		s.stopWorkers = nil
	}
	_, smtpCfg, err := relay.FromEnv()
	if err != nil {
		return err
	}
	return s.startWorker(ctx, cfg, smtpCfg)
}

// Failed delivers an error when a part of the stack stops on its own.
func (s *Stack) Failed() <-chan error {
	out := make(chan error, 1)
	go func() {
		select {
		case err := <-s.serveErr:
			out <- fmt.Errorf("API server stopped: %w", err)
		case err := <-s.pgFailed:
			out <- err
		}
	}()
	return out
}

// Stop shuts everything down in reverse order.
func (s *Stack) Stop() {
	if s.ui != nil {
		s.ui.Stop()
	}
	if s.HTTP != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.HTTP.Shutdown(ctx)
		cancel()
	}
	if s.metrics != nil {
		_ = s.metrics.Close()
	}
	if s.stopSweep != nil {
		s.stopSweep()
	}
	if s.stopWorkers != nil {
		s.stopWorkers()
	}
	if s.Temporal != nil {
		s.Temporal.Close()
	}
	if s.sdkMetrics != nil {
		_ = s.sdkMetrics.Close()
	}
	if s.Engine != nil {
		_ = s.Engine.Stop()
	}
	if s.Pool != nil {
		s.Pool.Close()
	}
	if s.PG != nil {
		s.PG.Stop()
	}
}

func migrateUp(ctx context.Context, pool *pgxpool.Pool, progress func(string)) error {
	m, err := db.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	applied, err := m.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	progress(fmt.Sprintf("migrations up to date (%d applied now)", len(applied)))
	return nil
}

// ServeMetrics serves the registry's /metrics alone on addr (and nothing
// else), for a scraper on a separate, private address; errors of the
// server after it started go to failed.
func ServeMetrics(addr string, reg *prometheus.Registry, failed chan<- error) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("cannot serve metrics on %s (%v): set METRICS_ADDR to a free address, or unset it to serve /metrics on HTTP_ADDR", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", api.MetricsHandler(reg))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			select {
			case failed <- fmt.Errorf("metrics server: %w", err):
			default:
			}
		}
	}()
	return srv, ln.Addr().String(), nil
}

// Listen opens addr for the API with a clear message when it is taken.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = ":8080"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (%v): set HTTP_ADDR to a free address", addr, err)
	}
	return ln, nil
}

// StartUI serves the Temporal Web UI (github.com/temporalio/ui-server) for
// the Temporal frontend at frontend, on host:port. The UI server exits the
// process if it cannot listen, so the port is checked first.
func StartUI(frontend, host string, port int, namespace string) (*uiserver.Server, string, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("cannot serve the Temporal Web UI on %s (%v): set TEMPORAL_UI_PORT to a free port, or 0 for no UI", addr, err)
	}
	_ = ln.Close()
	srv := uiserver.NewServer(uiserver_options.WithConfigProvider(&uiconfig.Config{
		TemporalGRPCAddress: frontend,
		Host:                host,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		DisableNewsFetch:    true,
		Distribution:        "creditcase",
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
	}))
	go func() { _ = srv.Start() }()
	return srv, addr, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/logging"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/stack"
	"github.com/creditcase/creditcase/web"
	"github.com/creditcase/creditcase/worker"
)

func init() {
	register(command{
		name:    "dev",
		summary: "run everything on this machine: private PostgreSQL, embedded Temporal, migrations, worker, API",
		usage: `Usage: creditcase dev

Runs the whole system in one process. Without DATABASE_URL a private
PostgreSQL cluster is created under DATA_DIR/pg from the system's PostgreSQL
binaries. The Temporal server runs in process, persisting to that PostgreSQL
(databases temporal and temporal_visibility), with its frontend on
127.0.0.1:TEMPORAL_PORT for the temporal CLI. Ctrl-C stops everything; the
next start resumes with all data and running workflows.`,
		run: runDev,
	})
}

func runDev(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return newUsageError("dev takes no arguments")
	}
	cfg, err := config.FromEnv(string(logging.Console))
	if err != nil {
		return err
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel, logging.Format(cfg.LogFormat))
	if err != nil {
		return err
	}
	cfg.HTTPAddr = devHTTPAddr(cfg)
	worker.SetCacheSize(cfg.WorkflowCacheSize)
	began := time.Now()
	progress := func(msg string) { fmt.Fprintf(stdout, "  %s\n", msg) }
	// This run's seeding is done: /readyz waits for it, not only for the
	// accounts an earlier run left (a request right after 200 must not
	// meet the seeding, nor a PostgreSQL restart kill it).
	var seededNow atomic.Bool
	fmt.Fprintln(stdout, "creditcase dev: starting")
	st, err := stack.Start(ctx, stack.Options{
		DatabaseURL:      cfg.DatabaseURL,
		DataDir:          cfg.DataDir,
		PGPort:           cfg.PGPort,
		PGSettings:       cfg.PGSettings,
		TemporalPort:     cfg.TemporalPort,
		Namespace:        cfg.Namespace,
		HTTPAddr:         cfg.HTTPAddr,
		UIPort:           cfg.UIPort,
		Logger:           log,
		TemporalLogLevel: cfg.TemporalLogLevel,
		Progress:         progress,
		OIDC:             web.OIDCConfigFromEnv(),
		Rules:            rules.Dirs{Calendar: cfg.CalendarDir, Policy: cfg.PolicyDir},
		Auth:             authOptions(cfg),
		Limits:           cfg.RateLimits,
		Proxies:          cfg.TrustedProxies,
		MetricsAddr:      cfg.MetricsAddr,
		// A step waiting for the CPU on a busy machine is no deadlock.
		WorkflowDeadlockTimeout: cfg.WorkflowDeadlockTimeout,
		// /readyz says 200 only once this run has seeded the demo centre.
		Seeded: func(ctx context.Context, pool *pgxpool.Pool) error {
			if !seededNow.Load() {
				return errors.New("the demo centre is being seeded")
			}
			return seed.Present(ctx, pool)
		},
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(stdout, "creditcase dev: stopping")
		st.Stop()
		fmt.Fprintln(stdout, "creditcase dev: stopped")
	}()
	demo, err := seedDemo(ctx, st, log)
	if err != nil {
		return fmt.Errorf("seed the demo centre: %w", err)
	}
	seededNow.Store(true)
	db := "DATABASE_URL"
	if st.PG != nil {
		db = fmt.Sprintf("127.0.0.1:%d (private cluster in %s, password in %s.password)", st.PG.Port(), st.PG.Dir(), st.PG.Dir())
	}
	ui := "not served (TEMPORAL_UI_PORT=0)"
	if st.UIAddr != "" {
		ui = "http://" + st.UIAddr
	}
	fmt.Fprintf(stdout, `creditcase dev: ready in %s
  API        http://%s   (/healthz /readyz /metrics /api/v1)
  Temporal   %s   namespace %s   (temporal --address %s workflow list)
  Web UI     %s
  PostgreSQL %s
%sPress Ctrl-C to stop.
`, time.Since(began).Round(time.Millisecond), st.APIAddr, st.Engine.HostPort(), st.Namespace, st.Engine.HostPort(), ui, db, demoLogins(demo))
	select {
	case <-ctx.Done():
		return nil
	case err := <-st.Failed():
		return err
	}
}

// seedDemo seeds the demo centre, again while its PostgreSQL is being
// restarted (it died meanwhile: the stack brings it back), for up to two
// minutes.
func seedDemo(ctx context.Context, st *stack.Stack, log zerolog.Logger) (seed.Result, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		demo, err := seed.Demo(ctx, st.Pool)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return demo, err
		}
		log.Warn().Err(err).Msg("seeding the demo centre failed: trying again in a moment")
		select {
		case <-ctx.Done():
			return demo, err
		case <-time.After(time.Second):
		}
	}
}

// demoLogins lists the demo accounts for the banner.
func demoLogins(r seed.Result) string {
	var b strings.Builder
	b.WriteString("  Demo log-ins (POST /api/v1/auth/login), password " + seed.DemoPassword + ":\n")
	for _, l := range r.Logins {
		fmt.Fprintf(&b, "    %-10s %-11s %s\n", l.Role, l.Username, l.Note)
	}
	return b.String()
}

// devHTTPAddr is where dev listens: dev is for this machine, so the API
// and the console are not exposed to the network unless HTTP_ADDR says so.
func devHTTPAddr(cfg config.Config) string {
	if cfg.HTTPAddrSet {
		return cfg.HTTPAddr
	}
	return "127.0.0.1:8080"
}

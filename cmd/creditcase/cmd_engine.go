package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/engine"
	"github.com/creditcase/creditcase/internal/logging"
	"github.com/creditcase/creditcase/internal/stack"
	"github.com/creditcase/creditcase/workflows"
)

func init() {
	register(command{
		name:    "engine",
		summary: "run the Temporal server alone on DATABASE_URL's PostgreSQL (small sites, tests); several form one cluster",
		usage: `Usage: creditcase engine

Runs the Temporal server that "dev" embeds (go.temporal.io/server), and
nothing else, as its own process: the production roles "api" and "worker"
reach it at TEMPORAL_BIND_IP:TEMPORAL_PORT (their TEMPORAL_ADDRESS).

It persists to the PostgreSQL server of DATABASE_URL, in the databases
temporal and temporal_visibility, which it creates and brings to the schema
version of the embedded server with Temporal's own schema tool; the user of
DATABASE_URL must be allowed to create databases. It registers
TEMPORAL_NAMESPACE (default "default") and creditcase's search attributes.

Several engine processes on the same PostgreSQL form one Temporal cluster:
each announces TEMPORAL_BIND_IP and its membership ports (TEMPORAL_PORT-300..
-297) in the cluster_membership table, the nodes find each other there and
share the 4 history shards; when a node dies its shards move to the others.
Give each node its own TEMPORAL_BIND_IP or TEMPORAL_PORT.

Meant for a small site (one machine, or two for failover) and for tests. A
centre that outgrows that runs Temporal's own server images or Temporal
Cloud: see deploy/README.md. The Web UI is served on TEMPORAL_BIND_IP:
TEMPORAL_UI_PORT (0: none). Prints "engine ready" once clients can connect.`,
		run: runEngine,
	})
}

func runEngine(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return newUsageError("engine takes no arguments")
	}
	cfg, err := config.FromEnv(string(logging.JSON))
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set: the engine needs a PostgreSQL server for its databases temporal and temporal_visibility")
	}
	log, err := logging.New(os.Stderr, cfg.LogLevel, logging.Format(cfg.LogFormat))
	if err != nil {
		return err
	}
	log = log.With().Str("role", "engine").Logger()
	srvLog := log
	if lvl, err := logging.ParseLevel(cfg.TemporalLogLevel); err == nil {
		srvLog = srvLog.Level(lvl)
	}
	began := time.Now()
	srv, err := engine.Start(ctx, engine.Config{
		PostgresURL:      cfg.DatabaseURL,
		IP:               cfg.TemporalBindIP,
		FrontendPort:     cfg.TemporalPort,
		Namespace:        cfg.Namespace,
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           logging.NewServer(srvLog),
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			log.Error().Err(err).Msg("stopping the Temporal server")
		}
	}()
	ui := "not served (TEMPORAL_UI_PORT=0)"
	if cfg.UIPort != 0 {
		uiSrv, addr, err := stack.StartUI(srv.HostPort(), cfg.TemporalBindIP, cfg.UIPort, cfg.Namespace)
		if err != nil {
			return err
		}
		defer uiSrv.Stop()
		ui = "http://" + addr
	}
	log.Info().Str("frontend", srv.HostPort()).Str("namespace", cfg.Namespace).Str("web_ui", ui).
		Dur("startup", time.Since(began)).Msg("engine ready")
	fmt.Fprintf(stdout, "engine ready: frontend %s, namespace %s, Web UI %s\n", srv.HostPort(), cfg.Namespace, ui)
	<-ctx.Done()
	return nil
}

package integration

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/stack"
)

// /readyz turns 503 (naming PostgreSQL) when the database stops, while
// /healthz still answers: an API replica whose database is gone is taken out
// of rotation, not restarted.
func TestReadinessTurnsFalseWhenDatabaseStops(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir + "/pg"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	pool, err := db.Open(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	app := application.New(application.Deps{Pool: pool, Temporal: sys.Temporal, Logger: zerolog.Nop()})
	srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	defer srv.Close()

	var r api.Readiness
	if resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &r); resp.StatusCode != http.StatusOK {
		t.Fatalf("before stop: status %d %+v", resp.StatusCode, r)
	}
	pg.Stop()
	r = api.Readiness{}
	resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &r)
	if resp.StatusCode != http.StatusServiceUnavailable || r.Checks["postgres"] != "unreachable" || r.Checks["temporal"] != "ok" {
		t.Fatalf("after stop: status %d %+v", resp.StatusCode, r)
	}
	if resp := call(t, srv.URL, http.MethodGet, "/healthz", nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz after stop: %d", resp.StatusCode)
	}
}

// Every migration goes up, down and up again on an empty database.
func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	if err := pgcluster.CreateDatabase(ctx, sys.AdminURL, "migrations_roundtrip"); err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(ctx, sys.PG.URL("migrations_roundtrip"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := db.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tables := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	applied, err := m.Up(ctx)
	if err != nil || len(applied) == 0 {
		t.Fatalf("up: %v %v", applied, err)
	}
	withSchema := tables()
	if err := m.Reset(ctx); err != nil {
		t.Fatalf("down to 0: %v", err)
	}
	if n := tables(); n != 0 {
		t.Fatalf("after down: %d tables remain", n)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Applied {
			t.Errorf("migration %d still applied after down", s.Version)
		}
	}
	again, err := m.Up(ctx)
	if err != nil || len(again) != len(applied) {
		t.Fatalf("up again: %v %v (first time %v)", again, err, applied)
	}
	if n := tables(); n != withSchema {
		t.Fatalf("after up again: %d tables, want %d", n, withSchema)
	}
}

// Data and workflow histories survive a stop and start of the whole stack on
// the same data directory, as `creditcase dev` run twice.
func TestRestartKeepsDataAndWorkflows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second stack")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "creditcase-restart-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	opts := stack.Options{DataDir: dir, HTTPAddr: "127.0.0.1:0", Logger: zerolog.Nop(), TemporalLogLevel: "error"}
	first, err := stack.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	token := operatorToken(t, "http://"+first.APIAddr, first.Pool)
	var check api.EngineCheckResponse
	resp := callAs(t, "http://"+first.APIAddr, token, http.MethodPost, "/api/v1/engine-checks", nil, &check)
	first.Stop()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("engine check before restart: %d", resp.StatusCode)
	}

	second, err := stack.Start(ctx, opts)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer second.Stop()
	var read api.EngineCheckResponse
	if resp := callAs(t, "http://"+second.APIAddr, token, http.MethodGet, "/api/v1/engine-checks/"+check.CheckID, nil, &read); resp.StatusCode != http.StatusOK {
		t.Fatalf("row after restart: status %d", resp.StatusCode)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	desc, err := second.Temporal.DescribeWorkflowExecution(dctx, check.WorkflowID, "")
	if err != nil {
		t.Fatalf("workflow after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("workflow status after restart %v, want completed", st)
	}
}

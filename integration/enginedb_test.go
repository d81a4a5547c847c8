package integration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/engine"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/workflows"
)

// The engine's own PostgreSQL dies and comes back (kill -9, crash
// recovery). Meanwhile /readyz says the engine is not serving (its
// frontend still answers health checks), and whatever the engine answers
// a describe is a 503 to the API's callers — never "namespace not found" (the engine
// once re-read its namespace from the database on every call, and
// answered that while the database was away). Once PostgreSQL is back,
// /readyz turns 200 and the workflow is described again. A fresh engine
// also takes a start with the case search attributes at once (they are
// served from the engine's caches, which its start waits for).
func TestEngineThroughItsDatabaseRestart(t *testing.T) {
	ctx := context.Background()
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: t.TempDir() + "/pg"})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	port, err := engine.FreeFrontendPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Start(ctx, engine.Config{
		PostgresURL: pg.URL("postgres"), FrontendPort: port, Namespace: "default",
		SearchAttributes: workflows.SearchAttributes(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	tc, err := client.Dial(client.Options{HostPort: eng.HostPort(), Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()

	// No worker polls this queue: the workflow waits, held by the engine.
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "objection:ENGINE-DB-1", TaskQueue: "engine-db-nobody",
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.CaseKind.ValueSet("objection")),
	}, "ObjectionWorkflow")
	if err != nil {
		t.Fatalf("start with the case search attributes right after the engine's first start: %v", err)
	}
	if _, err := tc.DescribeWorkflowExecution(ctx, run.GetID(), ""); err != nil {
		t.Fatal(err)
	}

	app := application.New(application.Deps{Pool: sys.Pool, Temporal: tc, Logger: zerolog.Nop()})
	srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	defer srv.Close()
	ready := func() (int, api.Readiness) {
		var r api.Readiness
		resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &r)
		return resp.StatusCode, r
	}
	if st, r := ready(); st != http.StatusOK || r.Checks["temporal"] != "ok" {
		t.Fatalf("before: /readyz %d %+v", st, r)
	}

	if err := syscall.Kill(pg.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-pg.Done()

	away, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = tc.DescribeWorkflowExecution(away, run.GetID(), "")
	cancel()
	var nn *serviceerror.NamespaceNotFound
	if errors.As(err, &nn) {
		t.Errorf("engine's database away: describe answered %v", err)
	}
	if err != nil {
		if r, _ := refusal.As(faults.Engine(err)); r == nil || r.Status() != http.StatusServiceUnavailable {
			t.Errorf("engine's database away: describe's error %v is not a 503 for the API", err)
		}
	}
	if st, r := ready(); st != http.StatusServiceUnavailable || r.Checks["temporal"] != "not serving" || r.Checks["postgres"] != "ok" {
		t.Errorf("engine's database away: /readyz %d %+v, want 503 with temporal \"not serving\"", st, r)
	}

	deadline := time.Now().Add(time.Minute)
	for err = pg.Restart(ctx); err != nil; err = pg.Restart(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL not restarted: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	began := time.Now()
	for {
		st, r := ready()
		if st == http.StatusOK {
			if _, err := tc.DescribeWorkflowExecution(ctx, run.GetID(), ""); err != nil {
				t.Fatalf("/readyz 200 again, but describe: %v", err)
			}
			t.Logf("engine ready again %s after its PostgreSQL was back", time.Since(began).Round(time.Millisecond))
			break
		}
		if time.Since(began) > time.Minute {
			t.Fatalf("engine's database back: /readyz still %d %+v after a minute", st, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

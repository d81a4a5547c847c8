package integration

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

// The production roles' /readyz is 200 only when a first request finds
// what it needs: an API replica or a worker on a database one migration
// behind the binary answers 503 naming that migration, and 200 once it
// is applied; the worker's readiness also needs a worker polling the
// case task queue, the API's only reports it (checks.worker).
func TestRoleReadinessNeedsEveryMigration(t *testing.T) {
	ctx := context.Background()
	if err := pgcluster.CreateDatabase(ctx, sys.AdminURL, "role_readiness"); err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(ctx, sys.PG.URL("role_readiness"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := db.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	behind, err := m.Down(ctx)
	if err != nil || behind == 0 {
		t.Fatalf("down: %d %v", behind, err)
	}
	serve := func(role string) *httptest.Server {
		app := application.New(application.Deps{Pool: pool, Temporal: sys.Temporal, Logger: zerolog.Nop(), Rules: sys.Rules,
			Checks: health.RoleChecks(role, pool, sys.Temporal, sys.Rules)})
		return httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	}
	for _, role := range []string{"api", "worker"} {
		srv := serve(role)
		var r api.Readiness
		resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &r)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Checks["migrations"], "not applied") ||
			!strings.Contains(r.Checks["migrations"], "creditcase migrate up") {
			t.Errorf("%s one migration behind (%d): status %d %+v, want 503 naming the migration", role, behind, resp.StatusCode, r)
		}
		srv.Close()
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"api", "worker"} {
		srv := serve(role)
		var r api.Readiness
		resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &r)
		if resp.StatusCode != http.StatusOK || r.Checks["migrations"] != "ok" || r.Checks["worker"] != "ok" {
			t.Errorf("%s migrated, the stack's worker polling: status %d %+v, want 200", role, resp.StatusCode, r)
		}
		srv.Close()
	}
}

// An advisory check (the API's "is a worker polling") that fails is
// reported in checks and details, and the process stays ready; the same
// check required (the worker's) makes it 503.
func TestAdvisoryCheckReportsWithoutUnready(t *testing.T) {
	none := func(context.Context) error { return errors.New("no worker polls task queue creditcase") }
	for _, advisory := range []bool{true, false} {
		app := application.New(application.Deps{Pool: sys.Pool, Temporal: sys.Temporal, Logger: zerolog.Nop(), Rules: sys.Rules,
			Checks: []health.Check{{Name: "worker", Run: none, Advisory: advisory}}})
		srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
		var r api.Readiness
		resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &r)
		srv.Close()
		want := http.StatusServiceUnavailable
		if advisory {
			want = http.StatusOK
		}
		if resp.StatusCode != want || !strings.Contains(r.Checks["worker"], "no worker polls") {
			t.Errorf("advisory=%v: status %d %+v, want %d naming the missing worker", advisory, resp.StatusCode, r, want)
		}
		if advisory && !strings.Contains(strings.Join(r.Details, " "), "no worker polls") {
			t.Errorf("advisory: details %q do not say a worker is missing", r.Details)
		}
	}
}

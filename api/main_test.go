package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/apidoc"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/seed"
)

// One private PostgreSQL cluster serves every test of the package; the
// server under test is the real api.New with Temporal left out.
var (
	testPool *pgxpool.Pool
	testAPI  *echo.Echo
	testApp  *application.App
	// docValidator checks every exchange of the tests against the served
	// OpenAPI document.
	docValidator *apidoc.Validator
	demo         seed.Result
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Under /tmp and world-traversable: the server runs as the postgres
	// user when the tests run as root.
	dir, err := os.MkdirTemp("/tmp", "creditcase-api-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, err
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		return 0, err
	}
	defer pg.Stop()
	if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), "apitest"); err != nil {
		return 0, err
	}
	testPool, err = db.Open(ctx, pg.URL("apitest"))
	if err != nil {
		return 0, err
	}
	defer testPool.Close()
	mig, err := db.NewMigrator(testPool)
	if err != nil {
		return 0, err
	}
	if _, err := mig.Up(ctx); err != nil {
		return 0, err
	}
	_ = mig.Close()
	if demo, err = seed.Demo(ctx, testPool); err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	testApp = application.New(application.Deps{Pool: testPool, Logger: zerolog.Nop(), BcryptCost: bcrypt.MinCost})
	testAPI = api.New(api.Deps{App: testApp, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()})
	apidoc.RegisterBodyDecoders()
	if docValidator, err = apidoc.NewValidator(api.OpenAPIDocument(), "/api/v1"); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

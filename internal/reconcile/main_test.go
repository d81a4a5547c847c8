package reconcile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

// One private PostgreSQL cluster, migrated, serves every test. The
// reconciler walks every open case, so the tests run one after the other
// and each closes the cases it opened when it ends.
var testPool *pgxpool.Pool

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reconcile tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/tmp", "creditcase-reconcile-test-")
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
	if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), "reconciletest"); err != nil {
		return 0, err
	}
	testPool, err = db.Open(ctx, pg.URL("reconciletest"))
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
	return m.Run(), nil
}

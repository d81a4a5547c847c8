package dataerror_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/dataerror"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

// A value that must never reach a message: it looks like an ID number.
const secret = "11010519491231002X"

// TestRealPostgreSQLErrors makes PostgreSQL raise the errors a step meets
// and checks each is classified as a data error (non-retryable, typed, a
// message without the offending value) or left to retry.
func TestRealPostgreSQLErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/tmp", "creditcase-dataerror-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	pool, err := pgxpool.New(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE t (
		id integer PRIMARY KEY, name text NOT NULL, stage text CHECK (stage IN ('a', 'b')), short varchar(4), doc jsonb)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO t (id, name, stage, doc) VALUES (1, 'x', 'a', '{"n": "one"}')`); err != nil {
		t.Fatal(err)
	}
	var n int
	var doc struct {
		N int `json:"n"`
	}
	cases := []struct {
		name string
		run  func() error
		typ  string // "" = stays retryable
	}{
		{"check violation", func() error {
			_, err := pool.Exec(ctx, `INSERT INTO t (id, name, stage) VALUES (2, $1, $1)`, secret)
			return err
		}, dataerror.Constraint},
		{"not-null violation", func() error {
			_, err := pool.Exec(ctx, `INSERT INTO t (id, name) VALUES (3, NULL)`)
			return err
		}, dataerror.Constraint},
		{"unique violation", func() error {
			_, err := pool.Exec(ctx, `INSERT INTO t (id, name) VALUES (1, $1)`, secret)
			return err
		}, dataerror.Constraint},
		{"invalid text representation", func() error {
			return pool.QueryRow(ctx, `SELECT $1::text::integer`, secret).Scan(&n)
		}, dataerror.Invalid},
		{"value too long", func() error {
			_, err := pool.Exec(ctx, `UPDATE t SET short = $1 WHERE id = 1`, secret)
			return err
		}, dataerror.Invalid},
		{"NUL byte in text", func() error {
			_, err := pool.Exec(ctx, `UPDATE t SET name = $1 WHERE id = 1`, secret+"\x00")
			return err
		}, dataerror.Invalid},
		{"missing row", func() error {
			return pool.QueryRow(ctx, `SELECT id FROM t WHERE id = 99`).Scan(&n)
		}, dataerror.Missing},
		{"NULL scanned into a value", func() error {
			var s string
			return pool.QueryRow(ctx, `SELECT short FROM t WHERE id = 1`).Scan(&s)
		}, dataerror.Decode},
		{"stored JSON of the wrong shape", func() error {
			var raw []byte
			if err := pool.QueryRow(ctx, `SELECT doc FROM t WHERE id = 1`).Scan(&raw); err != nil {
				return err
			}
			return fmt.Errorf("read doc: %w", json.Unmarshal(raw, &doc))
		}, dataerror.Decode},
		{"unreachable database", func() error {
			c, err := pgx.Connect(ctx, "postgres://nobody@127.0.0.1:1/x?connect_timeout=2")
			if c != nil {
				c.Close(ctx)
			}
			return err
		}, ""},
		{"wrapped connection error", func() error {
			return fmt.Errorf("save case: %w", &pgconn.PgError{Code: "08006", Message: "connection failure"})
		}, ""},
		{"serialization failure", func() error {
			return fmt.Errorf("label: %w", &pgconn.PgError{Code: "40001", Message: "could not serialize access"})
		}, ""},
		{"deadlock", func() error { return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"} }, ""},
		{"undefined table (schema not migrated yet)", func() error {
			_, err := pool.Exec(ctx, `SELECT * FROM not_migrated_yet`)
			return err
		}, ""},
		{"timeout", func() error { return fmt.Errorf("save: %w", context.DeadlineExceeded) }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.run()
			if raw == nil {
				t.Fatal("the statement did not fail")
			}
			got := dataerror.Classify(raw)
			var app *temporal.ApplicationError
			isApp := errors.As(got, &app)
			if c.typ == "" {
				if isApp {
					t.Fatalf("%v: classified as data error %s, want it retried", raw, app.Type())
				}
				if got != raw {
					t.Fatalf("a retryable error must come back unchanged")
				}
				return
			}
			if !isApp || !app.NonRetryable() || app.Type() != c.typ {
				t.Fatalf("%v: got %v, want non-retryable %s", raw, got, c.typ)
			}
			if strings.Contains(app.Error(), secret) || strings.Contains(app.Message(), secret) {
				t.Fatalf("message carries the value: %q", app.Message())
			}
			if app.Unwrap() != nil {
				t.Fatalf("the original error (its text may hold personal data) is attached as cause")
			}
			if !dataerror.IsType(app.Type()) {
				t.Fatalf("type %s not listed in Types", app.Type())
			}
		})
	}
}

// TestApplicationErrorsPassThrough: an activity's own typed refusal is
// never reclassified, retryable or not.
func TestApplicationErrorsPassThrough(t *testing.T) {
	own := temporal.NewNonRetryableApplicationError("record 7 does not exist", "no-record", nil)
	if got := dataerror.Classify(own); got != own {
		t.Fatalf("own refusal changed: %v", got)
	}
	retry := temporal.NewApplicationError("later", "busy")
	if got := dataerror.Classify(fmt.Errorf("x: %w", retry)); !errors.Is(got, retry) {
		t.Fatalf("retryable application error changed: %v", got)
	}
	if dataerror.Classify(nil) != nil {
		t.Fatal("nil must stay nil")
	}
	if _, _, ok := dataerror.Of(errors.New("font missing")); ok {
		t.Fatal("an unknown error must be retried")
	}
}

func TestConstraintMessageNamesWhere(t *testing.T) {
	_, msg, ok := dataerror.Of(&pgconn.PgError{Code: "23514", Message: "new row violates " + secret,
		ConstraintName: "cases_stage_check", TableName: "cases"})
	if !ok || !strings.Contains(msg, "cases_stage_check") || !strings.Contains(msg, "table cases") || strings.Contains(msg, secret) {
		t.Fatalf("message %q", msg)
	}
}

package health

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/workflows"
)

// WorkerChecks are what a worker needs to carry cases on:
//   - fonts: the CJK and Latin TrueType fonts every PDF letter is set in;
//   - documents: the document and evidence store (their tables, migrated);
//   - calendar: this year's holiday schedule (Asia/Shanghai), nationally
//     and for every region a policy profile uses — without it every
//     deadline counted today is only a provisional estimate.
func WorkerChecks(pool *pgxpool.Pool, rl *rules.Rules, now func() time.Time) []Check {
	if now == nil {
		now = time.Now
	}
	return []Check{
		{Name: "fonts", Run: func(context.Context) error { return documents.CheckFonts() }},
		{Name: "documents", Run: func(ctx context.Context) error { return documentStore(ctx, pool) }},
		{Name: "calendar", Run: func(ctx context.Context) error { return calendarYears(ctx, rl, now()) }},
	}
}

func documentStore(ctx context.Context, pool *pgxpool.Pool) error {
	for _, table := range []string{"case_documents", "evidence", "evidence_blobs"} {
		var ok bool
		// Separate calls: with 'SELECT,INSERT' PostgreSQL answers whether
		// either is held. A missing table is NULL, an error here. A letter's
		// row is written when it is numbered and filled when its PDF is
		// made (migration 00116): case_documents needs UPDATE too.
		privileges, grant := []string{"SELECT", "INSERT"}, "SELECT and INSERT"
		if table == "case_documents" {
			privileges, grant = append(privileges, "UPDATE"), "SELECT, INSERT and UPDATE"
		}
		for _, p := range privileges {
			err := pool.QueryRow(ctx, `SELECT has_table_privilege(to_regclass($1), $2)`, table, p).Scan(&ok)
			if err != nil || !ok {
				return fmt.Errorf("the document store (table %s) cannot be read and written: run `creditcase migrate up` against DATABASE_URL, or grant the role %s", table, grant)
			}
		}
	}
	return nil
}

// calendarYears checks that today's year is published in the calendar as
// it stands now (an import counts at once), nationally and in every region
// the profiles use.
func calendarYears(ctx context.Context, rl *rules.Rules, now time.Time) error {
	cal, err := rl.Calendar(ctx)
	if err != nil {
		return fmt.Errorf("the calendar cannot be read: %w", err)
	}
	policies := rl.Policies()
	today := calendar.DateOf(now)
	regions := map[string]bool{"": true}
	for _, id := range policies.IDs() {
		if p, err := policies.Get(id); err == nil {
			regions[p.Region] = true
		}
	}
	for r := range regions {
		if _, err := cal.IsWorkingDay(today, calendar.Options{Region: r}); err != nil {
			return fmt.Errorf("%w: import the %d schedule (`creditcase calendar import` or POST /api/v1/admin/calendar/imports), or the deadlines counted now are provisional estimates", err, today.Year)
		}
	}
	return nil
}

// MigrationsCheck: every migration this binary carries is applied (a
// request on an older schema would fail on a missing table or column).
func MigrationsCheck(pool *pgxpool.Pool) Check {
	return Check{Name: "migrations", Run: func(ctx context.Context) error {
		m, err := db.NewMigrator(pool)
		if err != nil {
			return err
		}
		defer m.Close()
		st, err := m.Status(ctx)
		if err != nil {
			return fmt.Errorf("migration status unreadable: %w", err)
		}
		for _, x := range st {
			if !x.Applied {
				return fmt.Errorf("migration %d not applied: run `creditcase migrate up`", x.Version)
			}
		}
		return nil
	}}
}

// PollerCheck: a worker polls the case task queue, so a case filed now
// moves on (its first deadline, its letters). advisory: reported on
// /readyz but not making the process unready — for an API replica, which
// answers reads and files cases (their starts are kept) while the workers
// roll, and must not leave the Service with them.
func PollerCheck(tc client.Client, advisory bool) Check {
	return Check{Name: "worker", Advisory: advisory, Run: func(ctx context.Context) error {
		if tc == nil {
			return errors.New("no Temporal client")
		}
		d, err := tc.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err != nil {
			return fmt.Errorf("task queue %s not described: %w", workflows.TaskQueue, err)
		}
		if len(d.GetPollers()) == 0 {
			return errors.New("no worker polls task queue " + workflows.TaskQueue)
		}
		return nil
	}}
}

// RoleChecks are what /readyz checks, beyond PostgreSQL and Temporal, for
// a production role: "api" — every migration applied (a worker polling
// reported, advisory); "worker" — the worker's own checks (WorkerChecks),
// every migration applied and a worker (itself) polling the task queue.
// dev checks the same as a worker plus its seed (internal/stack).
func RoleChecks(role string, pool *pgxpool.Pool, tc client.Client, rl *rules.Rules) []Check {
	switch role {
	case "worker":
		return append(WorkerChecks(pool, rl, nil), MigrationsCheck(pool), PollerCheck(tc, false))
	default:
		return []Check{MigrationsCheck(pool), PollerCheck(tc, true)}
	}
}

package health

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/rules"
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
		// Two calls: with 'SELECT,INSERT' PostgreSQL answers whether
		// either is held. A missing table is NULL, an error here.
		err := pool.QueryRow(ctx, `SELECT has_table_privilege(to_regclass($1), 'SELECT') AND has_table_privilege(to_regclass($1), 'INSERT')`, table).Scan(&ok)
		if err != nil || !ok {
			return fmt.Errorf("the document store (table %s) cannot be read and written: run `creditcase migrate up` against DATABASE_URL, or grant the role SELECT and INSERT", table)
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

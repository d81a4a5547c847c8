// Package application assembles the application core: the use cases every
// front end (the JSON API in package api, the web console) calls, built
// once per process from the database pool, the Temporal client and the
// rules (policies, calendar). Front ends hold an *App and nothing else of
// the back end.
package application

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/accounts"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/calendaradmin"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/downstream"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/registry"
	"github.com/creditcase/creditcase/internal/rules"
)

// Deps are what the core is built from.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client // nil: steps that need the engine answer 503
	Policies *policy.Set   // nil = policy.Default()
	Calendar *calendar.Calendar
	// Profile is the default profile of records without one (nil = the
	// policies' default).
	Profile *policy.Profile
	Logger  zerolog.Logger
	// BcryptCost hashes new passwords (0 = bcrypt.DefaultCost); Auth
	// configures the account store further (its BcryptCost wins when set).
	BcryptCost int
	// Auth configures log-in throttling, token lifetimes and the password
	// policy (zero = the defaults).
	Auth auth.Options
	// Rules are the process's profiles and calendar (internal/rules);
	// when set they replace Policies and Calendar.
	Rules *rules.Rules
	// Now is the clock cases are filed by (nil = time.Now).
	Now func() time.Time
	// Checks are what this process needs beyond PostgreSQL and Temporal
	// (a worker's: health.WorkerChecks), reported on /readyz.
	Checks []health.Check
}

// App is the application core.
type App struct {
	// Casework: objections, repairs, listings, their documents and
	// evidence, the public forms and lists, supervision.
	Casework *casework.Service
	// Downstream: the pull feed, deliveries to subscribers and their
	// re-send, the reconciler on demand.
	Downstream *downstream.Service
	// Registry: providers, subjects, records, import, the public lookup,
	// the audit trail.
	Registry *registry.Service
	// Accounts: log-in, log-out, the current account, accounts, and
	// resolving a presented token for every front end.
	Accounts *accounts.Service
	// Health: readiness and engine checks.
	Health *health.Service
	// Calendar: imports, the operator's view, recompute runs.
	Calendar *calendaradmin.Service
	// Idempotency keeps the first answers to requests sent with an
	// Idempotency-Key, for every front end.
	Idempotency *idempotency.Store
	// Guard checks the permission table (role × use case).
	Guard permission.Guard

	deps Deps
}

// New builds the core.
func New(d Deps) *App {
	cw := casework.New(casework.Deps{Pool: d.Pool, Temporal: d.Temporal, Policies: d.Policies, Calendar: d.Calendar,
		Rules: d.Rules, Profile: d.Profile, Logger: d.Logger, Now: d.Now})
	guard := cw.Guard()
	rl := d.Rules
	if rl == nil {
		rl = rules.Static(d.Calendar, d.Policies)
	}
	ao := d.Auth
	if ao.BcryptCost == 0 {
		ao.BcryptCost = d.BcryptCost
	}
	return &App{
		Casework:   cw,
		Downstream: downstream.New(downstream.Deps{Pool: d.Pool, Temporal: d.Temporal, Guard: guard, Logger: d.Logger}),
		Registry:   registry.New(d.Pool, cw.Records(), guard, d.Logger),
		Accounts:   accounts.New(auth.NewWithOptions(d.Pool, ao), guard, d.Logger),
		Health: health.New(health.Deps{Pool: d.Pool, Temporal: d.Temporal, Rules: rl, Guard: guard, Logger: d.Logger,
			Checks: d.Checks, Now: d.Now}),
		Calendar: calendaradmin.New(calendaradmin.Deps{Pool: d.Pool, Temporal: d.Temporal, Rules: rl, Guard: guard,
			Logger: d.Logger, Now: d.Now}),
		Idempotency: &idempotency.Store{Pool: d.Pool},
		Guard:       guard,
		deps:        d,
	}
}

// SweepEvery is how often Run looks for owed work.
const SweepEvery = 15 * time.Second

// Run does, until ctx ends, what the core owes without a request: the
// workflow starts filings owe (a process that died between a filing's
// commit and its start; an engine that was away) and the expiry of old
// idempotency keys. Every role that serves requests runs it; several
// running at once is safe (starts are made once).
func (a *App) Run(ctx context.Context) {
	t := time.NewTicker(SweepEvery)
	defer t.Stop()
	for {
		if n, err := a.Casework.StartOwed(ctx); err != nil && ctx.Err() == nil {
			a.deps.Logger.Warn().Err(err).Int("started", n).Msg("owed workflow starts: sweep failed; next in a moment")
		}
		if _, err := a.Idempotency.Expire(ctx); err != nil && ctx.Err() == nil {
			a.deps.Logger.Warn().Err(err).Msg("idempotency keys: expiry failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Deps returns what the core was built from.
func (a *App) Deps() Deps { return a.deps }

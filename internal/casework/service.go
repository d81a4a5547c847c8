// Package casework is the application core of the three procedures
// (objection 异议, listing 列入严重失信主体名单, credit repair 信用修复) and of
// their supervision: one exported method per use case, taking the actor
// (permission.Actor) and a typed input, returning a typed result or a
// *refusal.Error. Every front end (the JSON API in package api, the web
// console) calls these methods and holds no SQL and no Temporal calls of its
// own.
//
// Each use case, in order: the permission table (permission.Guard.Require,
// before anything is read), clean text in (cleantext), the object and
// whether the actor may see it (404 when not), the step (a workflow Update,
// whose validator may refuse it with a typed refusal that is mapped here,
// once), the answer. Errors that are not refusals come back as 503 (engine
// or database unreachable) or 500, never as their Go text.
package casework

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

// Time limits of the calls a use case makes to Temporal.
const (
	EngineTimeout = 20 * time.Second // start, update
	QueryTimeout  = 5 * time.Second  // live state for a detail page
)

// Deps are what the use cases use.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client // nil: every engine step answers 503
	Policies *policy.Set   // nil = policy.Default()
	Calendar *calendar.Calendar
	// Rules are the process's profiles and calendar (internal/rules); when
	// set they replace Policies and Calendar, and the board reads the
	// calendar as it stands in the database.
	Rules *rules.Rules
	// Profile is the default profile of records without one (nil =
	// policies' default profile).
	Profile *policy.Profile
	Logger  zerolog.Logger
	// Evidence limits (zero = the defaults of package evidence).
	Evidence evidence.Limits
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// Service holds the casework use cases.
type Service struct {
	d         Deps
	guard     permission.Guard
	records   *records.Store
	evidence  *evidence.Store
	documents *documents.Store
	// supervision
	board       *supervision.Board
	escalations *supervision.Escalations
	report      *supervision.Report
	sweeps      *supervision.Sweeper
	inbox       *supervision.Inbox
}

// New returns the casework service.
func New(d Deps) *Service {
	if d.Rules != nil {
		d.Policies, d.Calendar = d.Rules.Policies(), d.Rules.Local().Calendar
	}
	if d.Policies == nil {
		d.Policies = policy.Default()
	}
	if d.Calendar == nil {
		d.Calendar = calendar.Default()
	}
	if d.Profile == nil {
		p, err := d.Policies.Get(policy.DefaultProfileID)
		if err != nil {
			panic("casework: default policy profile: " + err.Error())
		}
		d.Profile = p
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{
		d:           d,
		guard:       permission.Guard{DB: d.Pool, Log: d.Logger},
		records:     records.NewStore(d.Pool, d.Profile, d.Calendar),
		evidence:    evidence.NewStore(d.Pool, d.Evidence),
		documents:   documents.NewStore(d.Pool),
		board:       &supervision.Board{Pool: d.Pool, Rules: d.Rules, Calendar: d.Calendar, Policies: d.Policies},
		escalations: &supervision.Escalations{Pool: d.Pool},
		report:      &supervision.Report{Pool: d.Pool},
		sweeps:      &supervision.Sweeper{Pool: d.Pool},
		inbox:       &supervision.Inbox{Pool: d.Pool},
	}
}

// Guard is the permission guard the service checks with.
func (s *Service) Guard() permission.Guard { return s.guard }

// Records is the record store (read side), for the other core packages.
func (s *Service) Records() *records.Store { return s.records }

// EvidenceLimits are the limits uploads are checked against.
func (s *Service) EvidenceLimits() evidence.Limits { return s.evidence.Limits() }

func (s *Service) engine() (client.Client, error) {
	if s.d.Temporal == nil {
		return nil, refusal.Unavailable(refusal.EngineUnavailable, nil)
	}
	return s.d.Temporal, nil
}

func (s *Service) log(ctx context.Context) *zerolog.Logger {
	l := s.d.Logger.With().Logger()
	if rid := requestID(ctx); rid != "" {
		l = l.With().Str("request_id", rid).Logger()
	}
	return &l
}

// actorOf is who acts, as the workflows record it (no personal data).
func actorOf(a permission.Actor) workflows.Actor {
	if !a.LoggedIn() {
		return workflows.Actor{Name: "public", Role: "public"}
	}
	return workflows.Actor{Name: a.Account.Username, Role: string(a.Account.Role)}
}

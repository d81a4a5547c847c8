// Package health is the application core of the system's own checks:
// readiness (is every dependency this process needs there?), engine checks
// (does a workflow go API → Temporal → worker → PostgreSQL?) and the
// checks a worker makes before it starts (fonts, document store, calendar
// years in use).
package health

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/failing"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/workflows"
)

// Check is one thing the process needs to do its work. Run returns nil
// when it is there, else an error saying what is missing and how to fix
// it (shown to operators on /readyz and at start-up).
type Check struct {
	Name string
	Run  func(ctx context.Context) error
	// Advisory: a failure is reported (checks and details) without
	// making the process unready.
	Advisory bool
}

// Deps are what the checks read.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client // nil: not ready, engine checks answer 503
	// Rules serve the calendar readiness looks at (next year's schedule;
	// nil = the embedded data).
	Rules  *rules.Rules
	Guard  permission.Guard
	Logger zerolog.Logger
	// Checks are what this process needs beyond PostgreSQL and Temporal
	// (a worker's fonts, document store and calendar: WorkerChecks).
	Checks []Check
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// Service holds the checks.
type Service struct {
	d     Deps
	guard permission.Guard
}

// New returns the checks.
func New(d Deps) *Service {
	if d.Rules == nil {
		d.Rules = rules.Static(nil, nil)
	}
	return &Service{d: d, guard: d.Guard}
}

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now()
	}
	return time.Now()
}

// ---- readiness ----

// Readiness is the answer of /readyz: ready, or unavailable with what is
// not there.
type Readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	// Details are warnings that do not make the role unready, e.g. next
	// year's holiday schedule still missing from 1 November.
	Details []string `json:"details,omitempty"`
}

// Ready reports whether PostgreSQL and Temporal answer and every check of
// the process passes. Each check is "ok" or says what is missing.
func (s *Service) Ready(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r := Readiness{Status: "ready", Checks: map[string]string{"postgres": "ok", "temporal": "ok"}}
	if err := s.d.Pool.Ping(ctx); err != nil {
		r.Status, r.Checks["postgres"] = "unavailable", "unreachable"
		s.d.Logger.Warn().Err(err).Msg("readiness: PostgreSQL unreachable")
	}
	if s.d.Temporal == nil {
		r.Status, r.Checks["temporal"] = "unavailable", "no client"
	} else if _, err := s.d.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		r.Status, r.Checks["temporal"] = "unavailable", "unreachable"
		s.d.Logger.Warn().Err(err).Msg("readiness: Temporal unreachable")
	} else if err := engineServes(ctx, s.d.Temporal); err != nil {
		r.Status, r.Checks["temporal"] = "unavailable", "not serving"
		s.d.Logger.Warn().Err(err).Msg("readiness: Temporal answers but cannot read its workflows")
	}
	if r.Checks["postgres"] == "ok" {
		r.Checks["calendar"] = "ok"
		if cal, err := s.d.Rules.Calendar(ctx); err != nil {
			r.Checks["calendar"] = "unreadable"
			s.d.Logger.Warn().Err(err).Msg("readiness: calendar unreadable")
		} else if w := cal.NextYearWarning(calendar.DateOf(s.now())); w != "" {
			r.Checks["calendar"] = "warning"
			r.Details = append(r.Details, w)
		}
	}
	for _, c := range s.d.Checks {
		if err := c.Run(ctx); err != nil {
			r.Checks[c.Name] = err.Error()
			if c.Advisory {
				r.Details = append(r.Details, c.Name+": "+err.Error())
				continue
			}
			r.Status = "unavailable"
			s.d.Logger.Warn().Err(err).Str("check", c.Name).Msg("readiness: check failed")
			continue
		}
		if _, said := r.Checks[c.Name]; !said {
			r.Checks[c.Name] = "ok"
		}
	}
	return r
}

// ReadinessProbeID is the workflow readiness describes: no workflow has
// it (case workflows are "<kind>:<case number>").
const ReadinessProbeID = "creditcase-readiness-probe"

// engineServes asks the engine for a workflow through the same path a
// case's step takes (the frontend's namespace registry, a history shard,
// the engine's PostgreSQL): "not found" is the answer of an engine that
// serves, within a second (an engine without its database does not answer
// at all; the other checks keep their time). The frontend's health check alone says yes while the engine's
// database connections are still coming back after a PostgreSQL restart,
// when every case's step would fail.
func engineServes(ctx context.Context, tc client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := tc.DescribeWorkflowExecution(ctx, ReadinessProbeID, "")
	var nf *serviceerror.NotFound
	if err == nil || errors.As(err, &nf) {
		return nil
	}
	return err
}

// RunChecks runs checks and returns one error naming every one that
// failed, for a process that must not start without them.
func RunChecks(ctx context.Context, checks []Check) error {
	var bad []string
	for _, c := range checks {
		if c.Advisory {
			continue
		}
		if err := c.Run(ctx); err != nil {
			bad = append(bad, c.Name+": "+err.Error())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("the worker cannot do its work:\n  - %s", strings.Join(bad, "\n  - "))
}

// ---- engine checks ----

// EngineCheck is a recorded engine check: which workflow wrote it, for
// which request, when. Which worker host and process ran it is kept in
// the database for operators and not answered.
type EngineCheck struct {
	CheckID     string    `json:"check_id"`
	WorkflowID  string    `json:"workflow_id"`
	RequestID   string    `json:"request_id,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	// RoundTripMS is set by RunEngineCheck.
	RoundTripMS int64 `json:"round_trip_ms,omitempty"`
}

// EngineCheckTimeout bounds an engine check.
const EngineCheckTimeout = 20 * time.Second

// RunEngineCheck starts an EngineCheckWorkflow and waits for the row
// its activity writes: proof that API, Temporal, worker and PostgreSQL all
// work. Supervisors and administrators only (each check is a workflow).
func (s *Service) RunEngineCheck(ctx context.Context, a permission.Actor) (EngineCheck, error) {
	if err := s.guard.Require(ctx, a, "createEngineCheck"); err != nil {
		return EngineCheck{}, err
	}
	if s.d.Temporal == nil {
		return EngineCheck{}, refusal.Unavailable(refusal.EngineUnavailable, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, EngineCheckTimeout)
	defer cancel()
	start := time.Now()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	in := activities.EngineCheck{CheckID: hex.EncodeToString(b), RequestedAt: start.UTC()}
	run, err := s.d.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.EngineCheckWorkflowID(in.CheckID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: 30 * time.Second,
	}, workflows.EngineCheckWorkflow, in)
	if err != nil {
		return EngineCheck{}, engineErr(err)
	}
	var rec activities.EngineCheckRecord
	if err := run.Get(ctx, &rec); err != nil {
		if f := failing.Workflow(context.WithoutCancel(ctx), s.d.Pool, run.GetID()); f != nil {
			return EngineCheck{}, f
		}
		return EngineCheck{}, engineErr(err)
	}
	out := checkOf(rec)
	out.RoundTripMS = max(1, time.Since(start).Milliseconds())
	return out, nil
}

func checkOf(r activities.EngineCheckRecord) EngineCheck {
	return EngineCheck{CheckID: r.CheckID, WorkflowID: r.WorkflowID, RequestID: r.RequestID, RequestedAt: r.RequestedAt, RecordedAt: r.RecordedAt}
}

// engineErr is a Temporal error as a refusal; a timeout waiting for the
// workflow means the engine or the worker did not answer in time.
func engineErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return refusal.Unavailable(refusal.EngineUnavailable, err)
	}
	return faults.Engine(err)
}

var checkIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// EngineCheckByID reads a recorded check.
func (s *Service) EngineCheckByID(ctx context.Context, a permission.Actor, id string) (EngineCheck, error) {
	if err := s.guard.Require(ctx, a, "getEngineCheck"); err != nil {
		return EngineCheck{}, err
	}
	if !checkIDPattern.MatchString(id) {
		return EngineCheck{}, refusal.BadParam("id", "format", refusal.T("检查编号应为 24 位十六进制字符", "a check ID is 24 hexadecimal characters"))
	}
	var rec activities.EngineCheckRecord
	err := s.d.Pool.QueryRow(ctx, `SELECT id, workflow_id, request_id, requested_at, recorded_at FROM engine_checks WHERE id = $1`, id).
		Scan(&rec.CheckID, &rec.WorkflowID, &rec.RequestID, &rec.RequestedAt, &rec.RecordedAt)
	if db.IsNoRows(err) {
		e := refusal.NotFoundErr()
		e.Detail = refusal.T("没有该编号的引擎检查记录", "No engine check has this ID")
		return EngineCheck{}, e
	}
	if err != nil {
		return EngineCheck{}, faults.Database(err)
	}
	return checkOf(rec), nil
}

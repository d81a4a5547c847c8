// Package health is the application core of the system's own checks:
// readiness (what a first request needs answers) and engine checks (a
// workflow through API → Temporal → worker → PostgreSQL, and its record).
package health

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/workflows"
)

// Deps are what the checks read.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client // nil: not ready, engine checks refused
	// Rules serve the calendar readiness looks at (next year's schedule).
	Rules  *rules.Rules
	Guard  permission.Guard
	Logger zerolog.Logger
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// Service holds the checks.
type Service struct {
	pool     *pgxpool.Pool
	temporal client.Client
	rules    *rules.Rules
	guard    permission.Guard
	log      zerolog.Logger
	now      func() time.Time
}

// New returns the checks.
func New(d Deps) *Service {
	if d.Rules == nil {
		d.Rules = rules.Static(nil, nil)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{pool: d.Pool, temporal: d.Temporal, rules: d.Rules, guard: d.Guard, log: d.Logger, now: d.Now}
}

// Readiness is the answer of a readiness check: ready, or which part is
// not.
type Readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
	// Details are warnings that do not make the role unready, e.g. next
	// year's holiday schedule still missing from 1 November.
	Details []string `json:"details,omitempty"`
}

// Ready reports whether PostgreSQL and Temporal both answer.
func (s *Service) Ready(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r := Readiness{Status: "ready", Checks: map[string]string{"postgres": "ok", "temporal": "ok"}}
	if err := s.pool.Ping(ctx); err != nil {
		r.Status, r.Checks["postgres"] = "unavailable", "unreachable"
		s.log.Warn().Err(err).Msg("readiness: PostgreSQL unreachable")
	}
	if s.temporal == nil {
		r.Status, r.Checks["temporal"] = "unavailable", "not configured"
	} else if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		r.Status, r.Checks["temporal"] = "unavailable", "unreachable"
		s.log.Warn().Err(err).Msg("readiness: Temporal unreachable")
	}
	if r.Checks["postgres"] == "ok" {
		r.Checks["calendar"] = "ok"
		if cal, err := s.rules.Calendar(ctx); err != nil {
			r.Checks["calendar"] = "unreadable"
			s.log.Warn().Err(err).Msg("readiness: calendar unreadable")
		} else if w := cal.NextYearWarning(calendar.DateOf(s.now())); w != "" {
			r.Checks["calendar"] = "warning"
			r.Details = append(r.Details, w)
		}
	}
	return r
}

// EngineCheck is the answer to an engine check.
type EngineCheck struct {
	activities.EngineCheckRecord
	RoundTripMS int64 `json:"round_trip_ms"`
}

// RunEngineCheck starts an EngineCheckWorkflow and waits for the row its
// activity writes: proof that API, Temporal, worker and PostgreSQL all
// work.
func (s *Service) RunEngineCheck(ctx context.Context, a permission.Actor) (EngineCheck, error) {
	if err := s.guard.Require(ctx, a, "createEngineCheck"); err != nil {
		return EngineCheck{}, err
	}
	if s.temporal == nil {
		return EngineCheck{}, refusal.Unavailable(refusal.EngineUnavailable, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	start := time.Now()
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	in := activities.EngineCheck{CheckID: hex.EncodeToString(b), RequestedAt: start.UTC()}
	run, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.EngineCheckWorkflowID(in.CheckID),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionTimeout: 30 * time.Second,
	}, workflows.EngineCheckWorkflow, in)
	if err != nil {
		return EngineCheck{}, refusal.Unavailable(refusal.EngineUnavailable, err)
	}
	var rec activities.EngineCheckRecord
	if err := run.Get(ctx, &rec); err != nil {
		return EngineCheck{}, refusal.Unavailable(refusal.EngineUnavailable, err)
	}
	return EngineCheck{EngineCheckRecord: rec, RoundTripMS: time.Since(start).Milliseconds()}, nil
}

var checkIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// EngineCheckByID reads a recorded check from PostgreSQL.
func (s *Service) EngineCheckByID(ctx context.Context, a permission.Actor, id string) (activities.EngineCheckRecord, error) {
	if err := s.guard.Require(ctx, a, "getEngineCheck"); err != nil {
		return activities.EngineCheckRecord{}, err
	}
	if !checkIDPattern.MatchString(id) {
		return activities.EngineCheckRecord{}, refusal.BadParam("id", "format", refusal.T("检查编号应为 24 位十六进制字符", "a check ID is 24 hexadecimal characters"))
	}
	var rec activities.EngineCheckRecord
	err := s.pool.QueryRow(ctx, `
		SELECT id, workflow_id, request_id, requested_at, recorded_at, worker
		FROM engine_checks WHERE id = $1`, id,
	).Scan(&rec.CheckID, &rec.WorkflowID, &rec.RequestID, &rec.RequestedAt, &rec.RecordedAt, &rec.Worker)
	if db.IsNoRows(err) {
		e := refusal.NotFoundErr()
		e.Detail = refusal.T("没有该编号的引擎检查记录", "No engine check has this ID")
		return rec, e
	}
	return rec, faults.Database(err)
}

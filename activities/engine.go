// Package activities holds every side effect of the creditcase workflows:
// database writes, documents, notifications and deadline computation. Each
// activity is idempotent: a retry after a partial failure does no harm.
package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/activity"

	"github.com/creditcase/creditcase/internal/reqid"
)

// Engine holds the activities of the engine check.
type Engine struct {
	Pool *pgxpool.Pool
	// Identity names this worker process in the rows it writes.
	Identity string
}

// EngineCheck is the input of an engine check.
type EngineCheck struct {
	CheckID     string    `json:"check_id"`
	RequestedAt time.Time `json:"requested_at"`
	WorkflowID  string    `json:"workflow_id"`
	RunID       string    `json:"run_id"`
}

// EngineCheckRecord is the row an engine check wrote.
type EngineCheckRecord struct {
	CheckID     string    `json:"check_id"`
	WorkflowID  string    `json:"workflow_id"`
	RequestID   string    `json:"request_id,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Worker      string    `json:"worker"`
}

// RecordEngineCheck writes the check's row once; a retry returns the row
// written by the first attempt.
func (e *Engine) RecordEngineCheck(ctx context.Context, in EngineCheck) (EngineCheckRecord, error) {
	rid := reqid.From(ctx)
	activity.GetLogger(ctx).Info("recording engine check", "check_id", in.CheckID, "request_id", rid)
	var rec EngineCheckRecord
	err := e.Pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO engine_checks (id, workflow_id, run_id, request_id, requested_at, worker)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO NOTHING
			RETURNING id, workflow_id, request_id, requested_at, recorded_at, worker
		)
		SELECT * FROM ins
		UNION ALL
		SELECT id, workflow_id, request_id, requested_at, recorded_at, worker FROM engine_checks WHERE id = $1
		LIMIT 1`,
		in.CheckID, in.WorkflowID, in.RunID, rid, in.RequestedAt, e.Identity,
	).Scan(&rec.CheckID, &rec.WorkflowID, &rec.RequestID, &rec.RequestedAt, &rec.RecordedAt, &rec.Worker)
	if err != nil {
		return rec, fmt.Errorf("record engine check %s: %w", in.CheckID, err)
	}
	return rec, nil
}

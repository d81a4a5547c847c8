package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/creditcase/creditcase/internal/reconcile"
)

// Reconcile holds the activities of the reconciler (ReconcileWorkflow):
// each is one idempotent step of reconcile.Reconciler.
type Reconcile struct {
	Reconciler *reconcile.Reconciler
}

// ReconcileStart names a run.
type ReconcileStart struct {
	RunID       string `json:"run_id"`
	Trigger     string `json:"trigger"`
	RequestedBy string `json:"requested_by,omitempty"`
}

// BeginReconcile records the run (once).
func (a *Reconcile) BeginReconcile(ctx context.Context, s ReconcileStart) error {
	return a.Reconciler.Begin(ctx, s.RunID, s.Trigger, s.RequestedBy)
}

// ReconcileBatchRequest asks for the open cases after Cursor.
type ReconcileBatchRequest struct {
	RunID  string `json:"run_id"`
	Cursor string `json:"cursor"`
	Size   int    `json:"size"`
}

// ReconcileCases checks one batch of cases whose workflow must be running
// (open rows, and closed rows still waiting on their workflow: a decided
// objection in its appeal window) against the engine (one
// visibility count; if some do not run, a list and a describe for each
// case not listed running),
// heartbeating as it goes. A batch whose list failed was described case by
// case: said here, with the error.
func (a *Reconcile) ReconcileCases(ctx context.Context, r ReconcileBatchRequest) (reconcile.Batch, error) {
	b, err := a.Reconciler.Cases(ctx, r.RunID, r.Cursor, r.Size, func() { activity.RecordHeartbeat(ctx, r.Cursor) })
	log := activity.GetLogger(ctx)
	if b.CountError != "" {
		log.Warn("visibility count of running workflows failed; the batch's workflows were listed instead",
			"run_id", r.RunID, "after", r.Cursor, "size", r.Size, "error", b.CountError)
	}
	if b.ListError != "" {
		log.Warn("visibility list of running workflows failed; every case of the batch was described instead",
			"run_id", r.RunID, "after", r.Cursor, "size", r.Size, "described", b.Described, "error", b.ListError)
	}
	if err == nil && b.Repaired+b.Flagged > 0 {
		log.Info("reconciled cases", "run_id", r.RunID, "repaired", b.Repaired, "flagged", b.Flagged,
			"listed", b.Listed, "described", b.Described, "held", b.Held, "held_flagged", b.HeldFlagged)
	}
	return b, err
}

// ReconcileRecords frees records left under objection with no open case.
func (a *Reconcile) ReconcileRecords(ctx context.Context, runID string) (reconcile.Batch, error) {
	return a.Reconciler.Records(ctx, runID)
}

// FinishReconcile marks the run finished and returns its summary.
func (a *Reconcile) FinishReconcile(ctx context.Context, runID string) (reconcile.Run, error) {
	return a.Reconciler.Finish(ctx, runID)
}

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

// ReconcileCases checks one batch of open cases against the engine.
func (a *Reconcile) ReconcileCases(ctx context.Context, r ReconcileBatchRequest) (reconcile.Batch, error) {
	b, err := a.Reconciler.Cases(ctx, r.RunID, r.Cursor, r.Size)
	if err == nil && b.Repaired+b.Flagged > 0 {
		activity.GetLogger(ctx).Info("reconciled cases", "run_id", r.RunID, "repaired", b.Repaired, "flagged", b.Flagged)
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

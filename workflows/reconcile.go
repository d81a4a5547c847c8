package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/reconcile"
)

// Contract of the reconciler (no stale case, issue 19.6).
const (
	// ReconcileScheduleID is the Temporal Schedule that starts a run every
	// ReconcileEvery; its runs get workflow IDs ReconcileWorkflowID plus
	// the scheduled time. A run on demand has the ID
	// ReconcileWorkflowID + ":" + a request id.
	ReconcileScheduleID = "reconcile"
	ReconcileWorkflowID = "reconcile"
	ReconcileEvery      = 30 * time.Minute
	// ReconcileBatch is how many cases one activity checks (open rows and
	// closed rows whose workflow must still run): one
	// visibility count says whether all run (if not, a list of pages of
	// reconcile.ListPage says which), and only the others are described.
	ReconcileBatch = reconcile.ListPage
	// ReconcileHeartbeat is how soon a batch whose worker died is retried
	// (the batch heartbeats after every engine call).
	ReconcileHeartbeat = time.Minute
	// ReconcileBatchesPerRun bounds a run's history (continue-as-new).
	ReconcileBatchesPerRun = 200
	// Triggers of a run.
	ReconcileBySchedule = "schedule"
	ReconcileOnDemand   = "demand"
)

var reconcileActs *activities.Reconcile

// ReconcileInput is the reconciler's input; the schedule passes none.
// Cursor and Batches carry progress across continue-as-new.
type ReconcileInput struct {
	RunID       string `json:"run_id,omitempty"`
	Trigger     string `json:"trigger,omitempty"`
	RequestedBy string `json:"requested_by,omitempty"`
	Cursor      string `json:"cursor,omitempty"`
	Batches     int    `json:"batches,omitempty"`
	BatchSize   int    `json:"batch_size,omitempty"`
}

// ReconcileWorkflow compares every case whose workflow must be running
// with the engine — every open case, and every closed case still waiting
// on its workflow (a decided objection in its appeal window or appeal) —
// batch after batch in case-number order (per batch one visibility count
// of the running workflows, a list only when some do not run, a describe
// only for the cases not listed), repairing or flagging each open case
// whose workflow no longer runs and flagging each such closed one (the
// activity decides: reconcile.Reconciler.Cases); then it frees
// records left under objection with no open case, and stores the run's
// summary. The command order is that of the first version (a run in
// flight during an upgrade carries on with the new batch activity).
func ReconcileWorkflow(ctx workflow.Context, in ReconcileInput) (reconcile.Run, error) {
	if in.RunID == "" {
		in.RunID = workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	if in.Trigger == "" {
		in.Trigger = ReconcileBySchedule
	}
	if in.BatchSize <= 0 {
		in.BatchSize = ReconcileBatch
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	if in.Batches == 0 && in.Cursor == "" {
		if err := workflow.ExecuteActivity(ctx, reconcileActs.BeginReconcile, activities.ReconcileStart{
			RunID: in.RunID, Trigger: in.Trigger, RequestedBy: in.RequestedBy,
		}).Get(ctx, nil); err != nil {
			return reconcile.Run{}, err
		}
	}
	batchCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    ReconcileHeartbeat,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	for range ReconcileBatchesPerRun {
		var b reconcile.Batch
		if err := workflow.ExecuteActivity(batchCtx, reconcileActs.ReconcileCases, activities.ReconcileBatchRequest{
			RunID: in.RunID, Cursor: in.Cursor, Size: in.BatchSize,
		}).Get(ctx, &b); err != nil {
			return reconcile.Run{}, err
		}
		in.Cursor, in.Batches = b.Next, in.Batches+1
		if !b.Done {
			continue
		}
		if err := workflow.ExecuteActivity(ctx, reconcileActs.ReconcileRecords, in.RunID).Get(ctx, nil); err != nil {
			return reconcile.Run{}, err
		}
		var run reconcile.Run
		err := workflow.ExecuteActivity(ctx, reconcileActs.FinishReconcile, in.RunID).Get(ctx, &run)
		if err == nil {
			workflow.GetLogger(ctx).Info("reconciliation finished", "run_id", in.RunID, "checked", run.Checked,
				"repaired", run.Repaired, "flagged", run.Flagged, "listed", run.Listed, "described", run.Described,
				"held", run.Held, "held_flagged", run.HeldFlagged)
		}
		return run, err
	}
	return reconcile.Run{}, workflow.NewContinueAsNewError(ctx, ReconcileWorkflow, in)
}

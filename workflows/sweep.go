package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
)

// Contract of the daily disclosure-expiry sweep (公开期限届满处理,
// DESIGN.md §2.4).
const (
	// DisclosureSweepScheduleID is the Temporal Schedule that starts the
	// sweep every day at DisclosureSweepHour:DisclosureSweepMinute
	// Asia/Shanghai; its runs get workflow IDs DisclosureSweepWorkflowID
	// plus the scheduled time.
	DisclosureSweepScheduleID = "disclosure-sweep"
	DisclosureSweepWorkflowID = "disclosure-sweep"
	DisclosureSweepHour       = 0
	DisclosureSweepMinute     = 10
	// DisclosureSweepBatch is how many records one activity archives.
	DisclosureSweepBatch = 1000
	// DisclosureSweepBatchesPerRun bounds a run's history: after that many
	// batches the workflow continues as new with its cursor and totals.
	DisclosureSweepBatchesPerRun = 200
)

var sweep *activities.Sweep

// DisclosureSweepInput is the sweep's input; the schedule passes none and
// every field has a default. Cursor, Batches and Archived carry progress
// across continue-as-new.
type DisclosureSweepInput struct {
	// AsOf is the day the sweep runs as of (records whose disclosure ended
	// before it are archived); zero = the day of the workflow's start in
	// Asia/Shanghai.
	AsOf calendar.Date `json:"as_of,omitzero"`
	// RunID keys the stored summary (sweep_runs); "" = the workflow ID.
	RunID     string                  `json:"run_id,omitempty"`
	BatchSize int                     `json:"batch_size,omitempty"`
	Cursor    supervision.SweepCursor `json:"cursor"`
	Batches   int                     `json:"batches,omitempty"`
	Archived  int                     `json:"archived,omitempty"`
}

// DisclosureSweepWorkflow ends the disclosure of every record whose
// disclosure period has run out: begin the run, archive batch after batch
// (keyset on disclosure end and id) until a batch comes back short, then
// store the run's summary. Every step is an idempotent activity, so a
// retried or restarted run does no harm; a long run continues as new every
// DisclosureSweepBatchesPerRun batches, carrying its cursor.
func DisclosureSweepWorkflow(ctx workflow.Context, in DisclosureSweepInput) (supervision.SweepRun, error) {
	if in.AsOf.IsZero() {
		in.AsOf = calendar.DateOf(workflow.Now(ctx))
	}
	if in.RunID == "" {
		in.RunID = workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	if in.BatchSize <= 0 {
		in.BatchSize = DisclosureSweepBatch
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	log := workflow.GetLogger(ctx)
	if in.Batches == 0 && in.Cursor == (supervision.SweepCursor{}) {
		if err := workflow.ExecuteActivity(ctx, sweep.BeginDisclosureSweep, activities.SweepStart{RunID: in.RunID, AsOf: in.AsOf}).Get(ctx, nil); err != nil {
			return supervision.SweepRun{}, err
		}
	}
	for range DisclosureSweepBatchesPerRun {
		var b supervision.SweepBatch
		err := workflow.ExecuteActivity(ctx, sweep.SweepDisclosureBatch, activities.SweepBatchRequest{
			RunID: in.RunID, AsOf: in.AsOf, Cursor: in.Cursor, Size: in.BatchSize,
		}).Get(ctx, &b)
		if err != nil {
			return supervision.SweepRun{}, err
		}
		in.Cursor = b.Next
		in.Batches++
		in.Archived += b.Archived
		if b.Done {
			var sum supervision.SweepRun
			if err := workflow.ExecuteActivity(ctx, sweep.FinishDisclosureSweep, in.RunID).Get(ctx, &sum); err != nil {
				return supervision.SweepRun{}, err
			}
			log.Info("disclosure sweep finished", "run_id", in.RunID, "as_of", in.AsOf.String(), "archived", sum.Archived)
			return sum, nil
		}
	}
	return supervision.SweepRun{}, workflow.NewContinueAsNewError(ctx, DisclosureSweepWorkflow, in)
}

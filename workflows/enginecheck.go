package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
)

// EngineCheckWorkflowID is the workflow ID of engine check id. A check ID is
// used once: starting it again is refused by the server.
func EngineCheckWorkflowID(checkID string) string { return "engine-check:" + checkID }

// EngineCheckWorkflow proves that the whole chain works: it was started through
// the API, runs on a worker, and has an activity write a row to PostgreSQL.
// Operators run it from the API (POST /api/v1/engine-checks) after a deploy.
func EngineCheckWorkflow(ctx workflow.Context, in activities.EngineCheck) (activities.EngineCheckRecord, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    5 * time.Second,
			MaximumAttempts:    5,
		},
	})
	info := workflow.GetInfo(ctx)
	in.WorkflowID = info.WorkflowExecution.ID
	in.RunID = info.WorkflowExecution.RunID
	var a *activities.Engine
	var rec activities.EngineCheckRecord
	err := workflow.ExecuteActivity(ctx, a.RecordEngineCheck, in).Get(ctx, &rec)
	return rec, err
}

package reconcile

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// TemporalEngine describes workflows through the Temporal client (the
// latest run of each workflow ID).
type TemporalEngine struct{ Client client.Client }

// Describe returns the status of workflow id's latest run; NotFound when
// the engine has no such workflow (never started, or past retention).
func (e TemporalEngine) Describe(ctx context.Context, id string) (Execution, error) {
	resp, err := e.Client.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return Execution{Status: NotFound}, nil
	}
	if err != nil {
		return Execution{}, err
	}
	info := resp.GetWorkflowExecutionInfo()
	ex := Execution{}
	if ct := info.GetCloseTime(); ct != nil {
		ex.CloseTime = ct.AsTime()
	}
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		ex.Status = Running
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		ex.Status = Completed
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		ex.Status = Failed
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		ex.Status = Canceled
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		ex.Status = Terminated
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		ex.Status = TimedOut
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		ex.Status = Continued
	default:
		// Unknown to this code: treat as running, never close a live case.
		ex.Status = Running
	}
	return ex, nil
}

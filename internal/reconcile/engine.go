package reconcile

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// ListPage is how many workflows one visibility call answers at most (the
// frontend's default maximum page size).
const ListPage = 1000

// TemporalEngine describes workflows through the Temporal client (the
// latest run of each workflow ID) and lists running ones through the
// engine's visibility store (SQL visibility on PostgreSQL in this build).
type TemporalEngine struct{ Client client.Client }

// CountRunning answers how many of the workflows among ids the visibility
// store shows running: one CountWorkflowExecutions with the query of
// ListRunning. Each ID runs at most once, so a count equal to len(ids)
// means every one runs. It costs the engine about a tenth of a list
// (measured: ~40 against ~500 ms of CPU for 1 000 IDs): no row is read
// back.
func (e TemporalEngine) CountRunning(ctx context.Context, ids []string) (int, error) {
	q := runningQuery(ids)
	if q == "" {
		return 0, nil
	}
	resp, err := e.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
	if err != nil {
		return 0, err
	}
	return int(resp.GetCount()), nil
}

// ListRunning answers one page of the workflows among ids that the
// visibility store shows running, with the token of the next page (nil:
// none). One call: `ExecutionStatus = 'Running' AND WorkflowId IN (…)`,
// served by visibility's (namespace, workflow_id) index. An ID that cannot
// be written as a query literal is left out of the query: it is not
// listed, so the reconciler describes it.
func (e TemporalEngine) ListRunning(ctx context.Context, ids []string, page []byte) ([]string, []byte, error) {
	q := runningQuery(ids)
	if q == "" {
		return nil, nil, nil
	}
	resp, err := e.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		PageSize: ListPage, NextPageToken: page, Query: q,
	})
	if err != nil {
		return nil, nil, err
	}
	running := make([]string, 0, len(resp.GetExecutions()))
	for _, ex := range resp.GetExecutions() {
		if ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			running = append(running, ex.GetExecution().GetWorkflowId())
		}
	}
	return running, resp.GetNextPageToken(), nil
}

// runningQuery is the visibility query listing which of ids run ("" when
// none can be asked about).
func runningQuery(ids []string) string {
	var b strings.Builder
	n := 0
	for _, id := range ids {
		if id == "" || !utf8.ValidString(id) || strings.ContainsAny(id, "'\\\"\x00") {
			continue
		}
		if n == 0 {
			b.WriteString("ExecutionStatus = 'Running' AND WorkflowId IN (")
		} else {
			b.WriteString(", ")
		}
		b.WriteString("'" + id + "'")
		n++
	}
	if n == 0 {
		return ""
	}
	b.WriteString(")")
	return b.String()
}

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

package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
)

// CalendarRecomputeWorkflow follows a calendar import: it records the run,
// pages through the open cases the revision may concern (keyset on case
// number), signals each case (SignalCalendarChanged with the revision),
// then polls until every signalled case has recomputed or closed, and
// stores the summary. Every step is idempotent (a case recounts the same
// dates twice without change), so a retried or restarted run does no harm;
// a long run continues as new with its cursor.
func CalendarRecomputeWorkflow(ctx workflow.Context, in CalendarRecomputeInput) (activities.RecomputeProgress, error) {
	ctx = workflow.WithActivityOptions(ctx, caseActivityOptions)
	log := workflow.GetLogger(ctx)
	if in.Cursor == "" && in.Batches == 0 && in.WaitedSince.IsZero() {
		if err := workflow.ExecuteActivity(ctx, cases.BeginRecompute, activities.RecomputeRun{
			Revision: in.Revision, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		}).Get(ctx, nil); err != nil {
			return activities.RecomputeProgress{}, err
		}
	}
	for in.WaitedSince.IsZero() {
		var page []activities.CaseTarget
		if err := workflow.ExecuteActivity(ctx, cases.AffectedCases, activities.AffectedRequest{
			Revision: in.Revision, After: in.Cursor, Limit: CalendarRecomputeBatch,
		}).Get(ctx, &page); err != nil {
			return activities.RecomputeProgress{}, err
		}
		change := CalendarChange{Revision: in.Revision, Note: in.Reason}
		futures := make([]workflow.Future, len(page))
		for i, c := range page {
			futures[i] = workflow.SignalExternalWorkflow(ctx, c.WorkflowID, "", SignalCalendarChanged, change)
		}
		for i, f := range futures {
			// A case that has just ended cannot be signalled: it has no
			// open deadline left, and counts as done.
			if err := f.Get(ctx, nil); err != nil {
				log.Info("case not signalled", "case_no", page[i].CaseNo, "error", err)
			}
		}
		in.Signalled += len(page)
		in.Batches++
		if len(page) > 0 {
			in.Cursor = page[len(page)-1].CaseNo
		}
		if len(page) < CalendarRecomputeBatch {
			in.WaitedSince = workflow.Now(ctx)
			break
		}
		if in.Batches%CalendarRecomputeBatchesPerRun == 0 {
			return activities.RecomputeProgress{}, workflow.NewContinueAsNewError(ctx, CalendarRecomputeWorkflow, in)
		}
	}
	for {
		var p activities.RecomputeProgress
		if err := workflow.ExecuteActivity(ctx, cases.Progress, in.Revision).Get(ctx, &p); err != nil {
			return p, err
		}
		if p.Done >= p.Cases || workflow.Now(ctx).Sub(in.WaitedSince) >= CalendarRecomputeMaxWait {
			break
		}
		if err := workflow.Sleep(ctx, CalendarRecomputePoll); err != nil {
			return p, err
		}
	}
	var summary activities.RecomputeProgress
	err := workflow.ExecuteActivity(ctx, cases.FinishRecompute, in.Revision).Get(ctx, &summary)
	return summary, err
}

package worker

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/workflows"
)

// StartCalendarRecompute starts the recompute run of calendar revision rev
// (one per revision: starting it again returns the run already there).
func StartCalendarRecompute(ctx context.Context, c client.Client, rev int64, reason string) (string, error) {
	id := workflows.CalendarRecomputeWorkflowID(rev)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.CalendarRecomputeWorkflow, workflows.CalendarRecomputeInput{Revision: rev, Reason: reason})
	if err != nil {
		return "", fmt.Errorf("start calendar recompute of revision %d: %w", rev, err)
	}
	return run.GetID(), nil
}

// EnsureCalendarRecomputes starts the run of every calendar revision after
// the first that has none yet: a revision stored at a role's start
// (CALENDAR_DIR) or by an import whose start of the run was lost. Every
// worker replica calls it at start; the runs' IDs make that harmless.
func EnsureCalendarRecomputes(ctx context.Context, c client.Client, pool *pgxpool.Pool) error {
	rows, err := pool.Query(ctx, `SELECT r.rev, r.reason FROM calendar_revisions r
		WHERE r.rev > 1 AND NOT EXISTS (SELECT 1 FROM calendar_recomputes x WHERE x.rev = r.rev) ORDER BY r.rev`)
	if err != nil {
		return err
	}
	type rev struct {
		Rev    int64
		Reason string
	}
	revs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rev])
	if err != nil {
		return err
	}
	for _, r := range revs {
		if _, err := StartCalendarRecompute(ctx, c, r.Rev, r.Reason); err != nil {
			return err
		}
	}
	return nil
}

package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
)

// Sweep holds the activities of the daily disclosure-expiry sweep
// (DisclosureSweepWorkflow): each is one transaction of the Sweeper, safe to
// retry (see supervision.Sweeper).
type Sweep struct {
	Sweeper *supervision.Sweeper
}

// SweepStart names a sweep run and the day it runs as of.
type SweepStart struct {
	RunID string        `json:"run_id"`
	AsOf  calendar.Date `json:"as_of"`
}

// BeginDisclosureSweep records the run (once).
func (a *Sweep) BeginDisclosureSweep(ctx context.Context, s SweepStart) error {
	return a.Sweeper.Begin(ctx, s.RunID, s.AsOf)
}

// SweepBatchRequest asks for the next batch after Cursor.
type SweepBatchRequest struct {
	RunID  string                  `json:"run_id"`
	AsOf   calendar.Date           `json:"as_of"`
	Cursor supervision.SweepCursor `json:"cursor"`
	Size   int                     `json:"size"`
}

// SweepDisclosureBatch archives the next batch of records whose disclosure
// ended before AsOf and returns where the next batch starts.
func (a *Sweep) SweepDisclosureBatch(ctx context.Context, r SweepBatchRequest) (supervision.SweepBatch, error) {
	b, err := a.Sweeper.Batch(ctx, r.RunID, r.AsOf, r.Cursor, r.Size)
	if err == nil && b.Archived > 0 {
		activity.GetLogger(ctx).Info("disclosure sweep batch", "run_id", r.RunID, "as_of", r.AsOf.String(),
			"archived", b.Archived, "under_case", b.UnderCase)
	}
	return b, err
}

// FinishDisclosureSweep marks the run finished and returns its summary.
func (a *Sweep) FinishDisclosureSweep(ctx context.Context, runID string) (supervision.SweepRun, error) {
	return a.Sweeper.Finish(ctx, runID)
}

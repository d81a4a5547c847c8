package workflows

import (
	"encoding/json"
	"fmt"
	"time"
)

// Contract of the calendar recompute (issue 17): after a calendar import,
// CalendarRecomputeWorkflow tells every open case whose deadlines the change
// may move (every provisional one, and those running over a changed day)
// to recompute them, batch by batch, then waits until they have and stores
// the summary.
const (
	// CalendarRecomputeBatch is how many cases one activity page holds.
	CalendarRecomputeBatch = 100
	// CalendarRecomputeBatchesPerRun bounds a run's history; the workflow
	// then continues as new with its cursor.
	CalendarRecomputeBatchesPerRun = 50
	// CalendarRecomputePoll is how often the run checks that the cases it
	// signalled have recomputed.
	CalendarRecomputePoll = 10 * time.Second
	// CalendarRecomputeMaxWait ends the wait: cases still not done by then
	// are left in the summary as not done (the operator view shows them).
	CalendarRecomputeMaxWait = 24 * time.Hour
)

// CalendarRecomputeWorkflowID is the run's ID for revision rev: one run per
// revision, so starting it twice is harmless.
func CalendarRecomputeWorkflowID(rev int64) string { return fmt.Sprintf("calendar-recompute:%d", rev) }

// CalendarChange is the payload of SignalCalendarChanged: the revision that
// changed the calendar (0 when not known) and why.
type CalendarChange struct {
	Revision int64  `json:"revision"`
	Note     string `json:"note"`
}

// UnmarshalJSON also reads the earlier payload, a bare note.
func (c *CalendarChange) UnmarshalJSON(b []byte) error {
	var note string
	if err := json.Unmarshal(b, &note); err == nil {
		*c = CalendarChange{Note: note}
		return nil
	}
	type plain CalendarChange
	return json.Unmarshal(b, (*plain)(c))
}

// CalendarRecomputeInput starts a run; Cursor, Batches and Signalled carry
// progress across continue-as-new.
type CalendarRecomputeInput struct {
	Revision  int64  `json:"revision"`
	Reason    string `json:"reason"`
	Cursor    string `json:"cursor,omitempty"`
	Batches   int    `json:"batches,omitempty"`
	Signalled int    `json:"signalled,omitempty"`
	// WaitedSince is when the run began waiting for the cases (zero until
	// every case is signalled).
	WaitedSince time.Time `json:"waited_since,omitzero"`
}

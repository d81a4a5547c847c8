package integration

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/worker"
	"github.com/creditcase/creditcase/workflows"
)

// The stack creates the daily disclosure-sweep schedule (00:10
// Asia/Shanghai) at start; ensuring it again is harmless; and the sweep
// workflow, run on the real worker, archives a record whose disclosure
// ended and stores the run's summary. The run is as of 2000-01-02 so that
// it touches no record of the other tests.
func TestDisclosureSweepScheduleAndRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	h := sys.Temporal.ScheduleClient().GetHandle(ctx, workflows.DisclosureSweepScheduleID)
	desc, err := h.Describe(ctx)
	if err != nil {
		t.Fatalf("schedule %s: %v", workflows.DisclosureSweepScheduleID, err)
	}
	spec := desc.Schedule.Spec
	if spec == nil || spec.TimeZoneName != "Asia/Shanghai" || len(spec.Calendars) != 1 ||
		spec.Calendars[0].Hour[0].Start != 0 || spec.Calendars[0].Minute[0].Start != 10 {
		t.Errorf("schedule spec %+v", spec)
	}
	act, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok || act.Workflow != "DisclosureSweepWorkflow" || act.TaskQueue != workflows.TaskQueue {
		t.Errorf("schedule action %#v", desc.Schedule.Action)
	}
	if err := worker.EnsureSchedules(ctx, sys.Temporal); err != nil {
		t.Fatalf("ensuring the schedules again: %v", err)
	}

	var prov, subj, rec int64
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ('sweep-it', '公示期测试单位') RETURNING id`).Scan(&prov); err != nil {
		t.Fatal(err)
	}
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('organisation', '91320600SWEEPIT001', '公示期测试') RETURNING id`).Scan(&subj); err != nil {
		t.Fatal(err)
	}
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, decision_no, decided_on, disclosure_end)
		VALUES ($1, $2, 'negative', 'general', 'public', '过期记录', 'SWEEP-IT-1', '1998-12-31', '2000-01-01') RETURNING id`, subj, prov).Scan(&rec); err != nil {
		t.Fatal(err)
	}
	run, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "disclosure-sweep-it", TaskQueue: workflows.TaskQueue},
		workflows.DisclosureSweepWorkflow, workflows.DisclosureSweepInput{AsOf: calendar.NewDate(2000, 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	var sum supervision.SweepRun
	if err := run.Get(ctx, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.RunID != "disclosure-sweep-it" || sum.Archived != 1 || sum.AsOf != "2000-01-02" || sum.FinishedAt.IsZero() {
		t.Errorf("summary %+v", sum)
	}
	var status string
	if err := sys.Pool.QueryRow(ctx, `SELECT status FROM records WHERE id = $1`, rec).Scan(&status); err != nil || status != "archived" {
		t.Errorf("record status %q (%v); want archived", status, err)
	}
}

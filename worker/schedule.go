package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/workflows"
)

// Schedules are the Temporal Schedules the worker keeps: the daily
// disclosure-expiry sweep, at 00:10 Asia/Shanghai, and the reconciler every
// workflows.ReconcileEvery. If the cluster
// was down at that time the run is caught up within a day; runs never
// overlap (a run still going at the next start time makes it skip).
func Schedules() []client.ScheduleOptions {
	return []client.ScheduleOptions{{
		ID: workflows.DisclosureSweepScheduleID,
		Spec: client.ScheduleSpec{
			Calendars: []client.ScheduleCalendarSpec{{
				Hour:    []client.ScheduleRange{{Start: workflows.DisclosureSweepHour}},
				Minute:  []client.ScheduleRange{{Start: workflows.DisclosureSweepMinute}},
				Comment: "daily disclosure-expiry sweep (公开期限届满处理)",
			}},
			TimeZoneName: "Asia/Shanghai",
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.DisclosureSweepWorkflowID,
			Workflow:  workflows.DisclosureSweepWorkflow,
			Args:      []any{workflows.DisclosureSweepInput{}},
			TaskQueue: workflows.TaskQueue,
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: 24 * time.Hour,
	}, {
		// The reconciler (no stale case): open cases against the engine.
		ID: workflows.ReconcileScheduleID,
		Spec: client.ScheduleSpec{
			Intervals: []client.ScheduleIntervalSpec{{Every: workflows.ReconcileEvery}},
		},
		Action: &client.ScheduleWorkflowAction{
			ID:        workflows.ReconcileWorkflowID,
			Workflow:  workflows.ReconcileWorkflow,
			Args:      []any{workflows.ReconcileInput{}},
			TaskQueue: workflows.TaskQueue,
		},
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: workflows.ReconcileEvery,
	}}
}

// EnsureSchedules creates every schedule of Schedules, or updates its
// spec, action and policies when it exists (a pause set by an operator is
// kept). Every worker replica calls it at start; concurrent calls are safe.
func EnsureSchedules(ctx context.Context, c client.Client) error {
	for _, o := range Schedules() {
		if err := retryTransient(ctx, scheduleRetryFor, func(ctx context.Context) error {
			return ensureSchedule(ctx, c, o)
		}); err != nil {
			return fmt.Errorf("schedule %s: %w", o.ID, err)
		}
	}
	return nil
}

// scheduleRetryFor bounds how long a starting worker keeps trying to create
// or update a schedule while the engine answers slowly (a busy or just
// started cluster times out single calls; that is no reason to fail a start).
const scheduleRetryFor = 2 * time.Minute

// retryTransient runs op until it succeeds, fails for a reason other than
// the engine being slow or unreachable, ctx ends or within has passed. Each
// attempt gets its own 30 s deadline.
func retryTransient(ctx context.Context, within time.Duration, op func(context.Context) error) error {
	end := time.Now().Add(within)
	wait := 250 * time.Millisecond
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := op(attemptCtx)
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().Add(wait).After(end) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// transient reports whether err says the engine was slow or unreachable
// (worth another try) rather than that the request was wrong.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var busy *serviceerror.ResourceExhausted
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &busy) {
		return true
	}
	// Updating a schedule is answered by the engine's own per-namespace
	// worker; right after the engine (re)starts that worker has not polled
	// yet and the engine answers FailedPrecondition "no poller seen for task
	// queue recently" — a matter of seconds, not a wrong request.
	var precondition *serviceerror.FailedPrecondition
	return errors.As(err, &precondition) && strings.Contains(precondition.Message, "no poller seen")
}

func ensureSchedule(ctx context.Context, c client.Client, o client.ScheduleOptions) error {
	_, err := c.ScheduleClient().Create(ctx, o)
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return err
	}
	h := c.ScheduleClient().GetHandle(ctx, o.ID)
	return h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			spec := o.Spec
			s.Spec = &spec
			s.Action = o.Action
			s.Policy = &client.SchedulePolicies{Overlap: o.Overlap, CatchupWindow: o.CatchupWindow, PauseOnFailure: o.PauseOnFailure}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}

package worker

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/dataerror"
	"github.com/creditcase/creditcase/internal/failing"
)

// failures classifies every activity error (package dataerror: a data
// error is not retried), records every failed attempt of a retryable activity in
// activity_failures (what it lacks, since when, how often) and forgets it
// when an attempt succeeds, so the case page, the board and the API can
// say what holds a case up — a missing font, a calendar year, the database
// — instead of a silent stall.
type failures struct {
	interceptor.WorkerInterceptorBase
	pool *pgxpool.Pool
	log  zerolog.Logger
}

// NewFailureRecorder returns the worker interceptor that keeps
// activity_failures.
func NewFailureRecorder(pool *pgxpool.Pool, log zerolog.Logger) interceptor.WorkerInterceptor {
	return &failures{pool: pool, log: log}
}

func (f *failures) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityFailures{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, f: f}
}

type activityFailures struct {
	interceptor.ActivityInboundInterceptorBase
	f *failures
}

func (a *activityFailures) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	out, err := a.Next.ExecuteActivity(ctx, in)
	// A data error (a constraint broken, a value PostgreSQL cannot read, a
	// row that does not decode or is missing) fails the same way on every
	// attempt: it stops retrying and the case workflow escalates the step.
	err = dataerror.Classify(err)
	info := activity.GetInfo(ctx)
	var app *temporal.ApplicationError
	if errors.As(err, &app) && dataerror.IsType(app.Type()) {
		a.f.log.Warn().Str("workflow_id", info.WorkflowExecution.ID).Str("activity", info.ActivityType.Name).
			Str("error_type", app.Type()).Str("error", app.Message()).Msg("activity data error: not retried, the case escalates the step")
	}
	if a.f.pool == nil {
		return out, err
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	switch {
	case err == nil && info.Attempt > 1:
		if cerr := failing.Clear(wctx, a.f.pool, info.WorkflowExecution.ID, info.ActivityType.Name); cerr != nil {
			a.f.log.Warn().Err(cerr).Str("activity", info.ActivityType.Name).Msg("cannot clear the activity's failures")
		}
	case err == nil, ctx.Err() != nil:
		// Succeeded at once, or cancelled / timed out by the engine.
	case errors.As(err, &app) && app.NonRetryable():
		// A refusal the workflow handles; not a stall.
	default:
		if rerr := failing.Record(wctx, a.f.pool, info.WorkflowExecution.ID, info.ActivityType.Name, info.Attempt, err, time.Now()); rerr != nil {
			a.f.log.Warn().Err(rerr).Str("activity", info.ActivityType.Name).Msg("cannot record the activity's failure")
		}
	}
	return out, err
}

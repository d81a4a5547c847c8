// Package worker registers the creditcase workflows and activities on the
// task queue and runs them.
package worker

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/notify"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/reconcile"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

// Deps are what the activities need. Rules are the process's policy
// profiles and calendar (internal/rules); when nil, Calendar and Policies
// are served as they are (nil = the embedded data).
type Deps struct {
	Pool     *pgxpool.Pool
	Identity string
	Rules    *rules.Rules
	Calendar *calendar.Calendar
	Policies *policy.Set
	// Notifier delivers the case notices (nil = the in-app inbox only).
	Notifier notify.Notifier
	// Temporal is the client the reconciler describes workflows with (set
	// by New).
	Temporal client.Client
	// Logger receives what the worker's own machinery has to say (the
	// activity-failure recorder); zero = nothing.
	Logger zerolog.Logger
	// DeadlockTimeout is how long a workflow task may run without yielding
	// before the worker fails it as a deadlock (WORKFLOW_DEADLOCK_TIMEOUT;
	// 0 = config.DefaultWorkflowDeadlockTimeout).
	DeadlockTimeout time.Duration
}

// SetCacheSize sets how many workflows the workers of this process keep in
// memory between their tasks (the SDK's sticky workflow cache, one for the
// whole process: WORKFLOW_CACHE_SIZE). It must be called before the first
// worker is created; 0 keeps none (every task replays its workflow's
// history).
func SetCacheSize(n int) { sdkworker.SetStickyWorkflowCacheSize(n) }

// New returns a worker on workflows.TaskQueue with everything registered;
// the caller starts and stops it.
func New(c client.Client, deps Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, Options(deps))
	deps.Temporal = c
	Register(w, deps)
	return w
}

// Options are the SDK options of the worker New starts.
func Options(deps Deps) sdkworker.Options {
	timeout := deps.DeadlockTimeout
	if timeout <= 0 {
		timeout = config.DefaultWorkflowDeadlockTimeout
	}
	return sdkworker.Options{
		Interceptors:             []interceptor.WorkerInterceptor{NewFailureRecorder(deps.Pool, deps.Logger)},
		DeadlockDetectionTimeout: timeout,
	}
}

// Register puts every workflow and activity on r. Replay tests use the same
// list, so a workflow missing here is caught there too.
func Register(r sdkworker.Registry, deps Deps) {
	RegisterWorkflows(r)
	if deps.Rules == nil {
		deps.Rules = rules.Static(deps.Calendar, deps.Policies)
	}
	r.RegisterActivity(&activities.Engine{Pool: deps.Pool, Identity: deps.Identity})
	r.RegisterActivity(&activities.Cases{Pool: deps.Pool, Rules: deps.Rules, Notifier: deps.Notifier})
	r.RegisterActivity(&activities.Sweep{Sweeper: &supervision.Sweeper{Pool: deps.Pool, Yield: supervision.SweepYield}})
	r.RegisterActivity(&activities.Reconcile{Reconciler: &reconcile.Reconciler{Pool: deps.Pool, Engine: reconcile.TemporalEngine{Client: deps.Temporal}}})
}

// RegisterWorkflows registers the workflow functions only.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflow(workflows.EngineCheckWorkflow)
	r.RegisterWorkflow(workflows.ObjectionWorkflow)
	r.RegisterWorkflow(workflows.ListingWorkflow)
	r.RegisterWorkflow(workflows.DisclosureSweepWorkflow)
	r.RegisterWorkflow(workflows.RepairWorkflow)
	r.RegisterWorkflow(workflows.ReconcileWorkflow)
	r.RegisterWorkflow(workflows.CalendarRecomputeWorkflow)
}

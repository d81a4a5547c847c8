// Package worker registers the creditcase workflows and activities on the
// task queue and runs them.
package worker

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/workflows"
)

// Deps are what the activities need.
type Deps struct {
	Pool     *pgxpool.Pool
	Identity string
}

// New returns a worker on workflows.TaskQueue with everything registered;
// the caller starts and stops it.
func New(c client.Client, deps Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	Register(w, deps)
	return w
}

// Register puts every workflow and activity on r. Replay tests use the same
// list, so a workflow missing here is caught there too.
func Register(r sdkworker.Registry, deps Deps) {
	RegisterWorkflows(r)
	r.RegisterActivity(&activities.Engine{Pool: deps.Pool, Identity: deps.Identity})
}

// RegisterWorkflows registers the workflow functions only.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflow(workflows.EngineCheckWorkflow)
}

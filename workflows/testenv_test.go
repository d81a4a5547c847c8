package workflows

import (
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

// newTestEnv is the suite's time-skipping environment with a deadlock
// detector that tolerates a starved machine. The SDK's default of one second
// of wall time per workflow task made TestCalendarRecomputeSignalsEveryCaseAndWaits
// fail ("workflow goroutine "root" didn't yield for over 1s") when the tests ran
// at nice 19 beside a benchmark; a real deadlock still fails, after 30 s.
func newTestEnv(suite *testsuite.WorkflowTestSuite) *testsuite.TestWorkflowEnvironment {
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	return env
}

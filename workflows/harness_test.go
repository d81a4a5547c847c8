package workflows

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// updateAt sends update name with arg at instant at of the test clock and
// fails t unless it is accepted and completes (or, with wantReject, unless
// the validator refuses it).
func updateAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Time, name string, arg any, wantReject bool) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) {
				if !wantReject {
					t.Errorf("%s at %s rejected: %v", name, at.Format(time.DateTime), err)
				}
			},
			OnAccept: func() {
				if wantReject {
					t.Errorf("%s at %s accepted; want rejected", name, at.Format(time.DateTime))
				}
			},
			OnComplete: func(_ any, err error) {
				if err != nil && !wantReject {
					t.Errorf("%s at %s failed: %v", name, at.Format(time.DateTime), err)
				}
			},
		}, arg)
	}, at.Sub(env.Now()))
}

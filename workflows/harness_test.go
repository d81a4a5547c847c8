package workflows

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
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

// refusedAt sends update name with arg at instant at of the test clock and
// fails t unless the validator refuses it with a refusal of type kind
// whose details pass ok.
func refusedAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Time, name string, arg any, kind string, ok func(Refusal) bool) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) {
				var ae *temporal.ApplicationError
				var d Refusal
				if !errors.As(err, &ae) || ae.Type() != kind || ae.Details(&d) != nil || !ok(d) {
					t.Errorf("%s at %s: %v (details %+v), want a %s refusal", name, at.Format(time.DateTime), err, d, kind)
				}
			},
			OnAccept: func() {
				t.Errorf("%s at %s accepted; want the validator to refuse it (%s)", name, at.Format(time.DateTime), kind)
			},
			OnComplete: func(any, error) {},
		}, arg)
	}, at.Sub(env.Now()))
}

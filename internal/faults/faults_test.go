package faults

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/creditcase/creditcase/internal/refusal"
)

// An Update Temporal refuses because the case's workflow task is failing
// ("Workflow Task in failed state") was never admitted: the caseworker is
// told to try again in a moment and that nothing changed — not a 500 that
// cannot say whether the step was taken.
func TestEngineWorkflowNotReadyIsTryAgainNothingChanged(t *testing.T) {
	cause := fmt.Errorf("update accept: %w", serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to Workflow Task in failed state."))
	r, ok := refusal.As(Engine(cause))
	if !ok {
		t.Fatalf("not a refusal: %v", Engine(cause))
	}
	if r.Status() != http.StatusServiceUnavailable || r.Kind != refusal.EngineUnavailable {
		t.Fatalf("status %d kind %s, want 503 engine-unavailable", r.Status(), r.Kind)
	}
	if r.RetryAfter <= 0 {
		t.Error("no Retry-After")
	}
	if got := r.Outcome(true, false).In("en"); got != "Nothing was changed." {
		t.Errorf("outcome of the refused update: %q", got)
	}
	if d := r.Detail.In("en"); !strings.Contains(d, "try again") {
		t.Errorf("detail: %q", d)
	}
	var nr *serviceerror.WorkflowNotReady
	if !errors.As(r, &nr) {
		t.Error("cause lost")
	}
	// Any other engine error keeps its meaning: unreachable 503 (outcome
	// unknown for a write), unexpected 500.
	if u, _ := refusal.As(Engine(serviceerror.NewUnavailable("down"))); u.Status() != http.StatusServiceUnavailable || u.Unchanged {
		t.Errorf("unavailable: %d unchanged=%v", u.Status(), u.Unchanged)
	}
	if i, _ := refusal.As(Engine(serviceerror.NewInternal("boom"))); i.Status() != http.StatusInternalServerError {
		t.Errorf("internal: %d", i.Status())
	}
}

// An engine that says it does not know the namespace (its registry cannot
// read its database for a moment, e.g. after a PostgreSQL restart) refused
// the call before any workflow saw it: try again, nothing changed — not a
// 500.
func TestEngineNamespaceNotFoundIsTryAgainNothingChanged(t *testing.T) {
	cause := fmt.Errorf("describe objection:YY-2026-000009: %w", serviceerror.NewNamespaceNotFound("default"))
	r, ok := refusal.As(Engine(cause))
	if !ok {
		t.Fatalf("not a refusal: %v", Engine(cause))
	}
	if r.Status() != http.StatusServiceUnavailable || r.Kind != refusal.EngineUnavailable || r.RetryAfter <= 0 {
		t.Fatalf("status %d kind %s retry-after %s, want 503 engine-unavailable with Retry-After", r.Status(), r.Kind, r.RetryAfter)
	}
	if got := r.Outcome(true, false).In("en"); got != "Nothing was changed." {
		t.Errorf("outcome: %q", got)
	}
	if u, _ := refusal.As(Refusal(cause)); u.Status() != http.StatusServiceUnavailable {
		t.Errorf("Refusal: %d, want 503", u.Status())
	}
}

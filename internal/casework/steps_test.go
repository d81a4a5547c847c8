package casework

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/workflows"
)

func refusalOf(t *testing.T, err error) *refusal.Error {
	t.Helper()
	r, ok := refusal.As(err)
	if !ok {
		t.Fatalf("not a refusal: %v", err)
	}
	return r
}

// One status policy: the case's state forbids the step now → 409, the
// input is wrong → 422, a failure inside the workflow → 500, an engine
// that does not answer → 503; the details travel typed, never parsed.
func TestRefusedMapsTypedRefusals(t *testing.T) {
	s := &Service{}
	cs := CaseSummary{CaseNo: "YY-2026-000001", Stage: workflows.StageAcceptance}
	st := Step{Name: "decide", Update: workflows.ObjectionDecide}
	ended := time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)
	refuse := func(kind string, d workflows.Refusal) error {
		return temporal.NewApplicationErrorWithOptions("message not read", kind, temporal.ApplicationErrorOptions{Details: []any{d}})
	}
	cases := []struct {
		err    error
		status int
		check  func(*refusal.Error) bool
	}{
		{refuse(workflows.RefusedWrongStage, workflows.Refusal{Stage: "acceptance", AllowedStages: []string{"deciding"}}), http.StatusConflict,
			func(r *refusal.Error) bool {
				return r.Stage == "acceptance" && reflect.DeepEqual(r.AllowedStages, []string{"deciding"}) && r.Detail.ZH != ""
			}},
		{refuse(workflows.RefusedPaused, workflows.Refusal{Stage: "deciding"}), http.StatusConflict, nil},
		{refuse(workflows.RefusedWindowClosed, workflows.Refusal{WindowEnded: ended}), http.StatusConflict,
			func(r *refusal.Error) bool {
				return r.WindowEnded != nil && r.WindowEnded.Equal(ended) && r.Detail.EN != ""
			}},
		{refuse(workflows.RefusedUnanswered, workflows.Refusal{Unanswered: []string{"P2", "P3"}}), http.StatusConflict,
			func(r *refusal.Error) bool { return reflect.DeepEqual(r.Unanswered, []string{"P2", "P3"}) }},
		{refuse(workflows.RefusedAlreadyExtended, workflows.Refusal{}), http.StatusConflict, nil},
		{refuse(workflows.RefusedInput, workflows.Refusal{Fields: []workflows.RefusalField{{Field: "reasons", Code: "required", ZH: "必填", EN: "required"}}}),
			http.StatusUnprocessableEntity, func(r *refusal.Error) bool { return len(r.Fields) == 1 && r.Fields[0].Name == "reasons" }},
		{refuse(workflows.RefusedHeavier, workflows.Refusal{}), http.StatusUnprocessableEntity, nil},
		{refuse("something-else", workflows.Refusal{}), http.StatusInternalServerError, nil},
		{temporal.GetDefaultFailureConverter().FailureToError(&failurepb.Failure{Message: "activity error",
			FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{ActivityType: &commonpb.ActivityType{Name: "RecordEvent"}}},
			Cause: &failurepb.Failure{Message: "bad", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
				ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "bad-data", NonRetryable: true}}}}),
			http.StatusInternalServerError, func(r *refusal.Error) bool { return r.Kind == refusal.StepFailed }},
		// The engine has no running workflow for a case whose row is not
		// finished: its workflow is lost, not the case finished.
		{serviceerror.NewNotFound("gone"), http.StatusConflict, func(r *refusal.Error) bool {
			return r.Kind == refusal.WorkflowLost && r.Stage == workflows.StageAcceptance && strings.Contains(r.Detail.EN, "nothing was changed")
		}},
		{serviceerror.NewUnavailable("down"), http.StatusServiceUnavailable, nil},
		{context.DeadlineExceeded, http.StatusServiceUnavailable, nil},
		{errors.New("boom"), http.StatusInternalServerError, nil},
	}
	// On a case whose row says it is finished, the same answer is "finished".
	done := cs
	done.Stage = workflows.StageFinished
	if r := refusalOf(t, s.refused(context.Background(), objections, done, st, serviceerror.NewNotFound("gone"))); r.Kind != refusal.CaseFinished {
		t.Errorf("engine's not found on a finished case: %s, want case-finished", r.Kind)
	}
	for i, c := range cases {
		r := refusalOf(t, s.refused(context.Background(), objections, cs, st, c.err))
		if r.Status() != c.status {
			t.Errorf("%d (%v): status %d, want %d", i, c.err, r.Status(), c.status)
		}
		if c.check != nil && !c.check(r) {
			t.Errorf("%d: details %+v", i, r)
		}
	}
}

// The steps offered on a case: the role's, at the stage, and only resume
// while the clock is paused.
func TestActionsFollowStageRoleAndPause(t *testing.T) {
	worker := permission.As(auth.Account{ID: 1, Role: auth.Caseworker})
	subject := permission.As(auth.Account{ID: 2, Role: auth.Subject})
	admin := permission.As(auth.Account{ID: 3, Role: auth.Admin})
	names := func(as []Action) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Name)
		}
		return out
	}
	if got := names(objections.actions(worker, workflows.StageAcceptance, false)); !reflect.DeepEqual(got, []string{"accept", "request-supplement"}) {
		t.Errorf("caseworker at acceptance: %v", got)
	}
	if got := names(objections.actions(subject, workflows.StageAcceptance, false)); !reflect.DeepEqual(got, []string{"withdraw"}) {
		t.Errorf("subject at acceptance: %v", got)
	}
	if got := names(objections.actions(worker, workflows.StageDeciding, true)); !reflect.DeepEqual(got, []string{"resume"}) {
		t.Errorf("caseworker while paused: %v", got)
	}
	if got := objections.actions(admin, workflows.StageDeciding, false); len(got) != 0 {
		t.Errorf("admin does no casework: %v", got)
	}
}

// A correction names only fields a record has, with values it accepts.
func TestCheckCorrection(t *testing.T) {
	cases := []struct {
		correction map[string]any
		want       []string
	}{
		{map[string]any{"content": "罚款 1 万元", "severity": "minor", "decided_on": "2025-03-01"}, nil},
		{map[string]any{"capital": "800 万元"}, []string{"correction.capital"}},
		{map[string]any{"severity": "huge", "content": ""}, []string{"correction.content", "correction.severity"}},
		{map[string]any{"decided_on": "2025-02-30", "title": 7}, []string{"correction.decided_on", "correction.title"}},
	}
	for _, c := range cases {
		var got []string
		if err := checkCorrection(c.correction); err != nil {
			for _, f := range refusalOf(t, err).Fields {
				got = append(got, f.Name)
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: fields %v, want %v", c.correction, got, c.want)
		}
	}
}

package workflows

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/creditcase/creditcase/activities"
)

// queryAt reads the objection's state at instant at of the test clock.
func (h *harness) queryAt(at time.Time, got *ObjectionState) {
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryObjection)
		if err != nil {
			h.t.Errorf("query at %s: %v", at.Format(time.DateTime), err)
			return
		}
		if err := v.Get(got); err != nil {
			h.t.Error(err)
		}
	}, at.Sub(h.env.Now()))
}

// updateErrAt sends update name at instant at and hands its outcome (the
// validator's refusal or the handler's error) to check.
func updateErrAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, at time.Time, name string, arg any, check func(rejected bool, err error)) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { check(true, err) },
			OnAccept:   func() {},
			OnComplete: func(_ any, err error) { check(false, err) },
		}, arg)
	}, at.Sub(env.Now()))
}

func errType(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Type()
	}
	return ""
}

// A data error while the objection opens (labelling the record) does not
// fail the workflow: the step is escalated, visible in the case's state,
// other steps are refused meanwhile; once the data is corrected a
// supervisor retries the step and the case goes on to its end.
func TestObjectionOpeningDataErrorEscalatedThenRetried(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.dataError("LabelRecord", 1)
	var during, after ObjectionState
	h.queryAt(sh(2025, 3, 3, 10), &during)
	updateErrAt(t, h.env, sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, func(rejected bool, err error) {
		if !rejected || errType(err) != RefusedEscalated {
			t.Errorf("accept while escalated: rejected %v, %v; want refused %s", rejected, err, RefusedEscalated)
		}
	})
	// A resolution without the action, or closing without a reason, is refused.
	h.at(sh(2025, 3, 3, 10), UpdateResolveStep, StepResolution{By: supervisor, Action: "later"}, true)
	h.at(sh(2025, 3, 3, 10), UpdateResolveStep, StepResolution{By: supervisor, Action: ResolveClose}, true)
	h.at(sh(2025, 3, 3, 14), UpdateResolveStep, StepResolution{By: supervisor, Seq: 1, Action: ResolveRetry}, false)
	h.queryAt(sh(2025, 3, 3, 15), &after)
	h.at(sh(2025, 3, 3, 16), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入错误", Correction: map[string]any{"content": "罚款 500 元"}}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))

	e := during.Escalated
	if e == nil || e.Step != "LabelRecord" || e.ErrorType != "data-constraint" || e.Seq != 1 || e.Stage != StageAcceptance ||
		during.Status != StatusOpen {
		t.Fatalf("state while escalated: %+v (escalated %+v); want LabelRecord escalated, case open", during, e)
	}
	if len(h.stepEscalations) != 1 || h.stepEscalations[0].Step != "LabelRecord" || h.stepEscalations[0].CaseNo != "YY2025-0001" {
		t.Errorf("escalations recorded %+v", h.stepEscalations)
	}
	if after.Escalated != nil {
		t.Errorf("still escalated after the retry: %+v", after.Escalated)
	}
	if len(h.stepResolutions) != 1 || h.stepResolutions[0].Action != ResolveRetry || h.stepResolutions[0].Actor != supervisor.Name {
		t.Errorf("resolutions %+v", h.stepResolutions)
	}
	if h.labelled != 1 {
		t.Errorf("record labelled %d times; want once, by the retry", h.labelled)
	}
	if st.Status != StatusClosed || st.Outcome != OutcomeCorrected || st.Escalated != nil {
		t.Errorf("final state %+v; want the case decided after the retry", st)
	}
}

// A data error in a step of an update (applying the decision to the
// record) answers the update at once that it was escalated; the case waits
// live; a supervisor closes it: the case ends without failing, closed on
// the escalation, every deadline cancelled, and the closing (which
// unlabels the record) is recorded for the case's record.
func TestObjectionStepDataErrorEscalatedThenClosed(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.env.RegisterDelayedCallback(func() { h.dataError("ApplyOutcome", 1) }, sh(2025, 3, 4, 9).Sub(sh(2025, 3, 3, 9)))
	updateErrAt(t, h.env, sh(2025, 3, 4, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入错误", Correction: map[string]any{"content": "罚款 500 元"}},
		func(rejected bool, err error) {
			if rejected || errType(err) != StepEscalatedNow {
				t.Errorf("decision whose step fails: rejected %v, %v; want accepted and answered %s", rejected, err, StepEscalatedNow)
			}
		})
	var during ObjectionState
	h.queryAt(sh(2025, 3, 5, 10), &during)
	// Days later (no timer fires meanwhile: the case waits), a supervisor closes it.
	h.at(sh(2025, 3, 20, 10), UpdateResolveStep, StepResolution{By: supervisor, Action: ResolveClose, Reason: "记录数据损坏，关闭案件另行处理"}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))

	if e := during.Escalated; e == nil || e.Step != "ApplyOutcome" || during.Status != StatusOpen {
		t.Fatalf("state while escalated: %+v", during)
	}
	if st.Stage != StageFinished || st.Status != StatusClosed || st.Outcome != OutcomeClosedOnEscalation || st.Escalated != nil {
		t.Fatalf("final state %+v; want finished, closed on the escalation", st)
	}
	for _, d := range st.Deadlines {
		if d.State == activities.DeadlinePending {
			t.Errorf("deadline %s#%d still pending after the case closed", d.Rule, d.Seq)
		}
	}
	if len(h.stepResolutions) != 1 {
		t.Fatalf("resolutions %+v", h.stepResolutions)
	}
	r := h.stepResolutions[0]
	if r.Action != ResolveClose || r.Kind != CaseKindObjection || len(r.RecordIDs) != 1 || r.RecordIDs[0] != 7 || r.Reason == "" {
		t.Errorf("resolution %+v; want close of objection YY2025-0001 freeing record 7, with the reason", r)
	}
	if len(h.outcomes) != 0 {
		t.Errorf("outcome applied %+v; the failed step must not have taken effect", h.outcomes)
	}
}

// A data error in the repair's eligibility check (a row it needs is
// missing) escalates the opening; a supervisor closes the case: it ends
// without failing, and the closing is recorded for the repair application.
func TestRepairOpeningDataErrorEscalatedThenClosed(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.failNext["RepairEligibility"] = 1
	var during RepairState
	h.stateAt(sh(2025, 3, 3, 10), &during)
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, true) // refused while escalated
	h.at(sh(2025, 3, 4, 9), UpdateResolveStep, StepResolution{By: supervisor, Action: ResolveClose, Reason: "承诺书记录缺失"}, false)
	st := h.run(sh(2025, 3, 3, 9))

	if e := during.Escalated; e == nil || e.Step != "RepairEligibility" || e.ErrorType != "data-missing" || during.Status != StatusOpen {
		t.Fatalf("state while escalated: %+v", during.CaseProgress)
	}
	if st.Stage != StageFinished || st.Outcome != OutcomeClosedOnEscalation {
		t.Fatalf("final state %+v", st.CaseProgress)
	}
	if len(h.resolutions) != 1 || h.resolutions[0].Kind != CaseKindRepair || h.resolutions[0].Action != ResolveClose {
		t.Errorf("resolutions %+v", h.resolutions)
	}
}

// A data error in a repair step (publishing) answers the step escalated;
// retried after the correction, the step runs again and the case goes on
// to its decision.
func TestRepairStepDataErrorRetried(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.failNext["OpenPublicity"] = 1
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: true, Reasons: "已履行处罚决定，整改到位"}, false)
	updateErrAt(t, h.env, sh(2025, 3, 4, 11), RepairPublish, PublishInput{By: caseworker}, func(rejected bool, err error) {
		if rejected || errType(err) != StepEscalatedNow {
			t.Errorf("publish whose step fails: rejected %v, %v; want %s", rejected, err, StepEscalatedNow)
		}
	})
	h.at(sh(2025, 3, 4, 15), UpdateResolveStep, StepResolution{By: caseworker, Action: ResolveRetry}, false)
	h.at(sh(2025, 3, 13, 10), RepairDecide, RepairDecisionInput{By: caseworker, Approve: true, Reasons: "公示期满无异议，予以修复"}, false)
	st := h.run(sh(2025, 3, 3, 9))

	if st.Status != StatusClosed || st.Outcome != OutcomeRepaired || st.Escalated != nil {
		t.Fatalf("final state %+v", st.CaseProgress)
	}
	if len(h.publicity) != 1 || len(h.resolutions) != 1 || h.resolutions[0].Action != ResolveRetry {
		t.Errorf("publicity %d, resolutions %+v; want published once, by the retry", len(h.publicity), h.resolutions)
	}
}

// A listing whose row cannot be saved while serving the notice escalates
// the step; a supervisor closes the case, which ends the proposal (not
// listed) and frees its records.
func TestListingStepDataErrorEscalatedThenClosed(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.env.RegisterDelayedCallback(func() { h.dataError("SaveListing", 1) }, time.Hour)
	updateErrAt(t, h.env, sh(2025, 3, 3, 11), ListingRecordService, served, func(rejected bool, err error) {
		if rejected || errType(err) != StepEscalatedNow {
			t.Errorf("service whose save fails: rejected %v, %v; want %s", rejected, err, StepEscalatedNow)
		}
	})
	h.at(sh(2025, 3, 5, 10), UpdateResolveStep, StepResolution{By: supervisor, Action: ResolveClose, Reason: "名单数据损坏"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next != nil {
		t.Fatal("continued as new; want the case ended")
	}
	if st.Stage != StageFinished || st.Outcome != OutcomeClosedOnEscalation {
		t.Fatalf("final state %+v", st.CaseProgress)
	}
	if len(h.stepResolutions) != 1 || h.stepResolutions[0].Kind != CaseKindListing ||
		len(h.stepResolutions[0].RecordIDs) != len(proposal(sh(2025, 3, 3, 9)).RecordIDs) {
		t.Errorf("resolutions %+v; want the listing closed with its records", h.stepResolutions)
	}
}

// A letter rendered after its action (issue 20.2) whose rendering stops on
// a data error is not left "being prepared" for ever: it is escalated as a
// step is (step IssueDocument, the letter's number in the message), shown
// in the case's state, other steps are refused meanwhile, and a
// supervisor's retry renders it; the case then goes on. Before, the error
// was only logged.
func TestLetterRenderDataErrorEscalatedThenRetried(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.dataError("IssueDocument", 1)
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	var during, after ObjectionState
	h.queryAt(sh(2025, 3, 3, 11), &during)
	updateErrAt(t, h.env, sh(2025, 3, 3, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, func(rejected bool, err error) {
		if !rejected || errType(err) != RefusedEscalated {
			t.Errorf("forward while the letter is escalated: rejected %v, %v; want refused %s", rejected, err, RefusedEscalated)
		}
	})
	h.at(sh(2025, 3, 3, 14), UpdateResolveStep, StepResolution{By: supervisor, Seq: 1, Action: ResolveRetry}, false)
	h.queryAt(sh(2025, 3, 3, 15), &after)
	h.at(sh(2025, 3, 3, 16), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))

	e := during.Escalated
	if e == nil || e.Step != "IssueDocument" || e.ErrorType != "data-constraint" || e.Seq != 1 ||
		!strings.Contains(e.Message, "YY2025-0001-1") || during.Status != StatusOpen {
		t.Fatalf("state while the letter is stopped: %+v (escalated %+v); want IssueDocument escalated naming letter YY2025-0001-1", during, e)
	}
	if len(h.stepEscalations) != 1 || h.stepEscalations[0].Step != "IssueDocument" {
		t.Errorf("escalations recorded %+v; want the letter's rendering", h.stepEscalations)
	}
	if after.Escalated != nil {
		t.Errorf("still escalated after the retry: %+v", after.Escalated)
	}
	if len(h.stepResolutions) != 1 || h.stepResolutions[0].Action != ResolveRetry {
		t.Errorf("resolutions %+v", h.stepResolutions)
	}
	if !slices.Contains(h.documents, "objection_acceptance") || !slices.Contains(h.documents, "objection_verification") {
		t.Errorf("letters rendered %v; want the acceptance notice (retried) and the verification request", h.documents)
	}
	if st.Status != StatusWithdrawn || st.Escalated != nil {
		t.Errorf("final state %+v; want withdrawn, nothing escalated", st)
	}
}

// A letter stopped after the case ended cannot close the case again: the
// resolution "close" is refused; a retry makes the letter, and the
// workflow ends once it is stored. The action that issued the letter (the
// appeal decision) answers for itself, not that a step was escalated.
func TestLetterRenderOfAFinishedCaseIsOnlyRetried(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入错误",
		Correction: map[string]any{"title": "更正后的标题"}}, false)
	h.at(sh(2025, 3, 10, 10), ObjectionAppeal, AppealInput{By: subject, Grounds: "更正不完整"}, false)
	h.env.RegisterDelayedCallback(func() { h.dataError("IssueDocument", 1) }, sh(2025, 3, 12, 9).Sub(sh(2025, 3, 3, 9)))
	h.at(sh(2025, 3, 12, 10), ObjectionDecideAppeal, AppealDecisionInput{By: supervisor, Decision: AppealUpheld, Reasons: "更正完整"}, false)
	var during ObjectionState
	h.queryAt(sh(2025, 3, 12, 11), &during)
	updateErrAt(t, h.env, sh(2025, 3, 12, 12), UpdateResolveStep, StepResolution{By: supervisor, Action: ResolveClose, Reason: "不要了"}, func(rejected bool, err error) {
		if !rejected {
			t.Errorf("closing a finished case on its stopped letter: accepted (%v); want refused", err)
		}
	})
	h.at(sh(2025, 3, 13, 10), UpdateResolveStep, StepResolution{By: supervisor, Action: ResolveRetry}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	if e := during.Escalated; e == nil || e.Step != "IssueDocument" || during.Stage != StageFinished {
		t.Fatalf("state after the appeal decision: stage %s, escalated %+v; want finished with its letter escalated", during.Stage, e)
	}
	if st.Stage != StageFinished || st.AppealOutcome != AppealUpheld || st.Escalated != nil || !slices.Contains(h.documents, "appeal_decision") {
		t.Errorf("final stage %s, appeal %s, escalated %+v, letters %v; want finished, upheld, the appeal decision made by the retry",
			st.Stage, st.AppealOutcome, st.Escalated, h.documents)
	}
}

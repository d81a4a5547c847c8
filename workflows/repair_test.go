package workflows

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/repair"
)

var public = Actor{Name: "public", Role: "public"}

// repairHarness runs RepairWorkflow in the time-skipping environment with
// the real deadline arithmetic and the real eligibility check over facts the
// test gives, and records every side effect the workflow asks for.
type repairHarness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	facts repair.Facts
	mu    sync.Mutex
	// side effects, in order
	documents   []activities.DocumentRequest
	escalations []activities.Escalation
	notices     []activities.Notice
	publicity   []activities.PublicityRequest
	closed      []activities.PublicityEnd
	answers     []activities.PublicObjectionAnswer
	repaired    []activities.RepairRequest
	application []activities.RepairApplication
	lookups     []int64
	listings    []string
	signals     []ListingRepaired
	settled     map[string]string
	// failNext: the next n calls of an activity fail with a data error.
	failNext    map[string]int
	resolutions []activities.StepResolved
}

// failing reports (under h.mu) whether this call of activity fails.
func (h *repairHarness) failing(activity string) error {
	if h.failNext[activity] > 0 {
		h.failNext[activity]--
		return temporal.NewNonRetryableApplicationError("a row the step needs does not exist", "data-missing", nil)
	}
	return nil
}

func newRepairHarness(t *testing.T, start time.Time, facts repair.Facts) *repairHarness {
	h := &repairHarness{t: t, facts: facts, settled: map[string]string{}, failNext: map[string]int{}}
	var suite testsuite.WorkflowTestSuite
	h.env = newTestEnv(&suite)
	h.env.SetStartTime(start)
	real := &activities.Cases{Calendar: calendar.Default(), Policies: policy.Default()}
	h.env.RegisterWorkflow(RepairWorkflow)
	h.env.RegisterActivity(cases)
	h.env.OnActivity(cases.ProfileVersion, mockCtx, mockAny).Return("test", nil)
	h.env.OnActivity(cases.SaveCase, mockCtx, mockAny).Return(nil)
	h.env.OnActivity(cases.RecordEvent, mockCtx, mockAny).Return(nil)
	h.env.OnActivity(cases.ComputeDeadline, mockCtx, mockAny).Return(func(ctx context.Context, r activities.DeadlineRequest) (activities.Deadline, error) {
		return real.Compute(ctx, r)
	})
	h.env.OnActivity(cases.RepairEligibility, mockCtx, mockAny).Return(func(_ context.Context, r activities.EligibilityRequest) (repair.Result, error) {
		h.mu.Lock()
		ferr := h.failing("RepairEligibility")
		h.mu.Unlock()
		if ferr != nil {
			return repair.Result{}, ferr
		}
		prof, err := policy.Default().Get(r.ProfileID)
		if err != nil {
			return repair.Result{}, err
		}
		f := h.facts
		f.Today = calendar.DateOf(r.At)
		return repair.Check(f, prof, calendar.Default())
	})
	h.env.OnActivity(cases.SettleDeadline, mockCtx, mockAny).Return(func(_ context.Context, s activities.SettleDeadline) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.settled[s.Rule+"#"+itoa(s.Seq)] = s.State
		return nil
	})
	h.env.OnActivity(cases.Escalate, mockCtx, mockAny).Return(func(_ context.Context, e activities.Escalation) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.escalations = append(h.escalations, e)
		return nil
	})
	h.env.OnActivity(cases.Notify, mockCtx, mockAny).Return(func(_ context.Context, n activities.Notice) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.notices = append(h.notices, n)
		return nil
	})
	h.env.OnActivity(cases.NumberDocument, mockCtx, mockAny).Return(func(_ context.Context, r activities.DocumentRequest) (activities.DocumentRef, error) {
		return activities.DocumentRef{Kind: r.Kind, Number: r.CaseNo + "-" + itoa(r.Seq)}, nil
	})
	h.env.OnActivity(cases.IssueDocument, mockCtx, mockAny).Return(func(_ context.Context, r activities.DocumentRequest) (activities.DocumentRef, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.documents = append(h.documents, r)
		return activities.DocumentRef{Kind: r.Kind, Number: r.CaseNo + "-" + itoa(r.Seq)}, nil
	})
	h.env.OnActivity(cases.OpenPublicity, mockCtx, mockAny).Return(func(_ context.Context, r activities.PublicityRequest) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := h.failing("OpenPublicity"); err != nil {
			return err
		}
		h.publicity = append(h.publicity, r)
		return nil
	})
	h.env.OnActivity(cases.ClosePublicity, mockCtx, mockAny).Return(func(_ context.Context, r activities.PublicityEnd) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.closed = append(h.closed, r)
		return nil
	})
	h.env.OnActivity(cases.AnswerPublicObjection, mockCtx, mockAny).Return(func(_ context.Context, r activities.PublicObjectionAnswer) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.answers = append(h.answers, r)
		return nil
	})
	h.env.OnActivity(cases.ApplyRepair, mockCtx, mockAny).Return(func(_ context.Context, r activities.RepairRequest) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.repaired = append(h.repaired, r)
		return nil
	})
	h.env.OnActivity(cases.CloseRepairApplication, mockCtx, mockAny).Return(func(_ context.Context, r activities.RepairApplication) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.application = append(h.application, r)
		return nil
	})
	h.env.OnActivity(cases.ActiveListings, mockCtx, mockAny).Return(func(_ context.Context, id int64) ([]string, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.lookups = append(h.lookups, id)
		return h.listings, nil
	})
	h.env.OnActivity(cases.EscalateStep, mockCtx, mockAny).Return(nil)
	h.env.OnActivity(cases.ResolveStep, mockCtx, mockAny).Return(func(_ context.Context, r activities.StepResolved) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.resolutions = append(h.resolutions, r)
		return nil
	})
	h.env.OnSignalExternalWorkflow(mockAny, mockAny, mockAny, SignalListingRepaired, mockAny).Return(
		func(_, workflowID, _, _ string, arg any) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			if p, ok := arg.(ListingRepaired); ok && workflowID == "listing:LP-2025-0003" {
				h.signals = append(h.signals, p)
			} else {
				h.t.Errorf("signal to %s with %#v", workflowID, arg)
			}
			return nil
		})
	return h
}

// at schedules an update at t; it must be accepted unless wantReject.
func (h *repairHarness) at(t time.Time, name string, arg any, wantReject bool) {
	updateAt(h.t, h.env, t, name, arg, wantReject)
}

// stateAt queries the state at t into out.
func (h *repairHarness) stateAt(t time.Time, out *RepairState) {
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryRepair)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := v.Get(out); err != nil {
			h.t.Fatal(err)
		}
	}, t.Sub(h.env.Now()))
}

func (h *repairHarness) run(received time.Time) RepairState {
	h.t.Helper()
	h.env.ExecuteWorkflow(RepairWorkflow, RepairInput{CaseNo: "XF-2025-0001", RecordID: 7, SubjectID: 3, ProviderID: 2,
		ProfileID: "nantong", CommitmentID: 11, EvidenceIDs: []int64{12}, Statement: "已缴清罚款并整改", FiledBy: subject, ReceivedAt: received})
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow error: %v", err)
	}
	var st RepairState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *repairHarness) kinds() []string {
	var out []string
	for _, d := range h.documents {
		out = append(out, d.Kind)
	}
	return out
}

func repairDue(t *testing.T, st RepairState, rule, due, state string) {
	t.Helper()
	var d activities.Deadline
	for _, x := range st.Deadlines {
		if x.Rule == rule {
			d = x
		}
	}
	if d.Due.String() != due || d.State != state {
		t.Errorf("%s: due %s state %s; want %s %s (%s)", rule, d.Due, d.State, due, state, d.Explanation)
	}
}

// eligibleFacts: a general negative record decided 2024-10-08, commitment
// and evidence filed, no repeat.
func eligibleFacts() repair.Facts {
	return repair.Facts{Record: repair.Record{ID: 7, ProviderID: 2, Category: "negative", Severity: "general", Status: "active",
		DecidedOn: calendar.MustParseDate("2024-10-08")}, Documents: true, Commitment: true, Evidence: 1}
}

// The whole procedure: accepted, the provider agrees, the proposal is public
// for 5 WD (03-04 not counted: 03-05..03-11), the period ends at 24:00 of
// 03-11 and the case goes on; the centre repairs; a listing on the record is
// ended early by signal.
func TestRepairEligibleApprovedEndsListing(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.listings = []string{"listing:LP-2025-0003"}
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 12), RepairPublish, PublishInput{By: caseworker}, true) // no opinion yet
	h.at(sh(2025, 3, 4, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: true, Reasons: "已履行处罚决定，整改到位"}, false)
	h.at(sh(2025, 3, 4, 11), RepairPublish, PublishInput{By: caseworker}, false)
	h.at(sh(2025, 3, 11, 23), RepairDecide, RepairDecisionInput{By: caseworker, Approve: true, Reasons: "x"}, true) // still in publicity
	h.at(sh(2025, 3, 12, 9), RepairPublicObjection, PublicObjectionInput{By: public, ObjectionID: 1}, true)         // period over
	h.at(sh(2025, 3, 12, 10), RepairDecide, RepairDecisionInput{By: caseworker, Approve: true, Reasons: "公示期满无异议，予以修复"}, false)
	st := h.run(sh(2025, 3, 3, 9))

	if st.Status != StatusClosed || st.Outcome != OutcomeRepaired || st.Stage != StageFinished {
		t.Fatalf("state %s/%s/%s", st.Status, st.Outcome, st.Stage)
	}
	repairDue(t, st, policy.RepairAcceptance, "2025-03-06", activities.DeadlineMet)
	repairDue(t, st, policy.RepairProviderOpinion, "2025-03-06", activities.DeadlineMet)
	repairDue(t, st, policy.RepairPublicity, "2025-03-11", activities.DeadlineMissed) // ran out: the case proceeds
	repairDue(t, st, policy.RepairOverall, "2025-03-17", activities.DeadlineMet)
	if len(h.publicity) != 1 || h.publicity[0].EndsOn.String() != "2025-03-11" || !h.publicity[0].EndsAt.Equal(sh(2025, 3, 12, 0)) ||
		h.publicity[0].Explanation == "" || h.publicity[0].Proposal == "" {
		t.Errorf("publicity %+v; want until 2025-03-11 24:00, explained", h.publicity)
	}
	if len(h.closed) != 1 || h.closed[0].Status != "ended" {
		t.Errorf("publicity closed %+v; want ended once", h.closed)
	}
	if len(h.repaired) != 1 || h.repaired[0].RecordID != 7 {
		t.Errorf("repairs %+v; want record 7 repaired once", h.repaired)
	}
	if !slices.Equal(h.lookups, []int64{7}) || len(h.signals) != 1 || h.signals[0].RecordID != 7 || h.signals[0].RepairCaseNo != "XF-2025-0001" {
		t.Errorf("listing lookups %v, signals %+v; want the listing on record 7 told once", h.lookups, h.signals)
	}
	if !slices.Equal(st.Listings, []string{"listing:LP-2025-0003"}) {
		t.Errorf("listings ended %v", st.Listings)
	}
	want := []string{string(documents.KindRepairAcceptance), string(documents.KindRepairPublicity), string(documents.KindRepairDecision)}
	if !slices.Equal(h.kinds(), want) {
		t.Errorf("documents %v; want %v", h.kinds(), want)
	}
	if dec := h.documents[2]; dec.Facts["publicity_from"] == "" || calendar.DateOf(mustTime(t, dec.Facts["publicity_to"])).String() != "2025-03-11" {
		t.Errorf("decision facts %v", dec.Facts)
	}
	if len(h.application) != 1 || h.application[0].Outcome != OutcomeRepaired || len(h.escalations) != 0 {
		t.Errorf("application %+v, escalations %+v", h.application, h.escalations)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Too early: a general record decided 2025-01-15 may be repaired after 3
// months, from 2025-04-16. Refused at once in writing with the date.
func TestRepairTooEarlyRefusedWithDate(t *testing.T) {
	f := eligibleFacts()
	f.Record.DecidedOn = calendar.MustParseDate("2025-01-15")
	h := newRepairHarness(t, sh(2025, 3, 3, 9), f)
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, true)
	st := h.run(sh(2025, 3, 3, 9))
	if st.Outcome != OutcomeRefused || st.Stage != StageFinished || st.Eligibility.Eligible || !st.Eligibility.OnlyEarly {
		t.Fatalf("state %s/%s eligibility %+v", st.Outcome, st.Stage, st.Eligibility)
	}
	if st.Eligibility.From == nil || st.Eligibility.From.String() != "2025-04-16" {
		t.Errorf("eligible from %v; want 2025-04-16", st.Eligibility.From)
	}
	if len(h.documents) != 1 || h.documents[0].Kind != string(documents.KindRepairRefusal) ||
		h.documents[0].Facts["eligible_from"] != "2025-04-16" || len(h.documents[0].Lists["reasons"]) != 1 {
		t.Errorf("documents %+v; want one refusal with the date and one reason", h.documents)
	}
	if len(st.Deadlines) != 0 || len(h.application) != 1 || h.application[0].Outcome != OutcomeRefused {
		t.Errorf("deadlines %+v, application %+v", st.Deadlines, h.application)
	}
}

// A negative record of the same kind (same provider) after the one applied
// for and within the year: refused, with every failed condition, no date.
func TestRepairRepeatedOffenceRefused(t *testing.T) {
	f := eligibleFacts()
	f.Commitment = false
	f.Others = []repair.Other{{ID: 9, ProviderID: 2, DecidedOn: calendar.MustParseDate("2025-01-10"), Title: "再次违法"}}
	h := newRepairHarness(t, sh(2025, 3, 3, 9), f)
	st := h.run(sh(2025, 3, 3, 9))
	if st.Outcome != OutcomeRefused || !slices.Equal(st.Eligibility.Failed, []string{repair.CondNoRepeat, repair.CondCommitment}) {
		t.Fatalf("outcome %s failed %v", st.Outcome, st.Eligibility.Failed)
	}
	if st.Eligibility.From != nil || len(h.documents) != 1 || h.documents[0].Facts["eligible_from"] != "" || len(h.documents[0].Lists["reasons"]) != 2 {
		t.Errorf("from %v, documents %+v", st.Eligibility.From, h.documents)
	}
}

// The provider refuses in writing: the case ends in refusal with its
// reasons; nothing is published.
func TestRepairProviderRefuses(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: false}, true) // no reasons
	h.at(sh(2025, 3, 5, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: false, Reasons: "罚款尚未缴清"}, false)
	st := h.run(sh(2025, 3, 3, 9))
	if st.Outcome != OutcomeRefused || st.Opinion != "disagree" || len(h.publicity) != 0 {
		t.Fatalf("outcome %s opinion %s publicity %v", st.Outcome, st.Opinion, h.publicity)
	}
	want := []string{string(documents.KindRepairAcceptance), string(documents.KindRepairRefusal)}
	if !slices.Equal(h.kinds(), want) || !slices.ContainsFunc(h.documents[1].Lists["reasons"], func(s string) bool { return strings.Contains(s, "罚款尚未缴清") }) {
		t.Errorf("documents %+v", h.documents)
	}
	repairDue(t, st, policy.RepairOverall, "2025-03-17", activities.DeadlineMet)
}

// A public objection during publicity goes to the provider, who upholds it:
// the repair ends in refusal and the notice comes off the public list.
func TestRepairPublicObjectionUpheld(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: true, Reasons: "同意"}, false)
	h.at(sh(2025, 3, 4, 11), RepairPublish, PublishInput{By: caseworker}, false)
	h.at(sh(2025, 3, 5, 15), RepairPublicObjection, PublicObjectionInput{By: public, ObjectionID: 41}, false)
	h.at(sh(2025, 3, 5, 16), RepairPublicObjection, PublicObjectionInput{By: public, ObjectionID: 41}, true) // duplicate
	h.at(sh(2025, 3, 6, 9), RepairVerifyObjection, VerifyObjectionInput{By: provider, ObjectionID: 40, Upheld: true, Reasons: "x"}, true)
	h.at(sh(2025, 3, 7, 10), RepairVerifyObjection, VerifyObjectionInput{By: provider, ObjectionID: 41, Upheld: true, Reasons: "该企业仍在违法经营"}, false)
	st := h.run(sh(2025, 3, 3, 9))
	if st.Outcome != OutcomeRefused || len(st.Objections) != 1 || st.Objections[0].Status != PublicObjectionUpheld {
		t.Fatalf("outcome %s objections %+v", st.Outcome, st.Objections)
	}
	repairDue(t, st, policy.RepairPublicityObjectionVerification, "2025-03-12", activities.DeadlineMet)
	repairDue(t, st, policy.RepairPublicity, "2025-03-11", activities.DeadlineCancelled)
	if len(h.answers) != 1 || !h.answers[0].Upheld || h.answers[0].ObjectionID != 41 || len(h.closed) != 1 || len(h.repaired) != 0 {
		t.Errorf("answers %+v closed %+v repaired %+v", h.answers, h.closed, h.repaired)
	}
	if !slices.ContainsFunc(h.notices, func(n activities.Notice) bool { return n.Party == "provider:2" && n.Kind == "repair_objection" }) {
		t.Errorf("the provider was not asked to verify: %+v", h.notices)
	}
	if k := h.kinds(); k[len(k)-1] != string(documents.KindRepairRefusal) {
		t.Errorf("documents %v", k)
	}
}

// An objection raised on the last day is still being verified when the
// period ends: the case waits for the verification, the objection is
// rejected and answered, then the record is repaired.
func TestRepairPublicObjectionRejectedThenRepaired(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: true, Reasons: "同意"}, false)
	h.at(sh(2025, 3, 4, 11), RepairPublish, PublishInput{By: caseworker, Proposal: "拟予修复"}, false)
	h.at(sh(2025, 3, 11, 22), RepairPublicObjection, PublicObjectionInput{By: public, ObjectionID: 5}, false)
	var waiting RepairState
	h.stateAt(sh(2025, 3, 12, 9), &waiting)
	h.at(sh(2025, 3, 12, 10), RepairDecide, RepairDecisionInput{By: caseworker, Approve: true, Reasons: "x"}, true) // objection pending
	h.at(sh(2025, 3, 13, 10), RepairVerifyObjection, VerifyObjectionInput{By: provider, ObjectionID: 5, Upheld: false, Reasons: "所称情况已于整改前发生"}, false)
	h.at(sh(2025, 3, 13, 11), RepairDecide, RepairDecisionInput{By: caseworker, Approve: true, Reasons: "异议不成立，予以修复"}, false)
	st := h.run(sh(2025, 3, 3, 9))
	if waiting.Stage != StageObjectionVerification {
		t.Errorf("after the period the case is at %s; want objection_verification", waiting.Stage)
	}
	if st.Outcome != OutcomeRepaired || st.Objections[0].Status != PublicObjectionRejected {
		t.Fatalf("outcome %s objections %+v", st.Outcome, st.Objections)
	}
	if len(h.answers) != 1 || h.answers[0].Upheld || len(h.repaired) != 1 || h.publicity[0].Proposal != "拟予修复" {
		t.Errorf("answers %+v repaired %+v publicity %+v", h.answers, h.repaired, h.publicity)
	}
	if len(h.signals) != 0 || !slices.Equal(h.lookups, []int64{7}) {
		t.Errorf("no listing in force: lookups %v signals %v", h.lookups, h.signals)
	}
}

// The provider lets its opinion deadline lapse: reminded the working day
// before, told at lapse and escalated; the overall limit lapses too and is
// escalated. The case stays open until the late opinion; the subject then
// withdraws.
func TestRepairLapsesEscalate(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, false)
	var during RepairState
	h.stateAt(sh(2025, 3, 7, 12), &during)
	h.at(sh(2025, 3, 18, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: true, Reasons: "同意（逾期）"}, false)
	h.at(sh(2025, 3, 18, 11), RepairWithdraw, WithdrawInput{By: subject, Reason: "另行申请"}, false)
	st := h.run(sh(2025, 3, 3, 9))
	if during.Status != StatusOpen || during.Stage != StageProviderOpinion {
		t.Errorf("after the lapse: %s/%s; want open at provider_opinion", during.Status, during.Stage)
	}
	var rules []string
	for _, e := range h.escalations {
		rules = append(rules, e.Rule+"/"+e.Party)
	}
	want := []string{policy.RepairProviderOpinion + "/provider:2", policy.RepairOverall + "/centre"}
	if !slices.Equal(rules, want) {
		t.Errorf("escalations %v; want %v", rules, want)
	}
	if !h.escalations[0].Since.Equal(sh(2025, 3, 7, 0)) {
		t.Errorf("opinion escalated since %s; want 2025-03-07 00:00 (24:00 of 03-06)", h.escalations[0].Since)
	}
	var reminded, lapsed bool
	for _, n := range h.notices {
		reminded = reminded || (n.Kind == "reminder" && n.Party == "provider:2")
		lapsed = lapsed || (n.Kind == "lapse" && n.Party == "provider:2")
	}
	if !reminded || !lapsed {
		t.Errorf("provider reminded %v, told of lapse %v", reminded, lapsed)
	}
	if st.Status != StatusWithdrawn || st.Outcome != OutcomeWithdrawn {
		t.Errorf("state %s/%s", st.Status, st.Outcome)
	}
	repairDue(t, st, policy.RepairProviderOpinion, "2025-03-06", activities.DeadlineMissed)
}

// One-time notice of missing documents, supplement, acceptance; then the
// subject withdraws during publicity: the notice is withdrawn, every open
// deadline cancelled, the application closed.
func TestRepairSupplementThenWithdrawnDuringPublicity(t *testing.T) {
	h := newRepairHarness(t, sh(2025, 3, 3, 9), eligibleFacts())
	h.at(sh(2025, 3, 3, 10), RepairRequestSupplement, SupplementRequest{By: caseworker, Missing: []string{"罚款缴纳凭证"}}, false)
	h.at(sh(2025, 3, 3, 11), RepairAccept, AcceptInput{By: caseworker}, true)
	h.at(sh(2025, 3, 6, 10), RepairSupplement, RepairSupplementInput{By: subject, Statement: "补交缴款凭证", EvidenceIDs: []int64{13}}, false)
	h.at(sh(2025, 3, 6, 11), RepairRequestSupplement, SupplementRequest{By: caseworker, Missing: []string{"再要一份"}}, true) // once only
	h.at(sh(2025, 3, 6, 12), RepairAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 7, 10), RepairProviderOpinion, OpinionInput{By: provider, Agree: true, Reasons: "同意"}, false)
	h.at(sh(2025, 3, 7, 11), RepairPublish, PublishInput{By: caseworker}, false)
	h.at(sh(2025, 3, 10, 9), RepairWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(sh(2025, 3, 3, 9))
	if st.Status != StatusWithdrawn || st.Stage != StageFinished {
		t.Fatalf("state %s/%s", st.Status, st.Stage)
	}
	var acc []activities.Deadline
	for _, d := range st.Deadlines {
		if d.Rule == policy.RepairAcceptance {
			acc = append(acc, d)
		}
		if d.State == activities.DeadlinePending {
			t.Errorf("deadline %s still pending", d.Rule)
		}
	}
	if len(acc) != 2 || acc[0].State != activities.DeadlineCancelled || acc[1].Due.String() != "2025-03-11" || acc[1].State != activities.DeadlineMet {
		t.Errorf("acceptance deadlines %+v; want the first cancelled, the second (from 03-06) due 2025-03-11 and met", acc)
	}
	if len(h.closed) != 1 || h.closed[0].Status != "withdrawn" || len(h.application) != 1 || h.application[0].Outcome != OutcomeWithdrawn {
		t.Errorf("publicity closed %+v application %+v", h.closed, h.application)
	}
	if !slices.Contains(h.kinds(), string(documents.KindRepairSupplement)) || len(h.repaired) != 0 {
		t.Errorf("documents %v repaired %v", h.kinds(), h.repaired)
	}
}

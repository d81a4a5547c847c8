package workflows

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
)

var (
	caseworker = Actor{Name: "cw.li", Role: "caseworker"}
	subject    = Actor{Name: "subject.1", Role: "subject"}
	provider   = Actor{Name: "prov.tax", Role: "provider"}
	supervisor = Actor{Name: "sup.wang", Role: "supervisor"}
)

// harness runs ObjectionWorkflow in the time-skipping test environment with
// the real deadline arithmetic (calendar + profiles) and records every side
// effect the workflow asks for.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	mu  sync.Mutex
	// side effects, in order
	escalations []activities.Escalation
	suspended   []activities.RecordRef
	outcomes    []activities.OutcomeRequest
	documents   []string
	docRequests []activities.DocumentRequest
	// numbered are the letters numbered in an action (ChangeQuickActions),
	// documents those rendered; renderGate, when set, holds every
	// rendering until it is closed.
	numbered   []string
	renderGate chan struct{}
	notices    []activities.Notice
	settled    map[string]string // rule#seq -> state
	computed   []activities.Deadline
	labelled   int
	calls      []string // SaveCase and RecordEvent, in order
	// cal is the calendar the deadline activities count with (nil = the
	// embedded one); a test swaps it to play an import.
	cal       *calendar.Calendar
	recounted []activities.CaseRecomputed
	// versions are the profile versions the deadline requests asked for.
	versions []string
	// handovers are the hand-overs to the provider written.
	handovers []activities.HandOverRequest
	// failNext makes the next n calls of an activity fail with a data
	// error; stepEscalations and stepResolutions are what was recorded.
	failNext        map[string]int
	stepEscalations []activities.StepEscalation
	stepResolutions []activities.StepResolved
}

// dataError makes the next n calls of activity fail with a non-retryable
// data error (as package dataerror classifies a check violation).
func (h *harness) dataError(activity string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failNext[activity] = n
}

// failing reports (under h.mu) whether this call of activity fails.
func (h *harness) failing(activity string) error {
	if h.failNext[activity] > 0 {
		h.failNext[activity]--
		return temporal.NewNonRetryableApplicationError("a value breaks a check (check violation) (SQLSTATE 23514: constraint records_status_check, table records)",
			"data-constraint", nil)
	}
	return nil
}

// cases returns the real deadline arithmetic over h's calendar.
func (h *harness) cases() *activities.Cases {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &activities.Cases{Calendar: h.cal, Policies: policy.Default()}
}

// setCalendar swaps the calendar, as an import does.
func (h *harness) setCalendar(c *calendar.Calendar) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cal = c
}

func newHarness(t *testing.T, start time.Time) *harness {
	h := &harness{t: t, settled: map[string]string{}, failNext: map[string]int{}}
	var suite testsuite.WorkflowTestSuite
	h.env = newTestEnv(&suite)
	h.env.SetStartTime(start)
	h.env.RegisterWorkflow(ObjectionWorkflow)
	h.env.RegisterActivity(cases)
	h.env.OnActivity(cases.ProfileVersion, mockCtx, mockAny).Return("test", nil)
	h.env.OnActivity(cases.ObjectionRulesOf, mockCtx, mockAny).Return(func(ctx context.Context, r activities.ObjectionRulesRequest) (activities.ObjectionRules, error) {
		r.ProfileVersion = "" // the harness's versions are "test"
		return h.cases().ObjectionRulesOf(ctx, r)
	})
	h.env.OnActivity(cases.SaveCase, mockCtx, mockAny).Return(func(context.Context, activities.CaseRow) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls = append(h.calls, "SaveCase")
		return nil
	})
	h.env.OnActivity(cases.RecordEvent, mockCtx, mockAny).Return(func(_ context.Context, e activities.Event) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls = append(h.calls, "RecordEvent:"+e.Action)
		return nil
	})
	h.env.OnActivity(cases.LabelRecord, mockCtx, mockAny).Return(func(_ context.Context, r activities.LabelRequest) (activities.LabelResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := h.failing("LabelRecord"); err != nil {
			return activities.LabelResult{}, err
		}
		h.labelled++
		return activities.LabelResult{PriorStatus: "active"}, nil
	})
	h.env.OnActivity(cases.ComputeDeadline, mockCtx, mockAny).Return(func(ctx context.Context, r activities.DeadlineRequest) (activities.Deadline, error) {
		d, err := h.cases().Compute(ctx, r)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.computed = append(h.computed, d)
		h.versions = append(h.versions, r.ProfileVersion)
		return d, err
	})
	h.env.OnActivity(cases.RecomputeDeadline, mockCtx, mockAny).Return(func(ctx context.Context, r activities.RecomputeRequest) (activities.RecomputeResult, error) {
		res, err := h.cases().Recount(ctx, r)
		h.mu.Lock()
		h.versions = append(h.versions, r.Request.ProfileVersion)
		if err == nil && res.Changed {
			h.computed = append(h.computed, res.Deadline)
		}
		h.mu.Unlock()
		return res, err
	})
	h.env.OnActivity(cases.MarkCaseRecomputed, mockCtx, mockAny).Return(func(_ context.Context, r activities.CaseRecomputed) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.recounted = append(h.recounted, r)
		return nil
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
	h.env.OnActivity(cases.SuspendPublicQuery, mockCtx, mockAny).Return(func(_ context.Context, r activities.RecordRef) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.suspended = append(h.suspended, r)
		return nil
	})
	h.env.OnActivity(cases.ApplyOutcome, mockCtx, mockAny).Return(func(_ context.Context, r activities.OutcomeRequest) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := h.failing("ApplyOutcome"); err != nil {
			return err
		}
		h.outcomes = append(h.outcomes, r)
		return nil
	})
	h.env.OnActivity(cases.EscalateStep, mockCtx, mockAny).Return(func(_ context.Context, e activities.StepEscalation) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.stepEscalations = append(h.stepEscalations, e)
		return nil
	})
	h.env.OnActivity(cases.ResolveStep, mockCtx, mockAny).Return(func(_ context.Context, r activities.StepResolved) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.stepResolutions = append(h.stepResolutions, r)
		return nil
	})
	h.env.OnActivity(cases.HandOverObjection, mockCtx, mockAny).Return(func(_ context.Context, r activities.HandOverRequest) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.handovers = append(h.handovers, r)
		return nil
	})
	h.env.OnActivity(cases.NumberDocument, mockCtx, mockAny).Return(func(_ context.Context, r activities.DocumentRequest) (activities.DocumentRef, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		// As the real activity: an appeal decision names the reply appealed against.
		if r.Kind == string(documents.KindAppealDecision) && r.Facts["result_number"] == "" {
			return activities.DocumentRef{}, temporal.NewNonRetryableApplicationError("result_number required", "bad-document", nil)
		}
		h.numbered = append(h.numbered, r.Kind)
		return activities.DocumentRef{Kind: r.Kind, Number: r.CaseNo + "-" + itoa(r.Seq)}, nil
	})
	h.env.OnActivity(cases.IssueDocument, mockCtx, mockAny).Return(func(_ context.Context, r activities.DocumentRequest) (activities.DocumentRef, error) {
		if h.renderGate != nil {
			<-h.renderGate
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := h.failing("IssueDocument"); err != nil {
			return activities.DocumentRef{}, err
		}
		// As the real activity: an appeal decision names the reply appealed against.
		if r.Kind == string(documents.KindAppealDecision) && r.Facts["result_number"] == "" {
			return activities.DocumentRef{}, temporal.NewNonRetryableApplicationError("result_number required", "bad-document", nil)
		}
		h.documents = append(h.documents, r.Kind)
		h.docRequests = append(h.docRequests, r)
		return activities.DocumentRef{Kind: r.Kind, Number: r.CaseNo + "-" + itoa(r.Seq)}, nil
	})
	return h
}

var (
	mockCtx = mock.Anything
	mockAny = mock.Anything
)

func itoa(i int) string { return strconv.Itoa(i) }

// at schedules an update at wall time t (Asia/Shanghai) of the test clock;
// the update must be accepted unless wantReject.
func (h *harness) at(t time.Time, name string, arg any, wantReject bool) {
	updateAt(h.t, h.env, t, name, arg, wantReject)
}

func (h *harness) run(in ObjectionInput) ObjectionState {
	h.t.Helper()
	h.env.ExecuteWorkflow(ObjectionWorkflow, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow error: %v", err)
	}
	var st ObjectionState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatal(err)
	}
	return st
}

func sh(y int, m time.Month, d, hh int) time.Time {
	return time.Date(y, m, d, hh, 0, 0, 0, calendar.Shanghai)
}

func input(profile string, received time.Time) ObjectionInput {
	return ObjectionInput{CaseNo: "YY2025-0001", RecordID: 7, SubjectID: 3, ProviderID: 2, ProfileID: profile,
		Grounds: []string{"error"}, Statement: "记录有误", FiledBy: subject, ReceivedAt: received}
}

// deadline returns the last computed deadline of rule.
func deadlineOf(st ObjectionState, rule string) activities.Deadline {
	var out activities.Deadline
	for _, d := range st.Deadlines {
		if d.Rule == rule {
			out = d
		}
	}
	return out
}

func wantDue(t *testing.T, st ObjectionState, rule, due, state string) {
	t.Helper()
	d := deadlineOf(st, rule)
	if d.Due.String() != due || d.State != state {
		t.Errorf("%s: due %s state %s; want %s %s (%s)", rule, d.Due, d.State, due, state, d.Explanation)
	}
}

// Happy path: accepted, forwarded, the provider finds an error, the record
// is corrected, the reply goes out, nobody appeals and the window closes.
func TestObjectionProviderFindsErrorRecordCorrected(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9)) // Monday
	h.at(sh(2025, 3, 3, 11), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 7, 15), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingErrorFound,
		Reasons: "金额录入错误", Correction: map[string]any{"content": "罚款 500 元"}}, false)
	h.at(sh(2025, 3, 10, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeCorrected, Reasons: "经核实予以更正"}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))

	if st.Status != StatusClosed || st.Outcome != OutcomeCorrected || st.Stage != StageFinished {
		t.Fatalf("state %+v", st)
	}
	wantDue(t, st, policy.ObjectionCentreCheck, "2025-03-06", activities.DeadlineMet)
	wantDue(t, st, policy.ObjectionOverall, "2025-03-17", activities.DeadlineMet)
	wantDue(t, st, policy.ObjectionProviderReply, "2025-03-11", activities.DeadlineMet)
	wantDue(t, st, policy.ObjectionApplicantNotify, "2025-03-11", activities.DeadlineMet)
	// 60 calendar days from 2025-03-10: 2025-05-09 (a Friday).
	wantDue(t, st, policy.ObjectionAppealWindow, "2025-05-09", activities.DeadlineMissed)
	if len(h.outcomes) != 1 || h.outcomes[0].Outcome != OutcomeCorrected || h.outcomes[0].Correction["content"] != "罚款 500 元" {
		t.Errorf("outcomes %+v; want one correction with the provider's corrected content", h.outcomes)
	}
	wantDocs := []string{string(documents.KindAcceptance), string(documents.KindVerification), string(documents.KindObjectionResult)}
	if !slices.Equal(h.documents, wantDocs) {
		t.Errorf("documents %v; want %v", h.documents, wantDocs)
	}
	if len(h.escalations) != 0 {
		t.Errorf("escalations %+v; want none", h.escalations)
	}
	if h.labelled != 1 {
		t.Errorf("record labelled %d times", h.labelled)
	}
}

// The centre finds its own error: corrected at once, the applicant told,
// the case closed with outcome corrected.
func TestObjectionOwnErrorCorrectedAtOnce(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入时错登主体",
		Correction: map[string]any{"title": "更正后的标题"}}, false)
	st := h.run(input("anshan", sh(2025, 3, 3, 9)))
	if st.Outcome != OutcomeCorrected {
		t.Fatalf("outcome %q", st.Outcome)
	}
	wantDue(t, st, policy.ObjectionOwnErrorNotify, "2025-03-06", activities.DeadlineMet)
	wantDue(t, st, policy.ObjectionCorrectionPublish, deadlineOf(st, policy.ObjectionCorrectionPublish).Due.String(), activities.DeadlineMet)
	if !slices.Contains(h.documents, string(documents.KindCorrection)) {
		t.Errorf("documents %v lack the correction notice", h.documents)
	}
	if slices.Contains(h.documents, string(documents.KindVerification)) {
		t.Errorf("a verification letter went to the provider on the centre's own error")
	}
}

// Qinzhou: the provider lets its 5 WD lapse. It is reminded the working day
// before, then on lapse the case is escalated and the record leaves public
// query (Qinzhou art. 22); the case stays open until the late reply.
func TestObjectionProviderLapseEscalatesAndSuspendsPublicQuery(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	// provider_reply due 2025-03-10 24:00; the reply comes on 03-12.
	var during ObjectionState
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryObjection)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&during); err != nil {
			t.Fatal(err)
		}
	}, sh(2025, 3, 11, 12).Sub(sh(2025, 3, 3, 9)))
	h.at(sh(2025, 3, 12, 9), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2025, 3, 12, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持原记录"}, false)
	st := h.run(input("qinzhou", sh(2025, 3, 3, 9)))

	if during.Status != StatusOpen || during.Stage != StageProviderVerification {
		t.Errorf("after the lapse the case is %s/%s; want open at provider_verification", during.Status, during.Stage)
	}
	if len(h.escalations) != 1 || h.escalations[0].Rule != policy.ObjectionProviderReply || h.escalations[0].Party != "provider:2" {
		t.Errorf("escalations %+v; want one for the provider's reply", h.escalations)
	}
	if !h.escalations[0].Since.Equal(sh(2025, 3, 11, 0)) {
		t.Errorf("escalated since %s; want 2025-03-11 00:00 (24:00 of 03-10)", h.escalations[0].Since)
	}
	if len(h.suspended) != 1 || h.suspended[0].RecordID != 7 {
		t.Errorf("public query suspended %+v; want once for record 7", h.suspended)
	}
	var reminded, lapseNotice bool
	for _, n := range h.notices {
		reminded = reminded || (n.Kind == "reminder" && n.Party == "provider:2")
		lapseNotice = lapseNotice || (n.Kind == "lapse" && n.Party == "provider:2")
	}
	if !reminded || !lapseNotice {
		t.Errorf("provider reminded %v, told of lapse %v; want both (notices %+v)", reminded, lapseNotice, h.notices)
	}
	if st.Outcome != OutcomeUpheld || deadlineOf(st, policy.ObjectionProviderReply).State != activities.DeadlineMissed {
		t.Errorf("outcome %s, provider deadline %s", st.Outcome, deadlineOf(st, policy.ObjectionProviderReply).State)
	}
}

// Incomplete: one-time notice of everything missing; the subject
// resubmits; the check clock restarts from the complete submission.
func TestObjectionIncompleteSupplementThenAccepted(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionRequestSupplement, SupplementRequest{By: caseworker, Missing: []string{"身份证明", "证据材料"}}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionAccept, AcceptInput{By: caseworker}, true) // not while awaiting supplement
	h.at(sh(2025, 3, 10, 10), ObjectionSupplement, SupplementInput{By: subject, Statement: "补交材料"}, false)
	h.at(sh(2025, 3, 10, 11), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 10, 12), ObjectionWithdraw, WithdrawInput{By: subject, Reason: "已与提供单位沟通"}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	var checks []activities.Deadline
	for _, d := range st.Deadlines {
		if d.Rule == policy.ObjectionCentreCheck {
			checks = append(checks, d)
		}
	}
	if len(checks) != 2 || checks[0].State != activities.DeadlineCancelled || checks[1].Due.String() != "2025-03-13" {
		t.Fatalf("centre checks %+v; want the first cancelled and a new one due 2025-03-13", checks)
	}
	if !slices.Contains(h.documents, string(documents.KindSupplement)) || st.Status != StatusWithdrawn {
		t.Errorf("documents %v, status %s", h.documents, st.Status)
	}
}

// A clock pause (expert test) moves every running working-day deadline by
// the working days it lasted; a head-approved extension adds 3 WD to the
// overall limit, once.
func TestObjectionPauseAndExtensionMoveDeadlines(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionPause, PauseInput{By: caseworker, Kind: "expert_test", Reason: "笔迹鉴定", Approver: "主任"}, false)
	h.at(sh(2025, 3, 4, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, true) // refused while paused
	h.at(sh(2025, 3, 11, 10), ObjectionResume, ResumeInput{By: caseworker}, false)           // 5 WD paused (03-05..03-11)
	h.at(sh(2025, 3, 11, 11), ObjectionExtend, ExtendInput{By: caseworker, Reason: "案情复杂", Approver: "主任"}, false)
	h.at(sh(2025, 3, 11, 12), ObjectionExtend, ExtendInput{By: caseworker, Reason: "再延", Approver: "主任"}, true)
	h.at(sh(2025, 3, 11, 13), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	// overall: 10 WD from 03-03 = 03-17; +5 paused = 03-24; +3 extension = 03-27.
	var overall []string
	for _, d := range st.Deadlines {
		if d.Rule == policy.ObjectionOverall {
			overall = append(overall, d.Due.String()+"/"+d.State)
		}
	}
	want := []string{"2025-03-17/superseded", "2025-03-24/superseded", "2025-03-27/cancelled"}
	if !slices.Equal(overall, want) {
		t.Errorf("overall deadlines %v; want %v", overall, want)
	}
	// centre_check: 3 WD from 03-03 = 03-06; +5 = 03-13.
	wantDue(t, st, policy.ObjectionCentreCheck, "2025-03-13", activities.DeadlineCancelled)

	// Each party learns of it: the pause and why, then every date that
	// moved with the old date, the new one and why (ChangeClockNotices).
	var told []string
	for _, n := range h.notices {
		switch n.Kind {
		case "case.paused", "deadline.lengthened":
			told = append(told, n.Party+": "+n.Message)
		}
	}
	for i, want := range []string{
		"subject: 异议处理案件YY2025-0001：因检验鉴定（笔迹鉴定），本案自2025年3月4日起中止计时。",
		"centre: 异议处理案件YY2025-0001：因检验鉴定（笔迹鉴定），本案自2025年3月4日起中止计时。",
		"centre: 异议处理案件YY2025-0001：因本案自2025年3月4日起中止计时、于2025年3月11日恢复计时，中止期间不计入期限，异议核查期限的届满日由2025年3月6日顺延至2025年3月13日（星期四）24时。",
		"subject: 异议处理案件YY2025-0001：因本案自2025年3月4日起中止计时、于2025年3月11日恢复计时，中止期间不计入期限，异议核查期限的届满日由2025年3月6日顺延至2025年3月13日（星期四）24时。",
		"centre: 异议处理案件YY2025-0001：因本案自2025年3月4日起中止计时、于2025年3月11日恢复计时，中止期间不计入期限，异议处理期限的届满日由2025年3月17日顺延至2025年3月24日（星期一）24时。",
		"subject: 异议处理案件YY2025-0001：因本案自2025年3月4日起中止计时、于2025年3月11日恢复计时，中止期间不计入期限，异议处理期限的届满日由2025年3月17日顺延至2025年3月24日（星期一）24时。",
		"centre: 异议处理案件YY2025-0001：因负责人批准延长办理期限（案情复杂），异议处理期限的届满日由2025年3月24日顺延至2025年3月27日（星期四）24时。",
		"subject: 异议处理案件YY2025-0001：因负责人批准延长办理期限（案情复杂），异议处理期限的届满日由2025年3月24日顺延至2025年3月27日（星期四）24时。",
	} {
		if i >= len(told) || !strings.HasPrefix(told[i], want) {
			t.Errorf("notice %d:\n got %q\nwant %q…", i, at(told, i), want)
		}
	}
	if len(told) != 8 {
		t.Errorf("%d notices of the pause, resumption and extension; want 8: %q", len(told), told)
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// Appeal (申诉): the supervisors overturn an upheld outcome; the record is
// corrected after all and a decision letter goes out.
func TestObjectionAppealOverturned(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 9), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeDeleted, Reasons: "x"}, true) // deleted needs unverifiable
	h.at(sh(2025, 3, 4, 11), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持"}, false)
	h.at(sh(2025, 3, 20, 10), ObjectionAppeal, AppealInput{By: subject, Grounds: "提供单位未核对原始凭证"}, false)
	h.at(sh(2025, 4, 1, 10), ObjectionDecideAppeal, AppealDecisionInput{By: supervisor, Decision: AppealOverturned,
		Outcome: OutcomeCorrected, Reasons: "原始凭证显示金额有误", Correction: map[string]any{"content": "更正"}}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	if st.Outcome != OutcomeCorrected || st.AppealOutcome != AppealOverturned || st.Stage != StageFinished {
		t.Fatalf("state %+v", st)
	}
	if len(h.outcomes) != 2 || h.outcomes[0].Outcome != OutcomeUpheld || h.outcomes[1].Outcome != OutcomeCorrected || h.outcomes[1].Step != "appeal" {
		t.Errorf("outcomes %+v", h.outcomes)
	}
	if h.documents[len(h.documents)-1] != string(documents.KindAppealDecision) {
		t.Errorf("last document %s; want the appeal decision", h.documents[len(h.documents)-1])
	}
	// 03-04 + 60 days = 05-03, a Saturday inside 劳动节 (05-01..05-05): the
	// window ends on the next working day (民法典 art. 203).
	wantDue(t, st, policy.ObjectionAppealWindow, "2025-05-06", activities.DeadlineMet)
}

// Spring Festival 2026: an objection received on Friday 2026-02-13 has its
// 3 WD check due 2026-02-25 (02-14 Sat is a make-up working day; 02-15..23
// off) and its 10 WD overall limit due 2026-03-05 when accepted the same day
// (02-28 Sat is the second make-up working day).
func TestObjectionAcrossSpringFestival(t *testing.T) {
	h := newHarness(t, sh(2026, 2, 13, 9))
	h.at(sh(2026, 2, 13, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	var st ObjectionState
	h.env.RegisterDelayedCallback(func() {
		v, _ := h.env.QueryWorkflow(QueryObjection)
		_ = v.Get(&st)
	}, time.Hour*2)
	h.at(sh(2026, 2, 13, 12), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	h.run(input("nantong", sh(2026, 2, 13, 9)))
	wantDue(t, st, policy.ObjectionCentreCheck, "2026-02-25", activities.DeadlinePending)
	if d := deadlineOf(st, policy.ObjectionCentreCheck); !d.DueAt.Equal(sh(2026, 2, 26, 0)) {
		t.Errorf("centre check due at %s; want 2026-02-26 00:00 +08:00", d.DueAt)
	}
	wantDue(t, st, policy.ObjectionOverall, "2026-03-05", activities.DeadlinePending)
}

// calendarWith2027 is the embedded calendar with the test 2027 schedule of
// internal/rules/testdata (春节 off 02-05..02-11, Sun 01-31 a working day).
func calendarWith2027(t *testing.T) *calendar.Calendar {
	t.Helper()
	files, err := calendar.EmbeddedFiles()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../internal/rules/testdata/calendar/cn/2027.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := calendar.Compile(append(files, calendar.File{Key: "cn/2027.json", Origin: "test 2027", Data: b}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A calendar import reaches a running case: its provisional deadline is
// recounted on the published schedule (a new seq superseding the old, both
// kept), the subject is told the corrected date, the case reports itself
// done to the recompute run; a deadline the change does not move stays as
// it is (only its calendar version follows).
func TestObjectionRecomputesOnCalendarChange(t *testing.T) {
	h := newHarness(t, sh(2027, 2, 1, 9))
	h.at(sh(2027, 2, 1, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	published := calendarWith2027(t)
	h.env.RegisterDelayedCallback(func() {
		h.setCalendar(published)
		h.env.SignalWorkflow(SignalCalendarChanged, CalendarChange{Revision: 2, Note: "2027 notice"})
	}, 2*time.Hour)
	// The run retried: the same revision signalled again.
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalCalendarChanged, CalendarChange{Revision: 2, Note: "2027 notice"})
	}, 150*time.Minute)
	h.at(sh(2027, 2, 1, 12), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2027, 2, 1, 9)))
	var overall []activities.Deadline
	for _, d := range st.Deadlines {
		if d.Rule == policy.ObjectionOverall {
			overall = append(overall, d)
		}
	}
	// 10 WD from Mon 02-01: provisionally 02-05 (除夕), 02-08 (初三) and the
	// 补假 02-09, 02-10 are off: due Fri 02-19. Published: 02-05..02-11 off
	// and Sat 02-20 a working day: due Sat 02-20.
	if len(overall) != 2 || overall[0].State != activities.DeadlineSuperseded {
		t.Fatalf("overall deadlines %+v; want the provisional one superseded", overall)
	}
	if o, n := overall[0], overall[1]; o.Due.String() != "2027-02-19" || !o.Provisional || n.Due.String() != "2027-02-20" || n.Provisional {
		t.Errorf("overall %s (provisional %v) -> %s (provisional %v); want 2027-02-19 provisional -> 2027-02-20 published", o.Due, o.Provisional, n.Due, n.Provisional)
	}
	// Told in the reader's words: the limit's name and both dates, never
	// the rule's identifier.
	var told bool
	for _, n := range h.notices {
		if n.Kind == "deadline.corrected" && n.Party == activities.PartySubject {
			told = told || strings.Contains(n.Message, "异议处理期限的届满日由2027年2月19日更正为2027年2月20日")
			if strings.Contains(n.Message, policy.ObjectionOverall) || strings.Contains(n.Message, "calendar") {
				t.Errorf("inbox message in Chinese names a rule id or English words: %s", n.Message)
			}
		}
	}
	if !told {
		t.Errorf("the subject was not told the corrected date; notices %+v", h.notices)
	}
	if len(h.recounted) != 2 || h.recounted[0].Revision != 2 || h.recounted[0].Moved < 1 || h.recounted[1].Moved != 0 {
		t.Errorf("recompute run told %+v; want revision 2 with the moved deadlines, then nothing moved", h.recounted)
	}
	// One deadline correction notice for revision 2, however often it is
	// signalled, naming the moved overall limit (seq 1 superseded by 2).
	var corrections []activities.DocumentRequest
	for _, r := range h.docRequests {
		if r.Kind == string(documents.KindDeadlineCorrection) {
			corrections = append(corrections, r)
		}
	}
	if len(corrections) != 1 {
		t.Fatalf("%d deadline correction notices; want 1 (documents %v)", len(corrections), h.documents)
	}
	if c := corrections[0]; c.Facts["revision"] != "2" || !slices.Contains(c.Lists["moved"], policy.ObjectionOverall+"#1#2") {
		t.Errorf("correction notice facts %v, moved %v; want revision 2 and %s#1#2", c.Facts, c.Lists["moved"], policy.ObjectionOverall)
	}
	if !slices.Contains(h.calls, "RecordEvent:deadline.recomputed") {
		t.Error("no deadline.recomputed event")
	}
}

// A calendar change that moves the provider's verification reply gives the
// provider its own deadline correction notice (期限更正通知书 addressed to
// it), naming only its own deadline, besides the subject's notice of every
// moved date; the provider is told in its inbox too. Without
// ChangeProviderCorrectionNotice the provider had the inbox message only.
func TestProviderGetsItsOwnCorrectionNotice(t *testing.T) {
	h := newHarness(t, sh(2027, 2, 1, 9))
	h.at(sh(2027, 2, 1, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2027, 2, 1, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	published := calendarWith2027(t)
	h.env.RegisterDelayedCallback(func() {
		h.setCalendar(published)
		h.env.SignalWorkflow(SignalCalendarChanged, CalendarChange{Revision: 2, Note: "2027 notice"})
	}, 3*time.Hour)
	// The run retried: the same revision again issues nothing more.
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalCalendarChanged, CalendarChange{Revision: 2, Note: "2027 notice"})
	}, 4*time.Hour)
	h.at(sh(2027, 2, 1, 14), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2027, 2, 1, 9)))
	var reply []activities.Deadline
	for _, d := range st.Deadlines {
		if d.Rule == policy.ObjectionProviderReply {
			reply = append(reply, d)
		}
	}
	// 5 WD from Mon 02-01: provisionally 02-02..02-04, 02-11, 02-12 (02-05,
	// 02-08..02-10 off); published 02-05..02-11 off: 02-02..02-04, 02-12, 02-15.
	if len(reply) != 2 || reply[0].Due.String() != "2027-02-12" || reply[1].Due.String() != "2027-02-15" {
		t.Fatalf("provider reply deadlines %+v; want 2027-02-12 superseded by 2027-02-15", reply)
	}
	provider := activities.PartyProvider(input("nantong", sh(2027, 2, 1, 9)).ProviderID)
	moved := policy.ObjectionProviderReply + "#1#2"
	var subjectLetters, providerLetters []activities.DocumentRequest
	for _, r := range h.docRequests {
		switch r.Kind {
		case string(documents.KindDeadlineCorrection):
			subjectLetters = append(subjectLetters, r)
		case string(documents.KindProviderDeadlineCorrection):
			providerLetters = append(providerLetters, r)
		}
	}
	if len(subjectLetters) != 1 || !slices.Contains(subjectLetters[0].Lists["moved"], moved) {
		t.Errorf("subject's correction notices %+v; want one naming %s among the moved dates", subjectLetters, moved)
	}
	if len(providerLetters) != 1 {
		t.Fatalf("%d provider correction notices; want 1 (documents %v)", len(providerLetters), h.documents)
	}
	if p := providerLetters[0]; p.Facts["revision"] != "2" || !slices.Equal(p.Lists["moved"], []string{moved}) {
		t.Errorf("provider's notice facts %v, moved %v; want revision 2 and only %s (not the centre's limits)", p.Facts, p.Lists["moved"], moved)
	}
	if documents.KindProviderDeadlineCorrection.Recipient() != documents.RoleProvider {
		t.Errorf("the provider's notice is addressed to %s", documents.KindProviderDeadlineCorrection.Recipient())
	}
	var told bool
	for _, n := range h.notices {
		told = told || (n.Party == provider && n.Kind == "deadline.corrected" && strings.Contains(n.Message, "2027年2月15日"))
	}
	if !told {
		t.Errorf("the provider was not told in its inbox; notices %+v", h.notices)
	}
}

// A case keeps the profile version it was registered with: the worker has
// another version loaded now (the ProfileVersion activity answers "test"),
// yet every deadline of the case, including those computed after a
// calendar change, is asked for at the case's own version.
func TestObjectionKeepsItsProfileVersion(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalCalendarChanged, CalendarChange{Revision: 4, Note: "x"}) }, 2*time.Hour)
	h.at(sh(2025, 3, 3, 12), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	in := input("nantong", sh(2025, 3, 3, 9))
	in.ProfileVersion = "2026.1+opened"
	h.run(in)
	if len(h.versions) < 2 {
		t.Fatalf("deadline requests %v", h.versions)
	}
	for _, v := range h.versions {
		if v != "2026.1+opened" {
			t.Errorf("deadline asked at profile version %q; want the case's 2026.1+opened (requests %v)", v, h.versions)
		}
	}
}

// The same change signalled twice (a retried run) moves nothing the second
// time: recounting is idempotent.
func TestObjectionRecomputeIsIdempotent(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	for _, after := range []time.Duration{2 * time.Hour, 3 * time.Hour} {
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalCalendarChanged, CalendarChange{Revision: 5, Note: "same"}) }, after)
	}
	h.at(sh(2025, 3, 3, 14), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	for _, d := range st.Deadlines {
		if d.Seq != 1 || d.State == activities.DeadlineSuperseded {
			t.Errorf("deadline %s#%d %s after an unchanged calendar", d.Rule, d.Seq, d.State)
		}
	}
	if len(h.recounted) != 2 {
		t.Errorf("recounted %d times, want 2", len(h.recounted))
	}
}

// A signal in the earlier format (a bare note) is still understood.
func TestCalendarChangeReadsBareNote(t *testing.T) {
	var c CalendarChange
	if err := json.Unmarshal([]byte(`"2025 notice amended"`), &c); err != nil || c.Note != "2025 notice amended" || c.Revision != 0 {
		t.Errorf("bare note: %+v, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`{"revision":3,"note":"x"}`), &c); err != nil || c.Revision != 3 || c.Note != "x" {
		t.Errorf("object: %+v, %v", c, err)
	}
}

// Actions in the wrong stage are refused by the validators and change nothing.
func TestObjectionRefusesActionsOutOfStage(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "x"}, true)
	h.at(sh(2025, 3, 3, 10), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "x"}, true)
	h.at(sh(2025, 3, 3, 10), ObjectionRequestSupplement, SupplementRequest{By: caseworker}, true) // nothing listed
	h.at(sh(2025, 3, 3, 10), ObjectionAppeal, AppealInput{By: subject, Grounds: "x"}, true)
	h.at(sh(2025, 3, 3, 11), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	if st.Status != StatusWithdrawn || len(h.outcomes) != 1 || h.outcomes[0].Outcome != OutcomeWithdrawn {
		t.Fatalf("state %+v outcomes %+v", st, h.outcomes)
	}
}

// An update sent together with the start (the API opens a case and acts at
// once) waits until the case is on file: the case row is written before any
// event of the update.
func TestObjectionUpdateWithTheStartWaitsForTheCaseFile(t *testing.T) {
	start := sh(2025, 3, 3, 9)
	h := newHarness(t, start)
	h.at(start, ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(start.Add(time.Hour), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	h.run(input("nantong", start))
	want := []string{"SaveCase", "RecordEvent:objection.filed", "SaveCase", "RecordEvent:objection.accepted"}
	if len(h.calls) < len(want) || !slices.Equal(h.calls[:len(want)], want) {
		t.Fatalf("calls %v; want them to begin %v", h.calls, want)
	}
}

// An appeal against a case the centre closed as its own error is decided
// like any other: the correction notice is the reply appealed against.
func TestObjectionAppealAfterOwnErrorIsDecided(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入错误",
		Correction: map[string]any{"title": "更正后的标题"}}, false)
	h.at(sh(2025, 3, 10, 10), ObjectionAppeal, AppealInput{By: subject, Grounds: "更正不完整"}, false)
	h.at(sh(2025, 3, 12, 10), ObjectionDecideAppeal, AppealDecisionInput{By: supervisor, Decision: AppealUpheld, Reasons: "更正完整"}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	if st.Stage != StageFinished || st.AppealOutcome != AppealUpheld {
		t.Fatalf("state %+v", st)
	}
	if h.documents[len(h.documents)-1] != string(documents.KindAppealDecision) {
		t.Errorf("documents %v; want the appeal decision last", h.documents)
	}
}

// A correction naming a field that cannot be corrected, or a value a field
// does not take, is refused by the validator instead of stalling the case.
func TestObjectionRefusesUncorrectableCorrections(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "x",
		Correction: map[string]any{"subject_id": "9"}}, true)
	h.at(sh(2025, 3, 3, 11), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "x",
		Correction: map[string]any{"severity": "catastrophic"}}, true)
	h.at(sh(2025, 3, 3, 12), ObjectionWithdraw, WithdrawInput{By: subject}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	if st.Status != StatusWithdrawn || len(h.outcomes) != 1 {
		t.Fatalf("state %+v outcomes %+v", st, h.outcomes)
	}
}

// Anshan art. 10: an applicant who still disagrees after the provider's
// verification has the case handed to the provider. The hand-over is
// refused without reasons, then carried out: the provider and the
// applicant are told, the appeal window is met by it, and the case ends at
// once (not when the window would have lapsed); neither a second hand-over
// nor an appeal is possible after it.
func TestObjectionDisagreementHandedOverToProvider(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 9), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2025, 3, 4, 11), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持"}, false)
	refusedAt(t, h.env, sh(2025, 3, 10, 9), ObjectionHandOver, HandOverInput{By: subject, Reasons: "  "}, RefusedInput,
		func(d Refusal) bool { return len(d.Fields) == 1 && d.Fields[0].Field == "reasons" })
	h.at(sh(2025, 3, 10, 10), ObjectionHandOver, HandOverInput{By: subject, Reasons: "税款已于处罚前缴清，提供单位未核对缴款凭证"}, false)
	in := input("anshan", sh(2025, 3, 3, 9))
	in.DisagreementHandover = true
	st := h.run(in)

	if st.Stage != StageFinished || st.Outcome != OutcomeUpheld || st.HandedOver == "" || !st.HandedOverAt.Equal(sh(2025, 3, 10, 10)) {
		t.Fatalf("state %+v; want finished, upheld, handed over on 03-10 10:00", st)
	}
	if now := h.env.Now(); now.After(sh(2025, 3, 11, 0)) {
		t.Errorf("the case ran until %s; want it to end at the hand-over", now)
	}
	wantDue(t, st, policy.ObjectionAppealWindow, "2025-05-06", activities.DeadlineMet)
	if len(h.handovers) != 1 || h.handovers[0].ProviderID != 2 || h.handovers[0].Finding != FindingAccurate ||
		h.handovers[0].Outcome != OutcomeUpheld || h.handovers[0].RecordID != 7 || h.handovers[0].ProfileID != "anshan" {
		t.Errorf("hand-overs %+v; want one to provider 2 of record 7 (accurate, upheld)", h.handovers)
	}
	told := map[string]bool{}
	for _, n := range h.notices {
		if n.Kind == "handover" {
			told[n.Party] = true
		}
	}
	if !told[activities.PartyProvider(2)] || !told[activities.PartySubject] {
		t.Errorf("hand-over notices to %v; want the provider and the applicant", told)
	}
	if !slices.Contains(h.calls, "RecordEvent:objection.handed_over") {
		t.Errorf("events %v; want objection.handed_over", h.calls)
	}
}

// After the hand-over neither a second one nor an appeal is taken.
func TestObjectionNothingAfterHandOver(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 9), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2025, 3, 4, 11), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持"}, false)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(ObjectionHandOver, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("hand-over rejected: %v", err) },
			OnAccept: func() {
				// Sent while the first runs: both are refused for the stage.
				refusedAt(t, h.env, h.env.Now(), ObjectionHandOver, HandOverInput{By: subject, Reasons: "再次"}, RefusedWrongStage, func(Refusal) bool { return true })
				refusedAt(t, h.env, h.env.Now(), ObjectionAppeal, AppealInput{By: subject, Grounds: "申诉"}, RefusedWrongStage, func(Refusal) bool { return true })
			},
			OnComplete: func(any, error) {},
		}, HandOverInput{By: subject, Reasons: "仍有异议"})
	}, sh(2025, 3, 10, 10).Sub(sh(2025, 3, 3, 9)))
	in := input("anshan", sh(2025, 3, 3, 9))
	in.DisagreementHandover = true
	st := h.run(in)
	if st.Stage != StageFinished || st.Appeal != "" || len(h.handovers) != 1 {
		t.Fatalf("state %+v, hand-overs %d; want finished by one hand-over, no appeal", st, len(h.handovers))
	}
}

// A profile without the hand-over (Nantong: the appeal to the credit
// authority instead, art. 33) refuses it naming the setting, the profile
// and the step that applies; the appeal is then taken. In a hand-over
// profile, a result the provider never verified (the centre's own error)
// is not handed over either.
func TestObjectionHandOverRefusedWhereTheProfileSaysAppeal(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 3, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 9), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2025, 3, 4, 11), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持"}, false)
	refusedAt(t, h.env, sh(2025, 3, 10, 9), ObjectionHandOver, HandOverInput{By: subject, Reasons: "仍有异议"}, RefusedNoHandover, func(d Refusal) bool {
		return d.Rule == SettingDisagreementHandover && d.Profile == "nantong" && d.Instead == ObjectionAppeal && d.Stage == StageClosed
	})
	h.at(sh(2025, 3, 10, 10), ObjectionAppeal, AppealInput{By: subject, Grounds: "仍有异议"}, false)
	h.at(sh(2025, 3, 20, 10), ObjectionDecideAppeal, AppealDecisionInput{By: supervisor, Decision: AppealUpheld, Reasons: "维持"}, false)
	st := h.run(input("nantong", sh(2025, 3, 3, 9)))
	if st.HandedOver != "" || st.Appeal == "" || len(h.handovers) != 0 {
		t.Fatalf("state %+v, hand-overs %+v; want the appeal, no hand-over", st, h.handovers)
	}

	h = newHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2025, 3, 4, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入错误", Correction: map[string]any{"content": "更正"}}, false)
	refusedAt(t, h.env, sh(2025, 3, 10, 9), ObjectionHandOver, HandOverInput{By: subject, Reasons: "仍有异议"}, RefusedNoHandover, func(d Refusal) bool {
		return d.Rule == "" && d.Profile == "anshan" && d.Instead == ObjectionAppeal
	})
	in := input("anshan", sh(2025, 3, 3, 9))
	in.DisagreementHandover = true
	st = h.run(in)
	if st.HandedOver != "" || len(h.handovers) != 0 || st.Outcome != OutcomeCorrected {
		t.Fatalf("state %+v; want the correction standing, nothing handed over", st)
	}
}

// A caseworker's action answers once its letter is numbered and dated
// (issue 20.2, ChangeQuickActions): the PDF is rendered after the update
// has returned, under the number the update fixed, and the workflow ends
// only when every letter is rendered.
func TestActionAnswersBeforeItsLetterIsRendered(t *testing.T) {
	h := newHarness(t, sh(2025, 3, 3, 9))
	h.renderGate = make(chan struct{})
	answered := false
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(ObjectionAccept, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("accept rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(res any, err error) {
				defer close(h.renderGate) // the rendering may go on now
				if err != nil {
					t.Errorf("accept failed: %v", err)
					return
				}
				h.mu.Lock()
				defer h.mu.Unlock()
				answered = true
				if !slices.Equal(h.numbered, []string{string(documents.KindAcceptance)}) {
					t.Errorf("numbered when the action answered: %v; want the acceptance notice", h.numbered)
				}
				if len(h.documents) != 0 {
					t.Errorf("rendered before the action answered: %v", h.documents)
				}
				if st, ok := res.(ObjectionState); ok && !slices.Equal(st.Documents, []string{"XY-1"}) {
					t.Errorf("the answer lists letters %v; want the acceptance notice's number XY-1", st.Documents)
				}
			},
		}, AcceptInput{By: caseworker})
	}, 2*time.Hour)
	h.at(sh(2025, 3, 4, 10), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2025, 3, 7, 15), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2025, 3, 10, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "经核实维持"}, false)
	in := input("nantong", sh(2025, 3, 3, 9))
	in.CaseNo = "XY"
	st := h.run(in)
	if !answered {
		t.Fatal("the acceptance never answered")
	}
	want := []string{string(documents.KindAcceptance), string(documents.KindVerification), string(documents.KindObjectionResult)}
	if !slices.Equal(h.numbered, want) || !slices.Equal(h.documents, want) {
		t.Errorf("numbered %v, rendered %v; want each %v", h.numbered, h.documents, want)
	}
	if !slices.Equal(st.Documents, []string{"XY-1", "XY-2", "XY-3"}) {
		t.Errorf("letters %v; want XY-1..3, each numbered once", st.Documents)
	}
	for i, r := range h.docRequests {
		if r.Seq != i+1 || r.IssuedAt.IsZero() {
			t.Errorf("rendering %d asked for seq %d issued %v", i, r.Seq, r.IssuedAt)
		}
	}
}

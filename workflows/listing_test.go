package workflows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// listingHarness is the objection harness (deadlines computed for real,
// side effects recorded) with the listing activities added.
type listingHarness struct {
	*harness
	rows []activities.ListingRow
	// hearingTables counts the earliest-hearing-day tables worked out.
	hearingTables int
}

func newListingHarness(t *testing.T, start time.Time) *listingHarness {
	h := &listingHarness{harness: newHarness(t, start)}
	h.env.RegisterWorkflow(ListingWorkflow)
	h.env.OnActivity(cases.ValidateProposal, mockCtx, mockAny).Return(func(_ context.Context, c activities.ProposalCheck) (activities.ListingBounds, error) {
		if slices.Contains(c.RecordIDs, 404) {
			return activities.ListingBounds{}, temporal.NewNonRetryableApplicationError("listing proposal refused: record 404: not found", "invalid-proposal", nil)
		}
		return activities.Bounds(policy.Default(), c.ProfileID)
	})
	h.env.OnActivity(cases.SaveListing, mockCtx, mockAny).Return(func(_ context.Context, r activities.ListingRow) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := h.failing("SaveListing"); err != nil {
			return err
		}
		h.rows = append(h.rows, r)
		return nil
	})
	h.env.OnActivity(cases.Compute, mockCtx, mockAny).Return(func(ctx context.Context, r activities.DeadlineRequest) (activities.Deadline, error) {
		return h.cases().Compute(ctx, r)
	})
	h.env.OnActivity(cases.HearingNoticeDays, mockCtx, mockAny).Return(func(ctx context.Context, r activities.HearingDaysRequest) (activities.HearingDays, error) {
		h.mu.Lock()
		h.hearingTables++
		h.mu.Unlock()
		return h.cases().HearingNoticeDays(ctx, r)
	})
	h.env.OnActivity(cases.FixDeadline, mockCtx, mockAny).Return(func(_ context.Context, f activities.FixedDeadline) (activities.Deadline, error) {
		return activities.Deadline{Rule: f.Rule, Seq: f.Seq, Party: f.Party, Start: f.Start, Due: f.Due, DueAt: f.Due.End(),
			Explanation: f.Explanation, Source: f.Source, OnLapse: f.OnLapse, State: activities.DeadlinePending}, nil
	})
	h.env.OnActivity(cases.ComputePeriodEnd, mockCtx, mockAny).Return(func(ctx context.Context, r activities.PeriodEndRequest) (activities.Deadline, error) {
		d, err := h.cases().PeriodEnd(ctx, r)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.computed = append(h.computed, d)
		return d, err
	})
	return h
}

// proposal: three measures with joint punishment, 3 years, two records.
func proposal(at time.Time) ListingInput {
	return ListingInput{ProposalNo: "LB-2025-000001", SubjectID: 3, ProviderID: 2, ProfileID: "nantong", RecordIDs: []int64{7, 8},
		Reasons: "拒不履行法定义务，情节严重", LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"},
		Measures: []string{"public_disclosure", "procurement_ban", "subsidy_ban"}, JointPunishment: true,
		Period: ListingPeriod{Length: 3, Unit: "year"}, ProposedBy: provider, ProposedAt: at}
}

// runListing runs to completion or continue-as-new; it returns the final
// state, or the input of the next run (nil when the case finished).
func (h *listingHarness) runListing(in ListingInput) (ListingState, *ListingInput) {
	h.t.Helper()
	h.env.ExecuteWorkflow(ListingWorkflow, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		var next ListingInput
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
			h.t.Fatal(err)
		}
		if can.WorkflowType.Name != "ListingWorkflow" || next.Carry == nil {
			h.t.Fatalf("continued as %s with carry %v", can.WorkflowType.Name, next.Carry)
		}
		return next.Carry.State, &next
	}
	if err != nil {
		h.t.Fatalf("workflow error: %v", err)
	}
	var st ListingState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		h.t.Fatal(err)
	}
	return st, nil
}

func (h *listingHarness) lastRow() activities.ListingRow {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rows[len(h.rows)-1]
}

func deadlineIn(ds []activities.Deadline, rule string) activities.Deadline {
	var out activities.Deadline
	for _, d := range ds {
		if d.Rule == rule {
			out = d
		}
	}
	return out
}

var served = ServiceInput{By: caseworker, Method: ServiceInPerson, ServedAt: sh(2025, 3, 3, 10), Note: "当面送达，当事人签收"}

// listed runs a proposal to a listing without representation and returns
// the input of the listed run (continue-as-new).
func listed(t *testing.T) *ListingInput {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 11, 10), ListingDecide, ListingDecision{By: caseworker, List: true,
		Measures: []string{"public_disclosure", "procurement_ban", "subsidy_ban"}, JointPunishment: true,
		Period: ListingPeriod{Length: 3, Unit: "year"}, Reasons: "事实清楚，证据确凿"}, false)
	_, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next == nil {
		t.Fatal("listing did not continue as new")
	}
	return next
}

// No representation: the window (5 WD from service on Mon 03-03: due Mon
// 03-10) lapses, "no representation" is recorded, the decision lists for
// the proposed 3 years, the entry is published, the decision letter and
// the repair notice go out together, and the listed phase continues as new.
func TestListingNoRepresentationThenListed(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 10), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "x"}, true) // not before service
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 11, 10), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"迟到的意见"}}, true) // window closed
	h.at(sh(2025, 3, 11, 11), ListingDecide, ListingDecision{By: caseworker, List: true,
		Measures: []string{"public_disclosure", "procurement_ban", "subsidy_ban"}, JointPunishment: true,
		Period: ListingPeriod{Length: 3, Unit: "year"}, Reasons: "事实清楚，证据确凿"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next == nil {
		t.Fatal("the listed phase did not continue as new")
	}
	if st.Stage != StageListed || st.Outcome != OutcomeListed || st.Representation != "none" {
		t.Fatalf("state %s/%s representation %q", st.Stage, st.Outcome, st.Representation)
	}
	rep := deadlineIn(st.Deadlines, policy.ListingRepresentation)
	if rep.Due.String() != "2025-03-10" || rep.State != activities.DeadlineMissed {
		t.Errorf("representation window due %s %s; want 2025-03-10 lapsed (%s)", rep.Due, rep.State, rep.Explanation)
	}
	// 3 years from 2025-03-11 is Sat 2028-03-11: the next working day.
	end := deadlineIn(st.Deadlines, activities.RulePeriodEnd)
	if st.RemovalDue != "2028-03-13" || end.Due.String() != "2028-03-13" || end.State != activities.DeadlinePending {
		t.Errorf("removal due %s, period end %s %s; want 2028-03-13 pending", st.RemovalDue, end.Due, end.State)
	}
	// The decision and the repair notice are numbered together and
	// rendered in the background, in either order.
	wantDocs := []string{string(documents.KindListingNotice), string(documents.KindListingDecision), string(documents.KindListingRepairNotice)}
	gotDocs := slices.Clone(h.documents)
	if len(gotDocs) == 3 {
		slices.Sort(gotDocs[1:])
	}
	if slices.Sort(wantDocs[1:]); !slices.Equal(gotDocs, wantDocs) {
		t.Errorf("documents %v; want %v", h.documents, wantDocs)
	}
	row := h.lastRow()
	if row.Status != activities.ListingListed || !row.JointPunishment || row.RemovalDue != "2028-03-13" || row.Period != "3年" {
		t.Errorf("projection %+v", row)
	}
	if !slices.Contains(h.calls, "RecordEvent:listing.no_representation") || !slices.Contains(h.calls, "RecordEvent:listing.decision_served") {
		t.Errorf("events %v lack no_representation or decision_served", h.calls)
	}
	if next.Carry.DocSeq != 3 || next.Carry.MinMonths != 12 || next.Carry.MaxMonths != 36 || next.Carry.Runs != 1 {
		t.Errorf("carry %+v", next.Carry)
	}
}

// The listed phase after continue-as-new sleeps to the end of the period
// (3 years) and then removes the entry, stops disclosure and archives it.
func TestListingExpiresAfterThreeYearsInTheContinuedRun(t *testing.T) {
	next := listed(t)
	h := newListingHarness(t, next.Carry.State.ListedAt)
	st, again := h.runListing(*next)
	if again != nil {
		t.Fatal("the continued run continued again without a suggestion")
	}
	if st.Stage != StageFinished || st.Outcome != OutcomeRemoved || st.RemovalReason != RemovalExpired || st.Status != StatusClosed {
		t.Fatalf("state %s/%s reason %s", st.Stage, st.Outcome, st.RemovalReason)
	}
	if !st.RemovedAt.Equal(sh(2028, 3, 14, 0)) {
		t.Errorf("removed at %s; want 2028-03-14 00:00 (24:00 of the last day)", st.RemovedAt)
	}
	if d := deadlineIn(st.Deadlines, activities.RulePeriodEnd); d.State != activities.DeadlineMet {
		t.Errorf("period end %s; want met", d.State)
	}
	row := h.lastRow()
	if row.Status != activities.ListingRemoved || row.RemovalReason != RemovalExpired {
		t.Errorf("projection %+v", row)
	}
	if !slices.Equal(h.documents, []string{string(documents.KindListingRemoval)}) {
		t.Errorf("documents %v; want the removal decision", h.documents)
	}
	if h.settled[activities.RulePeriodEnd+"#1"] != activities.DeadlineMet {
		t.Errorf("settled %v", h.settled)
	}
}

// Representation adopted in full: not listed, closed, told in writing.
func TestListingRepresentationAdoptedNotListed(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 5, 10), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"罚款已全额缴纳"}, Evidence: []string{"缴款凭证"}}, false)
	h.at(sh(2025, 3, 7, 10), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"已整改完毕"}}, false)
	h.at(sh(2025, 3, 7, 11), ListingAnswer, AnswerInput{By: provider, Answers: []Answer{{PointID: "P1", Adopted: true, Reasons: "x"}}}, true) // not yet in review
	h.at(sh(2025, 3, 11, 10), ListingAnswer, AnswerInput{By: provider, Answers: []Answer{
		{PointID: "P1", Adopted: true, Reasons: "经核实已缴纳"}, {PointID: "P2", Adopted: true, Reasons: "现场核查已整改"}}}, false)
	h.at(sh(2025, 3, 11, 11), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "当事人已履行义务，不予列入"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next != nil {
		t.Fatal("a case not listed continued as new")
	}
	if st.Outcome != OutcomeNotListed || st.Status != StatusClosed || st.Stage != StageFinished || st.Representation != "statements" {
		t.Fatalf("state %s/%s/%s representation %s", st.Status, st.Stage, st.Outcome, st.Representation)
	}
	if len(st.Points) != 2 || st.Points[1].ID != "P2" || !st.Points[1].Answer.Adopted {
		t.Errorf("points %+v", st.Points)
	}
	if h.documents[len(h.documents)-1] != string(documents.KindListingNotListed) {
		t.Errorf("documents %v; want the not-listed decision last", h.documents)
	}
	if h.lastRow().Status != activities.ListingNotListed {
		t.Errorf("projection status %s", h.lastRow().Status)
	}
}

// Partly adopted: listed with a lighter measure, without joint punishment,
// for a shorter period.
func TestListingPartlyAdoptedListedLighter(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 5, 10), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"不应限制申请财政资金", "失信行为已纠正"}}, false)
	h.at(sh(2025, 3, 6, 10), ListingWaive, WaiveInput{By: subject, Reason: "无其他意见"}, false)
	h.at(sh(2025, 3, 6, 11), ListingAnswer, AnswerInput{By: caseworker, Answers: []Answer{
		{PointID: "P1", Adopted: true, Reasons: "与失信行为无直接关联"}, {PointID: "P2", Adopted: false, Reasons: "未提供整改证明"}}}, false)
	h.at(sh(2025, 3, 6, 12), ListingDecide, ListingDecision{By: caseworker, List: true,
		Measures: []string{"public_disclosure", "procurement_ban"}, Period: ListingPeriod{Length: 2, Unit: "year"}, Reasons: "部分采纳"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next == nil || st.Stage != StageListed {
		t.Fatalf("stage %s, continued %v", st.Stage, next != nil)
	}
	if !slices.Equal(st.Measures, []string{"public_disclosure", "procurement_ban"}) || st.JointPunishment || st.Period.Months() != 24 {
		t.Errorf("listed with %v joint %v period %+v", st.Measures, st.JointPunishment, st.Period)
	}
	row := h.lastRow()
	if len(row.Measures) != 2 || row.JointPunishment || row.Period != "2年" {
		t.Errorf("projection %+v", row)
	}
	// 2 years from Thu 2025-03-06: Mon 2027-03-08 (03-06 is a Saturday).
	if st.RemovalDue != "2027-03-08" {
		t.Errorf("removal due %s", st.RemovalDue)
	}
}

// A hearing: the window closes, the hearing is scheduled and its record
// attached before anything is decided; points raised there are answered.
func TestListingHearingRequested(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingRequestHearing, HearingRequest{By: subject, Reason: "对事实认定有异议"}, false)
	h.at(sh(2025, 3, 4, 11), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"x"}}, true)
	h.at(sh(2025, 3, 4, 12), ListingRecordHearing, HearingRecord{By: caseworker, Summary: "x"}, true) // not scheduled
	h.at(sh(2025, 3, 4, 13), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "x"}, true)
	// Notified Wed 03-05: 7 WD end Fri 03-14, so the hearing may be held
	// from Sat 03-15 (held on Mon 03-17 here): a schedule on 03-14 is
	// refused by the validator (it never enters history), naming the rule,
	// the profile and the earliest day.
	h.refused(sh(2025, 3, 5, 10), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 14, 9), Place: "第一听证室"},
		RefusedTooSoon, func(d Refusal) bool {
			return d.Rule == policy.ListingHearingNotice && d.Profile == "nantong" && d.PossibleFrom.Equal(sh(2025, 3, 15, 0)) &&
				len(d.Fields) == 1 && d.Fields[0].Field == "at" && d.Fields[0].Code == "notice_too_short" && strings.Contains(d.Fields[0].ZH, "2025-03-15")
		})
	// A notice said to have reached the party before the hearing was asked for.
	h.refused(sh(2025, 3, 5, 10), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 28, 9), Place: "第一听证室",
		NotifiedAt: sh(2025, 3, 3, 12)}, RefusedInput, func(d Refusal) bool { return len(d.Fields) == 1 && d.Fields[0].Field == "notified_at" })
	// A calendar change while the hearing is awaited works the table out again.
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalCalendarChanged, "2025 schedule republished")
	}, sh(2025, 3, 5, 9).Sub(sh(2025, 3, 3, 9)))
	h.at(sh(2025, 3, 5, 10), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 17, 9), Place: "第一听证室"}, false)
	h.at(sh(2025, 3, 17, 8), ListingRecordHearing, HearingRecord{By: caseworker, Summary: "尚未举行"}, true)
	h.at(sh(2025, 3, 17, 12), ListingRecordHearing, HearingRecord{By: caseworker, Summary: "听证笔录：当事人陈述处罚决定正在复议",
		Points: []string{"处罚决定正在行政复议中"}}, false)
	h.at(sh(2025, 3, 17, 13), ListingAnswer, AnswerInput{By: caseworker, Answers: []Answer{{PointID: "P1", Adopted: false, Reasons: "复议期间不停止执行"}}}, false)
	h.at(sh(2025, 3, 17, 14), ListingDecide, ListingDecision{By: caseworker, List: true, Measures: []string{"public_disclosure"},
		JointPunishment: true, Period: ListingPeriod{Length: 1, Unit: "year"}, Reasons: "听证意见不予采纳"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next == nil || !st.HearingRequested || !st.HearingRecorded || st.Points[0].Source != "hearing" {
		t.Fatalf("state %+v", st)
	}
	if d := deadlineIn(st.Deadlines, policy.ListingRepresentation); d.State != activities.DeadlineMet {
		t.Errorf("representation window %s; want met by the hearing request", d.State)
	}
	if d := deadlineIn(st.Deadlines, policy.ListingHearingRequest); d.State != activities.DeadlineMet || d.Due.String() != "2025-03-10" {
		t.Errorf("hearing request window %s due %s; want met, due 2025-03-10", d.State, d.Due)
	}
	if d := deadlineIn(st.Deadlines, RuleHearing); d.State != activities.DeadlineMet || d.Due.String() != "2025-03-17" {
		t.Errorf("hearing deadline %s at %s; want met at the hearing", d.State, d.DueAt)
	}
	if h.hearingTables != 2 {
		t.Errorf("earliest hearing days worked out %d times; want at the request and after the calendar change", h.hearingTables)
	}
	if !st.HearingNotifiedAt.Equal(sh(2025, 3, 5, 10)) {
		t.Errorf("hearing notified at %s", st.HearingNotifiedAt)
	}
	if n := slices.Index(h.documents, string(documents.KindListingHearingNotice)); n < 0 {
		t.Errorf("no hearing notice letter: %v", h.documents)
	}
	var scheduled bool
	for _, n := range h.notices {
		scheduled = scheduled || (n.Party == activities.PartySubject && n.Kind == "hearing")
	}
	if !scheduled {
		t.Errorf("subject not told of the hearing: %+v", h.notices)
	}
}

// Waiver: the review begins at once, without waiting for the window.
func TestListingWaiveGoesStraightToReview(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingWaive, WaiveInput{By: subject}, false)
	h.at(sh(2025, 3, 4, 11), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"x"}}, true)
	h.at(sh(2025, 3, 4, 12), ListingDecide, ListingDecision{By: caseworker, List: true, Measures: []string{"public_disclosure"},
		Period: ListingPeriod{Length: 1, Unit: "year"}, Reasons: "放弃陈述申辩"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next == nil || st.Representation != "waived" || !st.ListedAt.Equal(sh(2025, 3, 4, 12)) {
		t.Fatalf("representation %s listed at %s", st.Representation, st.ListedAt)
	}
	if d := deadlineIn(st.Deadlines, policy.ListingRepresentation); d.State != activities.DeadlineMet {
		t.Errorf("window %s; want met by the waiver", d.State)
	}
}

// A decision is refused while any representation point is unanswered.
func TestListingDecisionRefusedWhileUnanswered(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingSubmitStatement, StatementInput{By: subject, Points: []string{"一", "二"}}, false)
	h.at(sh(2025, 3, 4, 11), ListingWaive, WaiveInput{By: subject}, false)
	h.at(sh(2025, 3, 4, 12), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "x"}, true)
	h.at(sh(2025, 3, 4, 13), ListingAnswer, AnswerInput{By: caseworker, Answers: []Answer{{PointID: "P1", Adopted: true, Reasons: "理由"}}}, false)
	h.at(sh(2025, 3, 4, 14), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "x"}, true)
	h.at(sh(2025, 3, 4, 15), ListingAnswer, AnswerInput{By: caseworker, Answers: []Answer{{PointID: "P9", Adopted: true, Reasons: "理由"}}}, true)
	h.at(sh(2025, 3, 4, 16), ListingAnswer, AnswerInput{By: caseworker, Answers: []Answer{{PointID: "P2", Adopted: false}}}, true) // no reasons
	h.at(sh(2025, 3, 4, 17), ListingAnswer, AnswerInput{By: caseworker, Answers: []Answer{{PointID: "P2", Adopted: false, Reasons: "理由"}}}, false)
	h.at(sh(2025, 3, 4, 18), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "x"}, false)
	st, _ := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if st.Outcome != OutcomeNotListed {
		t.Fatalf("outcome %s", st.Outcome)
	}
	if n := len(slices.DeleteFunc(slices.Clone(h.calls), func(s string) bool { return s != "RecordEvent:listing.decided" })); n != 1 {
		t.Errorf("%d decisions recorded; want 1", n)
	}
}

// A decision heavier than the proposal is refused: a measure not proposed,
// joint punishment not proposed, a longer period (行政处罚法 art. 45); so
// is a period outside the profile's bounds.
func TestListingHarsherThanProposedRefused(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	in := proposal(sh(2025, 3, 3, 9))
	in.Measures, in.JointPunishment, in.Period = []string{"public_disclosure", "procurement_ban"}, false, ListingPeriod{Length: 2, Unit: "year"}
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingWaive, WaiveInput{By: subject}, false)
	base := ListingDecision{By: caseworker, List: true, Measures: []string{"public_disclosure"}, Period: ListingPeriod{Length: 2, Unit: "year"}, Reasons: "r"}
	more := base
	more.Measures = []string{"public_disclosure", "consumption_limit"}
	joint := base
	joint.JointPunishment = true
	longer := base
	longer.Period = ListingPeriod{Length: 25, Unit: "month"}
	short := base
	short.Period = ListingPeriod{Length: 6, Unit: "month"}
	h.at(sh(2025, 3, 4, 11), ListingDecide, more, true)
	h.at(sh(2025, 3, 4, 12), ListingDecide, joint, true)
	h.at(sh(2025, 3, 4, 13), ListingDecide, longer, true)
	h.at(sh(2025, 3, 4, 14), ListingDecide, short, true)
	h.at(sh(2025, 3, 4, 15), ListingDecide, base, false)
	st, next := h.runListing(in)
	if next == nil || !slices.Equal(st.Measures, []string{"public_disclosure"}) || st.Period.Months() != 24 {
		t.Fatalf("listed %v %+v", st.Measures, st.Period)
	}
}

// The basis is revoked: removal is due within 3 WD; the deadline lapses
// and is escalated, then the entry is removed.
func TestListingRevokedBasisRemovalDeadline(t *testing.T) {
	next := listed(t)
	h := newListingHarness(t, next.Carry.State.ListedAt)
	h.at(sh(2025, 3, 12, 10), ListingRevokeBasis, RevokeBasisInput{By: caseworker, Reason: "处罚决定被复议撤销",
		Instrument: "通政复决字〔2025〕第12号", RevokedAt: sh(2025, 3, 12, 9)}, false)
	var during ListingState
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryListing)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Get(&during); err != nil {
			t.Fatal(err)
		}
	}, sh(2025, 3, 13, 9).Sub(next.Carry.State.ListedAt))
	h.at(sh(2025, 3, 18, 10), ListingRemove, RemoveInput{By: supervisor, Reason: "依据已撤销"}, false)
	st, again := h.runListing(*next)
	if again != nil {
		t.Fatal("continued as new")
	}
	if during.Stage != StageRemovalDue || during.RemovalDue != "2028-03-13" {
		t.Errorf("during: stage %s", during.Stage)
	}
	d := deadlineIn(st.Deadlines, policy.ListingRevokedRemoval)
	if d.Due.String() != "2025-03-17" || d.State != activities.DeadlineMissed {
		t.Errorf("revoked removal due %s %s; want 2025-03-17 missed", d.Due, d.State)
	}
	if len(h.escalations) != 1 || h.escalations[0].Rule != policy.ListingRevokedRemoval {
		t.Errorf("escalations %+v", h.escalations)
	}
	if st.RemovalReason != RemovalRevoked || st.Outcome != OutcomeRemoved {
		t.Errorf("removed for %s, outcome %s", st.RemovalReason, st.Outcome)
	}
	if e := deadlineIn(st.Deadlines, activities.RulePeriodEnd); e.State != activities.DeadlineCancelled {
		t.Errorf("period end %s; want cancelled", e.State)
	}
}

// An approved repair removes the entry early; a signal about another
// record changes nothing.
func TestListingEarlyRemovalByRepairSignal(t *testing.T) {
	next := listed(t)
	h := newListingHarness(t, next.Carry.State.ListedAt)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalListingRepaired, ListingRepaired{RepairCaseNo: "XF-2026-000001", RecordID: 99, At: sh(2026, 3, 20, 10)})
	}, sh(2026, 3, 20, 10).Sub(next.Carry.State.ListedAt))
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalListingRepaired, ListingRepaired{RepairCaseNo: "XF-2026-000002", RecordID: 8, At: sh(2026, 3, 23, 10)})
	}, sh(2026, 3, 23, 10).Sub(next.Carry.State.ListedAt))
	st, again := h.runListing(*next)
	if again != nil {
		t.Fatal("continued as new")
	}
	if st.RemovalReason != RemovalRepaired || st.RepairCaseNo != "XF-2026-000002" || !st.RemovedAt.Equal(sh(2026, 3, 23, 10)) {
		t.Fatalf("removed %s by %s at %s", st.RemovalReason, st.RepairCaseNo, st.RemovedAt)
	}
	if !slices.Contains(h.calls, "RecordEvent:listing.repair_signal_ignored") {
		t.Errorf("the signal for record 99 was not recorded as ignored: %v", h.calls)
	}
	if h.lastRow().Status != activities.ListingRemoved {
		t.Errorf("projection %+v", h.lastRow())
	}
}

// The recorded listing histories (replayed by TestReplayRecordedHistories)
// cover both runs: the first ends by continuing as new once listed, the
// second starts from the carried state and ends with the removal.
func TestListingRecordedHistoriesCoverContinueAsNew(t *testing.T) {
	listedRun, err := os.ReadFile(filepath.Join("testdata", "histories", "listing_listed.json"))
	if err != nil {
		t.Fatal(err)
	}
	removedRun, err := os.ReadFile(filepath.Join("testdata", "histories", "listing_removed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(listedRun), "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW") {
		t.Error("listing_listed.json does not end by continuing as new")
	}
	if !strings.Contains(string(removedRun), "continuedExecutionRunId") || !strings.Contains(string(removedRun), "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED") {
		t.Error("listing_removed.json is not a continued run that completed")
	}
}

// A calendar change in the listed phase recomputes the end of the period
// through the calendar (not as a profile rule); both values are kept and
// the entry is removed on the recomputed day.
func TestListingPeriodEndRecomputedOnCalendarChange(t *testing.T) {
	next := listed(t)
	h := newListingHarness(t, next.Carry.State.ListedAt)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalCalendarChanged, "2028 schedule published") }, 24*time.Hour)
	st, again := h.runListing(*next)
	if again != nil {
		t.Fatal("continued as new")
	}
	var ends []string
	for _, d := range st.Deadlines {
		if d.Rule == activities.RulePeriodEnd {
			ends = append(ends, itoa(d.Seq)+"/"+d.Due.String()+"/"+d.State)
		}
	}
	want := []string{"1/2028-03-13/superseded", "2/2028-03-13/met"}
	if !slices.Equal(ends, want) {
		t.Errorf("period ends %v; want %v", ends, want)
	}
	if st.RemovalReason != RemovalExpired || !st.RemovedAt.Equal(sh(2028, 3, 14, 0)) {
		t.Errorf("removed %s at %s", st.RemovalReason, st.RemovedAt)
	}
	if !slices.Contains(h.calls, "RecordEvent:deadline.recomputed") {
		t.Errorf("no recomputation event: %v", h.calls)
	}
}

// The basis revoked before the decision: nothing is listed, the window is
// cancelled, and the subject gets the not-listed letter.
func TestListingBasisRevokedBeforeDecisionDropsProposal(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 5, 10), ListingRevokeBasis, RevokeBasisInput{By: caseworker, Reason: "处罚决定被撤销", Instrument: "通政复决字〔2025〕第3号"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next != nil || st.Outcome != OutcomeNotListed || st.Status != StatusClosed {
		t.Fatalf("state %s/%s", st.Status, st.Outcome)
	}
	if d := deadlineIn(st.Deadlines, policy.ListingRepresentation); d.State != activities.DeadlineCancelled {
		t.Errorf("window %s; want cancelled", d.State)
	}
	if h.documents[len(h.documents)-1] != string(documents.KindListingNotListed) || h.lastRow().Status != activities.ListingNotListed {
		t.Errorf("documents %v, projection %s", h.documents, h.lastRow().Status)
	}
}

// A proposal the worker finds invalid (records changed since the API
// checked) fails the case, and its row no longer blocks the records.
func TestListingInvalidProposalFailsAndFreesTheRecords(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	in := proposal(sh(2025, 3, 3, 9))
	in.RecordIDs = []int64{7, 404}
	h.env.ExecuteWorkflow(ListingWorkflow, in)
	var ae *temporal.ApplicationError
	if err := h.env.GetWorkflowError(); !errors.As(err, &ae) || ae.Type() != "invalid-proposal" {
		t.Fatalf("workflow error %v; want invalid-proposal", err)
	}
	if row := h.lastRow(); row.Status != activities.ListingNotListed {
		t.Errorf("projection status %s; want not_listed", row.Status)
	}
	if len(h.documents) != 0 {
		t.Errorf("documents %v issued for an invalid proposal", h.documents)
	}
}

// A revocation is dated honestly (issue 19.4): not before the listing
// decision, not in the future, learned not before it took effect; the
// removal limit runs from when the centre learned of it, and both dates
// are kept.
func TestListingRevocationDatedHonestly(t *testing.T) {
	next := listed(t)
	h := newListingHarness(t, next.Carry.State.ListedAt)
	revoke := RevokeBasisInput{By: caseworker, Reason: "处罚决定被复议撤销", Instrument: "通政复决字〔2025〕第12号"}
	before := revoke
	before.RevokedAt = sh(2025, 3, 10, 9) // the listing decision was on 03-11
	h.at(sh(2025, 3, 14, 10), ListingRevokeBasis, before, true)
	future := revoke
	future.RevokedAt, future.LearnedAt = sh(2025, 3, 12, 9), sh(2025, 3, 15, 9)
	h.at(sh(2025, 3, 14, 10), ListingRevokeBasis, future, true)
	backwards := revoke
	backwards.RevokedAt, backwards.LearnedAt = sh(2025, 3, 12, 9), sh(2025, 3, 11, 12)
	h.at(sh(2025, 3, 14, 10), ListingRevokeBasis, backwards, true)
	ok := revoke
	ok.RevokedAt, ok.LearnedAt = sh(2025, 3, 12, 9), sh(2025, 3, 14, 9)
	h.at(sh(2025, 3, 14, 11), ListingRevokeBasis, ok, false)
	h.at(sh(2025, 3, 19, 10), ListingRemove, RemoveInput{By: supervisor, Reason: "依据已撤销"}, false)
	st, _ := h.runListing(*next)
	// 3 WD from Friday 03-14 (the day the centre learned): 03-19, met.
	d := deadlineIn(st.Deadlines, policy.ListingRevokedRemoval)
	if d.Due.String() != "2025-03-19" || d.State != activities.DeadlineMet || !d.Start.Equal(ok.LearnedAt) {
		t.Errorf("revoked removal: start %s due %s %s; want from 03-14, due 2025-03-19, met", d.Start, d.Due, d.State)
	}
	if !st.BasisRevokedAt.Equal(ok.RevokedAt) || !st.BasisLearnedAt.Equal(ok.LearnedAt) || st.RemovalReason != RemovalRevoked {
		t.Errorf("state: revoked %s learned %s reason %s", st.BasisRevokedAt, st.BasisLearnedAt, st.RemovalReason)
	}
	if len(h.escalations) != 0 {
		t.Errorf("escalated %+v", h.escalations)
	}
}

// fails sends update name at instant at and wants it accepted by the
// validator and refused by its handler with a refusal of type kind whose
// details pass ok.
func (h *listingHarness) fails(at time.Time, name string, arg any, kind string, ok func(Refusal) bool) {
	t := h.t
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) {
				t.Errorf("%s at %s rejected by the validator: %v", name, at.Format(time.DateTime), err)
			},
			OnAccept: func() {},
			OnComplete: func(_ any, err error) {
				var ae *temporal.ApplicationError
				var d Refusal
				if !errors.As(err, &ae) || ae.Type() != kind || ae.Details(&d) != nil || !ok(d) {
					t.Errorf("%s at %s: %v (details %+v), want a %s refusal by the handler", name, at.Format(time.DateTime), err, d, kind)
				}
			},
		}, arg)
	}, at.Sub(h.env.Now()))
}

// refused sends update name at instant at and fails the test unless the
// validator refuses it with a refusal of type kind whose details pass ok.
func (h *listingHarness) refused(at time.Time, name string, arg any, kind string, ok func(Refusal) bool) {
	refusedAt(h.t, h.env, at, name, arg, kind, ok)
}

// 行政处罚法 art. 64 on the timer paths: the hearing request period ends
// five working days after the notice (a request then is refused although
// nothing else closed it); a scheduled hearing is a deadline, and one that
// passes without its record reminds the centre.
func TestListingHearingDeadlines(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	// Served Mon 03-03: the request period ends Mon 03-10 24:00.
	h.at(sh(2025, 3, 11, 9), ListingRequestHearing, HearingRequest{By: subject}, true)
	h.at(sh(2025, 3, 11, 10), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "不予列入"}, false)
	st, _ := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if d := deadlineIn(st.Deadlines, policy.ListingHearingRequest); d.Due.String() != "2025-03-10" || d.State != activities.DeadlineMissed {
		t.Errorf("hearing request period due %s %s", d.Due, d.State)
	}

	h = newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingRequestHearing, HearingRequest{By: subject}, false)
	h.at(sh(2025, 3, 4, 11), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 20, 9), Place: "第二听证室",
		NotifiedAt: sh(2025, 3, 4, 9)}, false)
	// Moved: the first hearing deadline is cancelled, the second awaited.
	h.at(sh(2025, 3, 6, 10), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 21, 9), Place: "第二听证室"}, false)
	h.at(sh(2025, 3, 24, 10), ListingRecordHearing, HearingRecord{By: caseworker, Summary: "听证笔录", HeldAt: sh(2025, 3, 21, 9)}, false)
	h.at(sh(2025, 3, 24, 11), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "不予列入"}, false)
	st, _ = h.runListing(proposal(sh(2025, 3, 3, 9)))
	var hearings []activities.Deadline
	for _, d := range st.Deadlines {
		if d.Rule == RuleHearing {
			hearings = append(hearings, d)
		}
	}
	if len(hearings) != 2 || hearings[0].State != activities.DeadlineCancelled || hearings[1].State != activities.DeadlineMissed ||
		hearings[1].Due.String() != "2025-03-21" {
		t.Fatalf("hearing deadlines %+v", hearings)
	}
	reminded := false
	for _, n := range h.notices {
		reminded = reminded || (n.Party == activities.PartyCentre && n.Kind == "lapse" && strings.Contains(n.Message, wording.RuleName(RuleHearing, wording.ZH)))
	}
	if !reminded {
		t.Errorf("the centre was not reminded of the unrecorded hearing: %+v", h.notices)
	}
}

// A case whose hearing was requested before ChangeHearingDays has no
// table of earliest days: a schedule too soon passes the validator and is
// refused by the handler, with the same typed refusal (rule, profile,
// earliest day), and nothing is scheduled.
func TestListingHearingTooSoonBeforeHearingDays(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.env.OnGetVersion(ChangeHearingDays, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingRequestHearing, HearingRequest{By: subject, Reason: "对事实认定有异议"}, false)
	h.fails(sh(2025, 3, 5, 10), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 14, 9), Place: "第一听证室"},
		RefusedTooSoon, func(d Refusal) bool {
			return d.Rule == policy.ListingHearingNotice && d.Profile == "nantong" && d.PossibleFrom.Equal(sh(2025, 3, 15, 0)) &&
				len(d.Fields) == 1 && d.Fields[0].Code == "notice_too_short"
		})
	var after ListingState
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryListing)
		if err == nil {
			err = v.Get(&after)
		}
		if err != nil {
			t.Error(err)
		}
	}, sh(2025, 3, 5, 11).Sub(sh(2025, 3, 3, 9)))
	h.at(sh(2025, 3, 5, 12), ListingScheduleHearing, HearingSchedule{By: caseworker, At: sh(2025, 3, 17, 9), Place: "第一听证室"}, false)
	h.at(sh(2025, 3, 17, 12), ListingRecordHearing, HearingRecord{By: caseworker, Summary: "听证笔录", HeldAt: sh(2025, 3, 17, 9)}, false)
	h.at(sh(2025, 3, 18, 10), ListingDecide, ListingDecision{By: caseworker, List: false, Reasons: "不予列入"}, false)
	h.runListing(proposal(sh(2025, 3, 3, 9)))
	if h.hearingTables != 0 || !after.HearingAt.IsZero() || deadlineIn(after.Deadlines, RuleHearing).Rule != "" {
		t.Errorf("tables %d, hearing at %s after the refusal; want no table and nothing scheduled", h.hearingTables, after.HearingAt)
	}
}

// A provider withdraws its proposal before the decision (issue 19.5): the
// window is cancelled, nothing is listed, the subject gets the withdrawal
// letter; once listed, a withdrawal is refused.
func TestListingProposalWithdrawn(t *testing.T) {
	h := newListingHarness(t, sh(2025, 3, 3, 9))
	h.at(sh(2025, 3, 3, 11), ListingRecordService, served, false)
	h.at(sh(2025, 3, 4, 10), ListingWithdraw, WithdrawProposalInput{By: provider}, true) // no reasons
	h.at(sh(2025, 3, 4, 11), ListingWithdraw, WithdrawProposalInput{By: provider, Reasons: "当事人已全部履行处罚决定"}, false)
	st, next := h.runListing(proposal(sh(2025, 3, 3, 9)))
	if next != nil || st.Outcome != OutcomeWithdrawn || st.Status != StatusWithdrawn || st.Stage != StageFinished {
		t.Fatalf("after withdrawal: %s/%s/%s", st.Stage, st.Status, st.Outcome)
	}
	for _, d := range st.Deadlines {
		if d.State == activities.DeadlinePending {
			t.Errorf("deadline %s still pending", d.Rule)
		}
	}
	if row := h.lastRow(); row.Status != activities.ListingWithdrawn {
		t.Errorf("projection %s", row.Status)
	}
	if !slices.Contains(h.documents, string(documents.KindListingWithdrawn)) {
		t.Errorf("no withdrawal letter: %v", h.documents)
	}

	next2 := listed(t)
	h = newListingHarness(t, next2.Carry.State.ListedAt)
	h.at(sh(2025, 3, 12, 10), ListingWithdraw, WithdrawProposalInput{By: provider, Reasons: "x"}, true)
	h.at(sh(2025, 3, 12, 11), ListingRemove, RemoveInput{By: supervisor, Reason: "结束测试"}, false)
	h.runListing(*next2)
}

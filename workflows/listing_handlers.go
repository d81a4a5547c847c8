package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

func (l *listing) setHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryListing, func() (ListingState, error) { return l.st, nil }); err != nil {
		return err
	}
	if err := l.cf.setEscalationHandler(ctx); err != nil {
		return err
	}
	l.cf.listenCalendar(ctx)
	state := func() ListingState { return l.st }
	windowOpen := func(action string) error {
		if err := l.cf.stageError(action, ListingStages[action]...); err != nil {
			return err
		}
		if l.cf.pending(policy.ListingRepresentation) == nil {
			return refuse(RefusedWindowClosed, action+" refused: the representation window has closed", Refusal{Action: action, Stage: l.st.Stage, WindowEnded: l.cf.lastDue(policy.ListingRepresentation)})
		}
		return nil
	}
	regs := []func() error{
		func() error {
			return caseUpdate(ctx, l.cf, ListingRecordService, state, func(in ServiceInput) error {
				if err := l.cf.stageError(ListingRecordService, ListingStages[ListingRecordService]...); err != nil {
					return err
				}
				if !slices.Contains([]string{ServiceInPerson, ServicePost, ServiceElectronic, ServiceAnnouncement}, in.Method) {
					return invalid(ListingRecordService, badField("method", "enum", "送达方式应为 in_person（直接送达）、post（邮寄）、electronic（电子）或 announcement（公告）", "must be in_person, post, electronic or announcement"))
				}
				if in.ServedAt.IsZero() {
					return invalid(ListingRecordService, badField("served_at", "required", "请填写送达时间", "required"))
				}
				if in.ServedAt.After(workflow.Now(ctx)) || in.ServedAt.Before(l.cf.openedAt) {
					return invalid(ListingRecordService, badField("served_at", "range", "送达时间应在提请之后、现在之前", "must lie between the proposal and now"))
				}
				return actorRequired(ListingRecordService, in.By)
			}, l.recordService)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingSubmitStatement, state, func(in StatementInput) error {
				if err := windowOpen(ListingSubmitStatement); err != nil {
					return err
				}
				if len(in.Points) == 0 || slices.ContainsFunc(in.Points, func(s string) bool { return strings.TrimSpace(s) == "" }) {
					return invalid(ListingSubmitStatement, badField("points", "required", "至少一项陈述申辩意见，每项不能为空", "at least one statement, none empty"))
				}
				return actorRequired(ListingSubmitStatement, in.By)
			}, l.submitStatement)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingRequestHearing, state, func(in HearingRequest) error {
				if err := windowOpen(ListingRequestHearing); err != nil {
					return err
				}
				// 行政处罚法 art. 64(一): within five days of the notice.
				if l.hearingLaw && l.cf.pending(policy.ListingHearingRequest) == nil {
					return refuse(RefusedWindowClosed, "request-hearing refused: the hearing request period has ended",
						Refusal{Action: ListingRequestHearing, Stage: l.st.Stage, WindowEnded: l.cf.lastDue(policy.ListingHearingRequest)})
				}
				return actorRequired(ListingRequestHearing, in.By)
			}, l.requestHearing)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingScheduleHearing, state, func(in HearingSchedule) error {
				if err := l.cf.stageError(ListingScheduleHearing, ListingStages[ListingScheduleHearing]...); err != nil {
					return err
				}
				if in.At.IsZero() {
					return invalid(ListingScheduleHearing, badField("at", "required", "请填写听证时间", "required"))
				}
				if l.hearingLaw {
					now := workflow.Now(ctx)
					if in.NotifiedAt.After(now) {
						return invalid(ListingScheduleHearing, badField("notified_at", "range", "听证通知送达时间不能晚于现在", "must not be in the future"))
					}
					if !in.At.After(now) {
						return invalid(ListingScheduleHearing, badField("at", "range", "听证时间应晚于现在", "must be in the future"))
					}
					if err := l.noticeLongEnough(in, now); err != nil {
						return err
					}
				}
				if err := actorRequired(ListingScheduleHearing, in.By); err != nil {
					return err
				}
				return required(ListingScheduleHearing, field{"place", in.Place})
			}, l.scheduleHearing)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingRecordHearing, state, func(in HearingRecord) error {
				if err := l.cf.stageError(ListingRecordHearing, ListingStages[ListingRecordHearing]...); err != nil {
					return err
				}
				if l.st.HearingAt.IsZero() {
					return refuse(RefusedWrongStage, "record-hearing refused: no hearing scheduled", Refusal{Action: ListingRecordHearing, Stage: l.st.Stage, AllowedStages: []string{StageHearing}})
				}
				if l.hearingLaw {
					held := in.HeldAt
					if held.IsZero() {
						held = workflow.Now(ctx)
					}
					at := l.st.HearingAt.In(calendar.Shanghai).Format("2006-01-02 15:04")
					if held.Before(l.st.HearingAt) {
						return invalid(ListingRecordHearing, badField("held_at", "before_hearing",
							"听证定于 "+at+" 举行，听证笔录不能早于听证时间提交", "the hearing is scheduled for "+at+": its record cannot be filed before then"))
					}
					if held.After(workflow.Now(ctx)) {
						return invalid(ListingRecordHearing, badField("held_at", "range", "听证时间不能晚于现在", "must not be in the future"))
					}
				}
				if slices.ContainsFunc(in.Points, func(s string) bool { return strings.TrimSpace(s) == "" }) {
					return invalid(ListingRecordHearing, badField("points", "required", "听证中提出的意见每项不能为空", "none may be empty"))
				}
				if err := actorRequired(ListingRecordHearing, in.By); err != nil {
					return err
				}
				return required(ListingRecordHearing, field{"summary", in.Summary})
			}, l.recordHearing)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingWaive, state, func(in WaiveInput) error {
				if err := windowOpen(ListingWaive); err != nil {
					return err
				}
				return actorRequired(ListingWaive, in.By)
			}, l.waive)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingAnswer, state, func(in AnswerInput) error {
				if err := l.cf.stageError(ListingAnswer, ListingStages[ListingAnswer]...); err != nil {
					return err
				}
				if len(in.Answers) == 0 {
					return invalid(ListingAnswer, badField("answers", "required", "至少答复一项意见", "at least one answer"))
				}
				for i, a := range in.Answers {
					if !slices.ContainsFunc(l.st.Points, func(p Point) bool { return p.ID == a.PointID }) {
						return invalid(ListingAnswer, badField(fmt.Sprintf("answers[%d].point_id", i), "unknown", fmt.Sprintf("没有意见 %q", a.PointID), fmt.Sprintf("no point %q", a.PointID)))
					}
					if strings.TrimSpace(a.Reasons) == "" {
						return invalid(ListingAnswer, badField(fmt.Sprintf("answers[%d].reasons", i), "required", "采纳或不予采纳均须说明理由", "required: give reasons whether adopted or not"))
					}
				}
				return actorRequired(ListingAnswer, in.By)
			}, l.answer)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingDecide, state, func(in ListingDecision) error {
				if err := l.cf.stageError(ListingDecide, ListingStages[ListingDecide]...); err != nil {
					return err
				}
				if open := l.unanswered(); len(open) > 0 {
					return refuse(RefusedUnanswered, "decide refused: representation points not answered: "+strings.Join(open, ", "), Refusal{Action: ListingDecide, Stage: l.st.Stage, Unanswered: open})
				}
				if err := actorRequired(ListingDecide, in.By); err != nil {
					return err
				}
				if err := required(ListingDecide, field{"reasons", in.Reasons}); err != nil {
					return err
				}
				if in.List {
					return l.notHeavier(in)
				}
				return nil
			}, l.decide)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingRevokeBasis, state, func(in RevokeBasisInput) error {
				if err := l.cf.stageError(ListingRevokeBasis, ListingStages[ListingRevokeBasis]...); err != nil {
					return err
				}
				if err := l.revocationDates(in, workflow.Now(ctx)); err != nil {
					return err
				}
				if err := actorRequired(ListingRevokeBasis, in.By); err != nil {
					return err
				}
				return required(ListingRevokeBasis, field{"reason", in.Reason}, field{"instrument", in.Instrument})
			}, l.revokeBasis)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingWithdraw, state, func(in WithdrawProposalInput) error {
				if err := l.cf.stageError(ListingWithdraw, ListingStages[ListingWithdraw]...); err != nil {
					return err
				}
				if err := actorRequired(ListingWithdraw, in.By); err != nil {
					return err
				}
				return required(ListingWithdraw, field{"reasons", in.Reasons})
			}, l.withdrawProposal)
		},
		func() error {
			return caseUpdate(ctx, l.cf, ListingRemove, state, func(in RemoveInput) error {
				if err := l.cf.stageError(ListingRemove, ListingStages[ListingRemove]...); err != nil {
					return err
				}
				if err := actorRequired(ListingRemove, in.By); err != nil {
					return err
				}
				return required(ListingRemove, field{"reason", in.Reason})
			}, l.removeByDecision)
		},
	}
	for _, reg := range regs {
		if err := reg(); err != nil {
			return err
		}
	}
	return nil
}

// hearingLawAt says whether this case takes the hearing steps of 行政处罚法
// art. 64 (ChangeHearingLaw); it also keeps the answer for the validators.
func (l *listing) hearingLawAt(ctx workflow.Context) bool {
	l.hearingLaw = workflow.GetVersion(ctx, ChangeHearingLaw, workflow.DefaultVersion, 1) >= 1
	return l.hearingLaw
}

// loadHearingDays works out, through the calendar and the profile, the
// earliest hearing day for every day from `from` on which the hearing
// notice may reach the party, and keeps it for the schedule's validator.
func (l *listing) loadHearingDays(ctx workflow.Context, from calendar.Date) error {
	var days activities.HearingDays
	if err := l.cf.act(ctx, cases.HearingNoticeDays, activities.HearingDaysRequest{
		CaseNo: l.in.ProposalNo, ProfileID: l.in.ProfileID, ProfileVersion: l.cf.profileVersion, From: from, Days: activities.HearingDaysAhead,
	}).Get(ctx, &days); err != nil {
		return err
	}
	l.hearingDays = &days
	return nil
}

// noticeLongEnough is the schedule validator's check of 行政处罚法 art.
// 64(二) against the table worked out when the hearing was requested: a
// hearing closer than listing.hearing_notice after its notice is refused
// before it enters history, naming the rule, the profile and the earliest
// day. A notification day outside the table (or a case without one) is
// left to the handler's check.
func (l *listing) noticeLongEnough(in HearingSchedule, now time.Time) error {
	t := l.hearingDays
	if t == nil {
		return nil
	}
	notified := in.NotifiedAt
	if notified.IsZero() {
		notified = now
	}
	day := calendar.DateOf(notified)
	if day.Before(t.From) {
		return invalid(ListingScheduleHearing, badField("notified_at", "range",
			"听证通知送达时间不能早于当事人申请听证之日（"+t.From.String()+"）", "must not be before the hearing was requested ("+t.From.String()+")"))
	}
	earliest, ok := t.EarliestFor(day)
	if !ok || calendar.DateOf(in.At).Compare(earliest) >= 0 {
		return nil
	}
	return l.tooSoon(day, earliest, t.N, t.Source, "")
}

// tooSoon is the refusal of a hearing set before the notice period has
// run: the rule, the profile and the earliest day, in data and in words.
func (l *listing) tooSoon(notified, earliest calendar.Date, n int, source, explanation string) error {
	zh := fmt.Sprintf("听证通知须在举行听证%d个工作日前送达（%s，%s）：通知于 %s 送达，听证最早可定于 %s",
		n, policy.ListingHearingNotice, l.in.ProfileID, notified, earliest)
	if explanation != "" {
		zh += "（" + explanation + "）"
	}
	en := fmt.Sprintf("the hearing notice must reach the party %d working days before the hearing (%s: %s; profile %s): notified on %s, the hearing may be held from %s",
		n, policy.ListingHearingNotice, source, l.in.ProfileID, notified, earliest)
	return refuse(RefusedTooSoon, ListingScheduleHearing+" refused: "+en, Refusal{
		Action: ListingScheduleHearing, Stage: l.st.Stage, Rule: policy.ListingHearingNotice, Profile: l.in.ProfileID,
		PossibleFrom: earliest.Start(), Fields: []RefusalField{badField("at", "notice_too_short", zh, en)},
	})
}

// unanswered lists the ids of representation points without an answer.
func (l *listing) unanswered() []string {
	var open []string
	for _, p := range l.st.Points {
		if p.Answer == nil {
			open = append(open, p.ID)
		}
	}
	return open
}

// notHeavier refuses a listing heavier than the proposal (行政处罚法 art.
// 45: no heavier measure because the subject defended) or outside the
// profile's period bounds.
func (l *listing) notHeavier(in ListingDecision) error {
	if len(in.Measures) == 0 {
		return invalid(ListingDecide, badField("measures", "required", "列入决定至少包含一项惩戒措施", "a listing carries at least one measure"))
	}
	var extra []string
	for _, m := range in.Measures {
		if !slices.Contains(l.st.ProposedMeasures, m) {
			extra = append(extra, m)
		}
	}
	if len(extra) > 0 {
		return refuse(RefusedHeavier, "decide refused: measures not in the proposal (不得加重): "+strings.Join(extra, ", "), Refusal{Action: ListingDecide, Stage: l.st.Stage,
			Fields: []RefusalField{badField("measures", "heavier", "提请中没有的惩戒措施（不得加重）："+strings.Join(extra, "、"), "measures not in the proposal: "+strings.Join(extra, ", "))}})
	}
	if in.JointPunishment && !l.st.ProposedJoint {
		return refuse(RefusedHeavier, "decide refused: joint punishment was not proposed (不得加重)", Refusal{Action: ListingDecide, Stage: l.st.Stage,
			Fields: []RefusalField{badField("joint_punishment", "heavier", "提请时未提出联合惩戒（不得加重）", "joint punishment was not proposed")}})
	}
	m := in.Period.Months()
	if m == 0 || in.Period.Length < 1 {
		return invalid(ListingDecide, badField("period", "format", "列入期限应为若干月（month）或年（year）", "a length in months or years"))
	}
	if m > l.st.ProposedPeriod.Months() {
		return refuse(RefusedHeavier, fmt.Sprintf("decide refused: period %s is longer than the proposed %s (不得加重)", periodText(in.Period), periodText(l.st.ProposedPeriod)),
			Refusal{Action: ListingDecide, Stage: l.st.Stage, Fields: []RefusalField{badField("period", "heavier",
				fmt.Sprintf("列入期限%s长于提请的%s（不得加重）", periodText(in.Period), periodText(l.st.ProposedPeriod)),
				fmt.Sprintf("%s is longer than the proposed %s", periodText(in.Period), periodText(l.st.ProposedPeriod)))}})
	}
	if m < l.minMonths || m > l.maxMonths {
		return invalid(ListingDecide, badField("period", "range", fmt.Sprintf("列入期限%s不在本地规定的 %d–%d 个月之间", periodText(in.Period), l.minMonths, l.maxMonths),
			fmt.Sprintf("%s is outside the profile's %d..%d months", periodText(in.Period), l.minMonths, l.maxMonths)))
	}
	return nil
}

func (l *listing) recordService(ctx workflow.Context, in ServiceInput) error {
	l.st.ServiceMethod, l.st.ServedAt, l.st.Stage = in.Method, in.ServedAt, StageRepresentation
	if err := l.cf.event(ctx, in.By, "listing.notice_served", in.Note, map[string]any{
		"method": in.Method, "served_at": in.ServedAt, "documents": l.st.Documents,
	}); err != nil {
		return err
	}
	if err := l.cf.startDeadline(ctx, policy.ListingRepresentation, activities.PartySubject, in.ServedAt); err != nil {
		return err
	}
	if l.hearingLawAt(ctx) {
		// 行政处罚法 art. 64(一): a hearing is requested within five days
		// of the notice: its own deadline, on the board.
		if err := l.cf.startDeadline(ctx, policy.ListingHearingRequest, activities.PartySubject, in.ServedAt); err != nil {
			return err
		}
	}
	d := l.cf.pending(policy.ListingRepresentation)
	if err := l.cf.ask(ctx, activities.PartySubject, "representation", "representation", d,
		"提交陈述、申辩意见或者听证申请（列入严重失信主体名单前告知书已送达；逾期未提出的，视为放弃）",
		"submit statements, a defence or a request for a hearing (the pre-listing notice is served; after the deadline the right lapses)"); err != nil {
		return err
	}
	return l.project(ctx, in.By)
}

func (l *listing) submitStatement(ctx workflow.Context, in StatementInput) error {
	first := len(l.st.Points) + 1
	l.addPoints(in.Points, "statement", workflow.Now(ctx))
	l.st.Evidence = append(l.st.Evidence, in.Evidence...)
	l.st.Representation = "statements"
	return l.cf.event(ctx, in.By, "listing.statement_submitted", "", map[string]any{
		"points": in.Points, "first_point": fmt.Sprintf("P%d", first), "evidence": in.Evidence,
	})
}

func (l *listing) requestHearing(ctx workflow.Context, in HearingRequest) error {
	if err := l.cf.settle(ctx, policy.ListingRepresentation, activities.DeadlineMet, "hearing requested"); err != nil {
		return err
	}
	if l.hearingLawAt(ctx) {
		if err := l.cf.settle(ctx, policy.ListingHearingRequest, activities.DeadlineMet, "hearing requested"); err != nil {
			return err
		}
	}
	l.st.HearingRequested, l.st.Stage, l.st.Representation = true, StageHearing, "hearing"
	if err := l.cf.event(ctx, in.By, "listing.hearing_requested", in.Reason, nil); err != nil {
		return err
	}
	if err := l.cf.ask(ctx, activities.PartyCentre, "hearing", "hearing-requested", nil,
		"安排听证并于举行听证的7日前通知当事人时间、地点（当事人已申请听证）", "schedule the hearing the subject asked for and tell it the time and place 7 days before"); err != nil {
		return err
	}
	if err := l.project(ctx, in.By); err != nil {
		return err
	}
	if workflow.GetVersion(ctx, ChangeHearingDays, workflow.DefaultVersion, 1) >= 1 {
		return l.loadHearingDays(ctx, calendar.DateOf(workflow.Now(ctx)))
	}
	return nil
}

func (l *listing) scheduleHearing(ctx workflow.Context, in HearingSchedule) error {
	if l.hearingLawAt(ctx) {
		return l.scheduleHearingByLaw(ctx, in)
	}
	l.st.HearingAt, l.st.HearingPlace = in.At, in.Place
	if err := l.cf.event(ctx, in.By, "listing.hearing_scheduled", "", map[string]any{"at": in.At, "place": in.Place}); err != nil {
		return err
	}
	at := in.At.In(calendar.Shanghai)
	return l.cf.tell(ctx, activities.PartySubject, "hearing", "hearing-scheduled:"+in.At.Format("20060102T1504"),
		fmt.Sprintf("听证定于%s%s在%s举行，请按时参加；无正当理由拒不出席的，视为放弃听证权利。", wording.DateWeekday(calendar.DateOf(at)), at.Format("15:04"), in.Place),
		fmt.Sprintf("the hearing is at %s on %s, %s; please attend: not attending without good reason waives the hearing.", at.Format("15:04"), wording.DateEN(calendar.DateOf(at)), in.Place))
}

// scheduleHearingByLaw sets the hearing as 行政处罚法 art. 64(二) says: the
// notice reaches the party the profile's listing.hearing_notice period
// (七日) before the hearing, or the schedule is refused with the earliest
// day it allows; the hearing then is a deadline of the centre's, on the
// board, and a later schedule replaces it.
func (l *listing) scheduleHearingByLaw(ctx workflow.Context, in HearingSchedule) error {
	notified := in.NotifiedAt
	if notified.IsZero() {
		notified = workflow.Now(ctx)
	}
	var notice activities.Deadline
	if err := l.cf.act(ctx, cases.Compute, activities.DeadlineRequest{
		CaseNo: l.in.ProposalNo, ProfileID: l.in.ProfileID, ProfileVersion: l.cf.profileVersion, Rule: policy.ListingHearingNotice, Party: activities.PartyCentre, Start: notified,
	}).Get(ctx, &notice); err != nil {
		return err
	}
	if !calendar.DateOf(in.At).After(notice.Due) {
		// Cases without the table (ChangeHearingDays), or a notice day
		// beyond it: refused here, after acceptance.
		return l.tooSoon(calendar.DateOf(notified), notice.Due.AddDays(1), notice.N, notice.Source, notice.Explanation)
	}
	if err := l.cf.settle(ctx, RuleHearing, activities.DeadlineCancelled, "hearing rescheduled"); err != nil {
		return err
	}
	seq := 1
	for _, d := range l.st.Deadlines {
		if d.Rule == RuleHearing && d.Seq >= seq {
			seq = d.Seq + 1
		}
	}
	var hearing activities.Deadline
	if err := l.cf.act(ctx, cases.FixDeadline, activities.FixedDeadline{
		// Due at the end of the hearing's day: its record is expected then.
		CaseNo: l.in.ProposalNo, Rule: RuleHearing, Seq: seq, Party: activities.PartyCentre, Start: notified,
		Due: calendar.DateOf(in.At),
		Explanation: fmt.Sprintf("听证定于 %s 在 %s 举行；听证通知于 %s 送达，已满%d个工作日（%s）",
			in.At.In(calendar.Shanghai).Format("2006-01-02 15:04"), in.Place, calendar.DateOf(notified), notice.N, notice.Explanation),
		Source: notice.Source, OnLapse: []string{policy.LapseRemind},
	}).Get(ctx, &hearing); err != nil {
		return err
	}
	l.st.Deadlines = append(l.st.Deadlines, hearing)
	l.st.HearingAt, l.st.HearingPlace, l.st.HearingNotifiedAt = in.At, in.Place, notified
	if _, err := l.cf.issue(ctx, documents.KindListingHearingNotice, map[string]string{
		"at": in.At.Format(time.RFC3339), "place": in.Place}, nil, nil); err != nil {
		return err
	}
	if err := l.cf.event(ctx, in.By, "listing.hearing_scheduled", "", map[string]any{
		"at": in.At, "place": in.Place, "notified_at": notified, "notice_period_due": notice.Due.String(), "explanation": notice.Explanation,
	}); err != nil {
		return err
	}
	at := in.At.In(calendar.Shanghai)
	return l.cf.tell(ctx, activities.PartySubject, "hearing", "hearing-scheduled:"+in.At.Format("20060102T1504"),
		fmt.Sprintf("听证定于%s%s在%s举行，请按时参加；无正当理由拒不出席的，视为放弃听证权利。", wording.DateWeekday(calendar.DateOf(at)), at.Format("15:04"), in.Place),
		fmt.Sprintf("the hearing is at %s on %s, %s; please attend: not attending without good reason waives the hearing.", at.Format("15:04"), wording.DateEN(calendar.DateOf(at)), in.Place))
}

func (l *listing) recordHearing(ctx workflow.Context, in HearingRecord) error {
	if l.hearingLawAt(ctx) {
		if err := l.cf.settle(ctx, RuleHearing, activities.DeadlineMet, "hearing held and recorded"); err != nil {
			return err
		}
	}
	l.addPoints(in.Points, "hearing", workflow.Now(ctx))
	l.st.Evidence = append(l.st.Evidence, in.Evidence...)
	l.st.HearingRecorded, l.st.Stage = true, StageReview
	if err := l.cf.event(ctx, in.By, "listing.hearing_recorded", in.Summary, map[string]any{"points": in.Points, "evidence": in.Evidence}); err != nil {
		return err
	}
	return l.project(ctx, in.By)
}

func (l *listing) waive(ctx workflow.Context, in WaiveInput) error {
	if err := l.cf.settle(ctx, policy.ListingRepresentation, activities.DeadlineMet, "representation waived"); err != nil {
		return err
	}
	if l.hearingLawAt(ctx) {
		if err := l.cf.settle(ctx, policy.ListingHearingRequest, activities.DeadlineCancelled, "representation waived"); err != nil {
			return err
		}
	}
	if len(l.st.Points) == 0 {
		l.st.Representation = "waived"
	}
	l.st.Stage = StageReview
	if err := l.cf.event(ctx, in.By, "listing.representation_waived", in.Reason, map[string]any{"points": len(l.st.Points)}); err != nil {
		return err
	}
	return l.project(ctx, in.By)
}

func (l *listing) answer(ctx workflow.Context, in AnswerInput) error {
	for _, a := range in.Answers {
		for i := range l.st.Points {
			if l.st.Points[i].ID == a.PointID {
				ans := a
				l.st.Points[i].Answer = &ans
			}
		}
	}
	return l.cf.event(ctx, in.By, "listing.representation_answered", "", map[string]any{"answers": in.Answers})
}

func (l *listing) decide(ctx workflow.Context, in ListingDecision) error {
	if !in.List {
		return l.decideNotList(ctx, in)
	}
	now := workflow.Now(ctx)
	end, err := l.periodEnd(ctx, now, in.Period, 0, "listing decided")
	if err != nil {
		return err
	}
	l.st.Deadlines = append(l.st.Deadlines, end)
	l.st.Measures, l.st.JointPunishment, l.st.Period = in.Measures, in.JointPunishment, in.Period
	l.st.ListedAt, l.st.RemovalDue = now, end.Due.String()
	l.st.Outcome, l.st.Stage = OutcomeListed, StageListed
	if err := l.project(ctx, in.By); err != nil {
		return err
	}
	lighter := len(in.Measures) < len(l.st.ProposedMeasures) || in.Period.Months() < l.st.ProposedPeriod.Months() ||
		(l.st.ProposedJoint && !in.JointPunishment)
	if err := l.cf.event(ctx, in.By, "listing.decided", in.Reasons, map[string]any{
		"list": true, "measures": in.Measures, "joint_punishment": in.JointPunishment, "period": periodText(in.Period),
		"removal_due": l.st.RemovalDue, "lighter_than_proposed": lighter, "explanation": end.Explanation,
	}); err != nil {
		return err
	}
	// 两书同达: the decision letter and the repair notice are served together.
	facts := map[string]string{"representation": l.representationText()}
	decision, err := l.cf.issue(ctx, documents.KindListingDecision, facts,
		map[string][]string{"answers": l.answerTexts(), "reasons": {in.Reasons}}, nil)
	if err != nil {
		return err
	}
	repair, err := l.cf.issue(ctx, documents.KindListingRepairNotice, map[string]string{"decision_number": decision.Number}, nil, nil)
	if err != nil {
		return err
	}
	if err := l.cf.event(ctx, in.By, "listing.decision_served", "列入决定书与信用修复告知书一并送达", map[string]any{
		"decision": decision.Number, "repair_notice": repair.Number,
	}); err != nil {
		return err
	}
	return l.cf.tell(ctx, activities.PartySubject, "decision", "decision",
		fmt.Sprintf("本中心决定将你方列入严重失信主体名单，列入期限%s，至%s届满；列入决定书与信用修复告知书已送达，请查阅（其中载明救济途径和信用修复条件）。", periodText(in.Period), wording.Date(end.Due)),
		fmt.Sprintf("the centre lists you as seriously dishonest for %s, until %s; the listing decision and the repair notice are served (they state your remedies and how to repair).", periodTextEN(in.Period), wording.DateEN(end.Due)))
}

func (l *listing) decideNotList(ctx workflow.Context, in ListingDecision) error {
	now := workflow.Now(ctx)
	l.st.Outcome, l.st.Status, l.st.Stage = OutcomeNotListed, StatusClosed, StageFinished
	l.cf.closedAt = now
	if err := l.project(ctx, in.By); err != nil {
		return err
	}
	if err := l.cf.event(ctx, in.By, "listing.decided", in.Reasons, map[string]any{"list": false}); err != nil {
		return err
	}
	if _, err := l.cf.issue(ctx, documents.KindListingNotListed, map[string]string{"representation": l.representationText()},
		map[string][]string{"answers": l.answerTexts(), "reasons": {in.Reasons}}, nil); err != nil {
		return err
	}
	return l.cf.tell(ctx, activities.PartySubject, "decision", "decision", "本中心决定不将你方列入严重失信主体名单，决定书已送达。",
		"the centre decided not to list you; the decision is served.")
}

// revocationDates checks the dates of a revocation honestly: the revoking
// decision took effect neither in the future nor, for a listed entry,
// before the listing decision; the centre learned of it neither in the
// future nor before it took effect. Dates left out mean "now".
func (l *listing) revocationDates(in RevokeBasisInput, now time.Time) error {
	var bad []RefusalField
	if in.RevokedAt.After(now) {
		bad = append(bad, badField("revoked_at", "range", "撤销日期不能晚于现在", "must not be in the future"))
	}
	if !in.RevokedAt.IsZero() && !l.st.ListedAt.IsZero() && in.RevokedAt.Before(l.st.ListedAt) {
		on := l.st.ListedAt.In(calendar.Shanghai).Format("2006-01-02 15:04")
		bad = append(bad, badField("revoked_at", "range", "撤销日期不能早于列入决定（"+on+"）", "must not be before the listing decision ("+on+")"))
	}
	if in.LearnedAt.After(now) {
		bad = append(bad, badField("learned_at", "range", "获知日期不能晚于现在", "must not be in the future"))
	}
	if !in.LearnedAt.IsZero() && in.LearnedAt.Before(in.RevokedAt) {
		bad = append(bad, badField("learned_at", "range", "获知日期不能早于撤销日期", "must not be before revoked_at"))
	}
	if len(bad) > 0 {
		return invalid(ListingRevokeBasis, bad...)
	}
	return nil
}

func (l *listing) revokeBasis(ctx workflow.Context, in RevokeBasisInput) error {
	at := in.RevokedAt
	if at.IsZero() {
		at = workflow.Now(ctx)
	}
	learned := in.LearnedAt
	if learned.IsZero() {
		learned = workflow.Now(ctx)
	}
	l.st.BasisRevokedAt, l.st.BasisLearnedAt = at, learned
	if l.st.Stage != StageListed {
		return l.dropProposal(ctx, in, at)
	}
	l.st.Stage = StageRemovalDue
	if err := l.cf.event(ctx, in.By, "listing.basis_revoked", in.Reason, map[string]any{
		"instrument": in.Instrument, "revoked_at": at, "learned_at": learned}); err != nil {
		return err
	}
	// The removal limit runs from when the centre learned of the revocation.
	if err := l.cf.startDeadline(ctx, policy.ListingRevokedRemoval, activities.PartyCentre, learned); err != nil {
		return err
	}
	d := l.cf.pending(policy.ListingRevokedRemoval)
	if err := l.cf.ask(ctx, activities.PartyCentre, "removal", "revoked-removal", d,
		"将该主体移出严重失信主体名单（列入所依据的决定已被撤销："+in.Instrument+"）",
		"remove the subject from the list (the decision it rests on is revoked: "+in.Instrument+")"); err != nil {
		return err
	}
	return l.project(ctx, in.By)
}

func (l *listing) removeByDecision(ctx workflow.Context, in RemoveInput) error {
	reason := RemovalDecision
	if l.st.Stage == StageRemovalDue {
		reason = RemovalRevoked
	}
	return l.remove(ctx, in.By, reason, in.Reason)
}

// withdrawProposal ends a proposal its provider withdrew before the
// decision: the running deadlines are cancelled, nothing is listed, and the
// subject is told in writing with the reasons.
func (l *listing) withdrawProposal(ctx workflow.Context, in WithdrawProposalInput) error {
	if err := l.cf.cancelPending(ctx, "proposal withdrawn"); err != nil {
		return err
	}
	l.st.Outcome, l.st.Status, l.st.Stage = OutcomeWithdrawn, StatusWithdrawn, StageFinished
	l.cf.closedAt = workflow.Now(ctx)
	if err := l.project(ctx, in.By); err != nil {
		return err
	}
	if err := l.cf.event(ctx, in.By, "listing.withdrawn", in.Reasons, map[string]any{"served": !l.st.ServedAt.IsZero()}); err != nil {
		return err
	}
	if _, err := l.cf.issue(ctx, documents.KindListingWithdrawn, nil, map[string][]string{"reasons": {in.Reasons}}, nil); err != nil {
		return err
	}
	return l.cf.tell(ctx, activities.PartySubject, "decision", "withdrawn", "信息提供单位已撤回列入严重失信主体名单建议，本中心不将你方列入，告知书已送达。",
		"the provider withdrew its proposal to list you: the centre does not list you; the letter is served.")
}

// dropProposal ends a proposal whose basis was revoked before the
// decision: nothing is listed, the running deadlines are cancelled and the
// subject is told in writing.
func (l *listing) dropProposal(ctx workflow.Context, in RevokeBasisInput, at time.Time) error {
	if err := l.cf.cancelPending(ctx, "basis revoked"); err != nil {
		return err
	}
	l.st.Outcome, l.st.Status, l.st.Stage = OutcomeNotListed, StatusClosed, StageFinished
	l.cf.closedAt = workflow.Now(ctx)
	if err := l.project(ctx, in.By); err != nil {
		return err
	}
	if err := l.cf.event(ctx, in.By, "listing.basis_revoked", in.Reason, map[string]any{
		"instrument": in.Instrument, "revoked_at": at, "learned_at": l.st.BasisLearnedAt, "before_decision": true}); err != nil {
		return err
	}
	reason := "列入所依据的决定已被撤销（" + in.Instrument + "）：" + in.Reason
	if _, err := l.cf.issue(ctx, documents.KindListingNotListed, map[string]string{"representation": l.representationText()},
		map[string][]string{"answers": l.answerTexts(), "reasons": {reason}}, nil); err != nil {
		return err
	}
	return l.cf.tell(ctx, activities.PartySubject, "decision", "decision", "列入所依据的决定已被撤销，本中心决定不将你方列入严重失信主体名单，决定书已送达。",
		"the decision the proposal rests on is revoked: the centre decided not to list you; the decision is served.")
}

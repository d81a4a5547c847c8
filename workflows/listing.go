package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// ListingWorkflow carries one proposal to list a subject as seriously
// dishonest (列入严重失信主体名单, DESIGN.md §2.2) from the proposal to the
// removal of the entry:
//
//	proposal (validated) → written notice (告知书) → service recorded
//	→ representation window (statements, hearing, or waiver; lapse = none)
//	→ every point answered → decision, never heavier than the proposal
//	→ not listed (closed, told in writing)
//	→ listed: entry published, decision + repair notice served together
//	→ removed at the end of the period, early on repair or by decision,
//	  or within listing.revoked_removal when the basis is revoked.
//
// The listed phase can last years: the workflow continues as new when the
// entry is published and whenever the server suggests it, carrying its
// state, so the history of each run stays small.
func ListingWorkflow(ctx workflow.Context, in ListingInput) (ListingState, error) {
	ctx = workflow.WithActivityOptions(ctx, caseActivityOptions)
	if len(in.RecordIDs) == 0 {
		return ListingState{}, temporal.NewNonRetryableApplicationError("a proposal relies on at least one record", "invalid-proposal", nil)
	}
	l := &listing{in: in}
	if in.Carry != nil {
		l.st = in.Carry.State
		l.minMonths, l.maxMonths, l.runs = in.Carry.MinMonths, in.Carry.MaxMonths, in.Carry.Runs
	} else {
		l.st = ListingState{
			CaseProgress: CaseProgress{Stage: StageListingNotice, Status: StatusOpen},
			ProposalNo:   in.ProposalNo, RecordIDs: in.RecordIDs, ProposedMeasures: in.Measures,
			ProposedJoint: in.JointPunishment, ProposedPeriod: in.Period,
		}
	}
	l.cf = newCaseFile(ctx, CaseRef{
		CaseNo: in.ProposalNo, Kind: CaseKindListing, RecordID: in.RecordIDs[0], SubjectID: in.SubjectID,
		ProviderID: in.ProviderID, ProfileID: in.ProfileID, ProfileVersion: in.ProfileVersion,
	}, &l.st.CaseProgress)
	l.cf.onProceed = l.proceed
	l.cf.recordIDs = in.RecordIDs
	l.cf.dates = func(m map[string]time.Time) {
		setDate(m, activities.DateServed, l.st.ServedAt)
		setDate(m, activities.DateListed, l.st.ListedAt)
		setDate(m, activities.DateRemoved, l.st.RemovedAt)
		if d, err := calendar.ParseDate(l.st.RemovalDue); err == nil {
			m[activities.DateRemovalDue] = d.Start()
		}
	}
	if in.Carry == nil {
		l.cf.takeOpeningVersion(ctx)
	}
	if c := in.Carry; c != nil {
		l.cf.profileVersion, l.cf.openedAt, l.cf.closedAt, l.cf.docSeq = c.ProfileVersion, c.OpenedAt, c.ClosedAt, c.DocSeq
		l.cf.opened = true
	}
	if err := l.setHandlers(ctx); err != nil {
		return l.st, err
	}
	if in.Carry == nil {
		if err := l.open(ctx); err != nil {
			if l.cf.unfiled(ctx, err, in.RecordIDs) || l.cf.ended {
				return l.st, nil
			}
			return l.st, err
		}
	}
	err := l.run(ctx)
	return l.st, err
}

type listing struct {
	in                   ListingInput
	st                   ListingState
	cf                   *caseFile
	minMonths, maxMonths int
	runs                 int
	// hearingLaw: the case takes the hearing steps of 行政处罚法 art. 64
	// (ChangeHearingLaw, decided when the notice is served).
	hearingLaw bool
	// hearingDays: the earliest hearing day for each day the hearing
	// notice may reach the party, worked out when the hearing was requested
	// (ChangeHearingDays); nil before, and in cases that predate it.
	hearingDays *activities.HearingDays
}

// open validates the proposal, writes the case and the listing, and
// renders the written notice, which then awaits service.
func (l *listing) open(ctx workflow.Context) error {
	l.cf.mu.Lock(ctx)
	defer l.cf.mu.Unlock()
	defer l.cf.beginOpening()()
	var b activities.ListingBounds
	if err := l.cf.rawStep(ctx, cases.ValidateProposal, activities.ProposalCheck{
		ProposalNo: l.in.ProposalNo, SubjectID: l.in.SubjectID, ProviderID: l.in.ProviderID, ProfileID: l.in.ProfileID,
		RecordIDs: l.in.RecordIDs, PeriodLength: l.in.Period.Length, PeriodUnit: l.in.Period.Unit,
	}).Get(ctx, &b); err != nil {
		// The API checks the same before it starts the case; should the
		// records have changed since, the proposal ends here and its row
		// stops blocking other proposals on the records.
		l.st.Outcome, l.st.Status, l.st.Stage = OutcomeNotListed, StatusClosed, StageFinished
		if perr := l.project(ctx, l.in.ProposedBy); perr != nil {
			return perr
		}
		return err
	}
	l.minMonths, l.maxMonths = b.MinMonths, b.MaxMonths
	if err := l.cf.open(ctx, l.in.ProposedAt); err != nil {
		return err
	}
	if err := l.project(ctx, l.in.ProposedBy); err != nil {
		return err
	}
	if err := l.cf.event(ctx, l.in.ProposedBy, "listing.proposed", l.in.Reasons, map[string]any{
		"records": l.in.RecordIDs, "legal_basis": l.in.LegalBasis, "measures": l.in.Measures,
		"joint_punishment": l.in.JointPunishment, "period": periodText(l.in.Period),
	}); err != nil {
		return err
	}
	if _, err := l.cf.issue(ctx, documents.KindListingNotice, nil, nil, nil); err != nil {
		return err
	}
	l.cf.opened = true
	return l.cf.save(ctx)
}

// run is the case file's main loop with two additions: an early-removal
// signal from an approved repair, and continue-as-new in the listed phase.
func (l *listing) run(ctx workflow.Context) error {
	c := l.cf
	repaired := workflow.GetSignalChannel(ctx, SignalListingRepaired)
	for c.p.Stage != StageFinished {
		if repaired.Len() > 0 {
			var r ListingRepaired
			repaired.ReceiveAsync(&r)
			c.mu.Lock(ctx)
			err := l.repaired(ctx, r)
			c.mu.Unlock()
			if err != nil && !c.ended {
				return err
			}
			continue
		}
		if l.shouldContinue(ctx) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && l.cf.lettersDone() && c.busy == 0 }); err != nil {
				return err
			}
			if c.p.Stage != StageFinished && repaired.Len() == 0 && !c.recompute {
				return workflow.NewContinueAsNewError(ctx, ListingWorkflow, l.carry())
			}
			continue
		}
		seen := c.version
		moved := func() bool {
			return c.version != seen || c.recompute || c.p.Stage == StageFinished || repaired.Len() > 0 || l.shouldContinue(ctx)
		}
		next, ok := c.nextTimer()
		if !ok {
			if err := workflow.Await(ctx, moved); err != nil {
				return err
			}
			if !c.recompute {
				continue
			}
		} else if wait := next.Sub(workflow.Now(ctx)); wait > 0 {
			woken, err := workflow.AwaitWithTimeout(ctx, wait, moved)
			if err != nil {
				return err
			}
			if woken && !c.recompute {
				continue
			}
		}
		if err := l.tick(ctx); err != nil && !c.ended {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && l.cf.lettersDone() && c.busy == 0 })
}

// tick is the case file's tick, with the recomputation after a calendar
// change done here: the end of the listing period is the decision's
// length, not a profile rule, and is recomputed as such.
func (l *listing) tick(ctx workflow.Context) error {
	c := l.cf
	c.mu.Lock(ctx)
	defer c.mu.Unlock()
	if c.recompute {
		c.recompute = false
		if err := l.recomputeDeadlines(ctx); err != nil {
			return err
		}
	}
	return c.tick(ctx)
}

func (l *listing) recomputeDeadlines(ctx workflow.Context) error {
	// The earliest hearing days follow the new calendar too.
	if l.hearingDays != nil && l.st.Stage == StageHearing {
		if err := l.loadHearingDays(ctx, l.hearingDays.From); err != nil {
			return err
		}
	}
	c := l.cf
	if workflow.GetVersion(ctx, ChangeRecomputeCompare, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		// The profile's deadlines are recounted like every case's; the end
		// of the listing period after them, as the decision's length.
		moved, err := c.recountAll(ctx, func(d activities.Deadline) bool { return d.Rule != activities.RulePeriodEnd })
		if err != nil {
			return err
		}
		if err := l.recomputePeriodEnd(ctx, c.calendarReason(), false); err != nil {
			return err
		}
		if err := c.correctionNotice(ctx); err != nil {
			return err
		}
		return c.markRecomputed(ctx, moved)
	}
	return l.recomputePeriodEnd(ctx, "calendar changed: "+c.calendarNote, true)
}

// recomputePeriodEnd supersedes the pending end of the listing period by
// its recomputation (and, before ChangeRecomputeCompare, every other open
// deadline too).
func (l *listing) recomputePeriodEnd(ctx workflow.Context, reason string, all bool) error {
	c := l.cf
	var open []int
	for i, d := range c.p.Deadlines {
		if d.State == activities.DeadlinePending {
			open = append(open, i)
		}
	}
	for _, i := range open {
		d := &c.p.Deadlines[i]
		if d.Rule != activities.RulePeriodEnd {
			if !all {
				continue
			}
			if err := c.replace(ctx, d, activities.DeadlineRequest{Reason: reason}, system, "deadline.recomputed"); err != nil {
				return err
			}
			continue
		}
		old := *d
		nd, err := l.periodEnd(ctx, old.Start, ListingPeriod{Length: old.N, Unit: string(old.Unit)}, old.Seq, reason)
		if err != nil {
			return err
		}
		c.p.Deadlines[i].State = activities.DeadlineSuperseded
		c.p.Deadlines = append(c.p.Deadlines, nd)
		l.st.RemovalDue = nd.Due.String()
		if err := c.event(ctx, system, "deadline.recomputed", reason, map[string]any{
			"rule": old.Rule, "old_seq": old.Seq, "old_due": old.Due.String(), "old_calendar": old.Version,
			"new_seq": nd.Seq, "new_due": nd.Due.String(), "new_calendar": nd.Version, "explanation": nd.Explanation,
		}); err != nil {
			return err
		}
		if err := l.project(ctx, system); err != nil {
			return err
		}
	}
	c.changed()
	return c.save(ctx)
}

// periodEnd computes (and stores) the end of a listing period from start;
// supersedes is the seq of the end it replaces (0 for none).
func (l *listing) periodEnd(ctx workflow.Context, start time.Time, p ListingPeriod, supersedes int, reason string) (activities.Deadline, error) {
	seq := 1
	for _, d := range l.st.Deadlines {
		if d.Rule == activities.RulePeriodEnd && d.Seq >= seq {
			seq = d.Seq + 1
		}
	}
	var end activities.Deadline
	err := l.cf.act(ctx, cases.ComputePeriodEnd, activities.PeriodEndRequest{
		CaseNo: l.in.ProposalNo, ProfileID: l.in.ProfileID, ProfileVersion: l.cf.profileVersion, Seq: seq, Start: start, Length: p.Length, Unit: p.Unit,
		Supersedes: supersedes, Reason: reason,
	}).Get(ctx, &end)
	return end, err
}

// shouldContinue: a listed case starts a fresh run once published, and
// again whenever the server suggests it (history grown large).
func (l *listing) shouldContinue(ctx workflow.Context) bool {
	if l.st.Stage != StageListed && l.st.Stage != StageRemovalDue {
		return false
	}
	return l.in.Carry == nil || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

func (l *listing) carry() ListingInput {
	in := l.in
	in.Carry = &ListingCarry{
		State: l.st, ProfileVersion: l.cf.profileVersion, OpenedAt: l.cf.openedAt, ClosedAt: l.cf.closedAt,
		DocSeq: l.cf.docSeq, MinMonths: l.minMonths, MaxMonths: l.maxMonths, Runs: l.runs + 1,
	}
	return in
}

// proceed is called when a "proceed" deadline runs out: the representation
// window (the review begins) or the listing period (the entry is removed).
func (l *listing) proceed(ctx workflow.Context, d activities.Deadline) error {
	switch d.Rule {
	case policy.ListingRepresentation:
		if l.st.Stage != StageRepresentation {
			return nil
		}
		l.st.Stage = StageReview
		if len(l.st.Points) == 0 {
			l.st.Representation = "none"
			if err := l.cf.event(ctx, system, "listing.no_representation", "陈述申辩期届满，当事人未提出陈述申辩", map[string]any{"due": d.Due.String()}); err != nil {
				return err
			}
		}
		if err := l.cf.ask(ctx, activities.PartyCentre, "review", "review", nil,
			"复核陈述、申辩意见（陈述申辩期已届满）并作出是否列入的决定", "review the representation (its window has ended) and decide whether to list"); err != nil {
			return err
		}
		return l.project(ctx, system)
	case activities.RulePeriodEnd:
		// The period ended as decided: met, not missed.
		for i := range l.cf.p.Deadlines {
			if x := &l.cf.p.Deadlines[i]; x.Rule == d.Rule && x.Seq == d.Seq {
				x.State = activities.DeadlineMet
			}
		}
		if err := l.cf.act(ctx, cases.SettleDeadline, activities.SettleDeadline{
			CaseNo: l.cf.ref.CaseNo, Rule: d.Rule, Seq: d.Seq, State: activities.DeadlineMet, At: d.DueAt, Reason: "listing period ended",
		}).Get(ctx, nil); err != nil {
			return err
		}
		if l.st.Stage != StageListed && l.st.Stage != StageRemovalDue {
			return nil
		}
		return l.remove(ctx, system, RemovalExpired, "列入期限届满")
	}
	return nil
}

// repaired removes the entry after an approved repair of one of its records.
func (l *listing) repaired(ctx workflow.Context, r ListingRepaired) error {
	if (l.st.Stage != StageListed && l.st.Stage != StageRemovalDue) || !slices.Contains(l.st.RecordIDs, r.RecordID) {
		return l.cf.event(ctx, system, "listing.repair_signal_ignored", "", map[string]any{
			"repair_case_no": r.RepairCaseNo, "record_id": r.RecordID, "stage": l.st.Stage,
		})
	}
	l.st.RepairCaseNo = r.RepairCaseNo
	by := Actor{Name: "repair:" + r.RepairCaseNo, Role: "system"}
	if err := l.remove(ctx, by, RemovalRepaired, "信用修复案件 "+r.RepairCaseNo+" 已核准"); err != nil {
		return err
	}
	l.cf.changed()
	return l.cf.save(ctx)
}

// remove takes the entry off the list: disclosure stops, the entry is
// archived, the subject is told in writing, and the case ends.
func (l *listing) remove(ctx workflow.Context, by Actor, reason, detail string) error {
	now := workflow.Now(ctx)
	if err := l.cf.settle(ctx, policy.ListingRevokedRemoval, activities.DeadlineMet, "entry removed"); err != nil {
		return err
	}
	if err := l.cf.settle(ctx, activities.RulePeriodEnd, activities.DeadlineCancelled, "removed early: "+reason); err != nil {
		return err
	}
	l.st.RemovedAt, l.st.RemovalReason = now, reason
	l.st.Outcome, l.st.Status, l.st.Stage = OutcomeRemoved, StatusClosed, StageFinished
	l.cf.closedAt = now
	if err := l.project(ctx, by); err != nil {
		return err
	}
	if err := l.cf.event(ctx, by, "listing.removed", detail, map[string]any{"reason": reason, "repair_case_no": l.st.RepairCaseNo}); err != nil {
		return err
	}
	if _, err := l.cf.issue(ctx, documents.KindListingRemoval, map[string]string{"reason": reason, "detail": detail}, nil, nil); err != nil {
		return err
	}
	return l.cf.tell(ctx, activities.PartySubject, "removed", "removed", "你方已移出严重失信主体名单（"+detail+"），移出决定书已送达。",
		"you are removed from the list of seriously dishonest subjects ("+detail+"); the removal decision is served.")
}

// status is the listing's projection status for the stage it is at.
func (l *listing) status() string {
	switch l.st.Stage {
	case StageListingNotice:
		return activities.ListingProposed
	case StageRepresentation, StageHearing, StageReview:
		return activities.ListingNoticed
	case StageListed, StageRemovalDue:
		return activities.ListingListed
	}
	switch l.st.Outcome {
	case OutcomeNotListed:
		return activities.ListingNotListed
	case OutcomeWithdrawn:
		return activities.ListingWithdrawn
	}
	return activities.ListingRemoved
}

// project writes the listing's projection row.
func (l *listing) project(ctx workflow.Context, by Actor) error {
	row := activities.ListingRow{
		ProposalNo: l.in.ProposalNo, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		SubjectID: l.in.SubjectID, ProviderID: l.in.ProviderID, ProfileID: l.in.ProfileID, RecordIDs: l.in.RecordIDs,
		Status: l.status(), Stage: l.st.Stage, Reasons: l.in.Reasons, LegalBasis: l.in.LegalBasis,
		Measures: l.in.Measures, JointPunishment: l.in.JointPunishment, Period: periodText(l.in.Period),
		ProposedAt: l.cf.openedAt, ServedAt: l.st.ServedAt, ListedAt: l.st.ListedAt, RemovalDue: l.st.RemovalDue,
		RemovedAt: l.st.RemovedAt, RemovalReason: l.st.RemovalReason, Actor: by.Name, Role: by.Role,
	}
	if !l.st.ListedAt.IsZero() {
		row.Measures, row.JointPunishment, row.Period = l.st.Measures, l.st.JointPunishment, periodText(l.st.Period)
	}
	return l.cf.step(ctx, cases.SaveListing, row).Get(ctx, nil)
}

// periodText writes a listing period as documents do: "3年", "18个月".
func periodText(p ListingPeriod) string {
	if p.Unit == "year" {
		return fmt.Sprintf("%d年", p.Length)
	}
	return fmt.Sprintf("%d个月", p.Length)
}

// periodTextEN writes a listing period in English: "3 years".
func periodTextEN(p ListingPeriod) string {
	if p.Unit == "year" {
		return wording.Period(p.Length, calendar.Years, wording.EN)
	}
	return wording.Period(p.Length, calendar.Months, wording.EN)
}

// representationText says what the subject did in the window.
func (l *listing) representationText() string {
	switch {
	case l.st.HearingRecorded:
		return "当事人申请听证，本中心已依法组织听证并制作听证笔录"
	case len(l.st.Points) > 0:
		return "当事人在陈述申辩期内提出了陈述、申辩意见"
	case l.st.Representation == "waived":
		return "当事人明确表示放弃陈述、申辩"
	}
	return "当事人在陈述申辩期内未提出陈述、申辩意见"
}

// answerTexts are the points with their answers, as decisions state them.
func (l *listing) answerTexts() []string {
	out := make([]string, 0, len(l.st.Points))
	for _, p := range l.st.Points {
		verdict := "不予采纳"
		if p.Answer != nil && p.Answer.Adopted {
			verdict = "予以采纳"
		}
		reasons := ""
		if p.Answer != nil {
			reasons = p.Answer.Reasons
		}
		out = append(out, fmt.Sprintf("意见：%s。复核：%s，理由：%s", p.Text, verdict, reasons))
	}
	return out
}

// nextPointID numbers representation points P1, P2, … in order of arrival.
func (l *listing) addPoints(texts []string, source string, at time.Time) {
	for _, t := range texts {
		l.st.Points = append(l.st.Points, Point{ID: fmt.Sprintf("P%d", len(l.st.Points)+1), Text: t, Source: source, At: at})
	}
}

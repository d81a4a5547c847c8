package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// RepairWorkflow carries one credit repair application (信用修复) from
// receipt to its written result, as DESIGN.md §2.3 and the case's policy
// profile say:
//
//	receive → check eligibility (refused in writing with every failed
//	condition and, when only early, the date from which to apply)
//	→ accept, or one-time notice of missing documents → the provider's
//	written opinion (a refusal ends the case in writing) → publicity, during
//	which anyone may object and each objection is verified by the provider
//	(an upheld one ends the case in refusal) → decision: repaired (record
//	leaves disclosure and sharing, listings on it end, original archived,
//	decision letter, downstream users told) or refused with reasons.
//
// Every wait is a named deadline of the profile; the publicity period's end
// is a deadline whose lapse action is "proceed". Lapses remind and escalate
// as the profile says and never close a case.
func RepairWorkflow(ctx workflow.Context, in RepairInput) (RepairState, error) {
	r := &repairCase{in: in, st: RepairState{CaseProgress: CaseProgress{Stage: StageAcceptance, Status: StatusOpen}}}
	ctx = workflow.WithActivityOptions(ctx, caseActivityOptions)
	r.cf = newCaseFile(ctx, CaseRef{
		CaseNo: in.CaseNo, Kind: CaseKindRepair, RecordID: in.RecordID, SubjectID: in.SubjectID,
		ProviderID: in.ProviderID, ProfileID: in.ProfileID, ProfileVersion: in.ProfileVersion,
	}, &r.st.CaseProgress)
	r.cf.onProceed = r.proceed
	r.cf.takeOpeningVersion(ctx)
	r.cf.dates = func(m map[string]time.Time) {
		if !r.st.PublicityFrom.IsZero() {
			setDate(m, activities.DatePublicityFrom, r.st.PublicityFrom)
			setDate(m, activities.DatePublicityTo, r.publicityLastDay())
		}
	}
	if err := r.setHandlers(ctx); err != nil {
		return r.st, err
	}
	if err := r.open(ctx); err != nil {
		if r.cf.unfiled(ctx, err, nil) || r.cf.ended {
			return r.st, nil
		}
		return r.st, err
	}
	err := r.cf.run(ctx)
	return r.st, err
}

type repairCase struct {
	in       RepairInput
	st       RepairState
	cf       *caseFile
	evidence []int64
}

// open files the case and checks eligibility at once.
func (r *repairCase) open(ctx workflow.Context) error {
	r.cf.mu.Lock(ctx)
	defer r.cf.mu.Unlock()
	defer r.cf.beginOpening()()
	if err := r.cf.open(ctx, r.in.ReceivedAt); err != nil {
		return err
	}
	r.evidence = append([]int64(nil), r.in.EvidenceIDs...)
	if err := r.cf.event(ctx, r.in.FiledBy, "repair.filed", r.in.Statement, map[string]any{
		"record_id": r.in.RecordID, "commitment": r.in.CommitmentID, "evidence": r.in.EvidenceIDs,
	}); err != nil {
		return err
	}
	if err := r.cf.step(ctx, cases.RepairEligibility, activities.EligibilityRequest{
		CaseNo: r.in.CaseNo, RecordID: r.in.RecordID, ProfileID: r.in.ProfileID, ProfileVersion: r.cf.profileVersion, At: r.cf.openedAt,
		CommitmentID: r.in.CommitmentID, EvidenceIDs: r.in.EvidenceIDs, CorrectedOn: r.in.CorrectedOn,
	}).Get(ctx, &r.st.Eligibility); err != nil {
		return err
	}
	el := r.st.Eligibility
	if err := r.cf.event(ctx, system, "repair.eligibility_checked", el.PeriodExplanation, map[string]any{
		"eligible": el.Eligible, "failed": el.Failed, "eligible_from": el.From,
	}); err != nil {
		return err
	}
	r.cf.opened = true
	if !el.Eligible {
		from := ""
		if el.From != nil {
			from = el.From.String()
		}
		if err := r.refuse(ctx, system, el.Reasons(), from); err != nil {
			return err
		}
		return r.cf.save(ctx)
	}
	if err := r.cf.startDeadline(ctx, policy.RepairAcceptance, activities.PartyCentre, r.cf.openedAt); err != nil {
		return err
	}
	return r.cf.save(ctx)
}

// proceed is the lapse action of the publicity period: it ends, and the case
// goes on to the decision once every objection is verified.
func (r *repairCase) proceed(ctx workflow.Context, d activities.Deadline) error {
	if d.Rule != policy.RepairPublicity || r.st.Stage != StagePublicity {
		return nil
	}
	if err := r.cf.act(ctx, cases.ClosePublicity, activities.PublicityEnd{CaseNo: r.in.CaseNo, Status: "ended"}).Get(ctx, nil); err != nil {
		return err
	}
	pending := r.pendingObjections()
	r.st.Stage = StageDeciding
	if pending > 0 {
		r.st.Stage = StageObjectionVerification
	}
	if err := r.cf.event(ctx, system, "repair.publicity_ended", d.Explanation, map[string]any{
		"due": d.Due.String(), "objections": len(r.st.Objections), "pending": pending,
	}); err != nil {
		return err
	}
	if pending > 0 {
		return nil
	}
	return r.cf.ask(ctx, activities.PartyCentre, "publicity_ended", "publicity-ended", r.cf.pending(policy.RepairOverall),
		"作出信用修复决定并书面告知申请人（公示期已于"+wording.Date(d.Due)+"届满，无待核实的异议）",
		"decide on the repair and tell the applicant in writing (the publicity period ended on "+wording.DateEN(d.Due)+" with no objection left to verify)")
}

func (r *repairCase) pendingObjections() int {
	n := 0
	for _, o := range r.st.Objections {
		if o.Status == PublicObjectionPending {
			n++
		}
	}
	return n
}

// refuse ends the case in refusal, in writing, with every reason and, when
// the application was only early, the date from which to apply.
func (r *repairCase) refuse(ctx workflow.Context, by Actor, reasons []string, eligibleFrom string) error {
	if err := r.endPublicity(ctx, "ended"); err != nil {
		return err
	}
	facts := map[string]string{}
	if eligibleFrom != "" {
		facts["eligible_from"] = eligibleFrom
	}
	if _, err := r.cf.issue(ctx, documents.KindRepairRefusal, facts, map[string][]string{"reasons": reasons}, nil); err != nil {
		return err
	}
	return r.close(ctx, by, OutcomeRefused, StatusClosed, map[string]any{"reasons": reasons, "eligible_from": eligibleFrom})
}

// approve repairs the record: it leaves disclosure and sharing, the original
// is archived, downstream users are told (outbox), every listing in force on
// it is ended early, and the decision letter is issued.
func (r *repairCase) approve(ctx workflow.Context, in RepairDecisionInput) error {
	now := workflow.Now(ctx)
	if err := r.cf.act(ctx, cases.ApplyRepair, activities.RepairRequest{
		CaseNo: r.in.CaseNo, RecordID: r.in.RecordID, Reason: in.Reasons, Actor: in.By.Name, Role: in.By.Role, At: now,
	}).Get(ctx, nil); err != nil {
		return err
	}
	var listings []string
	if err := r.cf.act(ctx, cases.ActiveListings, r.in.RecordID).Get(ctx, &listings); err != nil {
		return err
	}
	for _, id := range listings {
		err := workflow.SignalExternalWorkflow(ctx, id, "", SignalListingRepaired,
			ListingRepaired{RepairCaseNo: r.in.CaseNo, RecordID: r.in.RecordID, At: now}).Get(ctx, nil)
		action, data := "repair.listing_ended", map[string]any{"listing_workflow": id}
		if err != nil {
			// The listing ended by itself meanwhile: nothing left to end.
			action, data["error"] = "repair.listing_not_signalled", err.Error()
		} else {
			r.st.Listings = append(r.st.Listings, id)
		}
		if err := r.cf.event(ctx, in.By, action, "", data); err != nil {
			return err
		}
	}
	facts := map[string]string{
		"publicity_from": r.st.PublicityFrom.Format(time.RFC3339),
		"publicity_to":   r.publicityLastDay().Format(time.RFC3339),
	}
	if _, err := r.cf.issue(ctx, documents.KindRepairDecision, facts, map[string][]string{"reasons": {in.Reasons}}, nil); err != nil {
		return err
	}
	return r.close(ctx, in.By, OutcomeRepaired, StatusClosed, map[string]any{"listings_ended": r.st.Listings})
}

// publicityLastDay is noon of the publicity period's last day (its due
// instant is 24:00 of that day).
func (r *repairCase) publicityLastDay() time.Time {
	return r.st.PublicityUntil.Add(-12 * time.Hour)
}

// close settles the overall limit, closes the application and ends the case.
func (r *repairCase) close(ctx workflow.Context, by Actor, outcome, status string, data map[string]any) error {
	if err := r.cf.settle(ctx, policy.RepairOverall, activities.DeadlineMet, outcome); err != nil {
		return err
	}
	if err := r.cf.cancelPending(ctx, outcome); err != nil {
		return err
	}
	if err := r.cf.act(ctx, cases.CloseRepairApplication, activities.RepairApplication{CaseNo: r.in.CaseNo, Outcome: outcome}).Get(ctx, nil); err != nil {
		return err
	}
	r.cf.closedAt = workflow.Now(ctx)
	r.st.Outcome, r.st.Status, r.st.Stage = outcome, status, StageFinished
	return r.cf.event(ctx, by, "repair."+outcome, "", data)
}

// endPublicity takes a running notice off the public list.
func (r *repairCase) endPublicity(ctx workflow.Context, status string) error {
	if r.st.PublicityFrom.IsZero() {
		return nil
	}
	return r.cf.act(ctx, cases.ClosePublicity, activities.PublicityEnd{CaseNo: r.in.CaseNo, Status: status}).Get(ctx, nil)
}

// settleSeq settles deadline rule#seq when it is still pending (objections
// during publicity each have their own verification deadline).
func (r *repairCase) settleSeq(ctx workflow.Context, rule string, seq int, state, reason string) error {
	for i := range r.st.Deadlines {
		d := &r.st.Deadlines[i]
		if d.Rule != rule || d.Seq != seq || d.State != activities.DeadlinePending {
			continue
		}
		d.State = state
		return r.cf.act(ctx, cases.SettleDeadline, activities.SettleDeadline{
			CaseNo: r.in.CaseNo, Rule: rule, Seq: seq, State: state, At: workflow.Now(ctx), Reason: reason,
		}).Get(ctx, nil)
	}
	return nil
}

package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/policy"
)

// ObjectionWorkflow carries one objection (异议处理) from receipt to its last
// possible step, as DESIGN.md §2.1 and the case's policy profile say:
//
//	receive → label the record → accept, or one-time notice of what is missing
//	→ the centre checks (own error: correct at once and tell the applicant)
//	→ or ask the provider to verify → decide → written reply → appeal window
//	→ appeal decision.
//
// Every wait has a named deadline from the profile, computed by an activity
// and slept on with a timer: at its reminder point the party is reminded, on
// lapse the profile's action is taken (escalate, stop public query). A lapse
// never closes a case. Actions that can be refused are Updates whose
// validators refuse them in the wrong stage, before they enter history.
func ObjectionWorkflow(ctx workflow.Context, in ObjectionInput) (ObjectionState, error) {
	o := &objection{in: in, st: ObjectionState{CaseProgress: CaseProgress{Stage: StageAcceptance, Status: StatusOpen}}}
	// Before any command: the procedure the case keeps to its end (versions.go).
	o.version = procedureVersion(ctx)
	ctx = workflow.WithActivityOptions(ctx, caseActivityOptions)
	o.cf = newCaseFile(ctx, CaseRef{
		CaseNo: in.CaseNo, Kind: CaseKindObjection, RecordID: in.RecordID, SubjectID: in.SubjectID,
		ProviderID: in.ProviderID, ProfileID: in.ProfileID, ProfileVersion: in.ProfileVersion,
	}, &o.st.CaseProgress)
	o.cf.takeOpeningVersion(ctx)
	o.cf.dates = func(m map[string]time.Time) {
		setDate(m, activities.DateCorrected, o.correctedAt)
		setDate(m, activities.DateAppealed, o.appealedAt)
	}
	o.cf.resultRoute = func() string { return policy.ResultRouteOf(o.rules.Appeal, o.in.DisagreementHandover) }
	o.cf.onProceed = func(_ workflow.Context, d activities.Deadline) error {
		if d.Rule == policy.ObjectionAppealWindow {
			o.st.Stage = StageFinished // nobody appealed in time
		}
		return nil
	}
	if err := o.setHandlers(ctx); err != nil {
		return o.st, err
	}
	if err := o.open(ctx); err != nil {
		if o.cf.unfiled(ctx, err, nil) || o.cf.ended {
			return o.st, nil
		}
		return o.st, err
	}
	err := o.cf.run(ctx)
	return o.st, err
}

type objection struct {
	version       workflow.Version // procedure version, taken at start
	in            ObjectionInput
	st            ObjectionState
	cf            *caseFile
	extended      bool
	providerReply ProviderReplyInput
	resultNumber  string
	appealedAt    time.Time
	correctedAt   time.Time
	// rules are the profile's decisions about the course of the case.
	rules activities.ObjectionRules
}

// open writes the case, labels the record and starts the centre's check.
func (o *objection) open(ctx workflow.Context) error {
	o.cf.mu.Lock(ctx)
	defer o.cf.mu.Unlock()
	defer o.cf.beginOpening()()
	if err := o.cf.open(ctx, o.in.ReceivedAt); err != nil {
		return err
	}
	o.rules = activities.LegacyObjectionRules
	if workflow.GetVersion(ctx, ChangeObjectionProfileRules, workflow.DefaultVersion, 1) == 1 {
		if err := o.cf.step(ctx, cases.ObjectionRulesOf, activities.ObjectionRulesRequest{
			ProfileID: o.in.ProfileID, ProfileVersion: o.cf.profileVersion,
		}).Get(ctx, &o.rules); err != nil {
			return err
		}
	}
	var label activities.LabelResult
	if err := o.cf.step(ctx, cases.LabelRecord, activities.LabelRequest{
		CaseNo: o.in.CaseNo, RecordID: o.in.RecordID, ProfileID: o.in.ProfileID, ProfileVersion: o.cf.profileVersion,
	}).Get(ctx, &label); err != nil {
		return err
	}
	if err := o.cf.event(ctx, o.in.FiledBy, "objection.filed", o.in.Statement, map[string]any{
		"grounds": o.in.Grounds, "evidence": o.in.Evidence, "record_id": o.in.RecordID, "labelled_suspended": label.Suspended,
	}); err != nil {
		return err
	}
	if err := o.cf.startDeadline(ctx, policy.ObjectionCentreCheck, activities.PartyCentre, o.cf.openedAt); err != nil {
		return err
	}
	if err := o.startOverallOn(ctx, "objection.received", o.cf.openedAt); err != nil {
		return err
	}
	o.cf.opened = true
	return o.cf.save(ctx)
}

// startOverallOn starts the overall limit at event, when the profile
// starts it on that event (objection.received: receipt of the application,
// or of the complete materials; objection.accepted: acceptance).
func (o *objection) startOverallOn(ctx workflow.Context, event string, at time.Time) error {
	if o.rules.OverallStartsOn != event {
		return nil
	}
	return o.cf.startDeadline(ctx, policy.ObjectionOverall, activities.PartyCentre, at)
}

// close ends the procedure with outcome, opens the appeal window.
func (o *objection) close(ctx workflow.Context, by Actor, outcome string) error {
	if err := o.cf.settle(ctx, policy.ObjectionOverall, activities.DeadlineMet, outcome); err != nil {
		return err
	}
	o.cf.closedAt = workflow.Now(ctx)
	o.st.Outcome, o.st.Status, o.st.Stage = outcome, StatusClosed, StageClosed
	if !o.rules.Appeal && !o.in.DisagreementHandover {
		// No appeal (申诉) under the profile and no hand-over of a continued
		// disagreement: the written reply ends the case.
		o.st.Stage = StageFinished
		return o.cf.event(ctx, by, "objection.closed", outcome, map[string]any{"outcome": outcome, "appeal": false})
	}
	if err := o.cf.startDeadline(ctx, policy.ObjectionAppealWindow, activities.PartySubject, o.cf.closedAt); err != nil {
		return err
	}
	return o.cf.event(ctx, by, "objection.closed", outcome, map[string]any{"outcome": outcome})
}

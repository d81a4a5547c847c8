package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/documents"
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
	o := &objection{in: in, st: ObjectionState{CaseNo: in.CaseNo, Stage: StageAcceptance, Status: StatusOpen}}
	ctx = workflow.WithActivityOptions(ctx, caseActivityOptions)
	o.mu = workflow.NewMutex(ctx)
	if err := o.setHandlers(ctx); err != nil {
		return o.st, err
	}
	if err := o.open(ctx); err != nil {
		return o.st, err
	}
	err := o.run(ctx)
	if werr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err == nil {
		err = werr
	}
	return o.st, err
}

// caseActivityOptions retry without limit: a database outage delays a case,
// it must never fail it. Errors marked non-retryable (bad input) stop at once.
var caseActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
	},
}

// cases is the activity set the workflows call, by method reference.
var cases *activities.Cases

type objection struct {
	in             ObjectionInput
	st             ObjectionState
	mu             workflow.Mutex
	profileVersion string
	openedAt       time.Time
	acceptedAt     time.Time
	closedAt       time.Time
	// opened is set once the case is on file and the record labelled.
	opened bool
	// version changes with every state change, so the main loop re-plans its timer.
	version       int
	recompute     bool
	calendarNote  string
	docSeq        int
	extended      bool
	providerReply ProviderReplyInput
	resultNumber  string
	appealedAt    time.Time
}

func (o *objection) changed() { o.version++ }

// open writes the case, labels the record and starts the centre's check.
func (o *objection) open(ctx workflow.Context) error {
	o.mu.Lock(ctx)
	defer o.mu.Unlock()
	o.openedAt = o.in.ReceivedAt
	if o.openedAt.IsZero() {
		o.openedAt = workflow.Now(ctx)
	}
	if err := workflow.ExecuteActivity(ctx, cases.ProfileVersion, o.in.ProfileID).Get(ctx, &o.profileVersion); err != nil {
		return err
	}
	if err := o.save(ctx); err != nil {
		return err
	}
	var label activities.LabelResult
	if err := workflow.ExecuteActivity(ctx, cases.LabelRecord, activities.LabelRequest{
		CaseNo: o.in.CaseNo, RecordID: o.in.RecordID, ProfileID: o.in.ProfileID,
	}).Get(ctx, &label); err != nil {
		return err
	}
	if err := o.event(ctx, o.in.FiledBy, "objection.filed", o.in.Statement, map[string]any{
		"grounds": o.in.Grounds, "evidence": o.in.Evidence, "record_id": o.in.RecordID, "labelled_suspended": label.Suspended,
	}); err != nil {
		return err
	}
	if err := o.startDeadline(ctx, policy.ObjectionCentreCheck, activities.PartyCentre, o.openedAt); err != nil {
		return err
	}
	o.opened = true
	return o.save(ctx)
}

// run waits for the case to finish, firing reminders and lapses on time.
func (o *objection) run(ctx workflow.Context) error {
	for o.st.Stage != StageFinished {
		seen := o.version
		moved := func() bool { return o.version != seen || o.recompute || o.st.Stage == StageFinished }
		next, ok := o.nextTimer()
		if !ok {
			if err := workflow.Await(ctx, moved); err != nil {
				return err
			}
		} else if wait := next.Sub(workflow.Now(ctx)); wait > 0 {
			woken, err := workflow.AwaitWithTimeout(ctx, wait, moved)
			if err != nil {
				return err
			}
			if woken && !o.recompute {
				continue
			}
		}
		o.mu.Lock(ctx)
		err := o.tick(ctx)
		o.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// tick recomputes deadlines after a calendar change and fires every
// reminder and lapse that is due.
func (o *objection) tick(ctx workflow.Context) error {
	if o.recompute {
		o.recompute = false
		if err := o.recomputeDeadlines(ctx); err != nil {
			return err
		}
	}
	if o.st.Paused {
		return nil
	}
	now := workflow.Now(ctx)
	for i := range o.st.Deadlines {
		d := &o.st.Deadlines[i]
		if d.State != activities.DeadlinePending {
			continue
		}
		if !d.Reminded && !d.RemindAt.IsZero() && !now.Before(d.RemindAt) && now.Before(d.DueAt) {
			d.Reminded = true
			if err := o.notify(ctx, d.Party, "reminder", fmt.Sprintf("期限 %s 将于 %s 届满（%s）", d.Rule, d.Due, d.Explanation), d, "remind"); err != nil {
				return err
			}
		}
		if now.Before(d.DueAt) {
			continue
		}
		if err := o.lapse(ctx, d); err != nil {
			return err
		}
	}
	o.changed()
	return o.save(ctx)
}

// lapse takes the profile's actions for a missed deadline. The case stays open.
func (o *objection) lapse(ctx workflow.Context, d *activities.Deadline) error {
	d.State = activities.DeadlineMissed
	if err := workflow.ExecuteActivity(ctx, cases.SettleDeadline, activities.SettleDeadline{
		CaseNo: o.in.CaseNo, Rule: d.Rule, Seq: d.Seq, State: activities.DeadlineMissed, At: d.DueAt, Reason: "lapsed",
	}).Get(ctx, nil); err != nil {
		return err
	}
	if err := o.event(ctx, system, "deadline.lapsed", d.Rule, map[string]any{"rule": d.Rule, "seq": d.Seq, "party": d.Party, "due_at": d.DueAt}); err != nil {
		return err
	}
	for _, action := range d.OnLapse {
		var err error
		switch action {
		case policy.LapseRemind:
			err = o.notify(ctx, d.Party, "lapse", fmt.Sprintf("期限 %s 已于 %s 届满，请立即办理", d.Rule, d.Due), d, "lapse")
		case policy.LapseEscalate:
			err = workflow.ExecuteActivity(ctx, cases.Escalate, activities.Escalation{
				CaseNo: o.in.CaseNo, Rule: d.Rule, Seq: d.Seq, Party: d.Party, Since: d.DueAt,
			}).Get(ctx, nil)
			o.st.Escalations = append(o.st.Escalations, fmt.Sprintf("%s#%d", d.Rule, d.Seq))
		case policy.LapseSuspendPublicQuery:
			err = workflow.ExecuteActivity(ctx, cases.SuspendPublicQuery, activities.RecordRef{
				CaseNo: o.in.CaseNo, RecordID: o.in.RecordID, Reason: "信息提供单位逾期未核查（" + d.Rule + "）",
			}).Get(ctx, nil)
		case policy.LapseProceed:
			if d.Rule == policy.ObjectionAppealWindow {
				o.st.Stage = StageFinished
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nextTimer is the earliest pending reminder or due instant.
func (o *objection) nextTimer() (time.Time, bool) {
	if o.st.Paused {
		return time.Time{}, false
	}
	var next time.Time
	for _, d := range o.st.Deadlines {
		if d.State != activities.DeadlinePending {
			continue
		}
		t := d.DueAt
		if !d.Reminded && !d.RemindAt.IsZero() && d.RemindAt.Before(t) {
			t = d.RemindAt
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next, !next.IsZero()
}

// system is the actor of what the workflow does by itself (lapses).
var system = Actor{Name: "system", Role: "system"}

func (o *objection) event(ctx workflow.Context, by Actor, action, reason string, data map[string]any) error {
	o.st.Events++
	return workflow.ExecuteActivity(ctx, cases.RecordEvent, activities.Event{
		CaseNo: o.in.CaseNo, Seq: o.st.Events, At: workflow.Now(ctx), Actor: by.Name, Role: by.Role,
		Action: action, Reason: reason, Data: data,
	}).Get(ctx, nil)
}

func (o *objection) notify(ctx workflow.Context, party, kind, msg string, d *activities.Deadline, step string) error {
	return workflow.ExecuteActivity(ctx, cases.Notify, activities.Notice{
		CaseNo: o.in.CaseNo, Party: party, Kind: kind, Message: o.in.CaseNo + "：" + msg,
		DedupKey: fmt.Sprintf("%s/%s/%d/%s", o.in.CaseNo, d.Rule, d.Seq, step),
	}).Get(ctx, nil)
}

// startDeadline computes rule from start and adds it to the case.
func (o *objection) startDeadline(ctx workflow.Context, rule, party string, start time.Time) error {
	d, err := o.computeDeadline(ctx, activities.DeadlineRequest{Rule: rule, Party: party, Start: start})
	if err != nil {
		return err
	}
	o.st.Deadlines = append(o.st.Deadlines, d)
	return nil
}

func (o *objection) computeDeadline(ctx workflow.Context, req activities.DeadlineRequest) (activities.Deadline, error) {
	req.CaseNo, req.ProfileID = o.in.CaseNo, o.in.ProfileID
	req.Seq = 1
	for _, d := range o.st.Deadlines {
		if d.Rule == req.Rule && d.Seq >= req.Seq {
			req.Seq = d.Seq + 1
		}
	}
	var d activities.Deadline
	err := workflow.ExecuteActivity(ctx, cases.ComputeDeadline, req).Get(ctx, &d)
	return d, err
}

// pending returns the pending deadline of rule, or nil.
func (o *objection) pending(rule string) *activities.Deadline {
	for i := range o.st.Deadlines {
		if d := &o.st.Deadlines[i]; d.Rule == rule && d.State == activities.DeadlinePending {
			return d
		}
	}
	return nil
}

// settle marks the pending deadline of rule met or cancelled.
func (o *objection) settle(ctx workflow.Context, rule, state, reason string) error {
	d := o.pending(rule)
	if d == nil {
		return nil
	}
	d.State = state
	return workflow.ExecuteActivity(ctx, cases.SettleDeadline, activities.SettleDeadline{
		CaseNo: o.in.CaseNo, Rule: rule, Seq: d.Seq, State: state, At: workflow.Now(ctx), Reason: reason,
	}).Get(ctx, nil)
}

// replace supersedes deadline d by a recomputation req and records both.
func (o *objection) replace(ctx workflow.Context, d *activities.Deadline, req activities.DeadlineRequest, by Actor, action string) error {
	req.Rule, req.Party, req.Start, req.Supersedes = d.Rule, d.Party, d.Start, d.Seq
	if req.Extra == 0 {
		req.Extra = d.Extra
	}
	nd, err := o.computeDeadline(ctx, req)
	if err != nil {
		return err
	}
	nd.Reminded = d.Reminded && !nd.RemindAt.After(d.RemindAt)
	old := *d
	d.State = activities.DeadlineSuperseded
	o.st.Deadlines = append(o.st.Deadlines, nd)
	return o.event(ctx, by, action, req.Reason, map[string]any{
		"rule": old.Rule, "old_seq": old.Seq, "old_due": old.Due.String(), "old_calendar": old.Version,
		"new_seq": nd.Seq, "new_due": nd.Due.String(), "new_calendar": nd.Version, "explanation": nd.Explanation,
	})
}

func (o *objection) recomputeDeadlines(ctx workflow.Context) error {
	var open []int
	for i, d := range o.st.Deadlines {
		if d.State == activities.DeadlinePending {
			open = append(open, i)
		}
	}
	for _, i := range open {
		if err := o.replace(ctx, &o.st.Deadlines[i], activities.DeadlineRequest{Reason: "calendar changed: " + o.calendarNote},
			system, "deadline.recomputed"); err != nil {
			return err
		}
	}
	o.changed()
	return o.save(ctx)
}

// issue renders and stores a written notice of the case; the activity reads
// names and record details from PostgreSQL, so they stay out of history.
func (o *objection) issue(ctx workflow.Context, kind documents.Kind, facts map[string]string, lists map[string][]string, correction map[string]any) (activities.DocumentRef, error) {
	o.docSeq++
	var ref activities.DocumentRef
	err := workflow.ExecuteActivity(ctx, cases.IssueDocument, activities.DocumentRequest{
		CaseNo: o.in.CaseNo, Kind: string(kind), Seq: o.docSeq, Facts: facts, Lists: lists, Correction: correction,
	}).Get(ctx, &ref)
	if err == nil {
		o.st.Documents = append(o.st.Documents, ref.Number)
	}
	return ref, err
}

// save writes the projection row and the search attributes (no personal data).
func (o *objection) save(ctx workflow.Context) error {
	row := activities.CaseRow{
		CaseNo: o.in.CaseNo, Kind: CaseKindObjection, WorkflowID: ObjectionWorkflowID(o.in.CaseNo),
		RecordID: o.in.RecordID, SubjectID: o.in.SubjectID, ProviderID: o.in.ProviderID,
		ProfileID: o.in.ProfileID, ProfileVersion: o.profileVersion,
		Stage: o.st.Stage, Status: o.st.Status, Outcome: o.st.Outcome,
		OpenedAt: o.openedAt, AcceptedAt: o.acceptedAt, ClosedAt: o.closedAt,
	}
	if next := o.nextDeadline(); next != nil {
		row.NextDueAt, row.NextRule = next.DueAt, next.Rule
	}
	if err := workflow.ExecuteActivity(ctx, cases.SaveCase, row).Get(ctx, nil); err != nil {
		return err
	}
	sa := []temporal.SearchAttributeUpdate{
		CaseKind.ValueSet(CaseKindObjection), CaseStage.ValueSet(o.st.Stage), CaseStatus.ValueSet(o.st.Status),
	}
	if !row.NextDueAt.IsZero() {
		sa = append(sa, CaseDeadline.ValueSet(row.NextDueAt))
	} else {
		sa = append(sa, CaseDeadline.ValueUnset())
	}
	return workflow.UpsertTypedSearchAttributes(ctx, sa...)
}

func (o *objection) nextDeadline() *activities.Deadline {
	var next *activities.Deadline
	for i := range o.st.Deadlines {
		d := &o.st.Deadlines[i]
		if d.State == activities.DeadlinePending && (next == nil || d.DueAt.Before(next.DueAt)) {
			next = d
		}
	}
	return next
}

// close ends the procedure with outcome, opens the appeal window.
func (o *objection) close(ctx workflow.Context, by Actor, outcome string) error {
	if err := o.settle(ctx, policy.ObjectionOverall, activities.DeadlineMet, outcome); err != nil {
		return err
	}
	o.closedAt = workflow.Now(ctx)
	o.st.Outcome, o.st.Status, o.st.Stage = outcome, StatusClosed, StageClosed
	if err := o.startDeadline(ctx, policy.ObjectionAppealWindow, activities.PartySubject, o.closedAt); err != nil {
		return err
	}
	if err := o.event(ctx, by, "objection.closed", outcome, map[string]any{"outcome": outcome}); err != nil {
		return err
	}
	o.changed()
	return o.save(ctx)
}

// errWrongStage builds the validator error for an action refused in this stage.
func (o *objection) errWrongStage(action string, allowed ...string) error {
	if slices.Contains(allowed, o.st.Stage) && !(o.st.Paused && action != ObjectionResume && action != ObjectionWithdraw) {
		return nil
	}
	if o.st.Paused && slices.Contains(allowed, o.st.Stage) {
		return temporal.NewApplicationError(fmt.Sprintf("%s refused: the case clock is paused; resume it first", action), "paused")
	}
	return temporal.NewApplicationError(fmt.Sprintf("%s refused: the case is at stage %s (allowed at %s)", action, o.st.Stage, strings.Join(allowed, ", ")), "wrong-stage")
}

// field is an input field for the required check: name and value.
type field struct{ name, value string }

// required refuses an action whose required fields are empty, naming them.
func required(fields ...field) error {
	var missing []string
	for _, f := range fields {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return temporal.NewApplicationError("missing: "+strings.Join(missing, ", "), "invalid-input")
	}
	return nil
}

var errNoCorrection = errors.New("a correction needs the corrected fields")

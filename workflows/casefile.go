package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/letters"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// CaseProgress is the part of a case's live state every procedure shares:
// where it stands, its deadlines, documents, escalations and events. Each
// procedure's state embeds it.
type CaseProgress struct {
	CaseNo      string                `json:"case_no"`
	Stage       string                `json:"stage"`
	Status      string                `json:"status"`
	Outcome     string                `json:"outcome,omitempty"`
	Paused      bool                  `json:"paused"`
	PausedAt    time.Time             `json:"paused_at,omitzero"`
	Deadlines   []activities.Deadline `json:"deadlines"`
	Documents   []string              `json:"documents,omitempty"`
	Escalations []string              `json:"escalations,omitempty"`
	Events      int                   `json:"events"`
	// Escalated is the step stopped by a data error, waiting for a person
	// (escalation_contract.go); nil when none is.
	Escalated *EscalatedStep `json:"escalated,omitempty"`
	// EscalatedSteps counts the case's escalated steps (their Seq).
	EscalatedSteps int `json:"escalated_steps,omitempty"`
}

// CaseRef names the case and what it is about. It carries identifiers
// only: names and ID numbers stay in PostgreSQL, out of workflow history.
type CaseRef struct {
	CaseNo     string `json:"case_no"`
	Kind       string `json:"kind"`
	RecordID   int64  `json:"record_id"`
	SubjectID  int64  `json:"subject_id"`
	ProviderID int64  `json:"provider_id"`
	ProfileID  string `json:"profile_id"`
	// ProfileVersion pins the profile version (see open).
	ProfileVersion string `json:"profile_version,omitempty"`
}

// caseFile is the machinery every case workflow shares: the case mutex, the
// deadlines (computed by an activity from the profile through the calendar,
// awaited with timers, reminded and lapsed as the profile says), the
// append-only event log, documents, and the projection row with the search
// attributes. A procedure keeps its own steps and calls these.
type caseFile struct {
	ref            CaseRef
	p              *CaseProgress
	mu             workflow.Mutex
	profileVersion string
	openedAt       time.Time
	acceptedAt     time.Time
	closedAt       time.Time
	// opened is set once the case is on file; updates wait for it.
	opened bool
	// version changes with every state change, so the main loop re-plans its timer.
	version      int
	recompute    bool
	calendarNote string
	// calendarRev is the latest calendar revision signalled (0 = unknown).
	calendarRev int64
	// corrected are the deadlines the calendar change being handled moved
	// to another day (letters.Moved); correctedRev the last revision a deadline
	// correction notice was issued for (ChangeCorrectionNotice).
	corrected    []string
	correctedRev int64
	// providerCorrected are those of them the provider answers for: its
	// own correction notice states them (ChangeProviderCorrectionNotice).
	providerCorrected []string
	docSeq            int
	// onProceed is called when a deadline whose lapse action is "proceed"
	// runs out (a waiting period ends and the procedure moves on).
	onProceed func(ctx workflow.Context, d activities.Deadline) error
	// localOpening: the case opens with local activities
	// (ChangeLocalOpening); opening is set while it does.
	localOpening, opening bool
	// quick: the case's actions run their database steps as local
	// activities and render their letters after answering
	// (ChangeQuickActions), taken once (quickTaken) at the first action or
	// letter that asks.
	quick, quickTaken bool
	// root is the workflow's context, for the letters rendered after an
	// action has answered; rendering counts them until they are stored.
	root      workflow.Context
	rendering int
	// dates adds a procedure's own dates to those a letter states.
	dates func(map[string]time.Time)
	// resultRoute is what follows an objection's written reply under the
	// case's profile (policy.ResultRoute; "" for other procedures): the
	// messages name its rules in those words (words).
	resultRoute func() string
	// resolution is a person's answer to the escalated step, handed from
	// UpdateResolveStep to the step waiting for it; ended is set once the
	// case was closed on an escalation (the workflow ends without failing).
	resolution *StepResolution
	ended      bool
	// resolved counts the resolutions the escalated step took;
	// resolveErr is the last one's failure to be recorded (nil: done).
	resolved   int
	resolveErr error
	// busy counts update steps still running (caseUpdate): the workflow
	// does not end under one.
	busy int
	// recordIDs are the records the case holds (a listing's several);
	// nil = ref.RecordID.
	recordIDs []int64
}

// words is the wording key of rule in this case's messages
// (wording.RuleUnder): the window after an objection's reply is an appeal
// window only where the profile grants an appeal. Text only: no command.
func (c *caseFile) words(rule string) string {
	if c.resultRoute == nil {
		return rule
	}
	return wording.RuleUnder(rule, c.resultRoute())
}

func newCaseFile(ctx workflow.Context, ref CaseRef, p *CaseProgress) *caseFile {
	p.CaseNo = ref.CaseNo
	return &caseFile{ref: ref, p: p, mu: workflow.NewMutex(ctx), root: ctx}
}

// quickActions reports whether the case takes its actions quickly
// (versions.go, ChangeQuickActions): the version is taken at the first
// action or letter that asks, and kept for the run.
func (c *caseFile) quickActions(ctx workflow.Context) bool {
	if !c.quickTaken {
		c.quick = workflow.GetVersion(ctx, ChangeQuickActions, workflow.DefaultVersion, 1) >= 1
		c.quickTaken = true
	}
	return c.quick
}

type actingKey struct{}

// acting returns ctx for an action's work: under ChangeQuickActions its
// short database steps are local activities.
func (c *caseFile) acting(ctx workflow.Context) workflow.Context {
	if !c.quickActions(ctx) {
		return ctx
	}
	return workflow.WithValue(ctx, actingKey{}, true)
}

func isActing(ctx workflow.Context) bool {
	v, _ := ctx.Value(actingKey{}).(bool)
	return v
}

// lettersDone reports whether every letter numbered has been rendered and
// stored: the workflow does not end (or continue as new) before.
func (c *caseFile) lettersDone() bool { return c.rendering == 0 }

// takeOpeningVersion decides, before the case's first command, whether it
// opens with local activities (versions.go, ChangeLocalOpening).
func (c *caseFile) takeOpeningVersion(ctx workflow.Context) {
	c.localOpening = workflow.GetVersion(ctx, ChangeLocalOpening, workflow.DefaultVersion, 1) >= 1
}

// beginOpening runs the short database steps that follow as local
// activities, until the returned function is called (under
// ChangeLocalOpening; otherwise it changes nothing).
func (c *caseFile) beginOpening() (end func()) {
	c.opening = c.localOpening
	return func() { c.opening = false }
}

// openingLocalOptions: each step of the opening is one short, idempotent
// database transaction. A retry (the worker died before the workflow task
// completed) runs it again and finds its rows written: harmless. Retried
// without limit, like every case activity.
var openingLocalOptions = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy:         caseActivityOptions.RetryPolicy,
}

// step runs a short database step of the case: a local activity while the
// case opens under ChangeLocalOpening or acts under ChangeQuickActions,
// else a regular activity. A data error escalates the step (stepFuture).
func (c *caseFile) step(ctx workflow.Context, activity any, arg any) stepFuture {
	return stepFuture{c: c, ctx: ctx, local: c.opening || isActing(ctx), activity: activity, arg: arg}
}

// actionStep is step for the steps only an action runs locally (settling a
// deadline, applying an outcome): the opening never runs them.
func (c *caseFile) actionStep(ctx workflow.Context, activity any, arg any) stepFuture {
	return stepFuture{c: c, ctx: ctx, local: isActing(ctx), activity: activity, arg: arg}
}

// rawStep is step without escalation: for a check whose refusal the
// procedure handles itself.
func (c *caseFile) rawStep(ctx workflow.Context, activity any, arg any) workflow.Future {
	if c.opening || isActing(ctx) {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, openingLocalOptions), activity, arg)
	}
	return workflow.ExecuteActivity(ctx, activity, arg)
}

// system is the actor of what the workflow does by itself (lapses).
var system = Actor{Name: "system", Role: "system"}

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

func (c *caseFile) changed() { c.version++ }

// open writes the case's projection row once its profile version is known.
func (c *caseFile) open(ctx workflow.Context, openedAt time.Time) error {
	c.openedAt = openedAt
	if c.openedAt.IsZero() {
		c.openedAt = workflow.Now(ctx)
	}
	// The version the case was registered with wins: the case's deadlines,
	// lights and letters follow it to the end, whatever is loaded later.
	// Under ChangeLocalOpening a case registered with its version does not
	// ask for the loaded one.
	if c.ref.ProfileVersion == "" || !c.localOpening {
		if err := c.step(ctx, cases.ProfileVersion, c.ref.ProfileID).Get(ctx, &c.profileVersion); err != nil {
			return err
		}
	}
	if c.ref.ProfileVersion != "" {
		c.profileVersion = c.ref.ProfileVersion
	}
	return c.save(ctx)
}

// listenCalendar makes a calendar change (SignalCalendarChanged) recompute
// every open deadline at the next turn of the main loop.
func (c *caseFile) listenCalendar(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalCalendarChanged)
		for {
			var change CalendarChange
			ch.Receive(ctx, &change)
			c.calendarNote = change.Note
			if change.Revision > c.calendarRev {
				c.calendarRev = change.Revision
			}
			c.recompute = true
		}
	})
}

// run waits until the case reaches StageFinished, firing reminders and
// lapses on time and recomputing after calendar changes.
func (c *caseFile) run(ctx workflow.Context) error {
	for c.p.Stage != StageFinished {
		seen := c.version
		moved := func() bool { return c.version != seen || c.recompute || c.p.Stage == StageFinished }
		next, ok := c.nextTimer()
		if !ok {
			if err := workflow.Await(ctx, moved); err != nil {
				return err
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
		c.mu.Lock(ctx)
		err := c.tick(ctx)
		c.mu.Unlock()
		if err != nil && !c.ended {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && c.lettersDone() && c.busy == 0 })
}

// tick recomputes deadlines after a calendar change and fires every
// reminder and lapse that is due.
func (c *caseFile) tick(ctx workflow.Context) error {
	if c.recompute {
		c.recompute = false
		if err := c.recomputeDeadlines(ctx); err != nil {
			return err
		}
	}
	if c.p.Paused {
		return nil
	}
	now := workflow.Now(ctx)
	for i := range c.p.Deadlines {
		d := &c.p.Deadlines[i]
		if d.State != activities.DeadlinePending {
			continue
		}
		if !d.Reminded && !d.RemindAt.IsZero() && !now.Before(d.RemindAt) && now.Before(d.DueAt) {
			d.Reminded = true
			zh, en := c.dueOf(d, wording.ZH), c.dueOf(d, wording.EN)
			if err := c.notify(ctx, d.Party, "reminder", wording.Reminder(c.ref.Kind, c.ref.CaseNo, zh, wording.ZH),
				wording.Reminder(c.ref.Kind, c.ref.CaseNo, en, wording.EN), d, "remind"); err != nil {
				return err
			}
		}
		if now.Before(d.DueAt) {
			continue
		}
		if err := c.lapse(ctx, d); err != nil {
			return err
		}
	}
	c.changed()
	return c.save(ctx)
}

// lapse takes the profile's actions for a missed deadline. A lapse never
// closes a case by itself.
func (c *caseFile) lapse(ctx workflow.Context, d *activities.Deadline) error {
	d.State = activities.DeadlineMissed
	if err := c.act(ctx, cases.SettleDeadline, activities.SettleDeadline{
		CaseNo: c.ref.CaseNo, Rule: d.Rule, Seq: d.Seq, State: activities.DeadlineMissed, At: d.DueAt, Reason: "lapsed",
	}).Get(ctx, nil); err != nil {
		return err
	}
	if err := c.event(ctx, system, "deadline.lapsed", d.Rule, map[string]any{"rule": d.Rule, "seq": d.Seq, "party": d.Party, "due_at": d.DueAt}); err != nil {
		return err
	}
	for _, action := range d.OnLapse {
		var err error
		switch action {
		case policy.LapseRemind:
			err = c.notify(ctx, d.Party, "lapse", wording.Lapsed(c.ref.Kind, c.ref.CaseNo, c.dueOf(d, wording.ZH), wording.ZH),
				wording.Lapsed(c.ref.Kind, c.ref.CaseNo, c.dueOf(d, wording.EN), wording.EN), d, "lapse")
		case policy.LapseEscalate:
			err = c.act(ctx, cases.Escalate, activities.Escalation{
				CaseNo: c.ref.CaseNo, Rule: d.Rule, Seq: d.Seq, Party: d.Party, Since: d.DueAt,
			}).Get(ctx, nil)
			c.p.Escalations = append(c.p.Escalations, fmt.Sprintf("%s#%d", d.Rule, d.Seq))
		case policy.LapseSuspendPublicQuery:
			err = c.act(ctx, cases.SuspendPublicQuery, activities.RecordRef{
				CaseNo: c.ref.CaseNo, RecordID: c.ref.RecordID, Reason: "逾期未办理（" + wording.RuleName(c.words(d.Rule), wording.ZH) + "）",
			}).Get(ctx, nil)
		case policy.LapseProceed:
			if c.onProceed != nil {
				err = c.onProceed(ctx, *d)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nextTimer is the earliest pending reminder or due instant.
func (c *caseFile) nextTimer() (time.Time, bool) {
	if c.p.Paused {
		return time.Time{}, false
	}
	var next time.Time
	for _, d := range c.p.Deadlines {
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

// event appends one entry to the case's event log.
func (c *caseFile) event(ctx workflow.Context, by Actor, action, reason string, data map[string]any) error {
	c.p.Events++
	return c.step(ctx, cases.RecordEvent, activities.Event{
		CaseNo: c.ref.CaseNo, Seq: c.p.Events, At: workflow.Now(ctx), Actor: by.Name, Role: by.Role,
		Action: action, Reason: reason, Data: data,
	}).Get(ctx, nil)
}

// dueOf is deadline d as a message states it, explained in lang, its rule
// in the words of the case's profile (ruleWords).
func (c *caseFile) dueOf(d *activities.Deadline, lang wording.Lang) wording.Due {
	out := wording.Due{Rule: c.words(d.Rule), Date: d.Due, Explanation: d.ExplanationZH}
	if lang == wording.EN {
		out.Explanation = d.ExplanationEN
	}
	return out
}

// notify puts a message about deadline d in a party's inbox: zh and en are
// the whole message (internal/wording), naming the case.
func (c *caseFile) notify(ctx workflow.Context, party, kind, zh, en string, d *activities.Deadline, step string) error {
	return c.act(ctx, cases.Notify, activities.Notice{
		CaseNo: c.ref.CaseNo, Party: party, Kind: kind, Message: zh, MessageEN: en,
		DedupKey: fmt.Sprintf("%s/%s/%d/%s", c.ref.CaseNo, d.Rule, d.Seq, step),
	}).Get(ctx, nil)
}

// tell puts a message that asks nothing in a party's inbox, once per key.
func (c *caseFile) tell(ctx workflow.Context, party, kind, key, zh, en string) error {
	return c.act(ctx, cases.Notify, activities.Notice{
		CaseNo: c.ref.CaseNo, Party: party, Kind: kind,
		Message: wording.Told(c.ref.Kind, c.ref.CaseNo, zh, wording.ZH), MessageEN: wording.Told(c.ref.Kind, c.ref.CaseNo, en, wording.EN),
		DedupKey: c.ref.CaseNo + "/" + key,
	}).Get(ctx, nil)
}

// ask puts in a party's inbox, once per key, what is asked of it: by
// deadline d (what it asks is d's rule's), or, with d nil, the step what
// (zh, en) with no time limit.
func (c *caseFile) ask(ctx workflow.Context, party, kind, key string, d *activities.Deadline, whatZH, whatEN string) error {
	var zh, en *wording.Due
	if d != nil {
		z, e := c.dueOf(d, wording.ZH), c.dueOf(d, wording.EN)
		zh, en = &z, &e
		if whatZH == "" {
			whatZH, whatEN = wording.Ask(c.words(d.Rule), wording.ZH), wording.Ask(c.words(d.Rule), wording.EN)
		}
	}
	return c.act(ctx, cases.Notify, activities.Notice{
		CaseNo: c.ref.CaseNo, Party: party, Kind: kind,
		Message:   wording.Asked(c.ref.Kind, c.ref.CaseNo, whatZH, zh, wording.ZH),
		MessageEN: wording.Asked(c.ref.Kind, c.ref.CaseNo, whatEN, en, wording.EN),
		DedupKey:  c.ref.CaseNo + "/" + key,
	}).Get(ctx, nil)
}

// startDeadline computes rule from start and adds it to the case.
func (c *caseFile) startDeadline(ctx workflow.Context, rule, party string, start time.Time) error {
	d, err := c.computeDeadline(ctx, activities.DeadlineRequest{Rule: rule, Party: party, Start: start})
	if err != nil {
		return err
	}
	c.p.Deadlines = append(c.p.Deadlines, d)
	return nil
}

func (c *caseFile) computeDeadline(ctx workflow.Context, req activities.DeadlineRequest) (activities.Deadline, error) {
	req.CaseNo, req.ProfileID, req.ProfileVersion = c.ref.CaseNo, c.ref.ProfileID, c.profileVersion
	req.Seq = 1
	for _, d := range c.p.Deadlines {
		if d.Rule == req.Rule && d.Seq >= req.Seq {
			req.Seq = d.Seq + 1
		}
	}
	var d activities.Deadline
	err := c.step(ctx, cases.ComputeDeadline, req).Get(ctx, &d)
	return d, err
}

// pending returns the pending deadline of rule, or nil.
func (c *caseFile) pending(rule string) *activities.Deadline {
	for i := range c.p.Deadlines {
		if d := &c.p.Deadlines[i]; d.Rule == rule && d.State == activities.DeadlinePending {
			return d
		}
	}
	return nil
}

// pendingIndex is the index of the pending deadline of rule (-1: none).
func (c *caseFile) pendingIndex(rule string) int {
	return slices.IndexFunc(c.p.Deadlines, func(d activities.Deadline) bool {
		return d.Rule == rule && d.State == activities.DeadlinePending
	})
}

// lastDue is the due instant of the latest deadline of rule, whatever its
// state (zero when the case never had one).
func (c *caseFile) lastDue(rule string) time.Time {
	var at time.Time
	for _, d := range c.p.Deadlines {
		if d.Rule == rule && d.DueAt.After(at) {
			at = d.DueAt
		}
	}
	return at
}

// settle marks the pending deadline of rule met or cancelled.
func (c *caseFile) settle(ctx workflow.Context, rule, state, reason string) error {
	d := c.pending(rule)
	if d == nil {
		return nil
	}
	d.State = state
	return c.actionStep(ctx, cases.SettleDeadline, activities.SettleDeadline{
		CaseNo: c.ref.CaseNo, Rule: rule, Seq: d.Seq, State: state, At: workflow.Now(ctx), Reason: reason,
	}).Get(ctx, nil)
}

// cancelPending cancels every pending deadline (withdrawal, refusal).
func (c *caseFile) cancelPending(ctx workflow.Context, reason string) error {
	for i := range c.p.Deadlines {
		if d := c.p.Deadlines[i]; d.State == activities.DeadlinePending {
			if err := c.settle(ctx, d.Rule, activities.DeadlineCancelled, reason); err != nil {
				return err
			}
		}
	}
	return nil
}

// replace supersedes deadline d by a recomputation req and records both.
func (c *caseFile) replace(ctx workflow.Context, d *activities.Deadline, req activities.DeadlineRequest, by Actor, action string) error {
	req.Rule, req.Party, req.Start, req.Supersedes = d.Rule, d.Party, d.Start, d.Seq
	if req.Extra == 0 {
		req.Extra = d.Extra
	}
	nd, err := c.computeDeadline(ctx, req)
	if err != nil {
		return err
	}
	nd.Reminded = d.Reminded && !nd.RemindAt.After(d.RemindAt)
	old := *d
	d.State = activities.DeadlineSuperseded
	c.p.Deadlines = append(c.p.Deadlines, nd)
	return c.event(ctx, by, action, req.Reason, map[string]any{
		"rule": old.Rule, "old_seq": old.Seq, "old_due": old.Due.String(), "old_calendar": old.Version,
		"new_seq": nd.Seq, "new_due": nd.Due.String(), "new_calendar": nd.Version, "explanation": nd.Explanation,
	})
}

func (c *caseFile) recomputeDeadlines(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, ChangeRecomputeCompare, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		moved, err := c.recountAll(ctx, func(activities.Deadline) bool { return true })
		if err != nil {
			return err
		}
		if err := c.correctionNotice(ctx); err != nil {
			return err
		}
		if err := c.markRecomputed(ctx, moved); err != nil {
			return err
		}
		c.changed()
		return c.save(ctx)
	}
	var open []int
	for i, d := range c.p.Deadlines {
		if d.State == activities.DeadlinePending {
			open = append(open, i)
		}
	}
	for _, i := range open {
		if err := c.replace(ctx, &c.p.Deadlines[i], activities.DeadlineRequest{Reason: "calendar changed: " + c.calendarNote},
			system, "deadline.recomputed"); err != nil {
			return err
		}
	}
	c.changed()
	return c.save(ctx)
}

// calendarReason is the reason recorded on deadlines a calendar change moved.
func (c *caseFile) calendarReason() string {
	if c.calendarRev > 0 {
		return fmt.Sprintf("calendar changed (revision %d): %s", c.calendarRev, c.calendarNote)
	}
	return "calendar changed: " + c.calendarNote
}

// recountAll recounts every open deadline that which selects under the
// calendar as it stands and tells the parties of every date that moved; it
// returns how many moved.
func (c *caseFile) recountAll(ctx workflow.Context, which func(activities.Deadline) bool) (int, error) {
	var open []int
	for i, d := range c.p.Deadlines {
		if d.State == activities.DeadlinePending && which(d) {
			open = append(open, i)
		}
	}
	moved := 0
	for _, i := range open {
		m, err := c.recount(ctx, i)
		if err != nil {
			return moved, err
		}
		if m {
			moved++
		}
	}
	return moved, nil
}

// markRecomputed reports the case done to the recompute run.
func (c *caseFile) markRecomputed(ctx workflow.Context, moved int) error {
	return c.act(ctx, cases.MarkCaseRecomputed, activities.CaseRecomputed{
		Revision: c.calendarRev, CaseNo: c.ref.CaseNo, Moved: moved,
	}).Get(ctx, nil)
}

// recount recounts open deadline i after a calendar change. When its date
// or provisional flag moves, the new deadline supersedes it (both kept,
// with the reason), the change is logged and the party responsible and
// the subject are told the corrected date. It reports whether it moved.
func (c *caseFile) recount(ctx workflow.Context, i int) (bool, error) {
	d := c.p.Deadlines[i]
	req := activities.DeadlineRequest{
		CaseNo: c.ref.CaseNo, ProfileID: c.ref.ProfileID, ProfileVersion: c.profileVersion,
		Rule: d.Rule, Seq: c.nextSeq(d.Rule), Party: d.Party, Start: d.Start, Extra: d.Extra,
		Supersedes: d.Seq, Reason: c.calendarReason(),
	}
	var res activities.RecomputeResult
	if err := c.act(ctx, cases.RecomputeDeadline, activities.RecomputeRequest{Request: req, Old: d}).Get(ctx, &res); err != nil {
		return false, err
	}
	if !res.Changed {
		c.p.Deadlines[i] = res.Deadline
		return false, nil
	}
	nd := res.Deadline
	nd.Reminded = d.Reminded && !nd.RemindAt.After(d.RemindAt)
	c.p.Deadlines[i].State = activities.DeadlineSuperseded
	c.p.Deadlines = append(c.p.Deadlines, nd)
	if err := c.event(ctx, system, "deadline.recomputed", req.Reason, map[string]any{
		"rule": d.Rule, "old_seq": d.Seq, "old_due": d.Due.String(), "old_calendar": d.Version, "old_provisional": d.Provisional,
		"new_seq": nd.Seq, "new_due": nd.Due.String(), "new_calendar": nd.Version, "new_provisional": nd.Provisional,
		"explanation": nd.Explanation, "calendar_revision": c.calendarRev,
	}); err != nil {
		return false, err
	}
	if nd.Due != d.Due {
		c.corrected = append(c.corrected, letters.Moved(d.Rule, d.Seq, nd.Seq))
		if activities.IsProviderParty(d.Party) {
			c.providerCorrected = append(c.providerCorrected, letters.Moved(d.Rule, d.Seq, nd.Seq))
		}
	}
	zh := wording.Corrected(c.ref.Kind, c.ref.CaseNo, c.words(d.Rule), d.Due, nd.Due, nd.Provisional, c.calendarRev, wording.ZH)
	en := wording.Corrected(c.ref.Kind, c.ref.CaseNo, c.words(d.Rule), d.Due, nd.Due, nd.Provisional, c.calendarRev, wording.EN)
	parties := []string{d.Party}
	if d.Party != activities.PartySubject {
		parties = append(parties, activities.PartySubject)
	}
	for _, party := range parties {
		if err := c.act(ctx, cases.Notify, activities.Notice{
			CaseNo: c.ref.CaseNo, Party: party, Kind: "deadline.corrected", Message: zh, MessageEN: en,
			DedupKey: fmt.Sprintf("%s/%s/%d/corrected/%s", c.ref.CaseNo, nd.Rule, nd.Seq, party),
		}).Get(ctx, nil); err != nil {
			return false, err
		}
	}
	return true, nil
}

// correctionNotice issues the deadline correction notice (期限更正通知书)
// of the calendar change just handled: once per case and revision, when it
// moved a due date of the case to another day.
//
// When a moved date is the provider's (its verification reply, its repair
// opinion…), the provider gets its own notice of those dates, addressed to
// it (ChangeProviderCorrectionNotice), after the subject's.
func (c *caseFile) correctionNotice(ctx workflow.Context) error {
	moved, providers := c.corrected, c.providerCorrected
	c.corrected, c.providerCorrected = nil, nil
	if len(moved) == 0 || c.calendarRev <= c.correctedRev {
		return nil
	}
	if workflow.GetVersion(ctx, ChangeCorrectionNotice, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	c.correctedRev = c.calendarRev
	facts := map[string]string{"revision": strconv.FormatInt(c.calendarRev, 10), "case_kind": c.ref.Kind}
	if _, err := c.issue(ctx, documents.KindDeadlineCorrection, facts, map[string][]string{"moved": moved}, nil); err != nil {
		return err
	}
	if len(providers) == 0 {
		return nil
	}
	if workflow.GetVersion(ctx, ChangeProviderCorrectionNotice, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	_, err := c.issue(ctx, documents.KindProviderDeadlineCorrection, facts, map[string][]string{"moved": providers}, nil)
	return err
}

// nextSeq is the next free seq of rule.
func (c *caseFile) nextSeq(rule string) int {
	seq := 1
	for _, d := range c.p.Deadlines {
		if d.Rule == rule && d.Seq >= seq {
			seq = d.Seq + 1
		}
	}
	return seq
}

// pause stops the case clock (expert test, review, hearing) for why (in
// words, wording.PauseKind) and tells the subject and the party of every
// running working-day deadline (ChangeClockNotices).
func (c *caseFile) pause(ctx workflow.Context, why wording.Why) error {
	c.p.Paused, c.p.PausedAt = true, workflow.Now(ctx)
	if workflow.GetVersion(ctx, ChangeClockNotices, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	parties := []string{activities.PartySubject}
	for _, d := range c.p.Deadlines {
		if d.State == activities.DeadlinePending && d.Unit == "wd" && !slices.Contains(parties, d.Party) {
			parties = append(parties, d.Party)
		}
	}
	from := calendar.DateOf(c.p.PausedAt)
	key := fmt.Sprintf("paused/%d", c.p.PausedAt.UnixNano())
	for _, party := range parties {
		if err := c.tell(ctx, party, "case.paused", key+"/"+party,
			wording.Paused(from, why, wording.ZH), wording.Paused(from, why, wording.EN)); err != nil {
			return err
		}
	}
	return nil
}

// resume lengthens every running working-day deadline by the working days
// the clock stood still, tells each party whose date moved and the subject
// (ChangeClockNotices), and returns the pause's bounds.
func (c *caseFile) resume(ctx workflow.Context, by Actor) (from, to time.Time, err error) {
	from, to = c.p.PausedAt, workflow.Now(ctx)
	c.p.Paused, c.p.PausedAt = false, time.Time{}
	var open []int
	for i, d := range c.p.Deadlines {
		if d.State == activities.DeadlinePending && d.Unit == "wd" {
			open = append(open, i)
		}
	}
	why := wording.ResumedWhy(calendar.DateOf(from), calendar.DateOf(to))
	for _, i := range open {
		req := activities.DeadlineRequest{PausedFrom: from, PausedTo: to, Reason: "clock paused " + from.Format("2006-01-02") + ".." + to.Format("2006-01-02")}
		if err := c.replaceTold(ctx, i, req, by, "deadline.moved_by_pause", why); err != nil {
			return from, to, err
		}
	}
	return from, to, nil
}

// replaceTold is replace of deadline i, then (ChangeClockNotices) the
// party responsible for it and the subject are told its new date and why
// (in words), when the date moved.
func (c *caseFile) replaceTold(ctx workflow.Context, i int, req activities.DeadlineRequest, by Actor, action string, why wording.Why) error {
	if err := c.replace(ctx, &c.p.Deadlines[i], req, by, action); err != nil {
		return err
	}
	old, nd := c.p.Deadlines[i], c.p.Deadlines[len(c.p.Deadlines)-1]
	if workflow.GetVersion(ctx, ChangeClockNotices, workflow.DefaultVersion, 1) == workflow.DefaultVersion || nd.Due == old.Due {
		return nil
	}
	parties := []string{old.Party}
	if old.Party != activities.PartySubject {
		parties = append(parties, activities.PartySubject)
	}
	for _, party := range parties {
		if err := c.act(ctx, cases.Notify, activities.Notice{
			CaseNo: c.ref.CaseNo, Party: party, Kind: "deadline.lengthened",
			Message:   wording.Lengthened(c.ref.Kind, c.ref.CaseNo, c.words(old.Rule), old.Due, nd.Due, why, wording.ZH),
			MessageEN: wording.Lengthened(c.ref.Kind, c.ref.CaseNo, c.words(old.Rule), old.Due, nd.Due, why, wording.EN),
			DedupKey:  fmt.Sprintf("%s/%s/%d/lengthened/%s", c.ref.CaseNo, nd.Rule, nd.Seq, party),
		}).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// issue renders and stores a written notice of the case. It hands over
// what the letter states about the case now — the moment of issue, the
// case's dates, its deadlines — so that the letter never reads a column
// not yet written; the activity reads names and record details from
// PostgreSQL, so they stay out of history.
//
// Under ChangeQuickActions the letter is numbered and dated here (a local
// activity, NumberDocument: its row is listed "being prepared") and
// rendered after: the action answers without waiting for the PDF, which
// IssueDocument makes from the same request, under the same number, in a
// workflow goroutine the workflow waits for before it ends.
func (c *caseFile) issue(ctx workflow.Context, kind documents.Kind, facts map[string]string, lists map[string][]string, correction map[string]any) (activities.DocumentRef, error) {
	c.docSeq++
	dates := map[string]time.Time{}
	setDate(dates, activities.DateReceived, c.openedAt)
	setDate(dates, activities.DateAccepted, c.acceptedAt)
	if c.dates != nil {
		c.dates(dates)
	}
	req := activities.DocumentRequest{
		CaseNo: c.ref.CaseNo, Kind: string(kind), Seq: c.docSeq, Facts: facts, Lists: lists, Correction: correction,
		IssuedAt: workflow.Now(ctx), Dates: dates, Deadlines: slices.Clone(c.p.Deadlines),
	}
	var ref activities.DocumentRef
	if !c.quickActions(ctx) {
		err := workflow.ExecuteActivity(ctx, cases.IssueDocument, req).Get(ctx, &ref)
		if err == nil {
			c.p.Documents = append(c.p.Documents, ref.Number)
		}
		return ref, err
	}
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, openingLocalOptions), cases.NumberDocument, req).Get(ctx, &ref)
	if err != nil {
		return ref, err
	}
	c.p.Documents = append(c.p.Documents, ref.Number)
	c.rendering++
	workflow.Go(c.root, func(ctx workflow.Context) {
		defer func() { c.rendering-- }()
		c.render(ctx, req, ref)
	})
	return ref, nil
}

// render makes the PDF of a letter numbered in an action (issue 20.2),
// after the action has answered. Retried without limit like every case
// activity. An error that stops it — a data error, or a letter the case
// cannot fill — escalates it as a step does (ChangeLetterRenderEscalates):
// the letter, listed "being prepared", is shown escalated on the case, the
// board and the supervisors' escalations, other steps wait, and a person
// retries the rendering once the data is corrected (or closes the case
// while it is open). Before, the error was only logged and the letter
// stayed "being prepared" for ever.
func (c *caseFile) render(ctx workflow.Context, req activities.DocumentRequest, ref activities.DocumentRef) {
	for {
		err := workflow.ExecuteActivity(ctx, cases.IssueDocument, req).Get(ctx, nil)
		if err == nil {
			return
		}
		typ, msg, ok := escalable(err)
		if !ok || c.ended || workflow.GetVersion(ctx, ChangeLetterRenderEscalates, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			workflow.GetLogger(ctx).Error("letter numbered but not rendered", "case_no", req.CaseNo, "kind", req.Kind, "number", ref.Number, "error", err)
			return
		}
		// The action that issued the letter answers for itself first, and
		// another step escalated meanwhile goes first; then the letter holds
		// the case as an escalated step does (the case mutex: no deadline
		// lapses while the letter the party is owed cannot be made).
		if err := workflow.Await(ctx, func() bool { return c.ended || (c.p.Escalated == nil && c.busy == 0) }); err != nil || c.ended {
			return
		}
		c.mu.Lock(ctx)
		retry, eerr := c.escalateStep(ctx, activityName(cases.IssueDocument), typ, ref.Number+"："+msg)
		c.mu.Unlock()
		if eerr != nil {
			workflow.GetLogger(ctx).Error("escalating a letter's rendering failed", "case_no", req.CaseNo, "number", ref.Number, "error", eerr)
			return
		}
		if !retry {
			return
		}
	}
}

// setDate sets date name unless t is zero (a stage the case has not reached).
func setDate(m map[string]time.Time, name string, t time.Time) {
	if !t.IsZero() {
		m[name] = t
	}
}

// unfiled ends the case when err says it was never filed (issue 12.1: a
// workflow that finds no row and no right to one): EndUnfiled frees the
// record and records it in the audit trail, the case is finished with
// OutcomeUnfiled. It reports whether it did; any other error is the
// caller's.
func (c *caseFile) unfiled(ctx workflow.Context, err error, recordIDs []int64) bool {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != activities.NotFiled {
		return false
	}
	if workflow.GetVersion(ctx, ChangeUnfiledEnds, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false
	}
	if recordIDs == nil {
		recordIDs = []int64{c.ref.RecordID}
	}
	if err := workflow.ExecuteActivity(ctx, cases.EndUnfiled, activities.Unfiled{
		CaseNo: c.ref.CaseNo, Kind: c.ref.Kind, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, RecordIDs: recordIDs,
	}).Get(ctx, nil); err != nil {
		return false
	}
	c.p.Stage, c.p.Status, c.p.Outcome = StageFinished, StatusClosed, OutcomeUnfiled
	workflow.GetLogger(ctx).Warn("case never filed: workflow ended itself", "case_no", c.ref.CaseNo)
	return true
}

// save writes the projection row and the search attributes (no personal data).
func (c *caseFile) save(ctx workflow.Context) error {
	row := activities.CaseRow{
		CaseNo: c.ref.CaseNo, Kind: c.ref.Kind, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
		RecordID: c.ref.RecordID, SubjectID: c.ref.SubjectID, ProviderID: c.ref.ProviderID,
		ProfileID: c.ref.ProfileID, ProfileVersion: c.profileVersion,
		Stage: c.p.Stage, Status: c.p.Status, Outcome: c.p.Outcome,
		OpenedAt: c.openedAt, AcceptedAt: c.acceptedAt, ClosedAt: c.closedAt,
	}
	if next := c.nextDeadline(); next != nil {
		row.NextDueAt, row.NextRule = next.DueAt, next.Rule
	}
	if err := c.step(ctx, cases.SaveCase, row).Get(ctx, nil); err != nil {
		return err
	}
	sa := []temporal.SearchAttributeUpdate{
		CaseKind.ValueSet(c.ref.Kind), CaseStage.ValueSet(c.p.Stage), CaseStatus.ValueSet(c.p.Status),
	}
	if !row.NextDueAt.IsZero() {
		sa = append(sa, CaseDeadline.ValueSet(row.NextDueAt))
	} else {
		sa = append(sa, CaseDeadline.ValueUnset())
	}
	return workflow.UpsertTypedSearchAttributes(ctx, sa...)
}

func (c *caseFile) nextDeadline() *activities.Deadline {
	var next *activities.Deadline
	for i := range c.p.Deadlines {
		d := &c.p.Deadlines[i]
		if d.State == activities.DeadlinePending && (next == nil || d.DueAt.Before(next.DueAt)) {
			next = d
		}
	}
	return next
}

// stageError builds the validator error for an action refused in this stage.
func (c *caseFile) stageError(action string, allowed ...string) error {
	inStage := slices.Contains(allowed, c.p.Stage)
	if inStage && !c.p.Paused {
		return nil
	}
	d := Refusal{Action: action, Stage: c.p.Stage, AllowedStages: allowed}
	if inStage {
		return refuse(RefusedPaused, fmt.Sprintf("%s refused: the case clock is paused; resume it first", action), d)
	}
	return refuse(RefusedWrongStage, fmt.Sprintf("%s refused: the case is at stage %s (allowed at %s)", action, c.p.Stage, strings.Join(allowed, ", ")), d)
}

// caseUpdate registers an Update whose validator runs before it enters
// history and whose handler runs under the case mutex, after the case is
// on file, re-validates, bumps the version and saves the projection.
func caseUpdate[T, S any](ctx workflow.Context, c *caseFile, name string, state func() S, validate func(T) error, handle func(workflow.Context, T) error) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, in T) (S, error) {
			ctx = workflow.WithActivityOptions(ctx, caseActivityOptions)
			// An update that arrives with the start runs before the main
			// function: it waits until the case is on file.
			if err := workflow.Await(ctx, func() bool { return c.opened }); err != nil {
				return state(), err
			}
			c.mu.Lock(ctx)
			// The state may have moved between validation and now.
			if err := validate(in); err != nil {
				c.mu.Unlock()
				return state(), err
			}
			ctx = c.acting(ctx)
			if workflow.GetVersion(ctx, ChangeStepsDetached, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				// Updates before ChangeStepsDetached run inline.
				defer c.mu.Unlock()
				if err := handle(ctx, in); err != nil {
					return state(), err
				}
				c.changed()
				return state(), c.save(ctx)
			}
			// The step runs in its own coroutine, holding the case mutex
			// until it is done: should one of its activities stop on a data
			// error, the step waits escalated for a person (escalation.go)
			// while the update answers at once that it was escalated.
			var done bool
			var herr error
			seq := c.p.EscalatedSteps
			c.busy++
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer func() { c.busy-- }()
				defer c.mu.Unlock()
				if herr = handle(ctx, in); herr == nil {
					c.changed()
					herr = c.save(ctx)
				}
				done = true
			})
			if err := workflow.Await(ctx, func() bool { return done || (c.p.Escalated != nil && c.p.Escalated.Seq > seq) }); err != nil {
				return state(), err
			}
			if !done {
				return state(), c.escalatedNow(name)
			}
			return state(), herr
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in T) error {
			// cleantext walks maps in sorted key order: deterministic (and a
			// validator does not enter history).
			//workflowcheck:ignore
			if err := cleanInput(name, in); err != nil {
				return err
			}
			if err := c.escalatedRefusal(name); err != nil {
				return err
			}
			return validate(in)
		}},
	)
}

// field is an input field for the required check: name and value.
type field struct{ name, value string }

// required refuses an action whose required fields are empty, naming them.
func required(action string, fields ...field) error {
	var missing []RefusalField
	for _, f := range fields {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, badField(f.name, "required", "必填", "required"))
		}
	}
	if len(missing) > 0 {
		return invalid(action, missing...)
	}
	return nil
}

func actorRequired(action string, a Actor) error {
	return required(action, field{"by.name", a.Name}, field{"by.role", a.Role})
}

package workflows

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/dataerror"
	"github.com/creditcase/creditcase/internal/ident"
)

// errEndedOnEscalation unwinds the step that was escalated once a person
// closed the case: the procedure's code returns it up to the workflow
// function (or the update handler), which ends without failing.
var errEndedOnEscalation = temporal.NewNonRetryableApplicationError(
	"the case was closed after an escalated step", RefusedEscalated, nil)

// stepFuture is an activity call of a case whose non-retryable data error
// escalates the step (see escalation_contract.go).
type stepFuture struct {
	c        *caseFile
	ctx      workflow.Context
	local    bool
	activity any
	arg      any
}

// act runs activity as a regular activity of the case; a data error
// escalates the step.
func (c *caseFile) act(ctx workflow.Context, activity any, arg any) stepFuture {
	return stepFuture{c: c, ctx: ctx, activity: activity, arg: arg}
}

// Get runs the step and waits for it. On a non-retryable error (a data
// error, or an activity's typed refusal of its data) the step is
// escalated: the case waits, live, until a person retries the step (it
// runs again) or closes the case (errEndedOnEscalation). A case never
// filed (activities.NotFiled) is not escalated: caseFile.unfiled ends it.
func (s stepFuture) Get(ctx workflow.Context, out any) error {
	for {
		var err error
		if s.local {
			err = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(s.ctx, openingLocalOptions), s.activity, s.arg).Get(ctx, out)
		} else {
			err = workflow.ExecuteActivity(s.ctx, s.activity, s.arg).Get(ctx, out)
		}
		if err == nil {
			return nil
		}
		typ, msg, ok := escalable(err)
		if !ok {
			return err
		}
		if workflow.GetVersion(ctx, ChangeStepEscalates, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return err
		}
		step := activityName(s.activity)
		retry, eerr := s.c.escalateStep(ctx, step, typ, msg)
		if eerr != nil {
			// The escalation itself cannot be recorded (no case row to
			// hang it on): the step's own error stands.
			workflow.GetLogger(ctx).Error("escalating a step failed", "case_no", s.c.ref.CaseNo, "step", step, "error", eerr)
			return err
		}
		if !retry {
			return errEndedOnEscalation
		}
	}
}

// activityName is the name an activity function is registered under
// (the method's name: "LabelRecord" for cases.LabelRecord).
func activityName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return fmt.Sprint(fn)
	}
	name := strings.TrimSuffix(runtime.FuncForPC(v.Pointer()).Name(), "-fm")
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// escalable reports whether err stops a step for a person: a non-retryable
// application error from an activity, other than a case never filed. It
// returns the error type and a message safe to show.
func escalable(err error) (typ, msg string, ok bool) {
	// A local activity's error comes back unwrapped (no ActivityError):
	// any non-retryable application error from the step counts.
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.NonRetryable() || ae.Type() == activities.NotFiled {
		return "", "", false
	}
	typ, msg = ae.Type(), ae.Message()
	if !dataerror.IsType(typ) {
		// An activity's own message: mask ID numbers, keep it short.
		msg = ident.MaskIDNumbersIn(msg)
	}
	if utf8.RuneCountInString(msg) > 300 {
		msg = string([]rune(msg)[:300]) + "…"
	}
	return typ, msg, true
}

// escalateStep records the step as escalated and waits for a person's
// resolution; it reports whether to retry the step (false: the case was
// closed).
func (c *caseFile) escalateStep(ctx workflow.Context, step, typ, msg string) (bool, error) {
	c.p.EscalatedSteps++
	e := &EscalatedStep{Seq: c.p.EscalatedSteps, Step: step, Stage: c.p.Stage, ErrorType: typ, Message: msg, Since: workflow.Now(ctx)}
	actx := workflow.WithActivityOptions(ctx, caseActivityOptions)
	if err := workflow.ExecuteActivity(actx, cases.EscalateStep, activities.StepEscalation{
		CaseNo: c.ref.CaseNo, Seq: e.Seq, Step: step, Stage: e.Stage, ErrorType: typ, Message: msg, Since: e.Since,
	}).Get(ctx, nil); err != nil {
		return false, err
	}
	c.p.Escalated = e
	c.p.Escalations = append(c.p.Escalations, fmt.Sprintf("%s%s#%d", activities.StepRulePrefix, step, e.Seq))
	c.changed()
	workflow.GetLogger(ctx).Warn("step escalated: it stopped on a data error", "case_no", c.ref.CaseNo, "step", step, "error_type", typ)
	recordIDs := c.recordIDs
	if recordIDs == nil {
		recordIDs = []int64{c.ref.RecordID}
	}
	var r StepResolution
	for {
		if err := workflow.Await(ctx, func() bool { return c.resolution != nil }); err != nil {
			return false, err
		}
		r = *c.resolution
		c.resolution = nil
		err := workflow.ExecuteActivity(actx, cases.ResolveStep, activities.StepResolved{
			CaseNo: c.ref.CaseNo, Kind: c.ref.Kind, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, RecordIDs: recordIDs,
			Seq: e.Seq, Step: step, Action: r.Action, Actor: r.By.Name, Role: r.By.Role, Reason: r.Reason, At: workflow.Now(ctx),
		}).Get(ctx, nil)
		c.resolveErr = err
		if err == nil {
			break
		}
		// The resolution cannot be recorded: the step stays escalated and
		// the person who asked is told; another resolution may follow.
		workflow.GetLogger(ctx).Error("resolving an escalated step failed", "case_no", c.ref.CaseNo, "step", step, "error", err)
		c.resolved++
	}
	c.p.Escalated = nil
	c.resolved++
	c.changed()
	if r.Action == ResolveRetry {
		return true, nil
	}
	// Closed: ResolveStep wrote the case row closed and freed what the
	// case held; the workflow ends.
	c.closedAt = workflow.Now(ctx)
	c.p.Stage, c.p.Status, c.p.Outcome = StageFinished, StatusClosed, OutcomeClosedOnEscalation
	c.ended = true
	for i := range c.p.Deadlines {
		if c.p.Deadlines[i].State == activities.DeadlinePending {
			c.p.Deadlines[i].State = activities.DeadlineCancelled
		}
	}
	return false, workflow.UpsertTypedSearchAttributes(ctx, CaseStage.ValueSet(c.p.Stage), CaseStatus.ValueSet(c.p.Status),
		CaseDeadline.ValueUnset())
}

// setEscalationHandler registers UpdateResolveStep. It takes no case
// mutex (the escalated step holds it) and does not wait for the case to be
// on file (a step of the opening may be the one escalated): it hands the
// resolution to the waiting step and returns once the step took it.
func (c *caseFile) setEscalationHandler(ctx workflow.Context) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateResolveStep,
		func(ctx workflow.Context, in StepResolution) (CaseProgress, error) {
			if c.p.Escalated == nil {
				return *c.p, refuse(RefusedWrongStage, "nothing of the case is escalated", Refusal{Action: UpdateResolveStep, Stage: c.p.Stage})
			}
			n := c.resolved
			r := in
			c.resolution = &r
			// Returns once the step took it: the step runs again, or the
			// case closed (or the resolution could not be recorded).
			if err := workflow.Await(ctx, func() bool { return c.resolved != n }); err != nil {
				return *c.p, err
			}
			return *c.p, c.resolveErr
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in StepResolution) error {
			//workflowcheck:ignore
			if err := cleanInput(UpdateResolveStep, in); err != nil {
				return err
			}
			if err := actorRequired(UpdateResolveStep, in.By); err != nil {
				return err
			}
			e := c.p.Escalated
			if e == nil || c.resolution != nil {
				return refuse(RefusedWrongStage, "nothing of the case is escalated", Refusal{Action: UpdateResolveStep, Stage: c.p.Stage})
			}
			if in.Seq != 0 && in.Seq != e.Seq {
				return invalid(UpdateResolveStep, badField("seq", "stale", fmt.Sprintf("当前待处理的是第 %d 个受阻步骤", e.Seq),
					fmt.Sprintf("the step escalated now is number %d", e.Seq)))
			}
			switch in.Action {
			case ResolveRetry:
			case ResolveClose:
				if err := required(UpdateResolveStep, field{"reason", in.Reason}); err != nil {
					return err
				}
				// A letter stopped after the case ended (its last letter):
				// there is no case left to close, only the letter to make.
				if e.Step == activityName(cases.IssueDocument) && c.p.Stage == StageFinished {
					return invalid(UpdateResolveStep, badField("action", "enum", "案件已办结：未能生成的文书只能在更正数据后重试（retry）",
						"the case is finished: the letter that could not be made can only be retried (retry) once the data is corrected"))
				}
			default:
				return invalid(UpdateResolveStep, badField("action", "enum", "操作应为 retry（重试）或 close（关闭案件）", "action must be retry or close"))
			}
			return nil
		}},
	)
}

// escalatedRefusal refuses any other step while one is escalated.
func (c *caseFile) escalatedRefusal(action string) error {
	e := c.p.Escalated
	if e == nil {
		return nil
	}
	return refuse(RefusedEscalated, fmt.Sprintf("%s refused: step %s of the case is escalated (%s); a supervisor retries it or closes the case",
		action, e.Step, e.ErrorType), Refusal{Action: action, Stage: c.p.Stage, Step: e.Step})
}

// escalatedNow answers an update whose step was escalated while it ran:
// the step stopped on a data error and waits for a person.
func (c *caseFile) escalatedNow(action string) error {
	d := Refusal{Action: action, Stage: c.p.Stage}
	msg := action + ": a step stopped on a data error and is escalated"
	if e := c.p.Escalated; e != nil {
		msg = fmt.Sprintf("%s: step %s stopped on a data error (%s) and is escalated", action, e.Step, e.ErrorType)
		d.Step = e.Step
	}
	return refuse(StepEscalatedNow, msg, d)
}

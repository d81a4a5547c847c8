package casework

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/failing"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/wording"
	"github.com/creditcase/creditcase/workflows"
)

// Step is one refusable step of a procedure: a workflow Update.
type Step struct {
	Name    string             // the action's name (the last path segment of its HTTP operation)
	UseCase permission.UseCase // its row of the permission table
	Update  string             // the workflow update it sends
	Label   refusal.Text       // what the console's button says
}

// Action is a step an actor may take on a case now.
type Action struct {
	Name    string `json:"name"`
	UseCase string `json:"use_case"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
}

// procedure is what the shared step machinery needs to know of a kind.
type procedure struct {
	kind       string
	noun       refusal.Text // 异议案件 / objection case
	workflowID func(string) string
	stages     map[string][]string
	steps      []Step
}

// stageNames are the stages in words, for refusals and the console.
var stageNames = map[string]refusal.Text{
	workflows.StageAcceptance:            refusal.T("受理审查", "acceptance check"),
	workflows.StageAwaitingSupplement:    refusal.T("等待补正材料", "awaiting the missing material"),
	workflows.StageCentreCheck:           refusal.T("工作机构核查", "the centre's check"),
	workflows.StageProviderVerification:  refusal.T("信息提供单位核实", "the provider's verification"),
	workflows.StageDeciding:              refusal.T("作出处理决定", "decision"),
	workflows.StageClosed:                refusal.T("已答复（申诉期内）", "replied (appeal window open)"),
	workflows.StageAppeal:                refusal.T("申诉审查", "appeal"),
	workflows.StageFinished:              refusal.T("已办结", "finished"),
	workflows.StageProviderOpinion:       refusal.T("信息提供单位出具修复意见", "the provider's opinion"),
	workflows.StageAwaitingPublicity:     refusal.T("等待公示", "awaiting publicity"),
	workflows.StagePublicity:             refusal.T("公示期", "publicity"),
	workflows.StageObjectionVerification: refusal.T("公示异议核实", "verification of public objections"),
	workflows.StageListingNotice:         refusal.T("告知书待送达", "notice awaiting service"),
	workflows.StageRepresentation:        refusal.T("陈述申辩期", "representation window"),
	workflows.StageHearing:               refusal.T("听证", "hearing"),
	workflows.StageReview:                refusal.T("审查陈述申辩意见", "review of the representation"),
	workflows.StageListed:                refusal.T("已列入名单", "listed"),
	workflows.StageRemovalDue:            refusal.T("应移出名单", "removal due"),
}

// stageNamesUnder are the stages whose words depend on what follows an
// objection's written reply under the case's profile (policy.ResultRoute):
// the window after the reply is an appeal window only where the
// regulation grants an appeal (Nantong art. 33); under Anshan art. 10 it is
// the time to say one still disagrees, which the centre hands to the
// provider; elsewhere the reply ends the case.
var stageNamesUnder = map[string]refusal.Text{
	workflows.StageClosed + "/" + policy.ResultHandover: refusal.T("已答复（仍有异议期内）", "replied (time to say the applicant still disagrees)"),
	workflows.StageClosed + "/" + policy.ResultFinal:    refusal.T("已书面答复", "replied in writing"),
}

// StageName is a stage in words (as under a profile granting an appeal:
// StageNameUnder names it for the case's own profile).
func StageName(stage string) refusal.Text {
	if t, ok := stageNames[stage]; ok {
		return t
	}
	return refusal.T(stage, stage)
}

// StageNameUnder is a stage in words for a case whose profile's result
// route is route (policy.ResultRoute; "" = as StageName).
func StageNameUnder(stage, route string) refusal.Text {
	if t, ok := stageNamesUnder[stage+"/"+route]; ok {
		return t
	}
	return StageName(stage)
}

// ResultRoute is what follows an objection's written reply under profile
// id at version (the version a case opened with; "" = the one loaded now):
// policy.ResultAppeal, ResultHandover or ResultFinal. A profile the process
// cannot read gives "" (the words of an appeal profile), which is logged.
func (s *Service) ResultRoute(ctx context.Context, id, version string) string {
	p := s.profileAt(ctx, id, version)
	if p == nil {
		return ""
	}
	return p.ResultRoute()
}

// profileAt is profile id at version (the one loaded now when version is
// ""); nil, logged, when the process cannot read it.
func (s *Service) profileAt(ctx context.Context, id, version string) *policy.Profile {
	var p *policy.Profile
	var err error
	switch {
	case id == "":
		return nil
	case s.d.Rules != nil:
		p, err = s.d.Rules.Profile(ctx, id, version)
	case s.d.Policies != nil:
		p, err = s.d.Policies.Get(id)
	default:
		return nil
	}
	if err != nil {
		s.log(ctx).Warn().Err(err).Str("profile", id).Str("version", version).Msg("case profile unavailable")
		return nil
	}
	return p
}

func stageList(stages []string, route string) refusal.Text {
	var zh, en []string
	for _, st := range stages {
		n := StageNameUnder(st, route)
		zh, en = append(zh, "「"+n.ZH+"」"), append(en, n.EN)
	}
	return refusal.T(strings.Join(zh, "、"), strings.Join(en, ", "))
}

// actions are the steps a may take on the case now: its role may take
// them, the case is at a stage that allows them, and the clock is not
// paused (only resume then).
func (p procedure) actions(a permission.Actor, stage string, paused bool) []Action {
	out := []Action{}
	for _, st := range p.steps {
		if !permission.Allows(a.Role(), st.UseCase) {
			continue
		}
		allowed, listed := p.stages[st.Update]
		switch {
		case !listed:
			continue
		case allowed == nil: // any stage while paused (resume)
			if !paused {
				continue
			}
		case paused || !slices.Contains(allowed, stage):
			continue
		}
		out = append(out, Action{Name: st.Name, UseCase: string(st.UseCase), LabelZH: st.Label.ZH, LabelEN: st.Label.EN})
	}
	return out
}

func (p procedure) step(name string) (Step, bool) {
	i := slices.IndexFunc(p.steps, func(s Step) bool { return s.Name == name })
	if i < 0 {
		return Step{}, false
	}
	return p.steps[i], true
}

// update sends a step to the case's workflow and decodes the state after
// it into out; a refusal is mapped once, here.
func (s *Service) update(ctx context.Context, p procedure, cs CaseSummary, st Step, arg, out any) error {
	tc, err := s.engine()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, EngineTimeout)
	defer cancel()
	opts := client.UpdateWorkflowOptions{
		WorkflowID:   p.workflowID(cs.CaseNo),
		UpdateName:   st.Update,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	// A keyed request is sent with an update ID of its key: repeated after
	// a lost answer or a crash, the workflow runs the step once and answers
	// the repeat with the first outcome.
	if k, ok := idempotency.From(ctx); ok {
		opts.UpdateID = "key-" + k.ID()
	}
	h, err := tc.UpdateWorkflow(ctx, opts)
	if err == nil {
		err = h.Get(ctx, out)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			// The step did not finish in time: when an activity of the
			// case keeps failing, say that (what the worker lacks), not
			// "engine unavailable".
			if f := failing.Case(context.WithoutCancel(ctx), s.d.Pool, cs.CaseNo); f != nil {
				f.Cause = err
				return f
			}
		}
		return s.refused(ctx, p, cs, st, err)
	}
	s.log(ctx).Info().Str("case_no", cs.CaseNo).Str("action", st.Name).Msg(p.kind + " step")
	return nil
}

// refusalKinds maps a validator's refusal type to the problem type.
var refusalKinds = map[string]refusal.Kind{
	workflows.RefusedInput:            refusal.InvalidInput,
	workflows.RefusedWrongStage:       refusal.WrongStage,
	workflows.RefusedPaused:           refusal.Paused,
	workflows.RefusedWindowClosed:     refusal.WindowClosed,
	workflows.RefusedAlreadyExtended:  refusal.AlreadyExtended,
	workflows.RefusedAlreadyRequested: refusal.AlreadyRequested,
	workflows.RefusedDuplicate:        refusal.Duplicate,
	workflows.RefusedUnanswered:       refusal.Unanswered,
	workflows.RefusedHeavier:          refusal.Heavier,
	workflows.RefusedTooSoon:          refusal.TooSoon,
	workflows.RefusedNoHandover:       refusal.NoHandover,
	workflows.RefusedEscalated:        refusal.CaseEscalated,
	workflows.StepEscalatedNow:        refusal.StepFailed,
}

// refused maps the engine's answer to a refused or failed step: a
// validator's typed refusal (its details, never its message); a step the
// workflow accepted but could not carry out (500, escalated by the case);
// a finished case (409); an unreachable engine (503).
func (s *Service) refused(ctx context.Context, p procedure, cs CaseSummary, st Step, err error) error {
	var act *temporal.ActivityError
	var ae *temporal.ApplicationError
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &act):
		s.log(ctx).Error().Err(err).Str("case_no", cs.CaseNo).Str("action", st.Name).Msg("step failed in the workflow")
		return &refusal.Error{Kind: refusal.StepFailed, CaseNo: cs.CaseNo,
			Title: refusal.T("案件未能完成此事项", "The case could not carry out this step"),
			Detail: refusal.T("该事项已被受理但未能办理完成，已提交信用管理部门处理；请勿重复提交，可在案件页面查看进展",
				"The step was accepted but could not be completed and has been escalated to the supervisors; do not repeat it, follow the case page"),
			Cause: err}
	case errors.As(err, &ae):
		kind, known := refusalKinds[ae.Type()]
		if !known {
			return refusal.Internalf(err, "%s %s: %s refused with unknown type %q", p.kind, cs.CaseNo, st.Name, ae.Type())
		}
		var d workflows.Refusal
		if ae.HasDetails() {
			if derr := ae.Details(&d); derr != nil {
				return refusal.Internalf(derr, "%s %s: refusal details", p.kind, cs.CaseNo)
			}
		}
		return s.fromWorkflow(ctx, p, cs, st, kind, d, err)
	case errors.As(err, &nf):
		if s.startedNow(ctx, cs.CaseNo) {
			return &refusal.Error{Kind: refusal.EngineUnavailable, CaseNo: cs.CaseNo, Stage: cs.Stage,
				Title: refusal.T("案件正在启动办理", "The case is being opened"),
				Detail: refusal.T(p.noun.ZH+" "+cs.CaseNo+" 的办理流程此前未能启动，现已启动；此事项未办理，未作任何更改，请稍后重新提交（可使用同一 Idempotency-Key）",
					"The "+p.noun.EN+" "+cs.CaseNo+" had not been opened by the engine yet and now is; this step was not taken and nothing was changed: repeat it in a moment (the same Idempotency-Key is safe)"),
				Cause: err}
		}
		if cs.Stage != "" && cs.Stage != workflows.StageFinished {
			return s.workflowLost(ctx, p, cs, err)
		}
		return &refusal.Error{Kind: refusal.CaseFinished, CaseNo: cs.CaseNo, Stage: workflows.StageFinished,
			Title:  refusal.T("案件已办结", "The case is finished"),
			Detail: refusal.T(p.noun.ZH+" "+cs.CaseNo+" 已全部办结，不能再办理此事项", "The "+p.noun.EN+" "+cs.CaseNo+" is finished; nothing more can be done in it"),
			Cause:  err}
	}
	return faults.Engine(err)
}

// workflowLost refuses a step on a case whose row says it is not finished
// (an objection in its appeal window, or any open case) while the engine
// has no running workflow for it: terminated by an operator, failed, or its
// history gone. It is not "finished" — the subject may still be within
// the window — but no step can be taken until a person decides. The
// detail says whether the reconciler has flagged it to the supervisors
// already (its finding) or will at its next pass.
func (s *Service) workflowLost(ctx context.Context, p procedure, cs CaseSummary, cause error) error {
	e := &refusal.Error{Kind: refusal.WorkflowLost, CaseNo: cs.CaseNo, Stage: cs.Stage, Cause: cause,
		Title: refusal.T("案件的办理流程已中断", "The case's workflow has stopped")}
	var at time.Time
	flagged := false
	if s.d.Pool != nil {
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err := s.d.Pool.QueryRow(qctx, `SELECT at FROM reconcile_findings WHERE case_no = $1 AND action = 'flagged'
			ORDER BY id DESC LIMIT 1`, cs.CaseNo).Scan(&at)
		switch {
		case err == nil:
			flagged = true
		case !errors.Is(err, pgx.ErrNoRows):
			s.log(ctx).Warn().Err(err).Str("case_no", cs.CaseNo).Msg("reconciliation finding of a lost workflow not looked up")
		}
	}
	stage := StageNameUnder(cs.Stage, s.ResultRoute(ctx, cs.ProfileID, cs.ProfileVersion))
	told := refusal.T("下一次对账（至多 30 分钟内）将处理此案件或报请督办人员处理", "the next reconciliation (within 30 minutes) settles the case or flags it to the supervisors")
	if flagged {
		day := calendar.DateOf(shanghai(at)).String()
		told = refusal.T("对账已于 "+day+" 报请督办人员处理", "the reconciliation flagged it to the supervisors on "+day)
	}
	e.Detail = refusal.T(
		p.noun.ZH+" "+cs.CaseNo+" 处于「"+stage.ZH+"」阶段，但其办理流程已在工作流引擎中中断（被终止、失败或已不存在），此事项无法由系统办理，未作任何更改；"+told.ZH+"，请联系工作机构",
		"The "+p.noun.EN+" "+cs.CaseNo+" is at the "+stage.EN+" stage, but its workflow has stopped in the engine (terminated, failed or gone), so this step cannot be taken; nothing was changed. "+
			strings.ToUpper(told.EN[:1])+told.EN[1:]+"; contact the centre")
	return e
}

// startedNow makes the workflow start case no still owes (its filing
// committed, then the process died before the start and nobody repeated
// the filing) and reports whether it owed one: the engine's "not found"
// then means "not opened yet", not "finished".
func (s *Service) startedNow(ctx context.Context, no string) bool {
	if s.d.Pool == nil {
		return false
	}
	var kind string
	err := s.d.Pool.QueryRow(ctx, `SELECT kind FROM case_starts WHERE case_no = $1 AND started_at IS NULL`, no).Scan(&kind)
	if err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			s.log(ctx).Warn().Err(err).Str("case_no", no).Msg("owed workflow start not looked up")
		}
		return false
	}
	s.startOwed(ctx, caseStart{kind: kind, no: no})
	return true
}

func (s *Service) fromWorkflow(ctx context.Context, p procedure, cs CaseSummary, st Step, kind refusal.Kind, d workflows.Refusal, cause error) error {
	e := &refusal.Error{Kind: kind, CaseNo: cs.CaseNo, Stage: d.Stage, AllowedStages: d.AllowedStages, Unanswered: d.Unanswered,
		Rule: d.Rule, Profile: d.Profile, Instead: d.Instead, Cause: cause}
	for _, f := range d.Fields {
		e.Fields = append(e.Fields, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
	}
	if !d.WindowEnded.IsZero() {
		t := shanghai(d.WindowEnded)
		e.WindowEnded = &t
	}
	if !d.PossibleFrom.IsZero() {
		t := shanghai(d.PossibleFrom)
		e.PossibleFrom = &t
	}
	route := s.ResultRoute(ctx, cs.ProfileID, cs.ProfileVersion)
	now := StageNameUnder(d.Stage, route)
	notNow := refusal.T("当前不能办理此事项", "This step is not possible now")
	switch kind {
	case refusal.InvalidInput:
		e.Title, e.Detail = refusal.T("输入有误", "Invalid input"),
			refusal.T("请按字段错误修改后重新提交，未作任何更改", "Correct the fields listed and resubmit; nothing was changed")
	case refusal.Heavier:
		e.Title = refusal.T("决定不得重于提请", "The decision may not be heavier than the proposal")
		e.Detail = refusal.T("不得因当事人陈述申辩而加重惩戒（行政处罚法第四十五条）；请按提请的措施与期限或更轻的决定，未作任何更改",
			"No heavier measure because the subject defended (行政处罚法 art. 45): decide within the proposal or lighter; nothing was changed")
	case refusal.WrongStage:
		e.Title = notNow
		if d.Instead == workflows.ObjectionHandOver {
			// An appeal under a profile that grants none (Anshan art. 10).
			e.Detail = refusal.T("本案适用的规定（"+d.Profile+"）不设申诉；对核查结果仍有异议的，请写明理由提出（hand-over），由工作机构移交信息提供单位处理，未作任何更改",
				"The rules this case follows ("+d.Profile+") grant no appeal; if you still disagree with the verified result, say why (hand-over) and the centre hands the case to the provider. Nothing was changed")
			break
		}
		if len(d.AllowedStages) > 0 {
			allowed := stageList(d.AllowedStages, route)
			e.Detail = refusal.T("案件当前处于「"+now.ZH+"」阶段；此事项只能在"+allowed.ZH+"阶段办理，未作任何更改",
				"The case is at the "+now.EN+" stage; this step is possible only at: "+allowed.EN+". Nothing was changed")
		} else {
			e.Detail = refusal.T("案件当前处于「"+now.ZH+"」阶段，不能办理此事项，未作任何更改",
				"The case is at the "+now.EN+" stage, where this step is not possible; nothing was changed")
		}
	case refusal.Paused:
		e.Title = notNow
		e.Detail = refusal.T("案件计时已中止：请先恢复计时（resume），再办理此事项，未作任何更改",
			"The case clock is paused: resume it first, then take this step; nothing was changed")
	case refusal.WindowClosed:
		e.Title = refusal.T("期限已经届满", "The window has ended")
		if e.WindowEnded != nil {
			day := calendar.DateOf(*e.WindowEnded).String()
			e.Detail = refusal.T("办理期限已于 "+day+" 届满，不能再办理此事项，未作任何更改",
				"The window for this step ended on "+day+"; it is no longer possible. Nothing was changed")
		} else {
			e.Detail = refusal.T("办理期限已经届满，未作任何更改", "The window for this step has ended; nothing was changed")
		}
	case refusal.AlreadyExtended:
		e.Title = notNow
		e.Detail = refusal.T("办理期限已延长过一次，不能再次延长，未作任何更改", "The overall limit was already extended once; it cannot be extended again. Nothing was changed")
	case refusal.AlreadyRequested:
		e.Title = notNow
		e.Detail = refusal.T("补正材料已一次性告知，不能再次要求补正；请等待申请人补正", "The one-time notice was already sent; wait for the applicant's supplement. Nothing was changed")
	case refusal.Duplicate:
		e.Title = notNow
		e.Detail = refusal.T("已经收到过相同的提交，未作任何更改", "The same submission was already received; nothing was changed")
	case refusal.TooSoon:
		e.Title = refusal.T("早于规定允许的日期", "Earlier than the rule allows")
		from := ""
		if e.PossibleFrom != nil {
			from = calendar.DateOf(*e.PossibleFrom).String()
		}
		e.Detail = refusal.T("依本地规定（"+d.Profile+"）的 "+d.Rule+"，最早可定于 "+from+"；请改定日期后重新提交，未作任何更改",
			"Under "+d.Rule+" of the profile "+d.Profile+" the earliest possible day is "+from+"; choose a later date and resubmit. Nothing was changed")
	case refusal.NoHandover:
		e.Title = refusal.T("不适用移交信息提供单位处理", "No hand-over to the provider here")
		why := refusal.T("本案适用的规定（"+d.Profile+"）不将申请人的异议移交信息提供单位处理",
			"The rules this case follows ("+d.Profile+") do not hand a continued disagreement to the provider")
		if d.Rule == "" {
			why = refusal.T("本案的处理结果是本机构自行更正的差错，未经信息提供单位核查，不适用移交（鞍山 第十条）",
				"This result is the centre's own correction, never verified by the provider, so there is nothing to hand over (Anshan art. 10)")
		}
		if d.Instead == workflows.ObjectionAppeal {
			e.Detail = refusal.T(why.ZH+"；对处理结果仍有异议的，请在申诉期内向信用主管部门申诉（appeal），未作任何更改",
				why.EN+"; appeal to the credit authority (appeal) within the appeal window instead. Nothing was changed")
		} else {
			e.Detail = refusal.T(why.ZH+"；本案已无其他可办理的救济步骤，可依法申请行政复议或者提起行政诉讼，未作任何更改",
				why.EN+"; no other step remains in this case: administrative review or litigation remain open. Nothing was changed")
		}
	case refusal.CaseEscalated:
		step := refusal.T(wording.StepName(d.Step, wording.ZH), wording.StepName(d.Step, wording.EN))
		e.Title = refusal.T("案件有步骤受阻，已报请督办", "A step of the case is escalated")
		e.Detail = refusal.T("「"+step.ZH+"」因数据错误未能完成，案件已暂停办理：待督办人员更正数据后重试该步骤或关闭案件，未作任何更改",
			"The step \u201c"+step.EN+"\u201d stopped on a data error and the case waits: a supervisor corrects the data and retries the step, or closes the case. Nothing was changed")
	case refusal.StepFailed:
		step := refusal.T(wording.StepName(d.Step, wording.ZH), wording.StepName(d.Step, wording.EN))
		e.Title = refusal.T("此事项未能办理完成，已报请督办", "The step stopped and is escalated")
		e.Detail = refusal.T("此事项已受理，但「"+step.ZH+"」因数据错误未能完成，已报请督办：请勿重复提交；督办人员更正数据后会重试该步骤或关闭案件，进展见案件页面",
			"The step was accepted, but \u201c"+step.EN+"\u201d stopped on a data error and is escalated to the supervisors: do not repeat it; they correct the data and retry the step or close the case (see the case page)")
	case refusal.Unanswered:
		e.Title = refusal.T("尚有陈述申辩意见未答复", "Representation points are unanswered")
		e.Detail = refusal.T("意见 "+strings.Join(d.Unanswered, "、")+" 尚未逐项答复：请先答复（answers），再作出决定，未作任何更改",
			"Points "+strings.Join(d.Unanswered, ", ")+" are unanswered: answer them first, then decide. Nothing was changed")
	}
	return e
}

// caseFinishedByStage refuses a step on a case whose projection already
// says it is finished, without asking the engine.
func caseFinished(p procedure, cs CaseSummary) error {
	return &refusal.Error{Kind: refusal.CaseFinished, CaseNo: cs.CaseNo, Stage: cs.Stage,
		Title:  refusal.T("案件已办结", "The case is finished"),
		Detail: refusal.T(p.noun.ZH+" "+cs.CaseNo+" 已办结，不能再办理此事项", "The "+p.noun.EN+" "+cs.CaseNo+" is finished; nothing more can be done in it")}
}

// runStep is every refusable step of every procedure: the permission
// table, the case and whether the actor may see it, clean text, the
// input's own checks, the update, the state after it.
func runStep[In, Out any](s *Service, ctx context.Context, p procedure, a permission.Actor, name, no string, in In,
	set func(*In, workflows.Actor), checks ...func(context.Context, CaseSummary, *In) error) (Out, CaseSummary, error) {
	var out Out
	st, ok := p.step(name)
	if !ok {
		return out, CaseSummary{}, refusal.Internalf(errors.New("no such step"), "%s step %q", p.kind, name)
	}
	// The permission table first, then clean text: nothing is looked up
	// with text the system refuses.
	if err := s.guard.Require(ctx, a, st.UseCase); err != nil {
		return out, CaseSummary{}, err
	}
	set(&in, actorOf(a))
	if err := cleantext.Refuse(&in); err != nil {
		return out, CaseSummary{}, err
	}
	cs, err := s.openCase(ctx, a, st.UseCase, p.kind, no)
	if err != nil {
		return out, cs, err
	}
	for _, check := range checks {
		if err := check(ctx, cs, &in); err != nil {
			return out, cs, err
		}
	}
	// A case held up by an activity that keeps failing takes no step
	// until it is fixed: say what fails now rather than after a timeout.
	if f := failing.Active(cs.Failing, s.now()); f != nil {
		return out, cs, failing.Stuck(*f)
	}
	// A case whose step stopped on a data error takes no other step until
	// a supervisor retries it or closes the case.
	if cs.Escalated != nil {
		return out, cs, s.fromWorkflow(ctx, p, cs, st, refusal.CaseEscalated, workflows.Refusal{Stage: cs.Stage, Step: cs.Escalated.Step}, nil)
	}
	if err := s.update(ctx, p, cs, st, in, &out); err != nil {
		return out, cs, err
	}
	s.take(ctx, a, cs.CaseNo)
	return out, cs, nil
}

// now is the service's clock.
func (s *Service) now() time.Time { return s.d.Now() }

// procedureOf is the procedure of a case kind.
func procedureOf(kind string) (procedure, bool) {
	switch kind {
	case workflows.CaseKindObjection:
		return objections, true
	case workflows.CaseKindRepair:
		return repairs, true
	case workflows.CaseKindListing:
		return listings, true
	}
	return procedure{}, false
}

// Refused maps a failed step sent by code outside the core (kept while
// the front ends move onto the core).
func (s *Service) Refused(ctx context.Context, kind, caseNo, stage, update string, err error) error {
	p, ok := procedureOf(kind)
	if !ok {
		p = procedure{kind: kind, noun: refusal.T("案件", "case")}
	}
	return s.refused(ctx, p, CaseSummary{CaseNo: caseNo, Stage: stage}, Step{Name: update, Update: update}, err)
}

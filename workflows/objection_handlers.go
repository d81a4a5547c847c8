package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

func (o *objection) setHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryObjection, func() (ObjectionState, error) { return o.st, nil }); err != nil {
		return err
	}
	if err := o.cf.setEscalationHandler(ctx); err != nil {
		return err
	}
	o.cf.listenCalendar(ctx)
	state := func() ObjectionState { return o.st }
	regs := []func() error{
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionAccept, state, func(in AcceptInput) error {
				if err := o.cf.stageError(ObjectionAccept, ObjectionStages[ObjectionAccept]...); err != nil {
					return err
				}
				return actorRequired(ObjectionAccept, in.By)
			}, o.accept)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionRequestSupplement, state, func(in SupplementRequest) error {
				if err := o.cf.stageError(ObjectionRequestSupplement, ObjectionStages[ObjectionRequestSupplement]...); err != nil {
					return err
				}
				if len(in.Missing) == 0 || slices.ContainsFunc(in.Missing, func(s string) bool { return strings.TrimSpace(s) == "" }) {
					return invalid(ObjectionRequestSupplement, badField("missing", "required", "请一次性列明全部需补正的材料，每项不能为空", "list every missing item at once (一次性告知), none empty"))
				}
				return actorRequired(ObjectionRequestSupplement, in.By)
			}, o.requestSupplement)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionSupplement, state, func(in SupplementInput) error {
				if err := o.cf.stageError(ObjectionSupplement, ObjectionStages[ObjectionSupplement]...); err != nil {
					return err
				}
				if err := actorRequired(ObjectionSupplement, in.By); err != nil {
					return err
				}
				return required(ObjectionSupplement, field{"statement", in.Statement})
			}, o.supplement)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionDecideOwnError, state, func(in OwnErrorInput) error {
				if err := o.cf.stageError(ObjectionDecideOwnError, ObjectionStages[ObjectionDecideOwnError]...); err != nil {
					return err
				}
				if err := correctionRefused(ObjectionDecideOwnError, in.Correction); err != nil {
					return err
				}
				if err := actorRequired(ObjectionDecideOwnError, in.By); err != nil {
					return err
				}
				return required(ObjectionDecideOwnError, field{"reason", in.Reason})
			}, o.decideOwnError)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionForwardToProvider, state, func(in ForwardInput) error {
				if err := o.cf.stageError(ObjectionForwardToProvider, ObjectionStages[ObjectionForwardToProvider]...); err != nil {
					return err
				}
				return actorRequired(ObjectionForwardToProvider, in.By)
			}, o.forward)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionProviderReply, state, func(in ProviderReplyInput) error {
				if err := o.cf.stageError(ObjectionProviderReply, ObjectionStages[ObjectionProviderReply]...); err != nil {
					return err
				}
				if !slices.Contains([]string{FindingErrorFound, FindingAccurate, FindingUnverifiable}, in.Finding) {
					return invalid(ObjectionProviderReply, badField("finding", "enum", "核查结论应为 error（记录有误）、accurate（记录无误）或 unverifiable（无法核实）", "must be error, accurate or unverifiable"))
				}
				if len(in.Correction) > 0 {
					if err := correctionRefused(ObjectionProviderReply, in.Correction); err != nil {
						return err
					}
				}
				if err := actorRequired(ObjectionProviderReply, in.By); err != nil {
					return err
				}
				return required(ObjectionProviderReply, field{"reasons", in.Reasons})
			}, o.providerReplied)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionDecide, state, func(in DecisionInput) error {
				if err := o.cf.stageError(ObjectionDecide, ObjectionStages[ObjectionDecide]...); err != nil {
					return err
				}
				if err := o.validOutcome(ObjectionDecide, in.Outcome, in.Correction); err != nil {
					return err
				}
				if err := actorRequired(ObjectionDecide, in.By); err != nil {
					return err
				}
				return required(ObjectionDecide, field{"reasons", in.Reasons})
			}, o.decide)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionPause, state, func(in PauseInput) error {
				if o.st.Paused {
					return refuse(RefusedPaused, "pause refused: the clock is already paused", Refusal{Action: ObjectionPause, Stage: o.st.Stage})
				}
				if err := o.cf.stageError(ObjectionPause, ObjectionStages[ObjectionPause]...); err != nil {
					return err
				}
				if in.Kind != "expert_test" && in.Kind != "review" {
					return invalid(ObjectionPause, badField("kind", "enum", "中止原因应为 expert_test（检验鉴定）或 review（复核）", "must be expert_test or review"))
				}
				if err := actorRequired(ObjectionPause, in.By); err != nil {
					return err
				}
				return required(ObjectionPause, field{"reason", in.Reason}, field{"approver", in.Approver})
			}, o.pause)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionResume, state, func(in ResumeInput) error {
				if !o.st.Paused {
					return refuse(RefusedWrongStage, "resume refused: the clock is not paused", Refusal{Action: ObjectionResume, Stage: o.st.Stage})
				}
				return actorRequired(ObjectionResume, in.By)
			}, o.resume)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionExtend, state, func(in ExtendInput) error {
				if err := o.cf.stageError(ObjectionExtend, ObjectionStages[ObjectionExtend]...); err != nil {
					return err
				}
				if o.extended {
					return refuse(RefusedAlreadyExtended, "extend refused: the overall limit was already extended once", Refusal{Action: ObjectionExtend, Stage: o.st.Stage})
				}
				if o.cf.pending(policy.ObjectionOverall) == nil {
					return refuse(RefusedWrongStage, "extend refused: no running overall limit", Refusal{Action: ObjectionExtend, Stage: o.st.Stage})
				}
				if err := actorRequired(ObjectionExtend, in.By); err != nil {
					return err
				}
				return required(ObjectionExtend, field{"reason", in.Reason}, field{"approver", in.Approver})
			}, o.extend)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionWithdraw, state, func(in WithdrawInput) error {
				if err := o.cf.stageError(ObjectionWithdraw, ObjectionStages[ObjectionWithdraw]...); err != nil {
					return err
				}
				return actorRequired(ObjectionWithdraw, in.By)
			}, o.withdraw)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionAppeal, state, func(in AppealInput) error {
				if err := o.cf.stageError(ObjectionAppeal, ObjectionStages[ObjectionAppeal]...); err != nil {
					return err
				}
				if !o.rules.Appeal {
					// The window is open for the hand-over (Anshan art. 10): the
					// profile grants no appeal.
					return refuse(RefusedWrongStage, "appeal refused: profile "+o.in.ProfileID+" grants no appeal (申诉)",
						Refusal{Action: ObjectionAppeal, Stage: o.st.Stage, Profile: o.in.ProfileID, Instead: ObjectionHandOver})
				}
				if o.cf.pending(policy.ObjectionAppealWindow) == nil {
					return refuse(RefusedWindowClosed, "appeal refused: the appeal window has closed", Refusal{Action: ObjectionAppeal, Stage: o.st.Stage, WindowEnded: o.cf.lastDue(policy.ObjectionAppealWindow)})
				}
				if err := actorRequired(ObjectionAppeal, in.By); err != nil {
					return err
				}
				return required(ObjectionAppeal, field{"grounds", in.Grounds})
			}, o.appeal)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionHandOver, state, func(in HandOverInput) error {
				if err := o.cf.stageError(ObjectionHandOver, ObjectionStages[ObjectionHandOver]...); err != nil {
					return err
				}
				if err := o.handOverRefused(); err != nil {
					return err
				}
				if err := actorRequired(ObjectionHandOver, in.By); err != nil {
					return err
				}
				return required(ObjectionHandOver, field{"reasons", in.Reasons})
			}, o.handOver)
		},
		func() error {
			return caseUpdate(ctx, o.cf, ObjectionDecideAppeal, state, func(in AppealDecisionInput) error {
				if err := o.cf.stageError(ObjectionDecideAppeal, ObjectionStages[ObjectionDecideAppeal]...); err != nil {
					return err
				}
				switch in.Decision {
				case AppealUpheld:
				case AppealOverturned:
					if err := o.validOutcome(ObjectionDecideAppeal, in.Outcome, in.Correction); err != nil {
						return err
					}
					if in.Outcome == OutcomeUpheld || (in.Outcome == o.st.Outcome && in.Outcome != OutcomeCorrected) {
						return invalid(ObjectionDecideAppeal, badField("outcome", "enum", "撤销原处理结果的决定应更正（corrected）或删除（deleted）该记录", "an overturning decision corrects or deletes the record"))
					}
				default:
					return invalid(ObjectionDecideAppeal, badField("decision", "enum", "申诉决定应为 upheld（维持）或 overturned（撤销原处理结果）", "must be upheld or overturned"))
				}
				if err := actorRequired(ObjectionDecideAppeal, in.By); err != nil {
					return err
				}
				return required(ObjectionDecideAppeal, field{"reasons", in.Reasons})
			}, o.decideAppeal)
		},
	}
	for _, reg := range regs {
		if err := reg(); err != nil {
			return err
		}
	}
	return nil
}

// validOutcome checks an outcome: deleted only when the record cannot be
// verified (Anshan art. 11), corrected with the corrected fields.
func (o *objection) validOutcome(action, outcome string, correction map[string]any) error {
	switch outcome {
	case OutcomeUpheld:
	case OutcomeCorrected:
		if len(correction) == 0 {
			correction = o.providerReply.Correction
		}
		if err := correctionRefused(action, correction); err != nil {
			return err
		}
	case OutcomeDeleted:
		if !o.rules.DeletedAllowed {
			return invalid(action, badField("outcome", "enum", "本地规章规定核实无误的维持原信息，不设删除：处理结果应为 corrected（更正）或 upheld（维持）",
				"the profile's regulation provides no deletion: corrected or upheld"))
		}
		if o.st.Finding != FindingUnverifiable {
			return invalid(action, badField("outcome", "enum", "仅在信息提供单位无法核实时才能删除（deleted）", "deleted only when the provider could not verify the record"))
		}
	default:
		return invalid(action, badField("outcome", "enum", "处理结果应为 corrected（更正）、upheld（维持）或 deleted（无法核实予以删除）", "must be corrected, upheld or deleted"))
	}
	return nil
}

func (o *objection) accept(ctx workflow.Context, in AcceptInput) error {
	o.cf.acceptedAt = workflow.Now(ctx)
	o.st.Stage, o.st.Missing = StageCentreCheck, nil
	if err := o.cf.event(ctx, in.By, "objection.accepted", "", nil); err != nil {
		return err
	}
	if o.version >= 1 { // ChangeUpgradeDrill: only in the rehearsal build
		if err := o.cf.event(ctx, in.By, "objection.upgrade_drill", "opened under the rehearsal build", nil); err != nil {
			return err
		}
	}
	if err := o.startOverallOn(ctx, "objection.accepted", o.cf.acceptedAt); err != nil {
		return err
	}
	_, err := o.cf.issue(ctx, documents.KindAcceptance, nil, nil, nil)
	return err
}

func (o *objection) requestSupplement(ctx workflow.Context, in SupplementRequest) error {
	o.st.Stage, o.st.Missing = StageAwaitingSupplement, in.Missing
	// The centre's check runs from a complete submission: the clock stops
	// while the subject gathers what is missing.
	if err := o.cf.settle(ctx, policy.ObjectionCentreCheck, activities.DeadlineCancelled, "incomplete: one-time notice sent"); err != nil {
		return err
	}
	// A limit counted from receipt runs again from receipt of the complete
	// materials.
	if o.rules.OverallStartsOn == "objection.received" {
		if err := o.cf.settle(ctx, policy.ObjectionOverall, activities.DeadlineCancelled, "incomplete: one-time notice sent; counted again from receipt of the complete materials"); err != nil {
			return err
		}
	}
	if err := o.cf.event(ctx, in.By, "objection.supplement_requested", "", map[string]any{"missing": in.Missing}); err != nil {
		return err
	}
	_, err := o.cf.issue(ctx, documents.KindSupplement, nil, map[string][]string{"missing": in.Missing}, nil)
	return err
}

func (o *objection) supplement(ctx workflow.Context, in SupplementInput) error {
	o.st.Stage = StageAcceptance
	if err := o.cf.event(ctx, in.By, "objection.supplemented", in.Statement, map[string]any{"evidence": in.Evidence, "missing": o.st.Missing}); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	if err := o.cf.startDeadline(ctx, policy.ObjectionCentreCheck, activities.PartyCentre, now); err != nil {
		return err
	}
	return o.startOverallOn(ctx, "objection.received", now)
}

func (o *objection) decideOwnError(ctx workflow.Context, in OwnErrorInput) error {
	if err := o.cf.settle(ctx, policy.ObjectionCentreCheck, activities.DeadlineMet, "centre's own error found"); err != nil {
		return err
	}
	if err := o.applyOutcome(ctx, in.By, OutcomeCorrected, in.Reason, in.Correction, "decision"); err != nil {
		return err
	}
	if err := o.cf.event(ctx, in.By, "objection.own_error_corrected", in.Reason, map[string]any{"correction": in.Correction}); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	o.correctedAt = now
	if err := o.cf.startDeadline(ctx, policy.ObjectionOwnErrorNotify, activities.PartyCentre, now); err != nil {
		return err
	}
	ref, err := o.cf.issue(ctx, documents.KindCorrection, map[string]string{"error": in.Reason}, nil, in.Correction)
	if err != nil {
		return err
	}
	// The correction notice is the written reply an appeal is lodged against.
	o.resultNumber = ref.Number
	if err := o.cf.settle(ctx, policy.ObjectionOwnErrorNotify, activities.DeadlineMet, "correction notice issued"); err != nil {
		return err
	}
	return o.close(ctx, in.By, OutcomeCorrected)
}

// applyOutcome makes the record follow outcome; a correction is published in
// the original scope at once, which meets the correction_publish deadline.
func (o *objection) applyOutcome(ctx workflow.Context, by Actor, outcome, reason string, correction map[string]any, step string) error {
	if outcome == OutcomeCorrected && len(correction) == 0 {
		correction = o.providerReply.Correction
	}
	if err := o.cf.actionStep(ctx, cases.ApplyOutcome, activities.OutcomeRequest{
		CaseNo: o.in.CaseNo, RecordID: o.in.RecordID, Outcome: outcome, Reason: reason,
		Correction: correction, Actor: by.Name, Role: by.Role, Step: step,
	}).Get(ctx, nil); err != nil {
		return err
	}
	if outcome != OutcomeCorrected {
		return nil
	}
	if err := o.cf.startDeadline(ctx, policy.ObjectionCorrectionPublish, activities.PartyCentre, workflow.Now(ctx)); err != nil {
		return err
	}
	return o.cf.settle(ctx, policy.ObjectionCorrectionPublish, activities.DeadlineMet, "corrected record published in the original scope")
}

func (o *objection) forward(ctx workflow.Context, in ForwardInput) error {
	if err := o.cf.settle(ctx, policy.ObjectionCentreCheck, activities.DeadlineMet, "forwarded to the provider"); err != nil {
		return err
	}
	o.st.Stage = StageProviderVerification
	if err := o.cf.event(ctx, in.By, "objection.forwarded", in.Note, map[string]any{"provider_id": o.in.ProviderID}); err != nil {
		return err
	}
	provider := activities.PartyProvider(o.in.ProviderID)
	if err := o.cf.startDeadline(ctx, policy.ObjectionProviderReply, provider, workflow.Now(ctx)); err != nil {
		return err
	}
	grounds := append(slices.Clone(o.in.Grounds), o.in.Statement)
	enclosures := slices.Clone(o.in.Evidence)
	if len(enclosures) == 0 {
		enclosures = []string{"异议申请书"}
	}
	_, err := o.cf.issue(ctx, documents.KindVerification, nil, map[string][]string{"grounds": grounds, "enclosures": enclosures}, nil)
	return err
}

func (o *objection) providerReplied(ctx workflow.Context, in ProviderReplyInput) error {
	late := o.cf.pending(policy.ObjectionProviderReply) == nil
	if err := o.cf.settle(ctx, policy.ObjectionProviderReply, activities.DeadlineMet, "provider replied"); err != nil {
		return err
	}
	o.providerReply, o.st.Finding, o.st.Stage = in, in.Finding, StageDeciding
	if err := o.cf.event(ctx, in.By, "objection.provider_replied", in.Reasons, map[string]any{
		"finding": in.Finding, "correction": in.Correction, "evidence": in.Evidence, "late": late,
	}); err != nil {
		return err
	}
	return o.cf.startDeadline(ctx, policy.ObjectionApplicantNotify, activities.PartyCentre, workflow.Now(ctx))
}

func (o *objection) decide(ctx workflow.Context, in DecisionInput) error {
	if err := o.applyOutcome(ctx, in.By, in.Outcome, in.Reasons, in.Correction, "decision"); err != nil {
		return err
	}
	if err := o.cf.event(ctx, in.By, "objection.decided", in.Reasons, map[string]any{"outcome": in.Outcome, "finding": o.st.Finding}); err != nil {
		return err
	}
	ref, err := o.cf.issue(ctx, documents.KindObjectionResult, map[string]string{"outcome": in.Outcome},
		map[string][]string{"reasons": {in.Reasons}}, o.correction(in.Outcome, in.Correction))
	if err != nil {
		return err
	}
	o.resultNumber = ref.Number
	if err := o.cf.settle(ctx, policy.ObjectionApplicantNotify, activities.DeadlineMet, "written reply issued"); err != nil {
		return err
	}
	return o.close(ctx, in.By, in.Outcome)
}

func (o *objection) pause(ctx workflow.Context, in PauseInput) error {
	if err := o.cf.pause(ctx, wording.PauseKind(in.Kind, in.Reason)); err != nil {
		return err
	}
	return o.cf.event(ctx, in.By, "objection.paused", in.Reason, map[string]any{"kind": in.Kind, "approver": in.Approver})
}

// resume lengthens every running working-day deadline by the working days
// the clock stood still.
func (o *objection) resume(ctx workflow.Context, in ResumeInput) error {
	from, to, err := o.cf.resume(ctx, in.By)
	if err != nil {
		return err
	}
	return o.cf.event(ctx, in.By, "objection.resumed", in.Reason, map[string]any{"paused_from": from, "paused_to": to})
}

func (o *objection) extend(ctx workflow.Context, in ExtendInput) error {
	o.extended = true
	req := activities.DeadlineRequest{ExtendBy: policy.ObjectionExtension, Reason: in.Reason + "（批准人：" + in.Approver + "）"}
	return o.cf.replaceTold(ctx, o.cf.pendingIndex(policy.ObjectionOverall), req, in.By, "deadline.extended", wording.ExtendedWhy(in.Reason))
}

func (o *objection) withdraw(ctx workflow.Context, in WithdrawInput) error {
	if err := o.cf.cancelPending(ctx, "withdrawn"); err != nil {
		return err
	}
	if err := o.applyOutcome(ctx, in.By, OutcomeWithdrawn, "申请人撤回异议 "+in.Reason, nil, "withdrawal"); err != nil {
		return err
	}
	o.cf.closedAt = workflow.Now(ctx)
	o.st.Status, o.st.Stage, o.st.Outcome, o.st.Paused = StatusWithdrawn, StageFinished, OutcomeWithdrawn, false
	return o.cf.event(ctx, in.By, "objection.withdrawn", in.Reason, nil)
}

func (o *objection) appeal(ctx workflow.Context, in AppealInput) error {
	// In appeal from the moment the appeal is taken: while it is being
	// lodged, a second appeal is refused for the stage, not told that the
	// window has closed (settling takes the window out of pending first).
	o.st.Stage = StageAppeal
	if err := o.cf.settle(ctx, policy.ObjectionAppealWindow, activities.DeadlineMet, "appeal lodged"); err != nil {
		return err
	}
	o.st.Appeal, o.appealedAt = in.Grounds, workflow.Now(ctx)
	if err := o.cf.event(ctx, in.By, "objection.appealed", in.Grounds, nil); err != nil {
		return err
	}
	return o.cf.ask(ctx, activities.PartySupervisor, "appeal", "appeal", nil,
		"审查申请人对异议处理结果（"+o.resultNumber+"）提出的申诉并作出申诉决定", "examine the applicant's appeal against the result ("+o.resultNumber+") and decide it")
}

func (o *objection) decideAppeal(ctx workflow.Context, in AppealDecisionInput) error {
	o.st.AppealOutcome = in.Decision
	if in.Decision == AppealOverturned {
		if err := o.applyOutcome(ctx, in.By, in.Outcome, in.Reasons, in.Correction, "appeal"); err != nil {
			return err
		}
		o.st.Outcome = in.Outcome
	}
	if err := o.cf.event(ctx, in.By, "objection.appeal_decided", in.Reasons, map[string]any{"decision": in.Decision, "outcome": o.st.Outcome}); err != nil {
		return err
	}
	result := "dismissed"
	if in.Decision == AppealOverturned {
		result = in.Outcome
	}
	facts := map[string]string{
		"result": result, "request": o.st.Appeal, "appealed_at": o.appealedAt.Format(time.RFC3339),
		"result_number": o.resultNumber,
	}
	if _, err := o.cf.issue(ctx, documents.KindAppealDecision, facts, map[string][]string{"findings": {in.Reasons}}, o.correction(in.Outcome, in.Correction)); err != nil {
		return err
	}
	o.st.Stage = StageFinished
	return nil
}

// SettingDisagreementHandover is the profile setting a refused hand-over
// names (Refusal.Rule).
const SettingDisagreementHandover = "settings.disagreement_handover"

// handOverRefused refuses a hand-over the case's profile does not provide
// for, or one of a result the provider never verified (the centre's own
// error, corrected at once): Anshan art. 10 hands over a disagreement with
// the provider's verification. Instead names the step open to the
// applicant in its place (the appeal while its window runs).
func (o *objection) handOverRefused() error {
	instead := ""
	if o.cf.pending(policy.ObjectionAppealWindow) != nil {
		instead = ObjectionAppeal
	}
	d := Refusal{Action: ObjectionHandOver, Stage: o.st.Stage, Profile: o.in.ProfileID, Instead: instead}
	if !o.in.DisagreementHandover {
		d.Rule = SettingDisagreementHandover
		return refuse(RefusedNoHandover, "hand-over refused: profile "+o.in.ProfileID+" does not hand a continued disagreement to the provider", d)
	}
	if o.st.Finding == "" {
		return refuse(RefusedNoHandover, "hand-over refused: the provider did not verify this result (the centre corrected its own error)", d)
	}
	return nil
}

// handOver hands the applicant's continued disagreement to the provider
// (Anshan art. 10: 申请人仍有异议的，由公共信用信息工作机构移交信息提供主体
// 处理): the provider's system receives objection.handed_over through the
// relay and its account an inbox notice, the applicant is told, and the
// centre's procedure ends here (the appeal window is met by it).
func (o *objection) handOver(ctx workflow.Context, in HandOverInput) error {
	// Finished from the moment the hand-over is taken: while it is being
	// carried out, a second one or an appeal is refused for the stage.
	o.st.Stage = StageFinished
	if err := o.cf.settle(ctx, policy.ObjectionAppealWindow, activities.DeadlineMet, "disagreement handed over to the provider"); err != nil {
		return err
	}
	now := workflow.Now(ctx)
	o.st.HandedOver, o.st.HandedOverAt = in.Reasons, now
	if err := o.cf.act(ctx, cases.HandOverObjection, activities.HandOverRequest{
		CaseNo: o.in.CaseNo, RecordID: o.in.RecordID, ProviderID: o.in.ProviderID, ProfileID: o.in.ProfileID,
		Outcome: o.st.Outcome, Finding: o.st.Finding, Reasons: in.Reasons, At: now, Actor: in.By.Name, Role: in.By.Role,
	}).Get(ctx, nil); err != nil {
		return err
	}
	if err := o.cf.event(ctx, in.By, "objection.handed_over", in.Reasons, map[string]any{
		"provider_id": o.in.ProviderID, "outcome": o.st.Outcome, "finding": o.st.Finding,
	}); err != nil {
		return err
	}
	if err := o.cf.tell(ctx, activities.PartyProvider(o.in.ProviderID), "handover", "handover",
		"申请人对核查结果仍有异议，工作机构依规定移交你单位处理，请依法处理",
		"the applicant still disagrees with the verified result; the centre hands the disagreement to you as the regulation provides: please deal with it"); err != nil {
		return err
	}
	return o.cf.tell(ctx, activities.PartySubject, "handover", "handover-subject",
		"您对核查结果的异议已移交信息提供单位处理",
		"your disagreement with the verified result has been handed to the information provider")
}

// correction is the correction a written reply states: the decision's own,
// or else the provider's.
func (o *objection) correction(outcome string, c map[string]any) map[string]any {
	if outcome != OutcomeCorrected {
		return nil
	}
	if len(c) == 0 {
		return o.providerReply.Correction
	}
	return c
}

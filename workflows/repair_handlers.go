package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
)

// defaultProposal is the proposed outcome published when the caseworker
// gives none.
const defaultProposal = "拟对上述失信信息予以信用修复，停止公示和共享"

func (r *repairCase) setHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryRepair, func() (RepairState, error) { return r.st, nil }); err != nil {
		return err
	}
	if err := r.cf.setEscalationHandler(ctx); err != nil {
		return err
	}
	r.cf.listenCalendar(ctx)
	state := func() RepairState { return r.st }
	regs := []func() error{
		func() error {
			return caseUpdate(ctx, r.cf, RepairAccept, state, func(in AcceptInput) error {
				if err := r.cf.stageError(RepairAccept, RepairStages[RepairAccept]...); err != nil {
					return err
				}
				return actorRequired(RepairAccept, in.By)
			}, r.accept)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairRequestSupplement, state, func(in SupplementRequest) error {
				if err := r.cf.stageError(RepairRequestSupplement, RepairStages[RepairRequestSupplement]...); err != nil {
					return err
				}
				if r.st.Missing != nil {
					return refuse(RefusedAlreadyRequested, "request-supplement refused: the one-time notice (一次性告知) was already sent", Refusal{Action: RepairRequestSupplement, Stage: r.st.Stage})
				}
				if len(in.Missing) == 0 || slices.ContainsFunc(in.Missing, func(s string) bool { return strings.TrimSpace(s) == "" }) {
					return invalid(RepairRequestSupplement, badField("missing", "required", "请一次性列明全部需补正的材料，每项不能为空", "list every missing document at once (一次性告知), none empty"))
				}
				return actorRequired(RepairRequestSupplement, in.By)
			}, r.requestSupplement)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairSupplement, state, func(in RepairSupplementInput) error {
				if err := r.cf.stageError(RepairSupplement, RepairStages[RepairSupplement]...); err != nil {
					return err
				}
				if err := actorRequired(RepairSupplement, in.By); err != nil {
					return err
				}
				return required(RepairSupplement, field{"statement", in.Statement})
			}, r.supplement)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairProviderOpinion, state, func(in OpinionInput) error {
				if err := r.cf.stageError(RepairProviderOpinion, RepairStages[RepairProviderOpinion]...); err != nil {
					return err
				}
				if err := actorRequired(RepairProviderOpinion, in.By); err != nil {
					return err
				}
				return required(RepairProviderOpinion, field{"reasons", in.Reasons})
			}, r.opinion)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairPublish, state, func(in PublishInput) error {
				if err := r.cf.stageError(RepairPublish, RepairStages[RepairPublish]...); err != nil {
					return err
				}
				return actorRequired(RepairPublish, in.By)
			}, r.publish)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairPublicObjection, state, func(in PublicObjectionInput) error {
				if err := r.cf.stageError(RepairPublicObjection, RepairStages[RepairPublicObjection]...); err != nil {
					return err
				}
				if d := r.cf.pending(policy.RepairPublicity); d == nil || !workflow.Now(ctx).Before(d.DueAt) {
					return refuse(RefusedWindowClosed, "public-objection refused: the publicity period has ended", Refusal{Action: RepairPublicObjection, Stage: r.st.Stage, WindowEnded: r.cf.lastDue(policy.RepairPublicity)})
				}
				if in.ObjectionID <= 0 {
					return invalid(RepairPublicObjection, badField("objection_id", "required", "必填", "required"))
				}
				if slices.ContainsFunc(r.st.Objections, func(o PublicObjection) bool { return o.ID == in.ObjectionID }) {
					return refuse(RefusedDuplicate, "public-objection refused: already received", Refusal{Action: RepairPublicObjection, Stage: r.st.Stage})
				}
				return actorRequired(RepairPublicObjection, in.By)
			}, r.publicObjection)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairVerifyObjection, state, func(in VerifyObjectionInput) error {
				if err := r.cf.stageError(RepairVerifyObjection, RepairStages[RepairVerifyObjection]...); err != nil {
					return err
				}
				if i := r.objection(in.ObjectionID); i < 0 || r.st.Objections[i].Status != PublicObjectionPending {
					return invalid(RepairVerifyObjection, badField("objection_id", "unknown", fmt.Sprintf("没有待核实的异议 %d", in.ObjectionID), fmt.Sprintf("no pending objection %d", in.ObjectionID)))
				}
				if err := actorRequired(RepairVerifyObjection, in.By); err != nil {
					return err
				}
				return required(RepairVerifyObjection, field{"reasons", in.Reasons})
			}, r.verifyObjection)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairDecide, state, func(in RepairDecisionInput) error {
				if err := r.cf.stageError(RepairDecide, RepairStages[RepairDecide]...); err != nil {
					return err
				}
				if err := actorRequired(RepairDecide, in.By); err != nil {
					return err
				}
				return required(RepairDecide, field{"reasons", in.Reasons})
			}, r.decide)
		},
		func() error {
			return caseUpdate(ctx, r.cf, RepairWithdraw, state, func(in WithdrawInput) error {
				if err := r.cf.stageError(RepairWithdraw, RepairStages[RepairWithdraw]...); err != nil {
					return err
				}
				return actorRequired(RepairWithdraw, in.By)
			}, r.withdraw)
		},
	}
	for _, reg := range regs {
		if err := reg(); err != nil {
			return err
		}
	}
	return nil
}

func (r *repairCase) objection(id int64) int {
	return slices.IndexFunc(r.st.Objections, func(o PublicObjection) bool { return o.ID == id })
}

func (r *repairCase) accept(ctx workflow.Context, in AcceptInput) error {
	if err := r.cf.settle(ctx, policy.RepairAcceptance, activities.DeadlineMet, "accepted"); err != nil {
		return err
	}
	r.cf.acceptedAt = workflow.Now(ctx)
	r.st.Stage = StageProviderOpinion
	if err := r.cf.event(ctx, in.By, "repair.accepted", "", nil); err != nil {
		return err
	}
	if err := r.cf.startDeadline(ctx, policy.RepairOverall, activities.PartyCentre, r.cf.acceptedAt); err != nil {
		return err
	}
	provider := activities.PartyProvider(r.in.ProviderID)
	if err := r.cf.startDeadline(ctx, policy.RepairProviderOpinion, provider, r.cf.acceptedAt); err != nil {
		return err
	}
	if _, err := r.cf.issue(ctx, documents.KindRepairAcceptance, nil, nil, nil); err != nil {
		return err
	}
	return r.cf.ask(ctx, provider, "repair_opinion", "opinion-request", r.cf.pending(policy.RepairProviderOpinion),
		"对你单位提供的失信信息的信用修复申请（已受理）出具书面信用修复意见并说明理由",
		"give a written opinion, with reasons, on the accepted repair application about a record you supplied")
}

func (r *repairCase) requestSupplement(ctx workflow.Context, in SupplementRequest) error {
	r.st.Stage, r.st.Missing = StageAwaitingSupplement, in.Missing
	// Acceptance runs from a complete application: the clock stops while
	// the subject gathers what is missing.
	if err := r.cf.settle(ctx, policy.RepairAcceptance, activities.DeadlineCancelled, "incomplete: one-time notice sent"); err != nil {
		return err
	}
	if err := r.cf.event(ctx, in.By, "repair.supplement_requested", "", map[string]any{"missing": in.Missing}); err != nil {
		return err
	}
	_, err := r.cf.issue(ctx, documents.KindRepairSupplement, nil, map[string][]string{"missing": in.Missing}, nil)
	return err
}

func (r *repairCase) supplement(ctx workflow.Context, in RepairSupplementInput) error {
	r.st.Stage = StageAcceptance
	r.evidence = append(r.evidence, in.EvidenceIDs...)
	if err := r.cf.event(ctx, in.By, "repair.supplemented", in.Statement, map[string]any{"evidence": in.EvidenceIDs, "missing": r.st.Missing}); err != nil {
		return err
	}
	return r.cf.startDeadline(ctx, policy.RepairAcceptance, activities.PartyCentre, workflow.Now(ctx))
}

func (r *repairCase) opinion(ctx workflow.Context, in OpinionInput) error {
	late := r.cf.pending(policy.RepairProviderOpinion) == nil
	if err := r.cf.settle(ctx, policy.RepairProviderOpinion, activities.DeadlineMet, "opinion given"); err != nil {
		return err
	}
	r.st.Opinion = "disagree"
	if in.Agree {
		r.st.Opinion = "agree"
	}
	if err := r.cf.event(ctx, in.By, "repair.opinion_given", in.Reasons, map[string]any{"agree": in.Agree, "late": late}); err != nil {
		return err
	}
	if !in.Agree {
		return r.refuse(ctx, in.By, []string{"信息提供单位书面意见：不同意修复。理由：" + in.Reasons}, "")
	}
	r.st.Stage = StageAwaitingPublicity
	return r.cf.ask(ctx, activities.PartyCentre, "repair_opinion", "opinion-given", nil,
		"发布信用修复公示（信息提供单位同意修复）", "publish the repair notice (the provider agrees to the repair)")
}

func (r *repairCase) publish(ctx workflow.Context, in PublishInput) error {
	now := workflow.Now(ctx)
	if err := r.cf.startDeadline(ctx, policy.RepairPublicity, activities.PartyCentre, now); err != nil {
		return err
	}
	d := r.cf.pending(policy.RepairPublicity)
	proposal := strings.TrimSpace(in.Proposal)
	if proposal == "" {
		proposal = defaultProposal
	}
	r.st.Stage, r.st.PublicityFrom, r.st.PublicityUntil = StagePublicity, now, d.DueAt
	if err := r.cf.act(ctx, cases.OpenPublicity, activities.PublicityRequest{
		CaseNo: r.in.CaseNo, RecordID: r.in.RecordID, Proposal: proposal, StartsAt: now,
		EndsOn: d.Due, EndsAt: d.DueAt, Explanation: d.Explanation,
	}).Get(ctx, nil); err != nil {
		return err
	}
	if err := r.cf.event(ctx, in.By, "repair.published", proposal, map[string]any{"until": d.Due.String(), "explanation": d.Explanation}); err != nil {
		return err
	}
	_, err := r.cf.issue(ctx, documents.KindRepairPublicity, map[string]string{"proposal": proposal, "from": now.Format(time.RFC3339)}, nil, nil)
	return err
}

func (r *repairCase) publicObjection(ctx workflow.Context, in PublicObjectionInput) error {
	provider := activities.PartyProvider(r.in.ProviderID)
	if err := r.cf.startDeadline(ctx, policy.RepairPublicityObjectionVerification, provider, workflow.Now(ctx)); err != nil {
		return err
	}
	d := r.st.Deadlines[len(r.st.Deadlines)-1]
	r.st.Objections = append(r.st.Objections, PublicObjection{ID: in.ObjectionID, At: workflow.Now(ctx), Seq: d.Seq, Status: PublicObjectionPending})
	if err := r.cf.event(ctx, in.By, "repair.public_objection", "", map[string]any{"objection_id": in.ObjectionID, "verify_by": d.Due.String()}); err != nil {
		return err
	}
	return r.cf.ask(ctx, provider, "repair_objection", fmt.Sprintf("objection-%d", in.ObjectionID), &d,
		fmt.Sprintf("核实信用修复公示期间收到的第%d号异议并提出意见", in.ObjectionID),
		fmt.Sprintf("verify objection no. %d raised during the repair publicity and give an opinion", in.ObjectionID))
}

func (r *repairCase) verifyObjection(ctx workflow.Context, in VerifyObjectionInput) error {
	i := r.objection(in.ObjectionID)
	o := &r.st.Objections[i]
	if err := r.settleSeq(ctx, policy.RepairPublicityObjectionVerification, o.Seq, activities.DeadlineMet, "verified"); err != nil {
		return err
	}
	o.Status = PublicObjectionRejected
	if in.Upheld {
		o.Status = PublicObjectionUpheld
	}
	answer := "经信息提供单位核实，异议不成立：" + in.Reasons
	if in.Upheld {
		answer = "经信息提供单位核实，异议成立，不予信用修复：" + in.Reasons
	}
	if err := r.cf.act(ctx, cases.AnswerPublicObjection, activities.PublicObjectionAnswer{
		CaseNo: r.in.CaseNo, ObjectionID: in.ObjectionID, Upheld: in.Upheld, Answer: answer,
	}).Get(ctx, nil); err != nil {
		return err
	}
	if err := r.cf.event(ctx, in.By, "repair.objection_verified", in.Reasons, map[string]any{"objection_id": in.ObjectionID, "upheld": in.Upheld}); err != nil {
		return err
	}
	if in.Upheld {
		return r.refuse(ctx, in.By, []string{"公示期间有关单位或个人提出异议，经信息提供单位核实异议成立：" + in.Reasons}, "")
	}
	if r.st.Stage == StageObjectionVerification && r.pendingObjections() == 0 {
		r.st.Stage = StageDeciding
		return r.cf.ask(ctx, activities.PartyCentre, "publicity_ended", "publicity-ended", r.cf.pending(policy.RepairOverall),
			"作出信用修复决定并书面告知申请人（公示期已满，异议均已核实）", "decide on the repair and tell the applicant in writing (the publicity period is over and every objection verified)")
	}
	return nil
}

func (r *repairCase) decide(ctx workflow.Context, in RepairDecisionInput) error {
	if err := r.cf.event(ctx, in.By, "repair.decided", in.Reasons, map[string]any{"approve": in.Approve}); err != nil {
		return err
	}
	if in.Approve {
		return r.approve(ctx, in)
	}
	return r.refuse(ctx, in.By, []string{in.Reasons}, "")
}

func (r *repairCase) withdraw(ctx workflow.Context, in WithdrawInput) error {
	if err := r.cf.cancelPending(ctx, "withdrawn"); err != nil {
		return err
	}
	if err := r.endPublicity(ctx, "withdrawn"); err != nil {
		return err
	}
	return r.close(ctx, in.By, OutcomeWithdrawn, StatusWithdrawn, map[string]any{"reason": in.Reason})
}

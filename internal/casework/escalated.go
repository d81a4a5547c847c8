package casework

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/wording"
	"github.com/creditcase/creditcase/workflows"
)

// StoppedStep is a step of a case that stopped on a data error and waits
// for a supervisor (issue 11.4): what it does and what is wrong, in
// Chinese and English, and the error's safe text (it names the SQLSTATE,
// constraint, table and column, never a value).
type StoppedStep struct {
	EscalationID int64     `json:"escalation_id"`
	CaseNo       string    `json:"case_no"`
	Kind         string    `json:"kind"`
	Seq          int       `json:"seq"`
	Step         string    `json:"step"`
	StepZH       string    `json:"step_zh"`
	StepEN       string    `json:"step_en"`
	Stage        string    `json:"stage"`
	ErrorType    string    `json:"error_type"`
	WhatZH       string    `json:"what_zh"`
	WhatEN       string    `json:"what_en"`
	Message      string    `json:"message"`
	Since        time.Time `json:"since"`
	State        string    `json:"state"`
}

const escalatedColumns = `x.id, x.case_no, c.kind, x.seq, x.step, x.stage, x.error_type, x.message, x.since, x.state
	FROM escalations x JOIN cases c ON c.case_no = x.case_no`

func scanEscalated(row pgx.Row) (StoppedStep, error) {
	var e StoppedStep
	err := row.Scan(&e.EscalationID, &e.CaseNo, &e.Kind, &e.Seq, &e.Step, &e.Stage, &e.ErrorType, &e.Message, &e.Since, &e.State)
	e.StepZH, e.StepEN = wording.StepName(e.Step, wording.ZH), wording.StepName(e.Step, wording.EN)
	e.WhatZH, e.WhatEN = wording.ErrorTypeName(e.ErrorType, wording.ZH), wording.ErrorTypeName(e.ErrorType, wording.EN)
	e.Since = shanghai(e.Since)
	return e, err
}

// escalatedOf is the case's step waiting for a supervisor, or nil.
func (s *Service) escalatedOf(ctx context.Context, caseNo string) (*StoppedStep, error) {
	e, err := scanEscalated(s.d.Pool.QueryRow(ctx, `SELECT `+escalatedColumns+`
		WHERE x.case_no = $1 AND x.kind = 'step' AND x.state <> 'resolved' AND c.status = 'open'
		ORDER BY x.seq DESC LIMIT 1`, caseNo))
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// escalatedOpen lists the steps of open cases waiting for a supervisor,
// oldest first (the board's first page). The rule_id condition (always
// true of a step's escalation) lets it read the index of the unresolved
// steps alone (migration 00098), not every open escalation.
func (s *Service) escalatedOpen(ctx context.Context, limit int) ([]StoppedStep, error) {
	rows, err := s.d.Pool.Query(ctx, `SELECT `+escalatedColumns+`
		WHERE x.kind = 'step' AND x.rule_id LIKE '`+activities.StepRulePrefix+`%' AND x.state <> 'resolved' AND c.status = 'open'
		ORDER BY x.since, x.id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoppedStep, error) { return scanEscalated(r) })
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// kindOfCaseNo is the procedure of a case number (YY objection, LB
// listing, XF repair).
func kindOfCaseNo(no string) (string, bool) {
	p, ok := caseno.Parse(no)
	if !ok {
		return "", false
	}
	switch p.Prefix {
	case caseno.Objection:
		return workflows.CaseKindObjection, true
	case caseno.Listing:
		return workflows.CaseKindListing, true
	case caseno.Repair:
		return workflows.CaseKindRepair, true
	}
	return "", false
}

// StepResolution is how a supervisor or caseworker resolves a case's
// escalated step: action retry (the step runs again, once the data is
// corrected) or close (the case ends: deadlines cancelled, the record it
// labelled restored, audited); reason is required to close. seq names the
// escalated step (0: the one escalated now).
type StepResolution struct {
	Action string `json:"action" text:"max=10"`
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
	Seq    int    `json:"seq,omitempty"`
}

// StepResolved is the case after the resolution: its stage, status and
// outcome, and the step escalated now (a retried step that stopped again).
type StepResolved struct {
	CaseNo    string       `json:"case_no"`
	Kind      string       `json:"kind"`
	Action    string       `json:"action"`
	Stage     string       `json:"stage"`
	Status    string       `json:"status"`
	Outcome   string       `json:"outcome,omitempty"`
	Escalated *StoppedStep `json:"escalated,omitempty"`
}

// ResolveEscalatedStep retries the step of case no that stopped on a data
// error, or closes the case.
func (s *Service) ResolveEscalatedStep(ctx context.Context, a permission.Actor, no string, in StepResolution) (StepResolved, error) {
	const uc = "resolveEscalatedStep"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return StepResolved{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return StepResolved{}, err
	}
	var bad []refusal.Field
	switch in.Action {
	case workflows.ResolveRetry:
	case workflows.ResolveClose:
		if in.Reason == "" {
			bad = append(bad, refusal.Field{Name: "reason", Code: "required", Message: refusal.T("关闭案件须写明理由", "closing the case needs a reason")})
		}
	default:
		bad = append(bad, refusal.Field{Name: "action", Code: "enum", Message: refusal.T("应为 retry（重试该步骤）或 close（关闭案件）", "must be retry (run the step again) or close (close the case)")})
	}
	if in.Seq < 0 {
		bad = append(bad, refusal.Field{Name: "seq", Code: "range", Message: refusal.T("应为正整数", "must be a positive number")})
	}
	if len(bad) > 0 {
		return StepResolved{}, refusal.Invalid(bad...)
	}
	if err := CheckCaseNo(no); err != nil {
		return StepResolved{}, err
	}
	kind, _ := kindOfCaseNo(no)
	p, _ := procedureOf(kind)
	cs, err := s.openCase(ctx, a, uc, kind, no)
	if err != nil {
		return StepResolved{}, err
	}
	if cs.Status != workflows.StatusOpen {
		return StepResolved{}, caseFinished(p, cs)
	}
	if cs.Escalated == nil {
		return StepResolved{}, &refusal.Error{Kind: refusal.Conflict, CaseNo: cs.CaseNo, Stage: cs.Stage,
			Title:  refusal.T("没有受阻的步骤", "No step is escalated"),
			Detail: refusal.T("案件 "+cs.CaseNo+" 当前没有因数据错误受阻的步骤，未作任何更改", "No step of case "+cs.CaseNo+" is stopped on a data error; nothing was changed")}
	}
	st := Step{Name: workflows.UpdateResolveStep, UseCase: uc, Update: workflows.UpdateResolveStep}
	var after workflows.CaseProgress
	if err := s.update(ctx, p, cs, st, workflows.StepResolution{By: actorOf(a), Seq: in.Seq, Action: in.Action, Reason: in.Reason}, &after); err != nil {
		return StepResolved{}, err
	}
	out := StepResolved{CaseNo: cs.CaseNo, Kind: kind, Action: in.Action, Stage: after.Stage, Status: after.Status, Outcome: after.Outcome}
	if out.Escalated, err = s.escalatedOf(ctx, cs.CaseNo); err != nil {
		return out, faults.Database(err)
	}
	s.log(ctx).Info().Str("case_no", cs.CaseNo).Str("action", in.Action).Str("actor", actorOf(a).Name).Msg("escalated step resolved")
	return out, nil
}

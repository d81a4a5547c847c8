package supervision

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/reqid"
)

// Escalation states.
const (
	EscalationOpen         = "open"
	EscalationAcknowledged = "acknowledged"
	EscalationResolved     = "resolved"
)

// Escalation actions a supervisor takes.
const (
	ActAcknowledge     = "acknowledge"      // 已知悉
	ActReassign        = "reassign"         // 改派经办人
	ActOrderCorrection = "order-correction" // 责令整改, with a note
)

// EscalationEventSeqBase numbers the case events written for escalation
// actions: seq = base + escalation_actions.id. Case workflows number their
// own events from 1 with a counter kept in their history (and insert with
// ON CONFLICT DO NOTHING), so events written outside the workflow use a
// disjoint range and can never take a number the workflow will use.
const EscalationEventSeqBase = 1_000_000_000

// Escalations reads and handles escalations.
type Escalations struct{ Pool *pgxpool.Pool }

// EscalationRow is an escalation as the supervisors see it.
type EscalationRow struct {
	ID         int64     `json:"id"`
	CaseNo     string    `json:"case_no"`
	Kind       string    `json:"kind"`
	Stage      string    `json:"stage"`
	Profile    string    `json:"profile"`
	Rule       string    `json:"rule"`
	Seq        int       `json:"seq"`
	Party      string    `json:"party"`
	Since      time.Time `json:"since"`
	State      string    `json:"state"`
	AssignedTo int64     `json:"assigned_to,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// What is escalated: a lapsed deadline ("deadline": Rule, Seq, Party)
	// or a step of the case stopped on a data error ("step": Step, the
	// ErrorType and its safe Message; Resolution once retried or closed).
	What       string `json:"what"`
	Step       string `json:"step,omitempty"`
	ErrorType  string `json:"error_type,omitempty"`
	Message    string `json:"message,omitempty"`
	Resolution string `json:"resolution,omitempty"`
}

// EscalationFilter selects escalations, newest first; zero fields select all.
type EscalationFilter struct {
	State  string
	Party  string
	CaseNo string
	Before int64 // keyset: only escalations with a smaller id
	Limit  int
}

const escalationCols = `x.id, x.case_no, c.kind, c.stage, c.profile_id, x.rule_id, x.seq, x.party, x.since, x.state,
	coalesce(x.assigned_to, 0), x.created_at, x.updated_at, x.kind, x.step, x.error_type, x.message, x.resolution`

func scanEscalation(r pgx.Row) (EscalationRow, error) {
	var e EscalationRow
	err := r.Scan(&e.ID, &e.CaseNo, &e.Kind, &e.Stage, &e.Profile, &e.Rule, &e.Seq, &e.Party, &e.Since, &e.State,
		&e.AssignedTo, &e.CreatedAt, &e.UpdatedAt, &e.What, &e.Step, &e.ErrorType, &e.Message, &e.Resolution)
	return e, err
}

// List returns escalations matching f, newest first.
func (s *Escalations) List(ctx context.Context, f EscalationFilter) ([]EscalationRow, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	where := []string{"true"}
	switch f.State {
	case "":
	case EscalationOpen, EscalationAcknowledged, EscalationResolved:
		where = append(where, "x.state = "+arg(f.State))
	default:
		return nil, &ErrInvalid{Field: "state", ZH: "状态应为 open、acknowledged 或 resolved", EN: "state must be open, acknowledged or resolved"}
	}
	if f.Party != "" {
		if !ValidParty(f.Party) {
			return nil, &ErrInvalid{Field: "party", ZH: "责任方应为 centre、subject、supervisor 或 provider:<编号>", EN: "party must be centre, subject, supervisor or provider:<id>"}
		}
		where = append(where, "x.party = "+arg(f.Party))
	}
	if f.CaseNo != "" {
		where = append(where, "x.case_no = "+arg(f.CaseNo))
	}
	if f.Before > 0 {
		where = append(where, "x.id < "+arg(f.Before))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+escalationCols+` FROM escalations x JOIN cases c ON c.case_no = x.case_no
		WHERE `+strings.Join(where, " AND ")+` ORDER BY x.id DESC LIMIT `+arg(min(limit, MaxPage)), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (EscalationRow, error) { return scanEscalation(r) })
}

// Get returns escalation id.
func (s *Escalations) Get(ctx context.Context, id int64) (EscalationRow, error) {
	e, err := scanEscalation(s.Pool.QueryRow(ctx, `SELECT `+escalationCols+` FROM escalations x
		JOIN cases c ON c.case_no = x.case_no WHERE x.id = $1`, id))
	if db.IsNoRows(err) {
		return e, ErrNotFound
	}
	return e, err
}

// Action is a supervisor's handling of an escalation.
type Action struct {
	Action   string `json:"action"`
	Note     string `json:"note"`
	AssignTo int64  `json:"assign_to,omitempty"` // reassign: a caseworker account
}

// ActionResult is the escalation after the action, and the action's id.
type ActionResult struct {
	Escalation EscalationRow `json:"escalation"`
	ActionID   int64         `json:"action_id"`
	EventSeq   int           `json:"event_seq"`
}

// MaxNote is the longest note accepted, in characters.
const MaxNote = 2000

// Act applies a to escalation id as by, in one transaction: the
// escalation's new state, an escalation_actions row, an event in the case's
// events, and a notice to whoever must act next (the caseworkers for a
// reassignment, the responsible party for an order to correct).
func (s *Escalations) Act(ctx context.Context, by audit.Actor, id int64, a Action) (ActionResult, error) {
	a.Note = strings.TrimSpace(a.Note)
	if len([]rune(a.Note)) > MaxNote {
		return ActionResult{}, &ErrInvalid{Field: "note", ZH: fmt.Sprintf("说明不得超过 %d 字", MaxNote), EN: fmt.Sprintf("note must be at most %d characters", MaxNote)}
	}
	switch a.Action {
	case ActAcknowledge:
	case ActReassign:
		if a.AssignTo <= 0 {
			return ActionResult{}, &ErrInvalid{Field: "assign_to", ZH: "请指定改派的经办人账号", EN: "name the caseworker account to reassign to"}
		}
	case ActOrderCorrection:
		if a.Note == "" {
			return ActionResult{}, &ErrInvalid{Field: "note", ZH: "责令整改须写明说明", EN: "an order to correct needs a note"}
		}
	default:
		return ActionResult{}, &ErrInvalid{Field: "action", ZH: "操作应为 acknowledge、reassign 或 order-correction", EN: "action must be acknowledge, reassign or order-correction"}
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return ActionResult{}, err
	}
	defer tx.Rollback(ctx)
	var caseNo, rule, party, before string
	var seq int
	err = tx.QueryRow(ctx, `SELECT case_no, rule_id, seq, party, state FROM escalations WHERE id = $1 FOR UPDATE`, id).
		Scan(&caseNo, &rule, &seq, &party, &before)
	if db.IsNoRows(err) {
		return ActionResult{}, ErrNotFound
	}
	if err != nil {
		return ActionResult{}, err
	}
	if before == EscalationResolved {
		return ActionResult{}, &ErrConflict{ZH: "该督办事项已办结", EN: "the escalation is already resolved"}
	}
	after := EscalationAcknowledged
	var assign any
	switch a.Action {
	case ActAcknowledge:
		if before != EscalationOpen {
			return ActionResult{}, &ErrConflict{ZH: "该督办事项已确认", EN: "the escalation is already acknowledged"}
		}
	case ActReassign:
		var ok bool
		err := tx.QueryRow(ctx, `SELECT role = 'caseworker' AND NOT disabled FROM accounts WHERE id = $1`, a.AssignTo).Scan(&ok)
		if db.IsNoRows(err) || (err == nil && !ok) {
			return ActionResult{}, &ErrInvalid{Field: "assign_to", ZH: "改派对象须为有效的工作机构经办人账号", EN: "assign_to must be an active caseworker account"}
		}
		if err != nil {
			return ActionResult{}, err
		}
		assign = a.AssignTo
	case ActOrderCorrection:
		after = EscalationResolved
	}
	_, err = tx.Exec(ctx, `UPDATE escalations SET state = $2, assigned_to = coalesce($3, assigned_to), updated_at = now()
		WHERE id = $1`, id, after, assign)
	if err != nil {
		return ActionResult{}, err
	}
	var actionID int64
	var at time.Time
	err = tx.QueryRow(ctx, `INSERT INTO escalation_actions (escalation_id, case_no, action, account_id, actor, note,
			assigned_to, state_before, state_after, request_id)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id, at`,
		id, caseNo, a.Action, by.AccountID, by.Username, a.Note, assign, before, after, reqid.From(ctx)).Scan(&actionID, &at)
	if err != nil {
		return ActionResult{}, fmt.Errorf("escalation action: %w", err)
	}
	data := map[string]any{"escalation_id": id, "rule": rule, "seq": seq, "party": party, "state_before": before, "state_after": after}
	if a.AssignTo > 0 {
		data["assigned_to"] = a.AssignTo
		// The case is the new caseworker's from now on (经办人): it is on
		// their worklist's "assigned to me".
		if _, err := tx.Exec(ctx, `INSERT INTO case_assignments (case_no, account_id, how, assigned_by) VALUES ($1, $2, 'reassigned', $3)
			ON CONFLICT (case_no) DO UPDATE SET account_id = EXCLUDED.account_id, how = EXCLUDED.how,
				assigned_by = EXCLUDED.assigned_by, assigned_at = now()`, caseNo, a.AssignTo, by.Username); err != nil {
			return ActionResult{}, fmt.Errorf("case assignment: %w", err)
		}
	}
	raw, _ := json.Marshal(data)
	evSeq := EscalationEventSeqBase + int(actionID)
	_, err = tx.Exec(ctx, `INSERT INTO case_events (case_no, seq, at, actor, role, action, reason, data, request_id)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		caseNo, evSeq, at, by.Username, by.Role, "escalation."+a.Action, a.Note, raw, reqid.From(ctx))
	if err != nil {
		return ActionResult{}, fmt.Errorf("escalation event: %w", err)
	}
	var to, msg string
	switch a.Action {
	case ActReassign:
		to, msg = "centre", fmt.Sprintf("督办：案件 %s 的逾期期限 %s 已改派经办人（账号 %d）", caseNo, rule, a.AssignTo)
	case ActOrderCorrection:
		to, msg = party, fmt.Sprintf("督办：案件 %s 的期限 %s 逾期，责令整改：%s", caseNo, rule, a.Note)
	}
	if to != "" {
		_, err = tx.Exec(ctx, `INSERT INTO notifications (dedup_key, case_no, party, kind, message)
			VALUES ($1,$2,$3,$4,$5) ON CONFLICT (dedup_key) DO NOTHING`,
			fmt.Sprintf("escalation/%d/action/%d", id, actionID), caseNo, to, "escalation."+a.Action, msg)
		if err != nil {
			return ActionResult{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return ActionResult{}, err
	}
	e, err := s.Get(ctx, id)
	return ActionResult{Escalation: e, ActionID: actionID, EventSeq: evSeq}, err
}

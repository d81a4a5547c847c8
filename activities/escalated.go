package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/wording"
)

// StepEventSeqBase numbers the case events written for an escalated step:
// seq = base + 2 × escalation id (escalated) and + 1 (resolved), a range
// apart from the workflow's own events, the escalation actions
// (supervision.EscalationEventSeqBase) and the reconciler's findings.
const StepEventSeqBase = 1_700_000_000

// StepRulePrefix prefixes the rule_id of an escalated step's escalation
// row ("step:ApplyOutcome"); a lapsed deadline's row has the rule's ID.
const StepRulePrefix = "step:"

// StepEscalation is a step of a case stopped by a data error, put before
// the supervisors. Message is safe (no values, ID numbers masked).
type StepEscalation struct {
	CaseNo    string    `json:"case_no"`
	Seq       int       `json:"seq"`
	Step      string    `json:"step"`
	Stage     string    `json:"stage"`
	ErrorType string    `json:"error_type"`
	Message   string    `json:"message"`
	Since     time.Time `json:"since"`
}

// EscalateStep records the escalated step once, however often it is
// retried: the escalation row (kind step, on the board and the
// supervisors' escalations), an event in the case's log and a notice in
// the supervisors' inbox.
func (a *Cases) EscalateStep(ctx context.Context, e StepEscalation) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO escalations (case_no, rule_id, seq, party, since, kind, step, stage, error_type, message)
			VALUES ($1, $2, $3, 'centre', $4, 'step', $5, $6, $7, $8) ON CONFLICT (case_no, rule_id, seq) DO NOTHING RETURNING id`,
			e.CaseNo, StepRulePrefix+e.Step, e.Seq, e.Since, e.Step, e.Stage, e.ErrorType, e.Message).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // recorded by an earlier attempt
		}
		if err != nil {
			return fmt.Errorf("escalate step %s/%s: %w", e.CaseNo, e.Step, err)
		}
		data, _ := json.Marshal(map[string]any{"escalation_id": id, "step": e.Step, "stage": e.Stage,
			"error_type": e.ErrorType, "message": e.Message, "seq": e.Seq})
		if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_no, seq, at, actor, role, action, reason, data)
			VALUES ($1, $2, $3, 'system', 'system', 'case.step_escalated', $4, $5) ON CONFLICT DO NOTHING`,
			e.CaseNo, StepEventSeqBase+2*id, e.Since, e.Message, data); err != nil {
			return fmt.Errorf("escalate step %s: event: %w", e.CaseNo, err)
		}
		var kind string
		if err := tx.QueryRow(ctx, `SELECT kind FROM cases WHERE case_no = $1`, e.CaseNo).Scan(&kind); err != nil {
			return fmt.Errorf("escalate step %s: %w", e.CaseNo, err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO notifications (dedup_key, case_no, party, kind, message, message_en)
			VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (dedup_key) DO NOTHING`,
			fmt.Sprintf("%s/step/%d/escalated", e.CaseNo, e.Seq), e.CaseNo, PartySupervisor, "escalation.step",
			wording.StepEscalated(kind, e.CaseNo, e.Step, e.ErrorType, e.Message, wording.ZH),
			wording.StepEscalated(kind, e.CaseNo, e.Step, e.ErrorType, e.Message, wording.EN))
		return err
	})
}

// StepResolved is a person's resolution of an escalated step: retry it,
// or close the case.
type StepResolved struct {
	CaseNo     string    `json:"case_no"`
	Kind       string    `json:"kind"`
	WorkflowID string    `json:"workflow_id"`
	RecordIDs  []int64   `json:"record_ids"`
	Seq        int       `json:"seq"`
	Step       string    `json:"step"`
	Action     string    `json:"action"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// Resolutions of an escalated step.
const (
	StepRetry = "retry"
	StepClose = "close"
)

// OutcomeClosedOnEscalation is the outcome of a case closed after one of
// its steps stopped on a data error (workflows.OutcomeClosedOnEscalation).
const OutcomeClosedOnEscalation = "closed_on_escalation"

// ResolveStep records the resolution in one transaction, once: the
// escalation resolved, an event and an audit entry; to close, the case
// row closed, its pending deadlines cancelled, the record it labelled
// restored (unless another open case labels it), an open repair
// application and its publicity ended, a listing not yet published
// ended as not listed, a published entry removed.
func (a *Cases) ResolveStep(ctx context.Context, r StepResolved) error {
	actor := audit.Actor{Username: r.Actor, Role: r.Role}
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var id int64
		var state string
		err := tx.QueryRow(ctx, `SELECT id, state FROM escalations WHERE case_no = $1 AND rule_id = $2 AND seq = $3 FOR UPDATE`,
			r.CaseNo, StepRulePrefix+r.Step, r.Seq).Scan(&id, &state)
		if err != nil {
			return fmt.Errorf("resolve step %s#%d: %w", r.CaseNo, r.Seq, err)
		}
		if state == "resolved" {
			return nil // an earlier attempt
		}
		if _, err := tx.Exec(ctx, `UPDATE escalations SET state = 'resolved', resolution = $2, updated_at = now() WHERE id = $1`,
			id, r.Action); err != nil {
			return err
		}
		data := map[string]any{"escalation_id": id, "step": r.Step, "seq": r.Seq, "action": r.Action}
		action := "case.step_retried"
		if r.Action == StepClose {
			action = "case.closed_on_escalation"
			freed, err := closeEscalated(ctx, tx, actor, r)
			if err != nil {
				return err
			}
			data["freed"] = freed
		}
		raw, _ := json.Marshal(data)
		if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_no, seq, at, actor, role, action, reason, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			r.CaseNo, StepEventSeqBase+2*id+1, r.At, r.Actor, r.Role, action, r.Reason, raw); err != nil {
			return fmt.Errorf("resolve step %s: event: %w", r.CaseNo, err)
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: action, ObjectType: "case", ObjectID: r.CaseNo,
			Reason: r.Reason, Data: data})
	})
}

// closeEscalated closes the case row and frees what the case holds; it
// returns the records freed.
func closeEscalated(ctx context.Context, tx pgx.Tx, actor audit.Actor, r StepResolved) ([]int64, error) {
	if _, err := tx.Exec(ctx, `UPDATE cases SET status = 'closed', stage = 'finished', outcome = $2, closed_at = $3,
		next_due_at = NULL, next_rule = '', updated_at = now() WHERE case_no = $1`, r.CaseNo, OutcomeClosedOnEscalation, r.At); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE case_deadlines SET state = 'cancelled', settled_at = now(), reason = $2
		WHERE case_no = $1 AND state = 'pending'`, r.CaseNo, "case closed after an escalated step"); err != nil {
		return nil, err
	}
	freed := []int64{}
	switch r.Kind {
	case "objection":
		var recordID int64
		var prior string
		err := tx.QueryRow(ctx, `SELECT record_id, prior_status FROM record_labels WHERE case_no = $1`, r.CaseNo).Scan(&recordID, &prior)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch prior {
		case records.StatusActive, records.StatusCorrected, records.StatusRepaired, records.StatusArchived:
		default:
			// Labelled from under objection or suspended, or the stored
			// prior status is itself the broken data: the record is active.
			prior = records.StatusActive
		}
		tag, err := tx.Exec(ctx, `UPDATE records SET status = $2, updated_at = now() WHERE id = $1
			AND status IN ('under_objection', 'suspended')
			AND NOT EXISTS (SELECT 1 FROM record_labels l JOIN cases c USING (case_no)
				WHERE l.record_id = $1 AND c.status = 'open' AND l.case_no <> $3)`, recordID, prior, r.CaseNo)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() > 0 {
			freed = append(freed, recordID)
			if err := audit.Write(ctx, tx, actor, audit.Event{Action: "record.label_removed", ObjectType: "record",
				ObjectID: fmt.Sprint(recordID), Reason: r.Reason,
				Data: map[string]any{"case_no": r.CaseNo, "status": prior, "closed_on_escalation": true}}); err != nil {
				return nil, err
			}
		}
	case "repair":
		if _, err := tx.Exec(ctx, `UPDATE repair_applications SET status = 'closed', outcome = $2, closed_at = coalesce(closed_at, now())
			WHERE application_no = $1 AND status = 'open'`, r.CaseNo, OutcomeClosedOnEscalation); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE repair_publicity SET status = 'ended' WHERE application_no = $1 AND status = 'running'`, r.CaseNo); err != nil {
			return nil, err
		}
	case "listing":
		if _, err := tx.Exec(ctx, `UPDATE listings SET status = CASE WHEN status = 'listed' THEN 'removed' ELSE 'not_listed' END,
			stage = 'finished', removal_reason = $2, updated_at = now(),
			removed_at = CASE WHEN status = 'listed' THEN $3 ELSE removed_at END
			WHERE proposal_no = $1 AND status IN ('proposed', 'noticed', 'listed')`, r.CaseNo, "case closed after an escalated step: "+r.Reason, r.At); err != nil {
			return nil, err
		}
	}
	return freed, nil
}

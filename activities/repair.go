package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/repair"
)

// EligibilityRequest asks whether the repair application CaseNo may go on:
// the record's state on At and the documents filed with the application.
type EligibilityRequest struct {
	CaseNo    string `json:"case_no"`
	RecordID  int64  `json:"record_id"`
	ProfileID string `json:"profile_id"`
	// ProfileVersion is the version the case opened with ("" = now).
	ProfileVersion string    `json:"profile_version,omitempty"`
	At             time.Time `json:"at"`
	CommitmentID   int64     `json:"commitment_id"`
	EvidenceIDs    []int64   `json:"evidence_ids,omitempty"`
	// CorrectedOn: the day the behaviour was corrected, as the applicant
	// states it (zero: not stated).
	CorrectedOn calendar.Date `json:"corrected_on,omitzero"`
}

// RepairEligibility checks the application against every condition
// (internal/repair.Check, the same function as the dry run). It reads, it
// writes nothing: repeating it is harmless.
func (a *Cases) RepairEligibility(ctx context.Context, req EligibilityRequest) (repair.Result, error) {
	prof, err := a.profile(ctx, req.ProfileID, req.ProfileVersion)
	if err != nil {
		return repair.Result{}, err
	}
	cal, err := a.calendarNow(ctx)
	if err != nil {
		return repair.Result{}, err
	}
	f, _, err := repair.Load(ctx, a.Pool, req.RecordID, calendar.DateOf(req.At))
	if errors.Is(err, repair.ErrNoRecord) {
		return repair.Result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("record %d does not exist", req.RecordID), "no-record", err)
	}
	if err != nil {
		return repair.Result{}, err
	}
	if f, err = repair.Documents(ctx, a.Pool, f, req.CaseNo, req.CommitmentID, req.EvidenceIDs); err != nil {
		return repair.Result{}, err
	}
	if !req.CorrectedOn.IsZero() {
		f.CorrectedOn = &req.CorrectedOn
	}
	r, err := repair.Check(f, prof, cal)
	if err != nil {
		return repair.Result{}, temporal.NewNonRetryableApplicationError(err.Error(), "eligibility", err)
	}
	return r, nil
}

// PublicityRequest publishes a repair proposal until the end of its period.
type PublicityRequest struct {
	CaseNo      string        `json:"case_no"`
	RecordID    int64         `json:"record_id"`
	Proposal    string        `json:"proposal"`
	StartsAt    time.Time     `json:"starts_at"`
	EndsOn      calendar.Date `json:"ends_on"`
	EndsAt      time.Time     `json:"ends_at"`
	Explanation string        `json:"explanation"`
}

// OpenPublicity writes the public notice of the proposal: the subject as the
// public record shows it (a person's identity number masked), the record
// summary and the proposed outcome. When the record itself is not 社会公开
// the notice carries no record summary (title, decision number and date)
// and a person's name is masked too. Repeating it changes nothing.
func (a *Cases) OpenPublicity(ctx context.Context, req PublicityRequest) error {
	var kind, id, name, provider, title, decisionNo, disclosure string
	var decided time.Time
	err := a.Pool.QueryRow(ctx, `SELECT s.kind, s.ident, s.name, p.name, r.title, r.decision_no, r.decided_on, r.disclosure
		FROM records r JOIN subjects s ON s.id = r.subject_id JOIN providers p ON p.id = r.provider_id WHERE r.id = $1`,
		req.RecordID).Scan(&kind, &id, &name, &provider, &title, &decisionNo, &decided, &disclosure)
	if err != nil {
		return fmt.Errorf("publicity of %s: %w", req.CaseNo, err)
	}
	public := disclosure == "public"
	var decidedOn any = decided
	if !public {
		// The record is not 社会公开: the notice says who applied (a
		// person masked), the provider, the proposal, the period and how
		// to object, and nothing of the record itself.
		if ident.Kind(kind) == ident.Person {
			name = ident.MaskName(name)
		}
		title, decisionNo, decidedOn = "", "", nil
	}
	_, err = a.Pool.Exec(ctx, `INSERT INTO repair_publicity (application_no, record_id, subject_name, subject_ident, provider_name,
			record_title, decision_no, decided_on, proposed_outcome, starts_at, ends_on, ends_at, explanation, record_public)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) ON CONFLICT (application_no) DO NOTHING`,
		req.CaseNo, req.RecordID, name, ident.Mask(ident.Kind(kind), id), provider, title, decisionNo, decidedOn,
		req.Proposal, req.StartsAt, req.EndsOn.Start(), req.EndsAt, req.Explanation, public)
	return err
}

// PublicityEnd closes a publicity notice: ended (the period ran out or
// the case ended in it) or withdrawn.
type PublicityEnd struct {
	CaseNo string `json:"case_no"`
	Status string `json:"status"` // ended | withdrawn
}

// ClosePublicity takes the notice off the public list; idempotent.
func (a *Cases) ClosePublicity(ctx context.Context, req PublicityEnd) error {
	_, err := a.Pool.Exec(ctx, `UPDATE repair_publicity SET status = $2 WHERE application_no = $1 AND status = 'running'`, req.CaseNo, req.Status)
	return err
}

// PublicObjectionAnswer is the answer to an objection raised during
// publicity, after the provider's verification.
type PublicObjectionAnswer struct {
	CaseNo      string `json:"case_no"`
	ObjectionID int64  `json:"objection_id"`
	Upheld      bool   `json:"upheld"`
	Answer      string `json:"answer"`
}

// AnswerPublicObjection stores the verified answer, which the objector reads
// with the receipt given at submission; the first answer stands.
func (a *Cases) AnswerPublicObjection(ctx context.Context, req PublicObjectionAnswer) error {
	status := "rejected"
	if req.Upheld {
		status = "upheld"
	}
	_, err := a.Pool.Exec(ctx, `UPDATE repair_public_objections SET status = $3, answer = $4, answered_at = now()
		WHERE application_no = $1 AND id = $2 AND status = 'received'`, req.CaseNo, req.ObjectionID, status, req.Answer)
	return err
}

// RepairApplication closes an application with its outcome.
type RepairApplication struct {
	CaseNo  string `json:"case_no"`
	Outcome string `json:"outcome"`
}

// CloseRepairApplication marks the application closed, so that a new one may
// be filed for the record; idempotent.
func (a *Cases) CloseRepairApplication(ctx context.Context, req RepairApplication) error {
	_, err := a.Pool.Exec(ctx, `UPDATE repair_applications SET status = 'closed', outcome = $2, closed_at = coalesce(closed_at, now())
		WHERE application_no = $1`, req.CaseNo, req.Outcome)
	return err
}

// RepairRequest applies an approved repair to the record.
type RepairRequest struct {
	CaseNo   string    `json:"case_no"`
	RecordID int64     `json:"record_id"`
	Reason   string    `json:"reason"`
	Actor    string    `json:"actor"`
	Role     string    `json:"role"`
	At       time.Time `json:"at"`
}

// OutboxRepaired is the record_outbox payload of a repaired record: what a
// downstream user of the record must do (stop disclosing and sharing it,
// end measures based on it).
type OutboxRepaired struct {
	RecordID     int64     `json:"record_id"`
	Version      int       `json:"version"`
	CaseNo       string    `json:"case_no"`
	Status       string    `json:"status"`
	RepairedAt   time.Time `json:"repaired_at"`
	StopDisclose bool      `json:"stop_disclosure"`
	StopSharing  bool      `json:"stop_sharing"`
	EndMeasures  bool      `json:"end_joint_punishment"`
}

// ApplyRepair makes the record repaired in one transaction: the original as
// it stood is archived (repair_archive, kept for good), the record leaves
// public disclosure and sharing (status repaired), the audit trail says who
// and why, and an outbox row tells downstream users. Done once per case,
// however often it runs.
func (a *Cases) ApplyRepair(ctx context.Context, req RepairRequest) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var status string
		var version int
		var snapshot []byte
		// The record's own fields: subject_name is the subject's, copied for
		// the public lookup's index (migration 00117).
		err := tx.QueryRow(ctx, `SELECT status, version, to_jsonb(r) - 'subject_name' FROM records r WHERE id = $1 FOR UPDATE`, req.RecordID).Scan(&status, &version, &snapshot)
		if errors.Is(err, pgx.ErrNoRows) {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("record %d does not exist", req.RecordID), "no-record", err)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO repair_archive (application_no, record_id, version, prior_status, snapshot)
			VALUES ($1,$2,$3,$4,$5) ON CONFLICT (application_no) DO NOTHING`, req.CaseNo, req.RecordID, version, status, json.RawMessage(snapshot))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // applied by an earlier attempt
		}
		if _, err := tx.Exec(ctx, `UPDATE records SET status = 'repaired', updated_at = now() WHERE id = $1`, req.RecordID); err != nil {
			return err
		}
		actor := audit.Actor{Username: req.Actor, Role: req.Role}
		if err := audit.Write(ctx, tx, actor, audit.Event{Action: "record.repaired", ObjectType: "record",
			ObjectID: fmt.Sprint(req.RecordID), Reason: req.Reason,
			Data: map[string]any{"case_no": req.CaseNo, "prior_status": status, "version": version, "archived": true}}); err != nil {
			return err
		}
		var providerID int64
		if err := tx.QueryRow(ctx, `SELECT provider_id FROM records WHERE id = $1`, req.RecordID).Scan(&providerID); err != nil {
			return err
		}
		return relay.Enqueue(ctx, tx, relay.Event{Type: relay.RecordRepaired, DedupKey: "repair/" + req.CaseNo,
			Stream: relay.RecordStream(req.RecordID), RecordID: req.RecordID, RecordVersion: version, CaseNo: req.CaseNo,
			ProviderID: providerID,
			Data: OutboxRepaired{RecordID: req.RecordID, Version: version, CaseNo: req.CaseNo, Status: "repaired", RepairedAt: req.At,
				StopDisclose: true, StopSharing: true, EndMeasures: true}})
	})
}

// ActiveListings returns the workflow IDs of the listings (严重失信名单) in
// force that rest on record id (migration 00030 of the listing procedure),
// so that the repair workflow can end them early.
func (a *Cases) ActiveListings(ctx context.Context, recordID int64) ([]string, error) {
	rows, err := a.Pool.Query(ctx, `SELECT l.workflow_id FROM listings l JOIN listing_records r USING (proposal_no)
		WHERE r.record_id = $1 AND l.status = 'listed' ORDER BY l.workflow_id`, recordID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/relay"
)

// LabelRequest puts the objection label (异议标注) on a record.
type LabelRequest struct {
	CaseNo    string `json:"case_no"`
	RecordID  int64  `json:"record_id"`
	ProfileID string `json:"profile_id"`
	// ProfileVersion is the version the case opened with ("" = now).
	ProfileVersion string `json:"profile_version,omitempty"`
}

// LabelResult says what the record was before and whether it left public view.
type LabelResult struct {
	PriorStatus string `json:"prior_status"`
	Suspended   bool   `json:"suspended"`
}

// LabelRecord labels the record under objection; where the profile says a
// labelled record is suspended (Qinzhou, Shenzhen), it also leaves public
// view. The status before is returned so that an upheld objection restores
// it. Repeating the call returns the first call's result.
func (a *Cases) LabelRecord(ctx context.Context, req LabelRequest) (LabelResult, error) {
	prof, err := a.profile(ctx, req.ProfileID, req.ProfileVersion)
	if err != nil {
		return LabelResult{}, err
	}
	newStatus := records.StatusUnderObjection
	if prof.Settings.LabelledRecord.Value == policy.Suspend {
		newStatus = records.StatusSuspended
	}
	var res LabelResult
	err = pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var prior string
		err := tx.QueryRow(ctx, `SELECT prior_status, suspended FROM record_labels WHERE case_no = $1`, req.CaseNo).Scan(&prior, &res.Suspended)
		if err == nil {
			res.PriorStatus = prior
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT status FROM records WHERE id = $1 FOR UPDATE`, req.RecordID).Scan(&prior); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return temporal.NewNonRetryableApplicationError(fmt.Sprintf("record %d does not exist", req.RecordID), "no-record", err)
			}
			return err
		}
		res.PriorStatus, res.Suspended = prior, newStatus == records.StatusSuspended
		if _, err := tx.Exec(ctx, `INSERT INTO record_labels (case_no, record_id, prior_status, suspended) VALUES ($1,$2,$3,$4)`,
			req.CaseNo, req.RecordID, prior, res.Suspended); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE records SET status = $2, updated_at = now() WHERE id = $1`, req.RecordID, newStatus); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.System, audit.Event{Action: "record.labelled", ObjectType: "record",
			ObjectID: fmt.Sprint(req.RecordID), Reason: "异议标注 " + req.CaseNo, Data: map[string]any{"status": newStatus, "case_no": req.CaseNo}})
	})
	return res, err
}

// RecordRef names a record in a case.
type RecordRef struct {
	CaseNo   string `json:"case_no"`
	RecordID int64  `json:"record_id"`
	Reason   string `json:"reason"`
}

// SuspendPublicQuery stops serving the record to the public (Qinzhou art. 22:
// the provider let its verification deadline lapse).
func (a *Cases) SuspendPublicQuery(ctx context.Context, ref RecordRef) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE records SET status = 'suspended', updated_at = now() WHERE id = $1 AND status <> 'suspended'`, ref.RecordID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE record_labels SET suspended = true WHERE case_no = $1`, ref.CaseNo); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.System, audit.Event{Action: "record.suspended", ObjectType: "record",
			ObjectID: fmt.Sprint(ref.RecordID), Reason: ref.Reason, Data: map[string]any{"case_no": ref.CaseNo}})
	})
}

// OutcomeRequest applies an objection outcome to the record.
type OutcomeRequest struct {
	CaseNo     string         `json:"case_no"`
	RecordID   int64          `json:"record_id"`
	Outcome    string         `json:"outcome"` // corrected | upheld | deleted | withdrawn
	Reason     string         `json:"reason"`
	Correction map[string]any `json:"correction,omitempty"`
	Actor      string         `json:"actor"`
	Role       string         `json:"role"`
	// Step distinguishes successive outcomes of one case (decision, appeal).
	Step string `json:"step"`
}

// ApplyOutcome makes the record follow the outcome: corrected → a new version
// (the old one stays in the history) published in the original scope;
// upheld or withdrawn → the label comes off and the prior status returns;
// deleted → the record stops being used and is archived, with the reason.
// Each (case, step) is applied once, however often the activity runs.
func (a *Cases) ApplyOutcome(ctx context.Context, req OutcomeRequest) error {
	actor := audit.Actor{Username: req.Actor, Role: req.Role}
	key := req.CaseNo + "/" + req.Step
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO record_outcomes (outcome_key, case_no, record_id, outcome, reason)
			VALUES ($1,$2,$3,$4,$5) ON CONFLICT (outcome_key) DO NOTHING`, key, req.CaseNo, req.RecordID, req.Outcome, req.Reason)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // applied by an earlier attempt
		}
		var prior string
		if err := tx.QueryRow(ctx, `SELECT prior_status FROM record_labels WHERE case_no = $1`, req.CaseNo).Scan(&prior); err != nil {
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			prior = records.StatusActive
		}
		if prior == records.StatusUnderObjection || prior == records.StatusSuspended {
			prior = records.StatusActive
		}
		switch req.Outcome {
		case "upheld", "withdrawn":
			_, err = tx.Exec(ctx, `UPDATE records SET status = $2, updated_at = now() WHERE id = $1`, req.RecordID, prior)
			if err == nil {
				err = audit.Write(ctx, tx, actor, audit.Event{Action: "record.label_removed", ObjectType: "record",
					ObjectID: fmt.Sprint(req.RecordID), Reason: req.Reason, Data: map[string]any{"case_no": req.CaseNo, "status": prior}})
			}
		case "deleted":
			_, err = tx.Exec(ctx, `UPDATE records SET status = 'archived', updated_at = now() WHERE id = $1`, req.RecordID)
			if err == nil {
				err = audit.Write(ctx, tx, actor, audit.Event{Action: "record.deleted_unverifiable", ObjectType: "record",
					ObjectID: fmt.Sprint(req.RecordID), Reason: req.Reason, Data: map[string]any{"case_no": req.CaseNo}})
			}
		case "corrected":
			err = correctRecord(ctx, tx, actor, req)
		default:
			return temporal.NewNonRetryableApplicationError("unknown outcome "+req.Outcome, "bad-outcome", nil)
		}
		if err != nil {
			return err
		}
		return enqueueObjectionClosed(ctx, tx, req)
	})
}

// ObjectionClosedData is the data of an objection.closed event: what the
// record now is after the case's outcome (step decision, withdrawal, or
// appeal when the appeal changed the outcome).
type ObjectionClosedData struct {
	CaseNo       string `json:"case_no"`
	RecordID     int64  `json:"record_id"`
	Outcome      string `json:"outcome"`
	Step         string `json:"step"`
	Version      int    `json:"version"`
	RecordStatus string `json:"record_status"`
}

// enqueueObjectionClosed announces the outcome to the subscribers, after
// the record change (and its correction event) in the same transaction.
func enqueueObjectionClosed(ctx context.Context, tx pgx.Tx, req OutcomeRequest) error {
	var version int
	var providerID int64
	var status string
	if err := tx.QueryRow(ctx, `SELECT version, provider_id, status FROM records WHERE id = $1`, req.RecordID).Scan(&version, &providerID, &status); err != nil {
		return err
	}
	return relay.Enqueue(ctx, tx, relay.Event{Type: relay.ObjectionClosed, DedupKey: "objection/" + req.CaseNo + "/" + req.Step,
		Stream: relay.RecordStream(req.RecordID), RecordID: req.RecordID, RecordVersion: version, CaseNo: req.CaseNo,
		ProviderID: providerID,
		Data: ObjectionClosedData{CaseNo: req.CaseNo, RecordID: req.RecordID, Outcome: req.Outcome, Step: req.Step,
			Version: version, RecordStatus: status}})
}

// HandOverRequest hands an applicant's continued disagreement to the
// provider (Anshan art. 10).
type HandOverRequest struct {
	CaseNo     string    `json:"case_no"`
	RecordID   int64     `json:"record_id"`
	ProviderID int64     `json:"provider_id"`
	ProfileID  string    `json:"profile_id"`
	Outcome    string    `json:"outcome"`
	Finding    string    `json:"finding"`
	Reasons    string    `json:"reasons"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
}

// ObjectionHandedOverData is the data of an objection.handed_over event:
// the case, the result the applicant still disputes, and the applicant's
// words, for the provider to handle.
type ObjectionHandedOverData struct {
	CaseNo       string    `json:"case_no"`
	RecordID     int64     `json:"record_id"`
	Outcome      string    `json:"outcome"`
	Finding      string    `json:"finding"`
	Disagreement string    `json:"disagreement"`
	HandedOverAt time.Time `json:"handed_over_at"`
	Basis        string    `json:"basis"`
}

// HandOverBasis is the article a hand-over applies, as events and letters
// cite it.
const HandOverBasis = "申请人仍有异议的，由公共信用信息工作机构移交信息提供主体处理"

// HandOverObjection writes the hand-over for the provider: an
// objection.handed_over event on the record's stream (its own system
// receives it through the relay, filtered to its records) and the audit
// entry, once per case however often the activity runs.
func (a *Cases) HandOverObjection(ctx context.Context, req HandOverRequest) error {
	actor := audit.Actor{Username: req.Actor, Role: req.Role}
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var version int
		var providerID int64
		// The record's row orders its stream: lock it before the event.
		if err := tx.QueryRow(ctx, `SELECT version, provider_id FROM records WHERE id = $1 FOR UPDATE`, req.RecordID).Scan(&version, &providerID); err != nil {
			return err
		}
		key := "objection/" + req.CaseNo + "/handover"
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM record_outbox WHERE dedup_key = $1)`, key).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil // written by an earlier attempt
		}
		if err := relay.Enqueue(ctx, tx, relay.Event{Type: relay.ObjectionHandedOver, DedupKey: key,
			Stream: relay.RecordStream(req.RecordID), RecordID: req.RecordID, RecordVersion: version, CaseNo: req.CaseNo,
			ProviderID: providerID,
			Data: ObjectionHandedOverData{CaseNo: req.CaseNo, RecordID: req.RecordID, Outcome: req.Outcome, Finding: req.Finding,
				Disagreement: req.Reasons, HandedOverAt: req.At, Basis: HandOverBasis}}); err != nil {
			return err
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: "objection.handed_over", ObjectType: "record",
			ObjectID: fmt.Sprint(req.RecordID), Reason: req.Reasons,
			Data: map[string]any{"case_no": req.CaseNo, "provider_id": providerID, "profile": req.ProfileID, "outcome": req.Outcome}})
	})
}

// CorrectableFields are the fields of a record a correction may change, in
// a fixed order; each is also the column it writes.
var CorrectableFields = []string{"title", "content", "decision_no", "decided_on", "severity", "category", "disclosure", "dishonesty_category"}

// CorrectableValues are the values the enumerated correctable fields accept;
// the others take any non-empty text.
var CorrectableValues = map[string][]string{
	"severity":   {records.Minor, records.General, records.Serious},
	"category":   {records.Basic, records.Positive, records.Negative, records.Other},
	"disclosure": {records.Public, records.Government, records.Authorised},
}

// CorrectionFault is what is wrong with a correction: the field (as the
// client names it) and why, in both languages.
type CorrectionFault struct {
	Field, Code, ZH, EN string
}

func (f *CorrectionFault) Error() string { return f.Field + ": " + f.EN }

// CheckCorrection refuses a correction with no fields or with a field that
// cannot be corrected, naming it. It walks the fixed field list, not the
// map, so workflow validators may call it deterministically.
func CheckCorrection(c map[string]any) *CorrectionFault {
	if len(c) == 0 {
		return &CorrectionFault{Field: "correction", Code: "required", ZH: "更正须列明更正后的字段", EN: "a correction needs the corrected fields"}
	}
	known := 0
	for _, f := range CorrectableFields {
		v, ok := c[f]
		if !ok {
			continue
		}
		known++
		text, isText := v.(string)
		if !isText || strings.TrimSpace(text) == "" {
			return &CorrectionFault{Field: "correction." + f, Code: "format", ZH: "应为非空文本", EN: "must be non-empty text"}
		}
		if allowed := CorrectableValues[f]; allowed != nil && !slices.Contains(allowed, text) {
			return &CorrectionFault{Field: "correction." + f, Code: "enum", ZH: "应为 " + strings.Join(allowed, "、"), EN: "must be one of " + strings.Join(allowed, ", ")}
		}
	}
	if known != len(c) {
		return &CorrectionFault{Field: "correction", Code: "not_correctable",
			ZH: "只能更正 " + strings.Join(CorrectableFields, "、"), EN: "only " + strings.Join(CorrectableFields, ", ") + " can be corrected"}
	}
	return nil
}

func correctRecord(ctx context.Context, tx pgx.Tx, actor audit.Actor, req OutcomeRequest) error {
	if len(req.Correction) == 0 {
		return temporal.NewNonRetryableApplicationError("a correction needs the corrected fields", "bad-correction", nil)
	}
	sets := []string{}
	args := []any{req.RecordID}
	for _, k := range sortedKeys(req.Correction) {
		col := k
		if !slices.Contains(CorrectableFields, k) {
			return temporal.NewNonRetryableApplicationError("field "+k+" cannot be corrected", "bad-correction", nil)
		}
		args = append(args, fmt.Sprint(req.Correction[k]))
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	// The correction event (trigger on record_versions) names the case.
	if err := relay.SetCaseNo(ctx, tx, req.CaseNo); err != nil {
		return err
	}
	var version int
	err := tx.QueryRow(ctx, `UPDATE records SET `+strings.Join(sets, ", ")+`, version = version + 1, status = 'corrected', updated_at = now()
		WHERE id = $1 RETURNING version`, args...).Scan(&version)
	if err != nil {
		return fmt.Errorf("correct record %d: %w", req.RecordID, err)
	}
	var snapshot []byte
	// The record's own fields: subject_name is the subject's, copied for
	// the public lookup's index (migration 00117).
	if err := tx.QueryRow(ctx, `SELECT to_jsonb(r) - 'subject_name' FROM records r WHERE id = $1`, req.RecordID).Scan(&snapshot); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO record_versions (record_id, version, snapshot, reason, written_by) VALUES ($1,$2,$3,$4,$5)`,
		req.RecordID, version, json.RawMessage(snapshot), req.Reason+" (异议 "+req.CaseNo+")", actor.Username); err != nil {
		return err
	}
	return audit.Write(ctx, tx, actor, audit.Event{Action: "record.corrected", ObjectType: "record",
		ObjectID: fmt.Sprint(req.RecordID), Reason: req.Reason, Data: map[string]any{"case_no": req.CaseNo, "version": version, "fields": sortedKeys(req.Correction)}})
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// ObjectionRules is what the case's policy profile decides about the course
// of an objection: the event that starts the overall limit
// (objection.received: from receipt of the application, or of the
// complete materials after a one-time notice, as Nantong art. 32;
// objection.accepted: from acceptance, as Nanning art. 20), whether an
// unverifiable record may be deleted (Anshan art. 11), and whether the
// applicant may appeal (申诉, Nantong art. 33).
type ObjectionRules struct {
	OverallStartsOn string `json:"overall_starts_on"`
	DeletedAllowed  bool   `json:"deleted_allowed"`
	Appeal          bool   `json:"appeal"`
}

// LegacyObjectionRules is what every objection did before the profile
// decided it: the limit from acceptance, deletion after an unverifiable
// finding, an appeal window.
var LegacyObjectionRules = ObjectionRules{OverallStartsOn: "objection.accepted", DeletedAllowed: true, Appeal: true}

// ObjectionRulesRequest names the profile version a case keeps
// (ProfileVersion "" = the version loaded now).
type ObjectionRulesRequest struct {
	ProfileID      string `json:"profile_id"`
	ProfileVersion string `json:"profile_version,omitempty"`
}

// ObjectionRulesOf reads the objection rules of the profile version a case
// keeps. It only reads: a local activity of the opening.
func (a *Cases) ObjectionRulesOf(ctx context.Context, req ObjectionRulesRequest) (ObjectionRules, error) {
	p, err := a.profile(ctx, req.ProfileID, req.ProfileVersion)
	if err != nil {
		return ObjectionRules{}, err
	}
	r, err := p.Rule(policy.ObjectionOverall)
	if err != nil {
		return ObjectionRules{}, temporal.NewNonRetryableApplicationError(err.Error(), "unknown-rule", err)
	}
	return ObjectionRules{OverallStartsOn: r.StartsOn, DeletedAllowed: p.Settings.UnverifiableDeleted.Value, Appeal: p.HasAppeal()}, nil
}

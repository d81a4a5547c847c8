package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/records"
)

// A case's workflow has a right to exist only when its case was filed: the
// filing commits the case's row (cases, or listings for a listing) and the
// workflow start it owes (case_starts) in one transaction, and starts the
// workflow after that commit (internal/casework, starts.go). A workflow
// that finds neither is an orphan: started by an older build inside a
// filing whose transaction then died (issue 12.1). It must not write a row
// of its own — the client was never given its number, and its re-filing
// holds the record — so the projection writers refuse it (NotFiled), and
// the workflow ends itself (EndUnfiled).

// NotFiled is the error type of a projection write for a case that was
// never filed; non-retryable.
const NotFiled = "case-not-filed"

// FilingGrace is how long after its receipt a case's workflow waits for
// its filing's commit before it counts as unfiled: an older build started
// the workflow inside the filing's transaction and committed just after,
// so a first write may come before the row is visible. Longer than any
// filing transaction ran (EngineTimeout).
const FilingGrace = 2 * time.Minute

// checkFiled returns nil when case no was filed (its listing row or its
// owed start exists), a retryable error while it may still be committed,
// and a non-retryable NotFiled error once it cannot be any more.
func checkFiled(ctx context.Context, db interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, no string, receivedAt time.Time, now time.Time) error {
	var filed bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_starts WHERE case_no = $1)
		OR EXISTS (SELECT 1 FROM cases WHERE case_no = $1)
		OR EXISTS (SELECT 1 FROM listings WHERE proposal_no = $1)`, no).Scan(&filed); err != nil {
		return fmt.Errorf("case %s: is it filed: %w", no, err)
	}
	if filed {
		return nil
	}
	if !receivedAt.IsZero() && now.Sub(receivedAt) < FilingGrace {
		return fmt.Errorf("case %s: not on file yet (its filing may still commit)", no)
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("case %s was never filed: no case row and no owed start", no), NotFiled, nil)
}

// Unfiled names a workflow that found its case never filed.
type Unfiled struct {
	CaseNo     string  `json:"case_no"`
	Kind       string  `json:"kind"`
	WorkflowID string  `json:"workflow_id"`
	RecordIDs  []int64 `json:"record_ids"`
}

// EndUnfiled frees what a workflow without a filed case may hold and
// records in the audit trail that it ended itself: a label it put on a
// record is taken off (the record goes back to its status before, unless
// another case's label holds it; an unfiled case has no row, hence no
// deadlines or events of its own). Once per case, however often it runs.
func (a *Cases) EndUnfiled(ctx context.Context, u Unfiled) error {
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_events WHERE action = 'case.unfiled_ended'
			AND object_type = 'case' AND object_id = $1)`, u.CaseNo).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		freed := []int64{}
		var recordID int64
		var prior string
		err := tx.QueryRow(ctx, `DELETE FROM record_labels WHERE case_no = $1 RETURNING record_id, prior_status`, u.CaseNo).Scan(&recordID, &prior)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			if prior == records.StatusUnderObjection || prior == records.StatusSuspended {
				prior = records.StatusActive
			}
			tag, err := tx.Exec(ctx, `UPDATE records SET status = $2, updated_at = now() WHERE id = $1
				AND status IN ('under_objection', 'suspended')
				AND NOT EXISTS (SELECT 1 FROM record_labels WHERE record_id = $1)`, recordID, prior)
			if err != nil {
				return err
			}
			if tag.RowsAffected() > 0 {
				freed = append(freed, recordID)
			}
		}
		return audit.Write(ctx, tx, audit.System, audit.Event{Action: "case.unfiled_ended", ObjectType: "case", ObjectID: u.CaseNo,
			Reason: "工作流未找到已登记的案件（无案件记录、无待启动登记），自行终止并释放所占记录",
			Data:   map[string]any{"workflow_id": u.WorkflowID, "kind": u.Kind, "records": u.RecordIDs, "freed": freed}})
	})
}

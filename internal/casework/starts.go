package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/workflows"
)

// A filing writes its case's row and the workflow start it owes in one
// transaction (case_starts, with the workflow's input), and starts the
// workflow only after that commit. So a crash at any instant leaves either
// nothing (no commit: the client's retry files anew) or a row whose start
// is owed: the client's retry (same Idempotency-Key) finds its case and
// makes the start, and StartOwed makes every start owed for longer than
// OwedAfter. The workflow ID is the case's, started with the conflict
// policy USE_EXISTING: a start is never made twice. A workflow therefore
// never exists without its row (the order of issue 12.1).

// OwedAfter is how long a start may be owed before the sweep makes it (a
// filing in flight makes its own).
const OwedAfter = 10 * time.Second

// caseStart is the start a filing owes.
type caseStart struct {
	kind string
	no   string
}

func (c caseStart) workflowID() string {
	switch c.kind {
	case workflows.CaseKindRepair:
		return workflows.RepairWorkflowID(c.no)
	case workflows.CaseKindListing:
		return workflows.ListingWorkflowID(c.no)
	}
	return workflows.ObjectionWorkflowID(c.no)
}

// filer is who files: the key's owner when the request carries an
// Idempotency-Key, the account otherwise.
func filer(ctx context.Context, a permission.Actor) (by string, key *string) {
	if k, ok := idempotency.From(ctx); ok {
		return k.Owner, &k.Key
	}
	if a.LoggedIn() {
		return fmt.Sprintf("account:%d", a.Account.ID), nil
	}
	return "public", nil
}

// oweStart records, inside the filing's transaction, the start of the
// case's workflow with its input, and the first answer when known. It
// returns the stored input, for the start after the commit.
func oweStart(ctx context.Context, tx pgx.Tx, a permission.Actor, c caseStart, input, answer any) ([]byte, error) {
	in, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	var ans []byte
	if answer != nil {
		if ans, err = json.Marshal(answer); err != nil {
			return nil, err
		}
	}
	by, key := filer(ctx, a)
	_, err = tx.Exec(ctx, `INSERT INTO case_starts (workflow_id, case_no, kind, input, filed_by, request_key, answer)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.workflowID(), c.no, c.kind, in, by, key, ans)
	return in, err
}

// startFiled makes the start a filing owes right after its commit; when
// the engine cannot take it now, the sweep makes it (the case is filed).
func (s *Service) startFiled(ctx context.Context, c caseStart, input []byte) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), EngineTimeout)
	defer cancel()
	if err := s.start(ctx, c, input); err != nil {
		s.log(ctx).Warn().Err(err).Str("case_no", c.no).Msg("workflow start owed; the sweep will make it")
	}
}

// filedBefore finds the case a keyed request filed in an earlier run (the
// answer lost to a crash): its number and first answer (nil when not
// stored). ok is false when the request carries no key or filed nothing.
func (s *Service) filedBefore(ctx context.Context, a permission.Actor, kind string) (no string, answer []byte, ok bool, err error) {
	k, keyed := idempotency.From(ctx)
	if !keyed {
		return "", nil, false, nil
	}
	err = s.d.Pool.QueryRow(ctx, `SELECT case_no, answer FROM case_starts WHERE filed_by = $1 AND request_key = $2 AND kind = $3`,
		k.Owner, k.Key, kind).Scan(&no, &answer)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, faults.Database(err)
	}
	// Whatever the first run left undone, the start is made now.
	s.startOwed(ctx, caseStart{kind: kind, no: no})
	return no, answer, true, nil
}

// startOwed makes the start case c owes, if it still owes it; a failure is
// logged (the sweep makes it later): the case is filed either way.
func (s *Service) startOwed(ctx context.Context, c caseStart) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), EngineTimeout)
	defer cancel()
	var raw []byte
	var started *time.Time
	err := s.d.Pool.QueryRow(ctx, `SELECT input, started_at FROM case_starts WHERE case_no = $1`, c.no).Scan(&raw, &started)
	if err == nil && started != nil {
		return
	}
	if err == nil {
		err = s.start(ctx, c, raw)
	}
	if err != nil {
		s.log(ctx).Warn().Err(err).Str("case_no", c.no).Msg("workflow start owed; the sweep will make it")
	}
}

// start starts c's workflow from its stored input (once: USE_EXISTING, and
// a closed workflow of that ID counts as started) and records it.
func (s *Service) start(ctx context.Context, c caseStart, raw []byte) error {
	tc, eerr := s.engine()
	if eerr != nil {
		return eerr
	}
	var fn, arg any
	var stage string
	var err error
	switch c.kind {
	case workflows.CaseKindObjection:
		var in workflows.ObjectionInput
		err = json.Unmarshal(raw, &in)
		fn, arg, stage = workflows.ObjectionWorkflow, in, workflows.StageAcceptance
	case workflows.CaseKindRepair:
		var in workflows.RepairInput
		err = json.Unmarshal(raw, &in)
		fn, arg, stage = workflows.RepairWorkflow, in, workflows.StageAcceptance
	case workflows.CaseKindListing:
		var in workflows.ListingInput
		err = json.Unmarshal(raw, &in)
		fn, arg, stage = workflows.ListingWorkflow, in, workflows.StageListingNotice
	default:
		return fmt.Errorf("case %s: unknown kind %q", c.no, c.kind)
	}
	if err != nil {
		return fmt.Errorf("case %s: stored input: %w", c.no, err)
	}
	_, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       c.workflowID(),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.CaseKind.ValueSet(c.kind),
			workflows.CaseStage.ValueSet(stage),
			workflows.CaseStatus.ValueSet(workflows.StatusOpen)),
	}, fn, arg)
	var done *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &done) {
		return faults.Engine(err)
	}
	_, err = s.d.Pool.Exec(ctx, `UPDATE case_starts SET started_at = now() WHERE case_no = $1 AND started_at IS NULL`, c.no)
	return err
}

// StartOwed makes every workflow start owed for longer than OwedAfter (a
// filing whose process died between its commit and its start, or whose
// engine was away). It returns how many it made.
func (s *Service) StartOwed(ctx context.Context) (int, error) {
	rows, err := s.d.Pool.Query(ctx, `SELECT kind, case_no, input FROM case_starts
		WHERE started_at IS NULL AND created_at < now() - $1::interval ORDER BY created_at LIMIT 100`, OwedAfter)
	if err != nil {
		return 0, err
	}
	type owed struct {
		c   caseStart
		raw []byte
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (owed, error) {
		var o owed
		return o, r.Scan(&o.c.kind, &o.c.no, &o.raw)
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, o := range list {
		if err := s.start(ctx, o.c, o.raw); err != nil {
			// One start that cannot be made holds up no other.
			s.d.Logger.Warn().Err(err).Str("case_no", o.c.no).Msg("owed workflow start not made; next sweep tries again")
			if first == nil {
				first = err
			}
			continue
		}
		s.d.Logger.Info().Str("case_no", o.c.no).Msg("owed workflow start made")
		n++
	}
	return n, first
}

package casework

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
)

// Assignee is a caseworker an escalation may be reassigned to.
type Assignee struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// Assignees are the active caseworker accounts, for the supervisor's
// choice when reassigning an escalation (the same accounts the
// reassignment accepts).
func (s *Service) Assignees(ctx context.Context, a permission.Actor) ([]Assignee, error) {
	if err := s.guard.Require(ctx, a, "reassignEscalation"); err != nil {
		return nil, err
	}
	rows, err := s.d.Pool.Query(ctx, `SELECT id, username, display_name FROM accounts
		WHERE role = 'caseworker' AND NOT disabled ORDER BY display_name, id`)
	if err != nil {
		return nil, faults.Database(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignee, error) {
		var x Assignee
		err := r.Scan(&x.ID, &x.Username, &x.DisplayName)
		return x, err
	})
	return out, faults.Database(err)
}

package casework

import (
	"context"
	"fmt"

	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/supervision"
)

// BoardCounts are the counts at the top of the deadline board: the open
// deadlines the filter selects (its light, sort and cursor aside) by light
// and by case kind, with the board's lights.
func (s *Service) BoardCounts(ctx context.Context, a permission.Actor, f BoardFilter) (supervision.BoardCounts, error) {
	if err := s.guard.Require(ctx, a, "getBoard"); err != nil {
		return supervision.BoardCounts{}, err
	}
	if err := enumParam("kind", f.Kind, worklistKinds); err != nil {
		return supervision.BoardCounts{}, err
	}
	sf := supervision.BoardFilter{Kind: f.Kind, Stage: f.Stage, Party: f.Party, Profile: f.Profile}
	if f.Provider > 0 {
		sf.Party = fmt.Sprintf("provider:%d", f.Provider)
	}
	c, err := s.board.Counts(ctx, sf)
	if err != nil {
		return supervision.BoardCounts{}, supervisionErr(err)
	}
	return c, nil
}

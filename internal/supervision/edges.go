package supervision

import (
	"context"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/rules"
)

// Edges are the instants that turn a due instant into a light at one
// moment (see Board): red up to Now, yellow up to a profile's edge, green
// after it. The caseworker's worklist colours its cases with the same
// edges as the board colours deadlines.
type Edges struct {
	Now      time.Time
	Profiles []string    // profile ids …
	At       []time.Time // … and their edges, index for index
	// VProfiles, Versions, VAt are the edges of the profile versions
	// cases run under (a case's lights follow the version it opened with;
	// a case whose version is not here takes its profile's edge).
	VProfiles, Versions []string
	VAt                 []time.Time
	Default             time.Time // the edge of a profile the set does not know
	Lo, Hi              time.Time // the smallest and largest edge (Default included)
}

// LightEdges computes the edges at now for every profile of the board's
// policy set.
func (b *Board) LightEdges(ctx context.Context, now time.Time) (Edges, error) {
	rl := b.Rules
	if rl == nil {
		rl = rules.Static(b.Calendar, b.Policies)
	}
	cal, err := rl.Calendar(ctx)
	if err != nil {
		return Edges{}, err
	}
	list, err := b.edges(ctx, rl, cal, now)
	if err != nil {
		return Edges{}, err
	}
	def, err := edgeOf(cal, calendar.DateOf(now), "", DefaultWarningMargin)
	if err != nil {
		return Edges{}, err
	}
	out := Edges{Now: now, Default: def, Lo: def, Hi: def}
	for _, e := range list {
		if e.version == "" {
			out.Profiles, out.At = append(out.Profiles, e.profile), append(out.At, e.at)
		} else {
			out.VProfiles, out.Versions, out.VAt = append(out.VProfiles, e.profile), append(out.Versions, e.version), append(out.VAt, e.at)
		}
		if e.at.Before(out.Lo) {
			out.Lo = e.at
		}
		if e.at.After(out.Hi) {
			out.Hi = e.at
		}
	}
	return out, nil
}

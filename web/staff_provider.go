package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/workflows"
)

// providerInboxView is what is asked of a provider: each kind of request with the
// cases that wait for it, soonest deadline first.
type providerInboxView struct {
	Sections []inboxSection
	Total    int
}

type inboxSection struct {
	Key   string // catalogue key of the heading (and of its description: Key+".desc")
	ID    string
	Items []inboxItem
}

type inboxItem struct {
	CaseNo string
	Kind   string
	Stage  string
	Due    *deadlineView
	Note   string
}

// inbox is the provider's to-do list: verifications of objections, repair
// opinions, public objections to verify, listing proposals in progress.
// Every list is the core's, scoped to the provider's own cases.
func (c *Console) inbox(ctx echo.Context, p *page) error {
	if _, err := c.require(ctx, p, "inbox", auth.Provider); err != nil {
		return err
	}
	p.Nav = "/inbox"
	rc := ctx.Request().Context()
	a := actor(p)
	me := "provider:" + strconv.FormatInt(p.Account.ProviderID, 10)
	cw := c.App.Casework
	v := providerInboxView{}
	cases := func(list func(context.Context, casework.ObjectionFilter) (casework.CasePage, error), stage string) ([]inboxItem, error) {
		pg, err := list(rc, casework.ObjectionFilter{Stage: stage, Status: workflows.StatusOpen, Limit: 200})
		if err != nil {
			return nil, err
		}
		var out []inboxItem
		for _, cs := range pg.Cases {
			it := inboxItem{CaseNo: cs.CaseNo, Kind: cs.Kind, Stage: cs.Stage}
			if cs.NextDeadline != nil {
				d := c.staffDeadline(*cs.NextDeadline, cs.ProfileID)
				it.Due = &d
			}
			out = append(out, it)
		}
		return out, nil
	}
	objections := func(ctx context.Context, f casework.ObjectionFilter) (casework.CasePage, error) {
		return cw.ListObjections(ctx, a, f)
	}
	repairs := func(ctx context.Context, f casework.ObjectionFilter) (casework.CasePage, error) {
		return cw.ListRepairs(ctx, a, f)
	}
	verify, err := cases(objections, workflows.StageProviderVerification)
	if err != nil {
		return err
	}
	opinions, err := cases(repairs, workflows.StageProviderOpinion)
	if err != nil {
		return err
	}
	// public objections: repairs in publicity whose objections wait for
	// this provider's verification, with its deadline to verify
	var pobj []inboxItem
	for _, st := range []string{workflows.StagePublicity, workflows.StageObjectionVerification} {
		items, err := cases(repairs, st)
		if err != nil {
			return err
		}
		for _, it := range items {
			d, err := cw.Repair(rc, a, it.CaseNo)
			if err != nil {
				return err
			}
			waiting := 0
			for _, o := range d.Objections {
				if o.Status == workflows.PublicObjectionPending || o.Status == "received" {
					waiting++
				}
			}
			if waiting == 0 {
				continue
			}
			it.Due = nil
			for _, dl := range d.Deadlines {
				if dl.Party == me && dl.State == "pending" && (it.Due == nil || dl.DueAt.Before(it.Due.DueAt)) {
					v := c.staffDeadline(dl, d.Case.ProfileID)
					it.Due = &v
				}
			}
			pobj = append(pobj, it)
		}
	}
	ls, err := cw.ListListings(rc, a, casework.ListingFilter{})
	if err != nil {
		return err
	}
	var proposals []inboxItem
	for _, l := range ls {
		if !slices.Contains([]string{"proposed", "noticed"}, l.Status) {
			continue
		}
		proposals = append(proposals, inboxItem{CaseNo: l.ProposalNo, Kind: workflows.CaseKindListing, Stage: l.Stage})
	}
	v.Sections = []inboxSection{
		{Key: "pinbox.verify", ID: "verifications", Items: verify},
		{Key: "pinbox.opinions", ID: "opinions", Items: opinions},
		{Key: "pinbox.pobjections", ID: "public-objections", Items: pobj},
		{Key: "pinbox.proposals", ID: "proposals", Items: proposals},
	}
	for _, s := range v.Sections {
		v.Total += len(s.Items)
	}
	return c.render(ctx, p, http.StatusOK, "staff-inbox", v)
}

package web

import (
	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/workflows"
)

// The listing about the subject (列入严重失信主体名单前告知): the proposal, the
// notice served, the representation window and what the subject may do in
// it — statements (陈述申辩), a hearing (听证) or waiving both — and the
// decision.

// listingCaseView is the case page of a listing.
type listingCaseView struct {
	caseBase
	Detail  casework.ListingDetail
	Records []records.Record
	// Points are the subject's statements and the points raised at the
	// hearing, each with its answer once given.
	Points []workflows.Point
}

func (c *Console) listingCase(ctx echo.Context, p *page, no string) (listingCaseView, error) {
	rc := ctx.Request().Context()
	d, err := c.App.Casework.Listing(rc, actor(p), no)
	if err != nil {
		return listingCaseView{}, err
	}
	v := listingCaseView{Detail: d, caseBase: c.caseBase(p, "listing", d.Listing.ProposalNo, d.Listing.ProfileID, d.Deadlines, d.Documents, d.Events, d.Actions)}
	for _, id := range d.Listing.RecordIDs {
		rec, err := c.record(rc, p, id)
		if err != nil {
			return listingCaseView{}, err
		}
		v.Records = append(v.Records, rec)
	}
	if d.State != nil {
		v.Points = d.State.Points
	}
	return v, nil
}

func statementInput(f stepForm) workflows.StatementInput {
	return workflows.StatementInput{Points: f.Points()}
}

func hearingRequest(f stepForm) workflows.HearingRequest {
	return workflows.HearingRequest{Reason: f.Reason}
}

func waiveInput(f stepForm) workflows.WaiveInput { return workflows.WaiveInput{Reason: f.Reason} }

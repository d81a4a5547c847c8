package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/casework"
)

// Types of the listing operations (package casework holds them).
type (
	ProposeListingRequest = casework.ProposeListing
	ListingSummary        = casework.ListingSummary
	ListingDetail         = casework.ListingDetail
	ListingLive           = casework.ListingLive
	PublicListing         = casework.PublicListing
)

// routesListings registers the listing procedure (列入严重失信主体名单前告知、
// 陈述申辩, DESIGN.md §2.2): proposals, every step, the letters and the
// public list of current entries.
func (s *Server) routesListings(r *router) {
	cw := s.app.Casework
	r.op(http.MethodPost, "/listings", "proposeListing", func(c echo.Context) error {
		var in casework.ProposeListing
		if err := readJSON(c, &in); err != nil {
			return err
		}
		out, err := cw.ProposeListing(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/listings/"+out.ProposalNo)
		return c.JSON(http.StatusCreated, out)
	})
	r.op(http.MethodGet, "/listings", "listListings", func(c echo.Context) error {
		var f casework.ListingFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		out, err := cw.ListListings(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, ListingList{Listings: out})
	})
	r.op(http.MethodGet, "/listings/:no", "getListing", func(c echo.Context) error {
		d, err := cw.Listing(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, d)
	})
	steps := map[string]echo.HandlerFunc{
		"service":          step(cw.RecordListingService),
		"statements":       step(cw.SubmitListingStatement),
		"hearing-request":  step(cw.RequestListingHearing),
		"hearing":          step(cw.ScheduleListingHearing),
		"hearing-record":   step(cw.RecordListingHearing),
		"waiver":           step(cw.WaiveListingRepresentation),
		"answers":          step(cw.AnswerListingPoints),
		"decision":         step(cw.DecideListing),
		"removal":          step(cw.RemoveListing),
		"basis-revocation": step(cw.RevokeListingBasis),
		"withdrawal":       step(cw.WithdrawListingProposal),
	}
	for _, st := range casework.ListingSteps() {
		r.op(http.MethodPost, "/listings/:no/"+st.Name, string(st.UseCase), steps[st.Name])
	}
	r.op(http.MethodGet, "/listings/:no/documents", "listListingDocuments", func(c echo.Context) error {
		out, err := cw.ListingDocuments(c.Request().Context(), actor(c), c.Param("no"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, DocumentList{Documents: out})
	})
	r.op(http.MethodGet, "/listings/:no/documents/:id", "downloadListingDocument", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		f, err := cw.ListingDocument(c.Request().Context(), actor(c), c.Param("no"), id, c.QueryParam("format"))
		if err != nil {
			return err
		}
		return sendFile(c, f)
	})
	r.op(http.MethodGet, "/public/listings", "listPublicListings", func(c echo.Context) error {
		out, err := cw.PublicListings(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, PublicListingList{Listings: out})
	})
}

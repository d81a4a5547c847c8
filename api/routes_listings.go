package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routesListings registers the listing procedure (列入严重失信主体名单前告知、
// 陈述申辩, DESIGN.md §2.2): proposals, the refusable steps as Updates, the
// documents, and the public list of current entries.
func (s *Server) routesListings(v1 *echo.Group) {
	mw := []echo.MiddlewareFunc{s.authenticate(), s.csrf()}
	add := func(method, path string, h echo.HandlerFunc) { v1.Add(method, path, h, mw...) }

	add(http.MethodPost, "/listings", s.proposeListing)
	add(http.MethodGet, "/listings", s.listListings)
	add(http.MethodGet, "/listings/:no", s.getListing)
	for _, step := range []string{"service", "statements", "hearing-request", "hearing", "hearing-record", "waiver",
		"answers", "decision", "removal", "basis-revocation"} {
		add(http.MethodPost, "/listings/:no/"+step, s.listingStep(step))
	}
	add(http.MethodGet, "/listings/:no/documents", s.listingDocuments)
	add(http.MethodGet, "/listings/:no/documents/:id", s.listingDocument)

	add(http.MethodGet, "/public/listings", s.publicListings)
}

package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// routesRepairs registers the credit repair procedure (信用修复, DESIGN.md
// §2.3): the subject's dry run, application (with the commitment and
// evidence), supplement, withdrawal, progress and letters; the provider's
// opinion inbox, opinion and verification of public objections; the
// caseworker's acceptance, publicity and decision; and, for anyone, the
// current publicity notices and the objection form (rate-limited per
// client, no account).
func (s *Server) routesRepairs(v1 *echo.Group) {
	mw := []echo.MiddlewareFunc{s.authenticate(), s.csrf()}
	add := func(method, path string, h echo.HandlerFunc) { v1.Add(method, path, h, mw...) }

	add(http.MethodGet, "/records/:id/repair-eligibility", s.repairEligibility)
	add(http.MethodGet, "/repairs", s.listRepairs)
	add(http.MethodPost, "/repairs", s.applyRepair)
	add(http.MethodGet, "/repairs/:no", s.getRepair)
	add(http.MethodPost, "/repairs/:no/supplement", s.supplementRepair)
	for _, act := range repairActions {
		add(http.MethodPost, "/repairs/:no/"+act.name, s.repairActionHandler(act))
	}
	add(http.MethodGet, "/repairs/:no/documents", s.listRepairDocuments)
	add(http.MethodGet, "/repairs/:no/documents/:id", s.downloadRepairDocument)

	limiter := newBucketLimiter(publicBucketCapacity, publicBucketRefill)
	v1.GET("/public/repair-notices", s.publicRepairNotices)
	v1.POST("/public/repair-notices/:no/objections", s.publicRepairObjection(limiter))
	v1.GET("/public/repair-objections/:receipt", s.publicRepairObjectionAnswer)
}

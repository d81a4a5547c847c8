package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
)

//go:embed openapi.json
var openAPIDocument []byte

// routesRecords registers accounts, providers, subjects, records, the
// public lookup, the audit trail and the OpenAPI document. Every route
// passes through authenticate (bearer token or session cookie; anonymous
// otherwise) and, for cookie sessions, the CSRF check. Each handler
// authorises its caller itself.
func (s *Server) routesRecords(v1 *echo.Group) {
	profile := s.Profile
	if profile == nil {
		var err error
		if profile, err = s.Rules.Policies().Get(policy.DefaultProfileID); err != nil {
			panic("api: default policy profile: " + err.Error())
		}
	}
	s.records = records.NewStore(s.Pool, profile, s.Rules.Local().Calendar)
	s.auth = auth.New(s.Pool, s.BcryptCost)

	mw := []echo.MiddlewareFunc{s.authenticate(), s.csrf()}
	add := func(method, path string, h echo.HandlerFunc) { v1.Add(method, path, h, mw...) }

	v1.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
	})

	add(http.MethodPost, "/auth/login", s.login)
	add(http.MethodPost, "/auth/logout", s.logout)
	add(http.MethodGet, "/auth/me", s.me)
	add(http.MethodGet, "/accounts", s.listAccounts)
	add(http.MethodPost, "/accounts", s.createAccount)

	add(http.MethodGet, "/providers", s.listProviders)
	add(http.MethodPost, "/providers", s.createProvider)
	add(http.MethodGet, "/providers/:id", s.getProvider)

	add(http.MethodGet, "/subjects", s.listSubjects)
	add(http.MethodPost, "/subjects", s.createSubject)
	add(http.MethodGet, "/subjects/:id", s.getSubject)

	add(http.MethodGet, "/records", s.listRecords)
	add(http.MethodPost, "/records", s.createRecord)
	add(http.MethodPost, "/records/import", s.importRecords)
	add(http.MethodGet, "/records/:id", s.getRecord)
	add(http.MethodPost, "/records/:id/corrections", s.correctRecord)

	add(http.MethodGet, "/public/records", s.publicLookup)

	add(http.MethodGet, "/events", s.listEvents)
	add(http.MethodGet, "/query-log", s.listQueries)
}

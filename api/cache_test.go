package api_test

import (
	"net/http"
	"testing"
)

// A browser or a proxy must not keep what the API answers: a subject's
// records, letters and evidence carry names and ID numbers, and the console's
// session cookie works on the API too (a shared computer in a service hall
// would show the next user the previous one's records from its cache). Every
// answer under /api/v1 — personal, refused or public — says no-store, like the
// console's pages.
func TestAPIAnswersAreNotStored(t *testing.T) {
	subject := as(t, "subject")
	for _, r := range []struct {
		name string
		resp response
	}{
		{"own records", subject.expect(http.StatusOK, http.MethodGet, "/api/v1/records", nil)},
		{"me", subject.expect(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil)},
		{"record of another subject (refused)", subject.expect(http.StatusNotFound, http.MethodGet, "/api/v1/records/999999", nil)},
		{"unauthenticated", anonymous(t).expect(http.StatusUnauthorized, http.MethodGet, "/api/v1/records", nil)},
		{"public lookup", anonymous(t).expect(http.StatusOK, http.MethodGet, "/api/v1/public/records?q=91320600MA1X2Y3W3J", nil)},
	} {
		if got := r.resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", r.name, got)
		}
	}
}

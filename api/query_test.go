package api_test

import (
	"net/http"
	"testing"
)

// A query parameter the operation does not take is refused, named, and
// nothing is done: a client that believed ?dry_run=true made an import a
// trial run had its records committed, and ?page_size or a misspelt filter
// silently gave another list than the one asked for.
func TestUnknownQueryParameterIsRefusedAndChangesNothing(t *testing.T) {
	p := as(t, "provider")
	p.skipRequestCheck = true
	before := count(t, `SELECT count(*) FROM records`)
	csv := "subject_ident,category,severity,disclosure,title,content,decision_no,decided_on\n" +
		"91320600MA1X2Y3W3J,negative,general,public,试导入,,试〔2025〕1号,2025-03-01\n"
	var pr problem
	p.expect(http.StatusBadRequest, "POST", "/api/v1/records/import?format=csv&dry_run=true", csv, "Content-Type", "text/csv").decode(t, &pr)
	if pr.Type != "/problems/invalid-parameter" || !pr.hasField("dry_run", "unknown") {
		t.Fatalf("problem %+v, want invalid-parameter naming dry_run", pr)
	}
	if got := count(t, `SELECT count(*) FROM records`); got != before {
		t.Fatalf("a refused import wrote %d records", got-before)
	}

	cw := as(t, "caseworker")
	cw.skipRequestCheck = true
	var lp problem
	cw.expect(http.StatusBadRequest, "GET", "/api/v1/objections?page_size=5&stage=acceptance&subjectid=3", nil).decode(t, &lp)
	if len(lp.Errors) != 2 || !lp.hasField("page_size", "unknown") || !lp.hasField("subjectid", "unknown") {
		t.Fatalf("problem %+v, want page_size and subjectid named (and not stage)", lp)
	}
	// Declared parameters still work.
	cw.expect(http.StatusOK, "GET", "/api/v1/objections?stage=acceptance&limit=5", nil)
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/api"
)

// A person listed for a serious record, written straight into the listing
// projection (the workflow is not part of these tests).
func listedPerson(t *testing.T) (recordID int64, ident, no string) {
	t.Helper()
	ctx := context.Background()
	var subjectID int64
	if err := testPool.QueryRow(ctx, `SELECT id, ident FROM subjects WHERE kind = 'person' ORDER BY id LIMIT 1`).Scan(&subjectID, &ident); err != nil {
		t.Fatal(err)
	}
	no = fmt.Sprintf("LB-1999-%06d", count(t, `SELECT count(*) FROM listings`)+1)
	err := testPool.QueryRow(ctx, `INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, decision_no, decided_on)
		VALUES ($1, $2, 'negative', 'serious', 'public', '拒不履行生效判决', $3, '2026-01-05') RETURNING id`,
		subjectID, demo.ProviderIDs["nt-market"], no+"号").Scan(&recordID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testPool.Exec(ctx, `INSERT INTO listings (proposal_no, workflow_id, subject_id, provider_id, profile_id, status, stage,
		measures, period, proposed_at, listed_at, removal_due) VALUES ($1, $2, $3, $4, 'nantong', 'listed', 'listed',
		'{public_disclosure}', '1年', now(), now(), '2027-11-24')`, no, "listing:"+no, subjectID, demo.ProviderIDs["nt-market"]); err != nil {
		t.Fatal(err)
	}
	if _, err := testPool.Exec(ctx, `INSERT INTO listing_records (proposal_no, record_id) VALUES ($1, $2)`, no, recordID); err != nil {
		t.Fatal(err)
	}
	return recordID, ident, no
}

// Proposals are checked before any workflow starts: the subject may not
// propose, missing fields and non-serious records are 422 naming each
// problem, and a record already on the list is 409.
func TestListingProposalRefusals(t *testing.T) {
	recordID, _, _ := listedPerson(t)
	prov := as(t, "provider")
	as(t, "subject").expect(http.StatusForbidden, http.MethodPost, "/api/v1/listings", map[string]any{})

	var p problem
	prov.expect(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/listings", map[string]any{"measures": []string{"flogging"}}).decode(t, &p)
	for _, f := range []string{"subject_id", "record_ids", "reasons", "legal_basis", "measures[0]", "period"} {
		if !p.hasField(f, "") {
			t.Errorf("422 lacks field %s: %+v", f, p.Errors)
		}
	}

	var subjectID int64
	general := demoRecord(t, "negative", "general", &subjectID)
	body := api.ProposeListingRequest{SubjectID: subjectID, RecordIDs: []int64{general, 999999}, Reasons: "r", LegalBasis: []string{"b"},
		Measures: []string{"public_disclosure"}}
	body.Period.Length, body.Period.Unit = 5, "year"
	p = problem{}
	prov.expect(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/listings", body).decode(t, &p)
	if !strings.HasSuffix(p.Type, "/invalid-proposal") || !p.hasField("record_ids[0]", "not_serious") ||
		!p.hasField("record_ids[1]", "unknown") || !p.hasField("period", "range") {
		t.Errorf("invalid proposal: %+v", p)
	}

	var listedSubject int64
	if err := testPool.QueryRow(context.Background(), `SELECT subject_id FROM records WHERE id = $1`, recordID).Scan(&listedSubject); err != nil {
		t.Fatal(err)
	}
	body = api.ProposeListingRequest{SubjectID: listedSubject, RecordIDs: []int64{recordID}, Reasons: "r", LegalBasis: []string{"b"},
		Measures: []string{"public_disclosure"}}
	body.Period.Length, body.Period.Unit = 1, "year"
	p = problem{}
	prov.expect(http.StatusConflict, http.MethodPost, "/api/v1/listings", body).decode(t, &p)
	if !strings.HasSuffix(p.Type, "/already-listed") {
		t.Errorf("second listing: %+v", p)
	}
	if n := count(t, `SELECT count(*) FROM listing_records WHERE record_id = $1`, recordID); n != 1 {
		t.Errorf("%d listings hold the record; the refused proposal left a row", n)
	}
}

// demoRecord returns a demo record of the provider account's provider with
// category and severity, and its subject.
func demoRecord(t *testing.T, category, severity string, subjectID *int64) int64 {
	t.Helper()
	var id int64
	if err := testPool.QueryRow(context.Background(), `SELECT id, subject_id FROM records WHERE provider_id = $1 AND category = $2
		AND severity = $3 ORDER BY id LIMIT 1`, demo.ProviderIDs["nt-market"], category, severity).Scan(&id, subjectID); err != nil {
		t.Fatal(err)
	}
	return id
}

// The public list shows current entries with the removal date and a
// person's identity number masked; lists are scoped by role.
func TestListingPublicListAndScopes(t *testing.T) {
	_, ident, no := listedPerson(t)
	var pub struct {
		Listings []api.PublicListing `json:"listings"`
	}
	anonymous(t).expect(http.StatusOK, http.MethodGet, "/api/v1/public/listings", nil).decode(t, &pub)
	i := slices.IndexFunc(pub.Listings, func(p api.PublicListing) bool { return p.ProposalNo == no })
	if i < 0 {
		t.Fatalf("public list lacks %s: %+v", no, pub.Listings)
	}
	e := pub.Listings[i]
	if e.SubjectID == ident || !strings.Contains(e.SubjectID, "*") || e.RemovalDue != "2027-11-24" || len(e.Records) != 1 ||
		!slices.Equal(e.Measures, []string{"在信用网站向社会公开"}) {
		t.Errorf("public entry %+v", e)
	}
	if body := string(anonymous(t).expect(http.StatusOK, http.MethodGet, "/api/v1/public/listings", nil).Body); strings.Contains(body, ident) {
		t.Error("the public list carries an unmasked identity number")
	}

	var mine struct {
		Listings []api.ListingSummary `json:"listings"`
	}
	as(t, "provider").expect(http.StatusOK, http.MethodGet, "/api/v1/listings", nil).decode(t, &mine)
	if !slices.ContainsFunc(mine.Listings, func(l api.ListingSummary) bool { return l.ProposalNo == no }) {
		t.Errorf("provider does not see its listing %s", no)
	}
	mine.Listings = nil
	as(t, "subject").expect(http.StatusOK, http.MethodGet, "/api/v1/listings", nil).decode(t, &mine)
	if slices.ContainsFunc(mine.Listings, func(l api.ListingSummary) bool { return l.ProposalNo == no }) {
		t.Errorf("another subject sees listing %s", no)
	}
	as(t, "subject").expect(http.StatusNotFound, http.MethodGet, "/api/v1/listings/"+no, nil)
	anonymous(t).expect(http.StatusUnauthorized, http.MethodGet, "/api/v1/listings", nil)
}

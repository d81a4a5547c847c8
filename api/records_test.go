package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/seed"
)

type recordJSON struct {
	ID            int64          `json:"id"`
	SubjectID     int64          `json:"subject_id"`
	ProviderID    int64          `json:"provider_id"`
	Version       int            `json:"version"`
	Category      string         `json:"category"`
	Severity      string         `json:"severity"`
	Disclosure    string         `json:"disclosure"`
	Title         string         `json:"title"`
	Status        string         `json:"status"`
	DecidedOn     string         `json:"decided_on"`
	DisclosureEnd string         `json:"disclosure_end"`
	PeriodRule    string         `json:"period_rule"`
	Details       map[string]any `json:"details"`
	Versions      []struct {
		Version int            `json:"version"`
		Reason  string         `json:"reason"`
		Snap    map[string]any `json:"snapshot"`
	} `json:"versions"`
}

type pageJSON struct {
	Records    []recordJSON `json:"records"`
	NextBefore int64        `json:"next_before"`
}

func providerID(code string) int64 { return demo.ProviderIDs[code] }

// subjectID finds a demo subject by name.
func subjectID(t *testing.T, name string) int64 {
	t.Helper()
	var id int64
	if err := testPool.QueryRow(context.Background(), `SELECT id FROM subjects WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatalf("subject %s: %v", name, err)
	}
	return id
}

func subjectIdent(t *testing.T, name string) string {
	t.Helper()
	var code string
	if err := testPool.QueryRow(context.Background(), `SELECT ident FROM subjects WHERE name = $1`, name).Scan(&code); err != nil {
		t.Fatalf("subject %s: %v", name, err)
	}
	return code
}

// recordOf returns a record ID with the given provider and subject, and
// disclosure class when not "".
func recordOf(t *testing.T, providerCode, subjectName, disclosure string) int64 {
	t.Helper()
	var id int64
	err := testPool.QueryRow(context.Background(), `
		SELECT r.id FROM records r JOIN subjects s ON s.id = r.subject_id JOIN providers p ON p.id = r.provider_id
		WHERE p.code = $1 AND s.name = $2 AND ($3 = '' OR r.disclosure = $3) ORDER BY r.id LIMIT 1`,
		providerCode, subjectName, disclosure).Scan(&id)
	if err != nil {
		t.Fatalf("record of %s/%s/%s: %v", providerCode, subjectName, disclosure, err)
	}
	return id
}

var testSeq int

// newRecord is a valid record body for subject (by identifier).
func newRecord(subjectIdent string) map[string]any {
	testSeq++
	return map[string]any{
		"subject_ident": subjectIdent, "category": "negative", "severity": "general", "disclosure": "government",
		"title": "测试处罚", "content": "罚款 1000 元", "decision_no": fmt.Sprintf("测试〔2025〕%d号", testSeq),
		"decided_on": "2025-06-10",
	}
}

const (
	orgA   = "南通恒达建材有限公司" // the demo subject account's subject
	orgB   = "南通鑫源物流有限公司"
	person = "张伟"
)

func TestSubjectSeesOnlyOwnRecords(t *testing.T) {
	c := as(t, "subject")
	var page pageJSON
	c.expect(http.StatusOK, "GET", "/api/v1/records", nil).decode(t, &page)
	if len(page.Records) == 0 {
		t.Fatal("subject sees none of its records")
	}
	own := subjectID(t, orgA)
	for _, r := range page.Records {
		if r.SubjectID != own {
			t.Fatalf("subject sees record %d of subject %d", r.ID, r.SubjectID)
		}
	}
	// Asking for another subject's records is refused and logged.
	denials := count(t, `SELECT count(*) FROM audit_events WHERE action = 'access.denied'`)
	c.expect(http.StatusForbidden, "GET", fmt.Sprintf("/api/v1/records?subject_id=%d", subjectID(t, orgB)), nil)
	if got := count(t, `SELECT count(*) FROM audit_events WHERE action = 'access.denied'`); got != denials+1 {
		t.Fatalf("denial events %d → %d, want one more", denials, got)
	}
	// Own record: allowed; another subject's: 404, as if it did not exist.
	c.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/records/%d", recordOf(t, "nt-market", orgA, "")), nil)
	c.expect(http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/records/%d", recordOf(t, "nt-market", orgB, "")), nil)
	c.expect(http.StatusNotFound, "GET", "/api/v1/records/99999999", nil)
	c.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/subjects/%d", own), nil)
	c.expect(http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/subjects/%d", subjectID(t, orgB)), nil)
}

func TestProviderSeesOnlyRecordsItSupplied(t *testing.T) {
	c := as(t, "provider") // bound to nt-market
	var page pageJSON
	c.expect(http.StatusOK, "GET", "/api/v1/records?limit=500", nil).decode(t, &page)
	if len(page.Records) == 0 {
		t.Fatal("provider sees none of its records")
	}
	for _, r := range page.Records {
		if r.ProviderID != providerID("nt-market") {
			t.Fatalf("provider sees record %d of provider %d", r.ID, r.ProviderID)
		}
	}
	c.expect(http.StatusForbidden, "GET", fmt.Sprintf("/api/v1/records?provider_id=%d", providerID("nt-tax")), nil)
	c.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/records/%d", recordOf(t, "nt-market", orgB, "")), nil)
	c.expect(http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/records/%d", recordOf(t, "nt-tax", orgB, "")), nil)
	// Subjects: those it supplied records about, not others.
	c.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/subjects/%d", subjectID(t, orgB)), nil)
	c.expect(http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/subjects/%d", subjectID(t, "李娜")), nil)
}

func TestStaffSeeAllWithPurpose(t *testing.T) {
	for _, user := range []string{"caseworker", "supervisor"} {
		c := as(t, user)
		p := c.expect(http.StatusBadRequest, "GET", "/api/v1/records", nil)
		var pr problem
		p.decode(t, &pr)
		if !pr.hasField("purpose", "") {
			t.Fatalf("%s without purpose: %s", user, p.Body)
		}
		// Public records only: no purpose needed.
		c.expect(http.StatusOK, "GET", "/api/v1/records?disclosure=public", nil)
		var page pageJSON
		c.expect(http.StatusOK, "GET", "/api/v1/records?limit=500&purpose=audit", nil).decode(t, &page)
		providers := map[int64]bool{}
		for _, r := range page.Records {
			providers[r.ProviderID] = true
		}
		if len(providers) < 3 {
			t.Fatalf("%s sees records of %d providers, want all 3", user, len(providers))
		}
		c.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/records/%d?purpose=check", recordOf(t, "nt-tax", orgB, "")), nil)
	}
}

func TestAdminDoesNotReadRecords(t *testing.T) {
	c := as(t, "admin")
	c.expect(http.StatusForbidden, "GET", "/api/v1/records?purpose=x", nil)
	c.expect(http.StatusForbidden, "GET", fmt.Sprintf("/api/v1/records/%d?purpose=x", recordOf(t, "nt-market", orgA, "")), nil)
	c.expect(http.StatusForbidden, "GET", "/api/v1/events", nil)
	c.expect(http.StatusForbidden, "GET", "/api/v1/query-log", nil)
	anonymous(t).expect(http.StatusUnauthorized, "GET", "/api/v1/records", nil)
	anonymous(t).expect(http.StatusUnauthorized, "GET", "/api/v1/providers", nil)
	(&client{t: t, bearer: "not-a-token"}).expect(http.StatusUnauthorized, "GET", "/api/v1/auth/me", nil)
}

func TestCreateRecordRoles(t *testing.T) {
	code := subjectIdent(t, orgB)
	before := count(t, `SELECT count(*) FROM records`)
	for _, user := range []string{"subject", "supervisor", "admin"} {
		as(t, user).expect(http.StatusForbidden, "POST", "/api/v1/records", newRecord(code))
	}
	anonymous(t).expect(http.StatusUnauthorized, "POST", "/api/v1/records", newRecord(code))
	// A provider cannot file in another provider's name.
	other := newRecord(code)
	other["provider_id"] = providerID("nt-tax")
	as(t, "provider").expect(http.StatusForbidden, "POST", "/api/v1/records", other)
	if got := count(t, `SELECT count(*) FROM records`); got != before {
		t.Fatalf("denied creations changed the records: %d → %d", before, got)
	}

	var rec recordJSON
	as(t, "provider").expect(http.StatusCreated, "POST", "/api/v1/records", newRecord(code)).decode(t, &rec)
	if rec.ProviderID != providerID("nt-market") || rec.Version != 1 || rec.Status != "active" {
		t.Fatalf("provider's record: %+v", rec)
	}
	// An organisation's general negative record: 1 year (Nantong art. 30).
	if rec.PeriodRule != "disclosure.general" || rec.DisclosureEnd != "2026-06-10" {
		t.Fatalf("disclosure end %s by %s, want 2026-06-10 by disclosure.general", rec.DisclosureEnd, rec.PeriodRule)
	}
	cw := as(t, "caseworker")
	var pr problem
	cw.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records", newRecord(code)).decode(t, &pr)
	if !pr.hasField("provider_id", "required") {
		t.Fatalf("caseworker without provider_id: %+v", pr)
	}
	body := newRecord(subjectIdent(t, person))
	body["provider_id"] = providerID("nt-hrss")
	body["severity"] = "serious"
	cw.expect(http.StatusCreated, "POST", "/api/v1/records", body).decode(t, &rec)
	// A person's negative record: 5 years.
	if rec.PeriodRule != "disclosure.personal_negative" || rec.DisclosureEnd != "2030-06-10" {
		t.Fatalf("person's record: end %s by %s", rec.DisclosureEnd, rec.PeriodRule)
	}
}

func TestRecordValidation(t *testing.T) {
	c := as(t, "provider")
	c.lang = "en"
	body := newRecord(subjectIdent(t, orgB))
	body["category"] = "positive" // with a severity
	body["decided_on"] = "2999-01-01"
	body["disclosure"] = "secret"
	var pr problem
	c.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records", body).decode(t, &pr)
	for _, f := range []string{"severity", "decided_on", "disclosure"} {
		if !pr.hasField(f, "") {
			t.Errorf("no field error for %s: %+v", f, pr)
		}
	}
	body = newRecord("91350100M000100Y43") // valid code, no such subject
	c.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records", body).decode(t, &pr)
	if !pr.hasField("subject_ident", "unknown") {
		t.Errorf("unknown subject: %+v", pr)
	}
}

func TestProhibitedDataRefused(t *testing.T) {
	c := as(t, "provider")
	code := subjectIdent(t, orgB)
	before := count(t, `SELECT count(*) FROM records`)
	cases := []struct {
		name, field, code string
		edit              func(map[string]any)
	}{
		{"religion at top level", "religion", "prohibited", func(b map[string]any) { b["religion"] = "x" }},
		{"blood type in details (Chinese key)", "details.血型", "prohibited", func(b map[string]any) { b["details"] = map[string]any{"血型": "A"} }},
		{"nested medical history", "details.person.medical_history", "prohibited", func(b map[string]any) {
			b["details"] = map[string]any{"person": map[string]any{"medical_history": "…"}}
		}},
		{"ethnicity", "details.民族", "prohibited", func(b map[string]any) { b["details"] = map[string]any{"民族": "汉"} }},
		{"income without consent", "details.income", "prohibited_without_consent", func(b map[string]any) { b["details"] = map[string]any{"income": 1000} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newRecord(code)
			tc.edit(b)
			var pr problem
			r := c.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records", b)
			r.decode(t, &pr)
			if !pr.hasField(tc.field, tc.code) {
				t.Fatalf("want %s/%s, got %s", tc.field, tc.code, r.Body)
			}
			if !strings.Contains(pr.Errors[0].Message, "禁止") && !strings.Contains(pr.Errors[0].Message, "同意") {
				t.Fatalf("message not in Chinese by default: %s", pr.Errors[0].Message)
			}
		})
	}
	en := &client{t: t, bearer: c.bearer, lang: "en-GB,en;q=0.9"}
	b := newRecord(code)
	b["fingerprint"] = "…"
	var pr problem
	en.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records", b).decode(t, &pr)
	if !pr.hasField("fingerprint", "prohibited") || !strings.Contains(pr.Errors[0].Message, "must not be collected") {
		t.Fatalf("English: %+v", pr)
	}
	if got := count(t, `SELECT count(*) FROM records`); got != before {
		t.Fatalf("refused records were written: %d → %d", before, got)
	}
	// With written consent recorded, income may be collected.
	b = newRecord(code)
	b["details"] = map[string]any{"income": 1000}
	b["consent_ref"] = "同意书〔2025〕1号"
	c.expect(http.StatusCreated, "POST", "/api/v1/records", b)
}

func TestCorrectionKeepsHistoryAndWritesOneEvent(t *testing.T) {
	cw := as(t, "caseworker")
	id := recordOf(t, "nt-market", orgA, "public")
	path := fmt.Sprintf("/api/v1/records/%d/corrections", id)
	body := map[string]any{"category": "basic", "disclosure": "public", "title": "企业登记基本信息（更正）",
		"decision_no": "通市监登字〔2015〕101号", "decided_on": "2015-05-01", "reason": "注册资本录入错误"}

	// Who may not correct (the permission table: caseworkers only) is
	// refused 403 before the record is read: the same answer for a record
	// they can see, one they cannot and one that does not exist, so the
	// refusal tells nothing about the record.
	as(t, "provider").expect(http.StatusForbidden, "POST", path, body)
	as(t, "subject").expect(http.StatusForbidden, "POST", path, body)
	as(t, "supervisor").expect(http.StatusForbidden, "POST", path, body)
	as(t, "provider").expect(http.StatusForbidden, "POST", fmt.Sprintf("/api/v1/records/%d/corrections", recordOf(t, "nt-tax", orgB, "")), body)
	as(t, "subject").expect(http.StatusForbidden, "POST", fmt.Sprintf("/api/v1/records/%d/corrections", recordOf(t, "nt-market", orgB, "")), body)
	as(t, "subject").expect(http.StatusForbidden, "POST", "/api/v1/records/999999999/corrections", body)

	noReason := map[string]any{}
	for k, v := range body {
		noReason[k] = v
	}
	delete(noReason, "reason")
	var pr problem
	cw.expect(http.StatusUnprocessableEntity, "POST", path, noReason).decode(t, &pr)
	if !pr.hasField("reason", "required") {
		t.Fatalf("correction without reason: %+v", pr)
	}
	if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'record.corrected' AND object_id = $1`, fmt.Sprint(id)); n != 0 {
		t.Fatalf("refused corrections wrote %d events", n)
	}

	var rec recordJSON
	cw.expect(http.StatusOK, "POST", path, body).decode(t, &rec)
	if rec.Version != 2 || rec.Status != "corrected" {
		t.Fatalf("after correction: version %d status %s", rec.Version, rec.Status)
	}
	if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'record.corrected' AND object_id = $1 AND reason = $2`, fmt.Sprint(id), "注册资本录入错误"); n != 1 {
		t.Fatalf("record.corrected events: %d, want 1", n)
	}
	var detail recordJSON
	cw.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/records/%d", id), nil).decode(t, &detail)
	if len(detail.Versions) != 2 || detail.Versions[0].Snap["title"] != "企业登记基本信息" || detail.Versions[1].Reason != "注册资本录入错误" {
		t.Fatalf("history: %+v", detail.Versions)
	}
}

func TestEventsAndQueryLogWrittenOnce(t *testing.T) {
	p := as(t, "provider")
	var rec recordJSON
	body := newRecord(subjectIdent(t, orgB))
	body["disclosure"] = "authorised"
	p.expect(http.StatusCreated, "POST", "/api/v1/records", body).decode(t, &rec)
	oid := fmt.Sprint(rec.ID)
	if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'record.created' AND object_id = $1`, oid); n != 1 {
		t.Fatalf("record.created events: %d, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM record_versions WHERE record_id = $1`, rec.ID); n != 1 {
		t.Fatalf("versions: %d", n)
	}
	// The event carries who, role, and the request ID.
	var actor, role, rid string
	if err := testPool.QueryRow(context.Background(), `SELECT actor, role, request_id FROM audit_events WHERE action = 'record.created' AND object_id = $1`, oid).
		Scan(&actor, &role, &rid); err != nil {
		t.Fatal(err)
	}
	if actor != "provider" || role != "provider" || len(rid) != 24 {
		t.Fatalf("event actor %q role %q request %q", actor, role, rid)
	}

	// A caseworker's read of the non-public record: exactly one query-log row.
	cw := as(t, "caseworker")
	cw.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/records/%d?purpose=%s", rec.ID, "异议核查"), nil)
	if n := count(t, `SELECT count(*) FROM query_log WHERE record_id = $1 AND role = 'caseworker' AND purpose = '异议核查'`, rec.ID); n != 1 {
		t.Fatalf("query-log rows: %d, want 1", n)
	}
	// A public record's read is not logged.
	pub := recordOf(t, "nt-market", orgB, "public")
	cw.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/records/%d", pub), nil)
	if n := count(t, `SELECT count(*) FROM query_log WHERE record_id = $1`, pub); n != 0 {
		t.Fatalf("public read logged %d times", n)
	}
	// A refused read is not a read.
	as(t, "subject").expect(http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/records/%d", rec.ID), nil)
	if n := count(t, `SELECT count(*) FROM query_log WHERE record_id = $1`, rec.ID); n != 1 {
		t.Fatalf("query-log rows after a refused read: %d, want 1", n)
	}

	// The supervisor reads both logs through the API.
	sv := as(t, "supervisor")
	var evs struct {
		Events []struct {
			Action   string `json:"action"`
			ObjectID string `json:"object_id"`
		} `json:"events"`
	}
	sv.expect(http.StatusOK, "GET", "/api/v1/events?action=record.created&object_type=record&object_id="+oid, nil).decode(t, &evs)
	if len(evs.Events) != 1 {
		t.Fatalf("events via API: %+v", evs)
	}
	var qs struct {
		Queries []struct {
			RecordID int64  `json:"record_id"`
			Purpose  string `json:"purpose"`
		} `json:"queries"`
	}
	sv.expect(http.StatusOK, "GET", fmt.Sprintf("/api/v1/query-log?record_id=%d", rec.ID), nil).decode(t, &qs)
	if len(qs.Queries) != 1 || qs.Queries[0].Purpose != "异议核查" {
		t.Fatalf("query log via API: %+v", qs)
	}
	for _, user := range []string{"caseworker", "provider", "subject"} {
		as(t, user).expect(http.StatusForbidden, "GET", "/api/v1/events", nil)
		as(t, user).expect(http.StatusForbidden, "GET", "/api/v1/query-log", nil)
	}
}

func TestAuditTablesAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE audit_events SET reason = 'x'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events`,
		`DELETE FROM query_log`,
		`UPDATE record_versions SET reason = 'x'`,
	} {
		if _, err := testPool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refusal", sql, err)
		}
	}
}

func TestPublicLookup(t *testing.T) {
	anon := anonymous(t)
	var out struct {
		Records []struct {
			SubjectIdent   string `json:"subject_ident"`
			SubjectName    string `json:"subject_name"`
			Title          string `json:"title"`
			UnderObjection bool   `json:"under_objection"`
		} `json:"records"`
	}
	anon.expect(http.StatusOK, "GET", "/api/v1/public/records?q="+orgB, nil).decode(t, &out)
	if len(out.Records) == 0 {
		t.Fatal("no public records by name")
	}
	var public int
	if err := testPool.QueryRow(context.Background(), `SELECT count(*) FROM records r JOIN subjects s ON s.id = r.subject_id
		WHERE s.name = $1 AND r.disclosure = 'public' AND r.status IN ('active', 'under_objection', 'corrected')
		  AND (r.disclosure_end IS NULL OR r.disclosure_end >= (now() AT TIME ZONE 'Asia/Shanghai')::date)`, orgB).Scan(&public); err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != public {
		t.Fatalf("lookup returned %d records, %d are public", len(out.Records), public)
	}
	// By code gives the same answer; a person's ID number comes back masked.
	code := subjectIdent(t, person)
	anon.expect(http.StatusOK, "GET", "/api/v1/public/records?q="+strings.ToLower(code), nil).decode(t, &out)
	for _, r := range out.Records {
		if r.SubjectIdent != ident.MaskIDNumber(code) {
			t.Fatalf("identity number not masked: %s", r.SubjectIdent)
		}
	}
	// A disclosure that has run out is no longer served: an organisation's
	// general record decided more than a year ago.
	cw := as(t, "caseworker")
	old := newRecord(subjectIdent(t, orgB))
	old["provider_id"] = providerID("nt-market")
	old["disclosure"] = "public"
	old["title"] = "过期处罚"
	old["decided_on"] = "2020-01-02"
	cw.expect(http.StatusCreated, "POST", "/api/v1/records", old)
	anon.expect(http.StatusOK, "GET", "/api/v1/public/records?q="+orgB, nil).decode(t, &out)
	for _, r := range out.Records {
		if r.Title == "过期处罚" {
			t.Fatal("expired record served to the public")
		}
	}
	anon.expect(http.StatusBadRequest, "GET", "/api/v1/public/records?q=x", nil)

	// A unified social credit code of digits only is a code, not a wrong
	// identity number: its public records are served.
	body := "91320600000058769"
	check, err := ident.CreditCodeCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	digits := body + string(check)
	if ident.CheckIDNumber(digits) == nil || check < '0' || check > '9' {
		t.Fatalf("%s is not a digits-only credit code that fails as an identity number", digits)
	}
	cw.expect(http.StatusCreated, "POST", "/api/v1/subjects", map[string]any{"kind": "organisation", "ident": digits, "name": "南通数字编码有限公司"})
	rec := newRecord(digits)
	rec["provider_id"] = providerID("nt-market")
	rec["disclosure"] = "public"
	rec["title"] = "数字编码主体的处罚"
	rec["decided_on"] = time.Now().AddDate(0, -1, 0).Format("2006-01-02")
	cw.expect(http.StatusCreated, "POST", "/api/v1/records", rec)
	anon.expect(http.StatusOK, "GET", "/api/v1/public/records?q="+digits, nil).decode(t, &out)
	if len(out.Records) != 1 || out.Records[0].Title != "数字编码主体的处罚" || out.Records[0].SubjectIdent != digits {
		t.Fatalf("lookup by a digits-only credit code: %+v", out.Records)
	}
}

func TestSubjectsRegistrationChecksIdentifiers(t *testing.T) {
	cw := as(t, "caseworker")
	var pr problem
	cw.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/subjects",
		map[string]any{"kind": "person", "ident": "110105194912310021", "name": "王五"}).decode(t, &pr)
	if !pr.hasField("ident", "check_digit") {
		t.Fatalf("bad check digit: %+v", pr)
	}
	cw.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/subjects",
		map[string]any{"kind": "organisation", "ident": "91350100M000100Y44", "name": "某公司"}).decode(t, &pr)
	if !pr.hasField("ident", "check_digit") {
		t.Fatalf("bad check character: %+v", pr)
	}
	cw.expect(http.StatusCreated, "POST", "/api/v1/subjects",
		map[string]any{"kind": "person", "ident": "11010519491231002x", "name": "王五", "contact_address": "北京市朝阳区"})
	cw.expect(http.StatusConflict, "POST", "/api/v1/subjects",
		map[string]any{"kind": "person", "ident": "11010519491231002X", "name": "王五"})
	as(t, "provider").expect(http.StatusCreated, "POST", "/api/v1/subjects",
		map[string]any{"kind": "organisation", "ident": "91350100M000100Y43", "name": "福州示例有限公司"})
	for _, user := range []string{"subject", "supervisor", "admin"} {
		as(t, user).expect(http.StatusForbidden, "POST", "/api/v1/subjects",
			map[string]any{"kind": "person", "ident": "440524188001010014", "name": "赵六"})
	}
	if n := count(t, `SELECT count(*) FROM subjects WHERE ident = '440524188001010014'`); n != 0 {
		t.Fatal("denied registration wrote a subject")
	}
	var list struct {
		Subjects []struct{ ID int64 } `json:"subjects"`
	}
	as(t, "subject").expect(http.StatusOK, "GET", "/api/v1/subjects", nil).decode(t, &list)
	if len(list.Subjects) != 1 || list.Subjects[0].ID != subjectID(t, orgA) {
		t.Fatalf("subject's subject list: %+v", list)
	}
}

func TestDemoSeedIsIdempotentWithValidIdentifiers(t *testing.T) {
	tables := []string{"providers", "subjects", "records", "accounts", "audit_events"}
	before := map[string]int{}
	for _, tb := range tables {
		before[tb] = count(t, `SELECT count(*) FROM `+tb)
	}
	again, err := seed.Demo(context.Background(), testPool)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if got := count(t, `SELECT count(*) FROM `+tb); got != before[tb] {
			t.Errorf("second seed changed %s: %d → %d", tb, before[tb], got)
		}
	}
	if len(again.Logins) != 5 || !slices.Equal(again.RecordIDs, demo.RecordIDs) {
		t.Errorf("second seed: %d log-ins, records %v; want 5 and the first seed's %v", len(again.Logins), again.RecordIDs, demo.RecordIDs)
	}
	roles := map[string]bool{}
	for _, l := range again.Logins {
		roles[string(l.Role)] = true
	}
	if len(roles) != 5 {
		t.Errorf("demo roles: %v", roles)
	}
	for code := range demo.SubjectIDs {
		kind := ident.Person
		if code[0] == '9' {
			kind = ident.Organisation
		}
		if err := ident.Check(kind, code); err != nil {
			t.Errorf("demo identifier %s: %v", code, err)
		}
	}
	// Every kind of record is in the demo.
	for _, q := range []string{
		`SELECT count(DISTINCT category) FROM records WHERE id = ANY($1)`,
		`SELECT count(DISTINCT severity) FROM records WHERE id = ANY($1)`,
		`SELECT count(DISTINCT disclosure) FROM records WHERE id = ANY($1)`,
	} {
		if n := count(t, q, demo.RecordIDs); n != map[bool]int{true: 4, false: 3}[strings.Contains(q, "category")] {
			t.Errorf("%s = %d", q, n)
		}
	}
}

// A common name held by many subjects: paging through the lookup serves
// every public record being disclosed today of those subjects exactly
// once, newest first, 20 a page, and nothing else (issue 20.4: each page
// picked from the index from the cursor on, then read); the last page has
// no next; an altered cursor, or one of another query, is refused.
func TestPublicLookupOfACommonNamePagesThroughEveryRecord(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("王常见%d", time.Now().UnixNano()%1_000_000)
	if _, err := testPool.Exec(ctx, `INSERT INTO subjects (kind, ident, name)
		SELECT 'organisation', '91320600LK' || lpad((($2::bigint * 100 + g) % 100000000)::text, 8, '0'), $1 FROM generate_series(1, 47) g`,
		name, time.Now().UnixNano()%1_000_000); err != nil {
		t.Fatal(err)
	}
	// Per subject: public records served and not (archived, expired,
	// repaired), and records not public at all, interleaved.
	if _, err := testPool.Exec(ctx, `INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, decision_no, decided_on, disclosure_end, status)
		SELECT s.id, $2, 'negative', 'general',
			CASE WHEN k % 5 = 1 THEN 'government' ELSE 'public' END,
			'常见名记录 ' || k, 'LK-' || s.id || '-' || k, current_date - 30,
			CASE WHEN k % 7 = 3 THEN current_date - 2 ELSE current_date + 300 END,
			CASE WHEN k % 11 = 4 THEN 'archived' WHEN k % 13 = 5 THEN 'repaired' WHEN k % 4 = 0 THEN 'under_objection' ELSE 'active' END
		FROM subjects s, generate_series(1, 12) k WHERE s.name = $1 ORDER BY k, s.id`, name, providerID("nt-market")); err != nil {
		t.Fatal(err)
	}
	type served struct {
		ID             int64  `json:"id"`
		SubjectName    string `json:"subject_name"`
		Title          string `json:"title"`
		DecisionNo     string `json:"decision_no"`
		UnderObjection bool   `json:"under_objection"`
	}
	rows, err := testPool.Query(ctx, `SELECT r.id, s.name, r.title, r.decision_no, r.status = 'under_objection'
		FROM records r JOIN subjects s ON s.id = r.subject_id
		WHERE s.name = $1 AND r.disclosure = 'public' AND r.status IN ('active', 'under_objection', 'corrected')
		  AND (r.disclosure_end IS NULL OR r.disclosure_end >= (now() AT TIME ZONE 'Asia/Shanghai')::date)
		ORDER BY r.id DESC`, name)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowToStructByPos[served])
	if err != nil {
		t.Fatal(err)
	}
	if len(want) <= 200 || len(want)%20 == 0 {
		t.Fatalf("fixture: %d public records served, want more than 200 and a last page not full", len(want))
	}
	type pageOut struct {
		Records []served `json:"records"`
		Next    *string  `json:"next"`
	}
	var got []served
	var cursors []string
	path := "/api/v1/public/records?q=" + url.QueryEscape(name)
	for next := path; ; {
		var out pageOut
		visitor(t).expect(http.StatusOK, "GET", next, nil).decode(t, &out)
		got = append(got, out.Records...)
		if out.Next == nil {
			if len(out.Records) == 0 || len(out.Records) > 20 {
				t.Fatalf("last page of %d records", len(out.Records))
			}
			break
		}
		if len(out.Records) != 20 {
			t.Fatalf("page %d has %d records and a next page", len(cursors)+1, len(out.Records))
		}
		cursors = append(cursors, *out.Next)
		if len(cursors) > 100 {
			t.Fatal("paging does not end")
		}
		next = path + "&cursor=" + url.QueryEscape(*out.Next)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paging served %d records, want each of the %d public ones once, newest first", len(got), len(want))
	}
	if objected := slices.IndexFunc(got, func(r served) bool { return r.UnderObjection }); objected < 0 {
		t.Fatal("no record under objection is marked so")
	}

	// A cursor altered by one character, one of another query, and no
	// cursor at all are refused, naming cursor.
	c := []byte(cursors[1])
	c[len(c)/2] ^= 1
	other := "/api/v1/public/records?q=" + url.QueryEscape(name+"乙") + "&cursor=" + url.QueryEscape(cursors[0])
	for _, bad := range []string{path + "&cursor=" + url.QueryEscape(string(c)), other, path + "&cursor=%21%21", path + "&cursor=AQEB"} {
		var pr problem
		visitor(t).expect(http.StatusBadRequest, "GET", bad, nil).decode(t, &pr)
		if !pr.hasField("cursor", "invalid") {
			t.Fatalf("%s: %+v, want cursor named", bad, pr)
		}
	}
	// A subject renamed: its records are found by the new name only.
	var renamed int64
	if err := testPool.QueryRow(ctx, `UPDATE subjects SET name = $2 WHERE id = (SELECT subject_id FROM records WHERE id = $1) RETURNING id`,
		want[0].ID, name+"（已更名）").Scan(&renamed); err != nil {
		t.Fatal(err)
	}
	var out pageOut
	visitor(t).expect(http.StatusOK, "GET", path, nil).decode(t, &out)
	for _, r := range out.Records {
		if r.ID == want[0].ID {
			t.Fatalf("record %d of a renamed subject still served under the old name", r.ID)
		}
	}
	visitor(t).expect(http.StatusOK, "GET", "/api/v1/public/records?q="+url.QueryEscape(name+"（已更名）"), nil).decode(t, &out)
	if len(out.Records) == 0 || out.Records[0].ID != want[0].ID || out.Records[0].SubjectName != name+"（已更名）" || out.Next != nil {
		t.Fatalf("the renamed subject's records under its new name: %+v", out)
	}
}

// A lookup by a full identity number and its entry in the query log are
// one: each record served has its row, with the subject found; a valid
// number of nobody has one row without subject or record.
func TestPublicLookupByIDNumberIsLoggedWithWhatItServed(t *testing.T) {
	ctx := context.Background()
	seq := time.Now().UnixNano() % 1000
	body := fmt.Sprintf("320602198803%02d%03d", 1+seq%28, seq)
	check, err := ident.IDNumberCheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	number := body + string(check)
	var subject int64
	if err := testPool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('person', $1, '查询日志测试') RETURNING id`, number).Scan(&subject); err != nil {
		t.Fatal(err)
	}
	if _, err := testPool.Exec(ctx, `INSERT INTO records (subject_id, provider_id, category, disclosure, title, decision_no, decided_on)
		SELECT $1, $2, 'basic', d, '登记 ' || d, 'QL-' || $1::bigint || '-' || d, current_date - 5
		FROM unnest(ARRAY['public', 'government', 'authorised']) d`, subject, providerID("nt-market")); err != nil {
		t.Fatal(err)
	}
	lookup := "person_id:" + ident.MaskIDNumber(number)
	var out struct {
		Records []struct {
			ID int64 `json:"id"`
		} `json:"records"`
	}
	anonymous(t).expect(http.StatusOK, "GET", "/api/v1/public/records?q="+number, nil).decode(t, &out)
	if len(out.Records) != 1 {
		t.Fatalf("served %d records, want the one public", len(out.Records))
	}
	if n := count(t, `SELECT count(*) FROM query_log WHERE lookup = $1 AND subject_id = $2 AND record_id = $3 AND role = 'public'`,
		lookup, subject, out.Records[0].ID); n != 1 {
		t.Fatalf("%d query-log rows for the record served, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM query_log WHERE lookup = $1`, lookup); n != 1 {
		t.Fatalf("%d query-log rows for one lookup serving one record, want 1", n)
	}

	body = fmt.Sprintf("320602197702%02d%03d", 1+seq%28, (seq+1)%1000)
	check, _ = ident.IDNumberCheckDigit(body)
	nobody := body + string(check)
	anonymous(t).expect(http.StatusOK, "GET", "/api/v1/public/records?q="+nobody, nil).decode(t, &out)
	if len(out.Records) != 0 {
		t.Fatalf("a number of nobody served %d records", len(out.Records))
	}
	if n := count(t, `SELECT count(*) FROM query_log WHERE lookup = $1 AND subject_id IS NULL AND record_id IS NULL`,
		"person_id:"+ident.MaskIDNumber(nobody)); n != 1 {
		t.Fatalf("%d query-log rows for a lookup of nobody, want 1", n)
	}
}

// Each page of a lookup by identity number is logged with the records it
// served, and only those; a refused cursor is neither answered nor logged.
func TestPublicLookupByIDNumberLogsEachPageItServed(t *testing.T) {
	ctx := context.Background()
	seq := time.Now().UnixNano() % 1000
	body := fmt.Sprintf("320602196911%02d%03d", 1+seq%28, seq)
	check, err := ident.IDNumberCheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	number := body + string(check)
	var subject int64
	if err := testPool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('person', $1, '分页日志测试') RETURNING id`, number).Scan(&subject); err != nil {
		t.Fatal(err)
	}
	if _, err := testPool.Exec(ctx, `INSERT INTO records (subject_id, provider_id, category, disclosure, title, decision_no, decided_on)
		SELECT $1, $2, 'basic', 'public', '登记 ' || k, 'PL-' || $1::bigint || '-' || k, current_date - 5
		FROM generate_series(1, 25) k`, subject, providerID("nt-market")); err != nil {
		t.Fatal(err)
	}
	lookup := "person_id:" + ident.MaskIDNumber(number)
	logged := func() []int64 {
		rows, err := testPool.Query(ctx, `SELECT record_id FROM query_log WHERE lookup = $1 AND subject_id = $2 ORDER BY record_id DESC`, lookup, subject)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	var out struct {
		Records []struct {
			ID int64 `json:"id"`
		} `json:"records"`
		Next *string `json:"next"`
	}
	ids := func() (r []int64) {
		for _, x := range out.Records {
			r = append(r, x.ID)
		}
		return r
	}
	visitor(t).expect(http.StatusOK, "GET", "/api/v1/public/records?q="+number, nil).decode(t, &out)
	first := ids()
	if len(first) != 20 || out.Next == nil {
		t.Fatalf("first page: %d records, next %v", len(first), out.Next)
	}
	if got := logged(); !slices.Equal(got, first) {
		t.Fatalf("first page logged %v, served %v", got, first)
	}
	next := *out.Next
	var pr problem
	visitor(t).expect(http.StatusBadRequest, "GET", "/api/v1/public/records?q="+number+"&cursor="+url.QueryEscape(next[:len(next)-1]), nil).decode(t, &pr)
	if !pr.hasField("cursor", "invalid") {
		t.Fatalf("a cut cursor: %+v", pr)
	}
	if n := len(logged()); n != 20 {
		t.Fatalf("a refused cursor logged: %d rows, want the first page's 20", n)
	}
	visitor(t).expect(http.StatusOK, "GET", "/api/v1/public/records?q="+number+"&cursor="+url.QueryEscape(next), nil).decode(t, &out)
	if len(out.Records) != 5 || out.Next != nil {
		t.Fatalf("second page: %d records, next %v", len(out.Records), out.Next)
	}
	if got := logged(); !slices.Equal(got, append(first, ids()...)) {
		t.Fatalf("two pages logged %v, served %v then %v", got, first, ids())
	}
}

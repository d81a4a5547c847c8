package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

type importReport struct {
	Rows      int  `json:"rows"`
	Accepted  int  `json:"accepted"`
	Committed bool `json:"committed"`
	Rejected  []struct {
		Line   int `json:"line"`
		Errors []struct {
			Field string `json:"field"`
			Code  string `json:"code"`
		} `json:"errors"`
	} `json:"rejected"`
	RecordIDs []int64 `json:"record_ids"`
}

func TestImportCSVMixedRowsIsAllOrNothing(t *testing.T) {
	org := subjectIdent(t, orgB)
	pers := subjectIdent(t, person)
	csv := strings.Join([]string{
		"subject_ident,category,severity,disclosure,title,content,decision_no,decided_on,details.amount",
		org + ",negative,general,public,未按期年报,,导入〔2025〕1号,2025-03-01,0",
		org + ",negative,,public,缺少程度,,导入〔2025〕2号,2025-03-01,0",             // line 3: severity missing
		"91350100M000100Y44,positive,,public,校验码错,,导入〔2025〕3号,2025-03-01,0", // line 4: unknown subject
		pers + ",basic,,government,登记信息,,导入〔2025〕4号,2025/03/01,0",           // line 5: date format
		org + ",negative,general,public,重复,,导入〔2025〕1号,2025-03-02,0",        // line 6: duplicate of line 2
		pers + ",positive,,public,表彰,,导入〔2025〕5号,2025-03-01,0",
	}, "\n")
	p := as(t, "provider")
	before := count(t, `SELECT count(*) FROM records`)
	events := count(t, `SELECT count(*) FROM audit_events`)
	r := p.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records/import?format=csv", csv, "Content-Type", "text/csv")
	var out struct {
		problem
		Report importReport `json:"report"`
	}
	r.decode(t, &out)
	lines := map[int]string{}
	for _, row := range out.Report.Rejected {
		lines[row.Line] = row.Errors[0].Field + "/" + row.Errors[0].Code
	}
	want := map[int]string{3: "severity/required", 4: "subject_ident/unknown", 5: "decided_on/format", 6: "decision_no/duplicate_in_file"}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("rejected rows %v, want %v\n%s", lines, want, r.Body)
	}
	if out.Report.Rows != 6 || out.Report.Committed || !out.hasField("rows[3].severity", "required") {
		t.Fatalf("report: %+v", out)
	}
	if got := count(t, `SELECT count(*) FROM records`); got != before {
		t.Fatalf("a rejected file wrote %d records", got-before)
	}
	if got := count(t, `SELECT count(*) FROM audit_events`); got != events {
		t.Fatalf("a rejected file wrote %d events", got-events)
	}

	// The good rows alone go in, all of them, each with one event.
	good := strings.Join([]string{
		"subject_ident,category,severity,disclosure,title,content,decision_no,decided_on,details.amount",
		org + ",negative,general,public,未按期年报,,导入〔2025〕1号,2025-03-01,0",
		pers + ",positive,,public,表彰,,导入〔2025〕5号,2025-03-01,0",
	}, "\n")
	var rep importReport
	p.expect(http.StatusCreated, "POST", "/api/v1/records/import?format=csv", good, "Content-Type", "text/csv").decode(t, &rep)
	if !rep.Committed || rep.Accepted != 2 || len(rep.RecordIDs) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	for _, id := range rep.RecordIDs {
		if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'record.created' AND object_id = $1`, fmt.Sprint(id)); n != 1 {
			t.Fatalf("record %d: %d events", id, n)
		}
	}
	if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'records.imported'`); n != 1 {
		t.Fatalf("records.imported events: %d", n)
	}
	// The same file again: every row already exists, nothing is written.
	p.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records/import?format=csv", good).decode(t, &out)
	if len(out.Report.Rejected) != 2 || out.Report.Rejected[0].Errors[0].Code != "exists" {
		t.Fatalf("re-import: %+v", out.Report)
	}
}

func TestImportJSONLRefusesProhibitedData(t *testing.T) {
	org := subjectIdent(t, orgB)
	jsonl := strings.Join([]string{
		`{"subject_ident":"` + org + `","category":"positive","disclosure":"public","title":"纳税 A 级","decision_no":"J〔2025〕1号","decided_on":"2025-04-01"}`,
		`{"subject_ident":"` + org + `","category":"other","disclosure":"government","title":"x","decision_no":"J〔2025〕2号","decided_on":"2025-04-01","details":{"religion":"x"}}`,
		``,
		`not json`,
	}, "\n")
	cw := as(t, "caseworker")
	before := count(t, `SELECT count(*) FROM records`)
	var out struct {
		Report importReport `json:"report"`
	}
	cw.expect(http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/api/v1/records/import?format=jsonl&provider_id=%d", providerID("nt-tax")), jsonl).decode(t, &out)
	if len(out.Report.Rejected) != 2 || out.Report.Rejected[0].Line != 2 || out.Report.Rejected[0].Errors[0].Code != "prohibited" ||
		out.Report.Rejected[1].Line != 4 || out.Report.Rejected[1].Errors[0].Field != "body" {
		t.Fatalf("report: %+v", out.Report)
	}
	if got := count(t, `SELECT count(*) FROM records`); got != before {
		t.Fatal("rejected JSONL wrote records")
	}
	// Roles: subjects, supervisors and admins do not import; a provider
	// does not import for another provider.
	for _, user := range []string{"subject", "supervisor", "admin"} {
		as(t, user).expect(http.StatusForbidden, "POST", "/api/v1/records/import?format=jsonl", jsonl)
	}
	as(t, "provider").expect(http.StatusForbidden, "POST", fmt.Sprintf("/api/v1/records/import?format=jsonl&provider_id=%d", providerID("nt-tax")), jsonl)
	// A CSV column asking for prohibited data is refused by name.
	csv := "subject_ident,category,severity,disclosure,title,decision_no,decided_on,血型\n" + org + ",positive,,public,t,C〔2025〕1号,2025-04-01,\n"
	as(t, "provider").expect(http.StatusUnprocessableEntity, "POST", "/api/v1/records/import?format=csv", csv).decode(t, &out)
	if len(out.Report.Rejected) != 1 || out.Report.Rejected[0].Errors[0].Field != "血型" {
		t.Fatalf("prohibited column: %+v", out.Report)
	}
}

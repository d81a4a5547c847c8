package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// repairFixture seeds the demo centre plus a general negative record of the
// demo company from the tax bureau, decided daysAgo, and a provider account
// for the tax bureau.
func repairFixture(t *testing.T, ctx context.Context, daysAgo int) (seed.Result, records.Record, *apiUser) {
	t.Helper()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	taxID := demo.ProviderIDs["nt-tax"]
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, taxID, records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
		Title: "欠缴税款行政处罚", Content: "罚款人民币 5000 元，已缴清", DecisionNo: fmt.Sprintf("通税罚〔IT〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-daysAgo).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	user := fmt.Sprintf("tax%d", time.Now().UnixNano()%1_000_000)
	if _, err := auth.New(sys.Pool, 4).CreateAccount(ctx, audit.System, auth.NewAccount{Username: user, DisplayName: "税务局信用科",
		Role: auth.Provider, ProviderID: taxID, Password: seed.DemoPassword}); err != nil {
		t.Fatal(err)
	}
	return demo, rec, logIn(t, user, seed.DemoPassword)
}

// ownTaxRecord is a general negative record of the tax office, decided
// daysAgo, about a subject of its own (no other records), with that
// subject's user logged in.
func ownTaxRecord(t *testing.T, ctx context.Context, daysAgo int) (int64, *apiUser) {
	t.Helper()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	var subjectID int64
	ident := fmt.Sprintf("91320600REP%07d", time.Now().UnixNano()%10_000_000)
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('organisation', $1, '南通修复测试贸易有限公司') RETURNING id`,
		ident).Scan(&subjectID); err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, demo.ProviderIDs["nt-tax"], records.RecordInput{
		SubjectID: subjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
		Title: "逾期未申报行政处罚", Content: "罚款人民币 2000 元", DecisionNo: fmt.Sprintf("通税罚〔早〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-daysAgo).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	user, pw, _ := newAccount(t, auth.Subject, func(in *auth.NewAccount) { in.SubjectID = subjectID })
	return rec.ID, logIn(t, user, pw)
}

// apply sends a repair application with an optional commitment.
func (c *apiUser) apply(recordID int64, commitment bool, evidence int) response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("record_id", strconv.FormatInt(recordID, 10))
	_ = w.WriteField("statement", "罚款已缴清，已完成整改")
	if commitment {
		fw, _ := w.CreateFormFile("commitment", "信用承诺书.pdf")
		_, _ = fw.Write(evidencePDF("commitment"))
	}
	for i := range evidence {
		fw, _ := w.CreateFormFile("file", fmt.Sprintf("缴款凭证%d.pdf", i))
		_, _ = fw.Write(evidencePDF(fmt.Sprintf("receipt %d", i)))
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.send(http.MethodPost, "/api/v1/repairs", w.FormDataContentType(), &buf)
}

func publicPost(t *testing.T, path string, body any) response {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, baseURL()+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}
}

// A repair through HTTP on the real stack: dry run, a refused application
// (no commitment) and a second one refused as a duplicate, acceptance, the
// provider's opinion from its inbox, publicity on the public endpoint, a
// public objection (validated, rate-limited, verified by the provider and
// answered with its receipt), then withdrawal, which takes the notice down.
func TestRepairThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_, rec, provider := repairFixture(t, ctx, 200)
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)

	// 1. Dry run: eligible, the documents still to come.
	var el api.RepairEligibility
	subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility", rec.ID), nil, &el)
	if !el.Eligible || !el.CanApply || el.From != nil || len(el.Conditions) != 6 || !el.Conditions[5].Pending {
		t.Fatalf("dry run %+v", el)
	}
	// A general record decided 60 days ago is too early: the date is given.
	// (Of a subject of its own: in a full run other tests give the demo
	// subject records of the same kind, which would bar it as well.)
	var early api.RepairEligibility
	earlyID, earlySubject := ownTaxRecord(t, ctx, 60)
	earlySubject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility", earlyID), nil, &early)
	if early.Eligible || !early.OnlyEarly || early.From == nil || !slices.Equal(early.Failed, []string{"shortest_period_passed"}) {
		t.Fatalf("early dry run %+v", early)
	}

	// 2. Without the commitment: 422 naming it; nothing filed.
	r := subject.apply(rec.ID, false, 1)
	if p := problemOf(t, r); r.status != http.StatusUnprocessableEntity || p.Type != "/problems/repair-ineligible" ||
		len(p.Errors) != 1 || p.Errors[0].Field != "credit_commitment" {
		t.Fatalf("no commitment: %d %s", r.status, r.body)
	}
	// 3. Filed; a second application on the record is 409.
	r = subject.apply(rec.ID, true, 1)
	if r.status != http.StatusCreated {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	var filed api.FiledRepair
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	no := filed.Case.CaseNo
	if filed.Commitment.ID == 0 || len(filed.Evidence) != 1 || filed.Case.Kind != workflows.CaseKindRepair {
		t.Fatalf("filed %+v", filed)
	}
	base := "/api/v1/repairs/" + no
	if r := subject.apply(rec.ID, true, 1); r.status != http.StatusConflict || problemOf(t, r).Type != "/problems/repair-open" ||
		problemOf(t, r).CaseNo != no || problemOf(t, r).CaseURL != base {
		t.Fatalf("second application: %d %s, want 409 naming %s and %s", r.status, r.body, no, base)
	}

	// 4. Publicity before acceptance is refused (409); acceptance; the
	// provider finds the case in its opinion inbox and agrees.
	if r := cw.send(http.MethodPost, base+"/publish", "", nil); r.status != http.StatusConflict {
		t.Fatalf("publish before acceptance: %d %s", r.status, r.body)
	}
	var st workflows.RepairState
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", map[string]any{}, &st)
	if st.Stage != workflows.StageProviderOpinion {
		t.Fatalf("after acceptance: %s", st.Stage)
	}
	var inbox api.CasePage
	provider.do(http.StatusOK, http.MethodGet, "/api/v1/repairs?stage=provider_opinion", nil, &inbox)
	if !slices.ContainsFunc(inbox.Cases, func(c api.CaseSummary) bool { return c.CaseNo == no }) {
		t.Fatalf("opinion inbox %+v lacks %s", inbox.Cases, no)
	}
	if r := provider.send(http.MethodPost, base+"/provider-opinion", "application/json", bytes.NewReader([]byte(`{"agree":true}`))); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("opinion without reasons: %d %s", r.status, r.body)
	}
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-opinion", map[string]any{"agree": true, "reasons": "已缴清税款及罚款"}, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/publish", map[string]any{}, &st)
	if st.Stage != workflows.StagePublicity || st.PublicityUntil.IsZero() {
		t.Fatalf("after publish: %+v", st)
	}

	// 5. The public notice: subject, record summary, proposal, until when.
	var notices struct {
		Notices []api.PublicRepairNotice `json:"notices"`
	}
	if resp := call(t, baseURL(), http.MethodGet, "/api/v1/public/repair-notices", nil, &notices); resp.StatusCode != http.StatusOK {
		t.Fatalf("notices: %d", resp.StatusCode)
	}
	i := slices.IndexFunc(notices.Notices, func(n api.PublicRepairNotice) bool { return n.ApplicationNo == no })
	if i < 0 {
		t.Fatalf("notice of %s not public: %+v", no, notices.Notices)
	}
	if n := notices.Notices[i]; n.SubjectName != "南通恒达建材有限公司" || n.RecordTitle != "欠缴税款行政处罚" || n.Explanation == "" ||
		!n.UntilAt.Equal(st.PublicityUntil) {
		t.Errorf("notice %+v", n)
	}

	// 6. The objection form: validated, then received; the provider verifies.
	objPath := base[len("/api/v1/repairs/"):]
	form := "/api/v1/public/repair-notices/" + objPath + "/objections"
	if r := publicPost(t, form, map[string]string{"name": "王五", "contact": "不能联系", "grounds": "短"}); r.status != http.StatusUnprocessableEntity ||
		len(problemOf(t, r).Errors) != 2 {
		t.Fatalf("invalid objection: %d %s", r.status, r.body)
	}
	r = publicPost(t, form, map[string]string{"name": "王五", "contact": "13800000000", "grounds": "该企业近期仍存在欠缴税款的情况，请核实"})
	if r.status != http.StatusCreated {
		t.Fatalf("objection: %d %s", r.status, r.body)
	}
	var receipt api.PublicObjectionReceipt
	if err := json.Unmarshal(r.body, &receipt); err != nil {
		t.Fatal(err)
	}
	var detail api.RepairDetail
	provider.do(http.StatusOK, http.MethodGet, base, nil, &detail)
	if len(detail.Objections) != 1 || detail.Live == nil || len(detail.Live.Objections) != 1 {
		t.Fatalf("objections on the case: %+v live %+v", detail.Objections, detail.Live)
	}
	provider.do(http.StatusOK, http.MethodPost, base+"/verify-objection",
		map[string]any{"objection_id": detail.Objections[0].ID, "upheld": false, "reasons": "经核查该企业已无欠缴"}, &st)
	var answer struct {
		Status string `json:"status"`
		Answer string `json:"answer"`
	}
	call(t, baseURL(), http.MethodGet, "/api/v1/public/repair-objections/"+receipt.Receipt, nil, &answer)
	if answer.Status != "rejected" || answer.Answer == "" {
		t.Errorf("answer %+v", answer)
	}
	// The bucket: a client sending a burst is told to wait.
	limited := false
	for range 6 {
		r := publicPost(t, form, map[string]string{"name": "赵六", "contact": "zhao@example.com", "grounds": "重复提交同一异议理由用于测试限流"})
		if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") != "" {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("a burst of objections from one client was never rate-limited")
	}

	// 7. Letters: the acceptance notice downloads as PDF for the subject.
	var docs struct {
		Documents []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"documents"`
	}
	lettersReady(t, path.Base(base))
	subject.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	var acceptance int64
	for _, d := range docs.Documents {
		if d.Kind == "repair_acceptance" {
			acceptance = d.ID
		}
	}
	if pdf := subject.send(http.MethodGet, fmt.Sprintf("%s/documents/%d", base, acceptance), "", nil); pdf.status != http.StatusOK ||
		!bytes.HasPrefix(pdf.body, []byte("%PDF-")) {
		t.Fatalf("acceptance PDF (%d of %+v): %d", acceptance, docs.Documents, pdf.status)
	}

	// 8. Withdrawal ends the case and takes the notice down.
	subject.do(http.StatusOK, http.MethodPost, base+"/withdraw", map[string]any{"reason": "另行处理"}, &st)
	if st.Status != workflows.StatusWithdrawn {
		t.Fatalf("after withdrawal: %s", st.Status)
	}
	var status string
	if err := sys.Pool.QueryRow(ctx, `SELECT status FROM repair_publicity WHERE application_no = $1`, no).Scan(&status); err != nil || status != "withdrawn" {
		t.Errorf("publicity %s %v", status, err)
	}
	if err := sys.Pool.QueryRow(ctx, `SELECT status FROM repair_applications WHERE application_no = $1`, no).Scan(&status); err != nil || status != "closed" {
		t.Errorf("application %s %v", status, err)
	}
	run := sys.Temporal.GetWorkflow(ctx, workflows.RepairWorkflowID(no), "")
	if err := run.Get(ctx, &st); err != nil {
		t.Fatal(err)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.RepairWorkflowID(no), filepath.Join("..", "workflows", "testdata", "histories", "repair_withdrawn.json"))
	}
}

// The approval's effects on the real schema (the publicity period cannot be
// waited out in real time, so the activity is called as the workflow calls
// it): the original archived, the record repaired and out of public
// disclosure, one outbox row for downstream users however often it runs,
// and a listing in force on the record found for the signal.
func TestRepairApprovalOnRealSchema(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, rec, _ := repairFixture(t, ctx, 150)
	no := fmt.Sprintf("XF-IT-%d", time.Now().UnixNano()%1_000_000)
	var commitment int64
	if err := sys.Pool.QueryRow(ctx, `WITH b AS (INSERT INTO evidence_blobs (sha256, content_type, size, data)
			VALUES (encode(sha256(convert_to('c' || $1::text, 'UTF8')), 'hex'), 'application/pdf', 1, 'x'::bytea) RETURNING sha256)
		INSERT INTO evidence (case_ref, sha256, name) SELECT $1, sha256, 'c.pdf' FROM b RETURNING id`, no).Scan(&commitment); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO repair_applications (application_no, record_id, subject_id, provider_id, profile_id, commitment_id, filed_by)
		VALUES ($1,$2,$3,$4,'nantong',$5,'it')`, no, rec.ID, rec.SubjectID, rec.ProviderID, commitment); err != nil {
		t.Fatal(err)
	}
	proposal := "LP-IT-" + no
	// A listed row as the workflow writes one (listed_at and removal_due
	// set): it stays on the public list for the rest of the run.
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO listings (proposal_no, workflow_id, subject_id, provider_id, profile_id, status, proposed_at,
		listed_at, removal_due) VALUES ($1, $2, $3, $4, 'nantong', 'listed', now(), now(), (now() + interval '3 years')::date)`,
		proposal, "listing:"+proposal, rec.SubjectID, rec.ProviderID); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO listing_records (proposal_no, record_id) VALUES ($1, $2)`, proposal, rec.ID); err != nil {
		t.Fatal(err)
	}
	a := &activities.Cases{Pool: sys.Pool, Calendar: calendar.Default(), Policies: policy.Default()}
	ids, err := a.ActiveListings(ctx, rec.ID)
	if err != nil || !slices.Equal(ids, []string{"listing:" + proposal}) {
		t.Fatalf("active listings %v %v", ids, err)
	}
	req := activities.RepairRequest{CaseNo: no, RecordID: rec.ID, Reason: "公示期满无异议", Actor: "cw.it", Role: "caseworker", At: time.Now()}
	for range 2 { // a retried activity does no harm
		if err := a.ApplyRepair(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	var status, prior string
	if err := sys.Pool.QueryRow(ctx, `SELECT r.status, a.prior_status FROM records r JOIN repair_archive a ON a.record_id = r.id
		WHERE a.application_no = $1`, no).Scan(&status, &prior); err != nil {
		t.Fatal(err)
	}
	if status != records.StatusRepaired || prior != records.StatusActive {
		t.Errorf("record %s (was %s); want repaired, archived from active", status, prior)
	}
	var outbox int
	var payload activities.OutboxRepaired
	var raw []byte
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) OVER (), payload FROM record_outbox WHERE record_id = $1 AND event = 'record.repaired' AND delivered_at IS NULL`,
		rec.ID).Scan(&outbox, &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	if outbox != 1 || payload.CaseNo != no || !payload.StopDisclose || !payload.StopSharing {
		t.Errorf("outbox %d rows, payload %+v", outbox, payload)
	}
	var public int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM records WHERE id = $1 AND status = ANY($2)`, rec.ID, records.PubliclyServed).Scan(&public); err != nil || public != 0 {
		t.Errorf("repaired record still publicly served (%d, %v)", public, err)
	}
	var event int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'record.repaired' AND object_id = $1`, strconv.FormatInt(rec.ID, 10)).Scan(&event); err != nil || event != 1 {
		t.Errorf("record.repaired audit events %d (%v)", event, err)
	}
}

package integration

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// A listing through HTTP on the real stack: a proposal on a general record
// is refused (422), the proposal on a serious record is accepted and a
// second one on the same record refused (409); the notice is rendered and
// served, the subject states, waives the rest; a decision is refused while
// the statement is unanswered (409) and when heavier than proposed (422);
// the listing is published on the public list with a masked identifier and
// its removal date, the decision and the repair notice are served together,
// the listed phase continues as new, and an early removal takes the entry
// off the public list and archives it.
func TestListingThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	prov := logIn(t, "provider", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, prov.account.ProviderID, records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.Serious, Disclosure: records.Public,
		Title: "拒不履行行政处罚决定", Content: "经催告仍拒不履行", DecisionNo: fmt.Sprintf("通市监强〔IT〕%d号", time.Now().UnixNano()),
		// Decided before the seeded records, so it is no "repeat" that would
		// bar their repair in other tests (same provider, later decision).
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-120).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	general := demo.RecordIDs[2] // 虚假宣传行政处罚: negative, general
	propose := api.ProposeListingRequest{SubjectID: subject.account.SubjectID, Reasons: "拒不履行法定义务，情节严重",
		LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"}, Measures: []string{"public_disclosure", "procurement_ban"},
		JointPunishment: true, Period: workflows.ListingPeriod{Length: 3, Unit: "year"}}

	bad := propose
	bad.RecordIDs = []int64{general}
	if p := problemOf(t, prov.do(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/listings", bad, nil)); !strings.HasSuffix(p.Type, "/invalid-proposal") {
		t.Errorf("general record: problem %s", p.Type)
	}
	long := propose
	long.RecordIDs, long.Period = []int64{rec.ID}, workflows.ListingPeriod{Length: 4, Unit: "year"}
	prov.do(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/listings", long, nil)
	subject.do(http.StatusForbidden, http.MethodPost, "/api/v1/listings", propose, nil)

	propose.RecordIDs = []int64{rec.ID}
	var l api.ListingSummary
	prov.do(http.StatusCreated, http.MethodPost, "/api/v1/listings", propose, &l)
	no := l.ProposalNo
	wid := workflows.ListingWorkflowID(no)
	defer func() { _ = sys.Temporal.TerminateWorkflow(context.Background(), wid, "", "test over") }()
	// The same proposal again (no Idempotency-Key) finds the listing under
	// way: 409 naming it and where to read it.
	if p := problemOf(t, prov.do(http.StatusConflict, http.MethodPost, "/api/v1/listings", propose, nil)); !strings.HasSuffix(p.Type, "/already-listed") ||
		p.CaseNo != no || p.CaseURL != "/api/v1/listings/"+no || !strings.Contains(p.Detail, no) {
		t.Errorf("second proposal: problem %+v, want already-listed naming %s", p, no)
	}

	base := "/api/v1/listings/" + no
	detail := func(u *apiUser) api.ListingDetail {
		var d api.ListingDetail
		u.do(http.StatusOK, http.MethodGet, base, nil, &d)
		return d
	}
	waitFor := func(what string, ok func(api.ListingDetail) bool) api.ListingDetail {
		for range 100 {
			if d := detail(cw); ok(d) {
				return d
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s", what)
		return api.ListingDetail{}
	}
	d := waitFor("the notice", func(d api.ListingDetail) bool { return d.State != nil && len(d.State.Documents) == 1 })
	if d.Listing.Status != "proposed" || d.State.Stage != workflows.StageListingNotice {
		t.Fatalf("after proposal: %s/%s", d.Listing.Status, d.State.Stage)
	}

	var st workflows.ListingState
	cw.do(http.StatusOK, http.MethodPost, base+"/service", workflows.ServiceInput{Method: workflows.ServiceElectronic,
		ServedAt: time.Now(), Note: "电子送达，系统回执"}, &st)
	if st.Stage != workflows.StageRepresentation {
		t.Fatalf("after service: %s", st.Stage)
	}
	subject.do(http.StatusOK, http.MethodPost, base+"/statements", workflows.StatementInput{Points: []string{"处罚已部分履行"}}, &st)
	if p := problemOf(t, cw.do(http.StatusConflict, http.MethodPost, base+"/decision", workflows.ListingDecision{List: false, Reasons: "x"}, nil)); !strings.HasSuffix(p.Type, "/wrong-stage") {
		t.Errorf("decision in the window: %s", p.Type)
	}
	subject.do(http.StatusOK, http.MethodPost, base+"/waiver", workflows.WaiveInput{Reason: "无其他意见"}, &st)
	decision := workflows.ListingDecision{List: true, Measures: []string{"public_disclosure"}, JointPunishment: true,
		Period: workflows.ListingPeriod{Length: 2, Unit: "year"}, Reasons: "事实清楚，部分履行不影响认定"}
	if p := problemOf(t, cw.do(http.StatusConflict, http.MethodPost, base+"/decision", decision, nil)); !strings.HasSuffix(p.Type, "/unanswered") {
		t.Errorf("decision with an unanswered point: %s", p.Type)
	}
	prov.do(http.StatusOK, http.MethodPost, base+"/answers", workflows.AnswerInput{Answers: []workflows.Answer{
		{PointID: "P1", Adopted: false, Reasons: "部分履行不足以消除失信状态"}}}, &st)
	heavier := decision
	heavier.Measures = []string{"public_disclosure", "consumption_limit"}
	if p := problemOf(t, cw.do(http.StatusUnprocessableEntity, http.MethodPost, base+"/decision", heavier, nil)); !strings.HasSuffix(p.Type, "/heavier-than-proposed") {
		t.Errorf("heavier decision: %s", p.Type)
	}
	first, err := sys.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	if err != nil {
		t.Fatal(err)
	}
	firstRun := first.WorkflowExecutionInfo.Execution.RunId
	cw.do(http.StatusOK, http.MethodPost, base+"/decision", decision, &st)
	if st.Stage != workflows.StageListed || st.RemovalDue == "" {
		t.Fatalf("after decision: %s, removal due %q", st.Stage, st.RemovalDue)
	}
	// The listed phase runs in a new run carrying the state.
	for i := 0; ; i++ {
		desc, err := sys.Temporal.DescribeWorkflowExecution(ctx, wid, "")
		if err != nil {
			t.Fatal(err)
		}
		if desc.WorkflowExecutionInfo.Execution.RunId != firstRun {
			break
		}
		if i == 100 {
			t.Fatal("the listed phase did not continue as new")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The new run answers queries once its first task ran, and the listing
	// row follows; wait for both rather than reading once (under load the
	// first read may precede them).
	d = waitFor("the listed phase after continue-as-new", func(d api.ListingDetail) bool {
		return d.State != nil && d.State.Stage == workflows.StageListed && d.Listing.Status == "listed"
	})
	if d.Listing.RemovalDue != st.RemovalDue || d.State.RemovalDue != st.RemovalDue {
		t.Fatalf("after continue-as-new: removal due %q (state %q), want %q", d.Listing.RemovalDue, d.State.RemovalDue, st.RemovalDue)
	}

	var pub struct {
		Listings []api.PublicListing `json:"listings"`
	}
	call(t, baseURL(), http.MethodGet, "/api/v1/public/listings", nil, &pub)
	i := slices.IndexFunc(pub.Listings, func(p api.PublicListing) bool { return p.ProposalNo == no })
	if i < 0 {
		t.Fatalf("public list lacks %s", no)
	}
	if e := pub.Listings[i]; e.RemovalDue != st.RemovalDue || len(e.Records) != 1 || !e.JointPunishment || e.Period != "2年" {
		t.Errorf("public entry %+v", e)
	}

	var docs struct {
		Documents []documents.Meta `json:"documents"`
	}
	lettersReady(t, path.Base(base))
	subject.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	var kinds []string
	for _, m := range docs.Documents {
		kinds = append(kinds, string(m.Kind))
	}
	for _, k := range []documents.Kind{documents.KindListingNotice, documents.KindListingDecision, documents.KindListingRepairNotice} {
		if !slices.Contains(kinds, string(k)) {
			t.Errorf("subject's documents %v lack %s", kinds, k)
		}
	}
	if testenv.Recording() {
		testenv.RecordRunHistory(t, sys.Temporal, wid, firstRun, filepath.Join("..", "workflows", "testdata", "histories", "listing_listed.json"))
	}

	subject.do(http.StatusForbidden, http.MethodPost, base+"/removal", workflows.RemoveInput{Reason: "x"}, nil)
	cw.do(http.StatusOK, http.MethodPost, base+"/removal", workflows.RemoveInput{Reason: "经复核提前移出"}, &st)
	if st.Stage != workflows.StageFinished || st.Outcome != workflows.OutcomeRemoved {
		t.Fatalf("after removal: %s/%s", st.Stage, st.Outcome)
	}
	run := sys.Temporal.GetWorkflow(ctx, wid, "")
	if err := run.Get(ctx, &st); err != nil {
		t.Fatal(err)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, wid, filepath.Join("..", "workflows", "testdata", "histories", "listing_removed.json"))
	}
	pub.Listings = nil
	call(t, baseURL(), http.MethodGet, "/api/v1/public/listings", nil, &pub)
	if slices.ContainsFunc(pub.Listings, func(p api.PublicListing) bool { return p.ProposalNo == no }) {
		t.Error("removed entry still on the public list")
	}
	var status string
	var archived bool
	if err := sys.Pool.QueryRow(ctx, `SELECT status, archived FROM listings WHERE proposal_no = $1`, no).Scan(&status, &archived); err != nil {
		t.Fatal(err)
	}
	if status != "removed" || !archived {
		t.Errorf("listing row: %s archived %v", status, archived)
	}
	var listedEv, delistedEv int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'record.listed'), count(*) FILTER (WHERE action = 'record.delisted')
		FROM audit_events WHERE object_type = 'record' AND object_id = $1`, fmt.Sprint(rec.ID)).Scan(&listedEv, &delistedEv); err != nil {
		t.Fatal(err)
	}
	if listedEv != 1 || delistedEv != 1 {
		t.Errorf("record audit: listed %d, delisted %d; want 1 each", listedEv, delistedEv)
	}
	var explained int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM case_deadlines WHERE case_no = $1 AND explanation <> ''
		AND rule_id IN ('listing.representation', 'listing.period_end')`, no).Scan(&explained); err != nil {
		t.Fatal(err)
	}
	if explained != 2 {
		t.Errorf("explained listing deadlines %d; want the window and the period end", explained)
	}
	var pdfs int
	lettersReady(t, no)
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM case_documents WHERE case_ref = $1 AND substring(pdf from 1 for 5) = '%PDF-'`, no).Scan(&pdfs); err != nil {
		t.Fatal(err)
	}
	if pdfs != 4 {
		t.Errorf("documents %d; want notice, decision, repair notice and removal", pdfs)
	}
}

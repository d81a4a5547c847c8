package integration

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

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

// listingCase is a listing proposal on a fresh serious record of the demo
// subject, proposed by the demo provider through HTTP.
type listingCase struct {
	t                 *testing.T
	no, base          string
	subject, prov, cw *apiUser
	supervisor        *apiUser
	recordID          int64
}

func proposeListing(t *testing.T, ctx context.Context) *listingCase {
	t.Helper()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	lc := &listingCase{t: t, subject: logIn(t, "subject", seed.DemoPassword), prov: logIn(t, "provider", seed.DemoPassword),
		cw: logIn(t, "caseworker", seed.DemoPassword), supervisor: logIn(t, "supervisor", seed.DemoPassword)}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, lc.prov.account.ProviderID, records.RecordInput{
		SubjectID: lc.subject.account.SubjectID, Category: records.Negative, Severity: records.Serious, Disclosure: records.Public,
		DishonestyCategory: "拒不履行", Title: "拒不履行行政处罚决定", DecisionNo: fmt.Sprintf("通市监强〔IT〕%d号", time.Now().UnixNano()),
		// Long before the seeded records: no "repeat" for their repair.
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-400).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	lc.recordID = rec.ID
	var l api.ListingSummary
	lc.prov.do(http.StatusCreated, http.MethodPost, "/api/v1/listings", api.ProposeListingRequest{SubjectID: lc.subject.account.SubjectID,
		RecordIDs: []int64{rec.ID}, Reasons: "拒不履行法定义务，情节严重", LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"},
		Measures: []string{"public_disclosure", "procurement_ban"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"}}, &l)
	lc.no, lc.base = l.ProposalNo, "/api/v1/listings/"+l.ProposalNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ListingWorkflowID(lc.no), "", "test over")
	})
	lc.waitFor("the notice", func(d api.ListingDetail) bool { return d.State != nil && len(d.State.Documents) == 1 })
	return lc
}

func (lc *listingCase) detail() api.ListingDetail {
	var d api.ListingDetail
	lc.cw.do(http.StatusOK, http.MethodGet, lc.base, nil, &d)
	return d
}

func (lc *listingCase) waitFor(what string, ok func(api.ListingDetail) bool) api.ListingDetail {
	lc.t.Helper()
	for range 150 {
		if d := lc.detail(); ok(d) {
			return d
		}
		time.Sleep(100 * time.Millisecond)
	}
	lc.t.Fatalf("timed out waiting for %s", what)
	return api.ListingDetail{}
}

// serve records service of the notice at servedAt.
func (lc *listingCase) serve(servedAt time.Time) workflows.ListingState {
	var st workflows.ListingState
	lc.cw.do(http.StatusOK, http.MethodPost, lc.base+"/service", workflows.ServiceInput{Method: workflows.ServiceInPerson,
		ServedAt: servedAt, Note: "当面送达"}, &st)
	return st
}

// list serves the notice, the subject waives, and the centre lists.
func (lc *listingCase) list() workflows.ListingState {
	lc.serve(time.Now())
	var st workflows.ListingState
	lc.subject.do(http.StatusOK, http.MethodPost, lc.base+"/waiver", workflows.WaiveInput{Reason: "无意见"}, &st)
	lc.cw.do(http.StatusOK, http.MethodPost, lc.base+"/decision", workflows.ListingDecision{List: true,
		Measures: []string{"public_disclosure"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"}, Reasons: "事实清楚"}, &st)
	if st.Stage != workflows.StageListed {
		lc.t.Fatalf("not listed: %s", st.Stage)
	}
	lc.waitFor("the listed run", func(d api.ListingDetail) bool { return d.State != nil && d.State.Stage == workflows.StageListed })
	return st
}

// A revoked basis dated honestly on the real stack (issue 19.4): a
// revocation dated before the listing decision or learned before it took
// effect is refused (422, nothing changes); an honest one starts the
// removal limit from the day the centre learned of it, and the case keeps
// both dates.
func TestBasisRevocationDatedHonestlyThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := proposeListing(t, ctx)
	st := lc.list()
	listedAt := st.ListedAt
	// The honest revocation below is dated half a second after the listing
	// and learned at the last whole second: two seconds on, that second is
	// after the revocation whatever the fraction of the listing's second
	// (one second on, it was before it when the listing fell late in its
	// second, and the revocation was refused as learned before it happened).
	time.Sleep(2100 * time.Millisecond)
	revoke := workflows.RevokeBasisInput{Reason: "处罚决定被复议撤销", Instrument: "通政复决字〔2026〕第12号"}

	early := revoke
	early.RevokedAt = listedAt.Add(-48 * time.Hour)
	if p := problemOf(t, lc.cw.do(http.StatusUnprocessableEntity, http.MethodPost, lc.base+"/basis-revocation", early, nil)); !strings.Contains(p.Detail+fmt.Sprint(p.Errors), "revoked_at") {
		t.Errorf("revoked before the listing decision: %+v", p)
	}
	backwards := revoke
	backwards.RevokedAt, backwards.LearnedAt = time.Now().Add(-time.Second), listedAt.Add(-time.Hour)
	lc.cw.do(http.StatusUnprocessableEntity, http.MethodPost, lc.base+"/basis-revocation", backwards, nil)
	if d := lc.detail(); d.State.Stage != workflows.StageListed {
		t.Fatalf("a refused revocation changed the stage to %s", d.State.Stage)
	}

	honest := revoke
	honest.RevokedAt = listedAt.Add(500 * time.Millisecond)
	honest.LearnedAt = time.Now().Truncate(time.Second)
	lc.cw.do(http.StatusOK, http.MethodPost, lc.base+"/basis-revocation", honest, &st)
	if st.Stage != workflows.StageRemovalDue || !st.BasisRevokedAt.Equal(honest.RevokedAt) || !st.BasisLearnedAt.Equal(honest.LearnedAt) {
		t.Fatalf("after revocation: stage %s, revoked %s, learned %s", st.Stage, st.BasisRevokedAt, st.BasisLearnedAt)
	}
	var startsAt time.Time
	var due time.Time
	if err := sys.Pool.QueryRow(ctx, `SELECT starts_at, due_date FROM case_deadlines WHERE case_no = $1 AND rule_id = $2 AND state = 'pending'`,
		lc.no, policy.ListingRevokedRemoval).Scan(&startsAt, &due); err != nil {
		t.Fatal(err)
	}
	prof, _ := policy.Default().Get(policy.DefaultProfileID)
	want, err := prof.Deadline(calendar.Default(), policy.ListingRevokedRemoval, calendar.DateOf(honest.LearnedAt), true)
	if err != nil {
		t.Fatal(err)
	}
	if !startsAt.Equal(honest.LearnedAt) || calendar.NewDate(due.Year(), due.Month(), due.Day()) != want.Due {
		t.Errorf("removal limit from %s due %s; want from %s due %s", startsAt, due.Format(time.DateOnly), honest.LearnedAt, want.Due)
	}
	var data string
	if err := sys.Pool.QueryRow(ctx, `SELECT data::text FROM case_events WHERE case_no = $1 AND action = 'listing.basis_revoked'`, lc.no).Scan(&data); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(data, "learned_at") || !strings.Contains(data, "revoked_at") {
		t.Errorf("event lacks a date: %s", data)
	}
}

// Hearings by the law on the real stack (issue 19.2, 行政处罚法 art. 64): the
// subject asks for a hearing within the request period, which is a
// deadline on the board; a hearing set closer than seven working days
// after its notice is refused at once (too-soon, by the update's
// validator: nothing enters the case), naming the rule, the profile and
// the earliest day; a
// lawful one becomes the centre's deadline on the board; its record is
// refused before the scheduled time.
func TestHearingByTheLawThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := proposeListing(t, ctx)
	lc.serve(time.Now())
	pending := func(rule string) (due time.Time, ok bool) {
		err := sys.Pool.QueryRow(ctx, `SELECT due_at FROM case_deadlines WHERE case_no = $1 AND rule_id = $2 AND state = 'pending'`, lc.no, rule).Scan(&due)
		return due, err == nil
	}
	if _, ok := pending(policy.ListingHearingRequest); !ok {
		t.Fatal("no hearing request deadline after service")
	}
	var st workflows.ListingState
	lc.subject.do(http.StatusOK, http.MethodPost, lc.base+"/hearing-request", workflows.HearingRequest{Reason: "对事实认定有异议"}, &st)
	if st.Stage != workflows.StageHearing {
		t.Fatalf("after the request: %s", st.Stage)
	}

	prof, _ := policy.Default().Get(policy.DefaultProfileID)
	notice, err := prof.Deadline(calendar.Default(), policy.ListingHearingNotice, calendar.DateOf(time.Now()), true)
	if err != nil {
		t.Fatal(err)
	}
	tooSoon := notice.Due.Start().Add(10 * time.Hour) // on the last day of the notice period
	before := acceptedUpdates(t, ctx, workflows.ListingWorkflowID(lc.no))
	r := lc.cw.do(http.StatusUnprocessableEntity, http.MethodPost, lc.base+"/hearing",
		workflows.HearingSchedule{At: tooSoon, Place: "第一听证室"}, nil)
	p := problemOf(t, r)
	earliest := notice.Due.AddDays(1)
	if p.Type != "/problems/too-soon" || p.Rule != policy.ListingHearingNotice || p.Profile != policy.DefaultProfileID ||
		p.PossibleFrom == nil || calendar.DateOf(*p.PossibleFrom) != earliest ||
		len(p.Errors) != 1 || p.Errors[0].Field != "at" || p.Errors[0].Code != "notice_too_short" ||
		!strings.Contains(p.Errors[0].Message, earliest.String()) || !strings.Contains(p.Errors[0].Message, policy.ListingHearingNotice) {
		t.Fatalf("a hearing too soon: %d %s", r.status, r.body)
	}
	// Refused by the update's validator: the schedule never entered the
	// case's history (before, it was accepted and then failed).
	if after := acceptedUpdates(t, ctx, workflows.ListingWorkflowID(lc.no)); after != before {
		t.Fatalf("the refused schedule entered the history (%d accepted updates, %d before)", after, before)
	}
	if _, ok := pending(workflows.RuleHearing); ok {
		t.Fatal("a refused schedule left a hearing deadline")
	}
	at := notice.Due.AddDays(1).Start().Add(9 * time.Hour)
	lc.cw.do(http.StatusOK, http.MethodPost, lc.base+"/hearing", workflows.HearingSchedule{At: at, Place: "第一听证室"}, &st)
	if !st.HearingAt.Equal(at) || st.HearingNotifiedAt.IsZero() {
		t.Fatalf("scheduled: at %s notified %s", st.HearingAt, st.HearingNotifiedAt)
	}
	due, ok := pending(workflows.RuleHearing)
	if !ok || !due.Equal(calendar.DateOf(at).End()) {
		t.Fatalf("hearing deadline due %s (%v), want the end of %s", due, ok, calendar.DateOf(at))
	}
	var board struct {
		Items []struct {
			CaseNo string `json:"case_no"`
			Rule   string `json:"rule"`
		} `json:"items"`
	}
	lc.supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/board?kind=listing&limit=500", nil, &board)
	onBoard := false
	for _, it := range board.Items {
		onBoard = onBoard || (it.CaseNo == lc.no && it.Rule == workflows.RuleHearing)
	}
	if !onBoard {
		t.Errorf("the hearing is not on the board")
	}
	r = lc.cw.do(http.StatusUnprocessableEntity, http.MethodPost, lc.base+"/hearing-record", workflows.HearingRecord{Summary: "听证笔录"}, nil)
	if p := problemOf(t, r); len(p.Errors) != 1 || p.Errors[0].Field != "held_at" || p.Errors[0].Code != "before_hearing" {
		t.Fatalf("a record before the hearing: %d %s", r.status, r.body)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ListingWorkflowID(lc.no), filepath.Join("..", "workflows", "testdata", "histories", "listing_hearing_days.json"))
	}
}

// A provider withdraws its proposal through HTTP before the decision
// (issue 19.5): the case ends withdrawn with the letter to the subject, and
// the record is free for a new proposal. The public list shows a natural
// person's name as the case's profile says: in full under nantong, masked
// under nanning; the identity number is always masked.
func TestWithdrawalAndPublicNameThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := proposeListing(t, ctx)
	lc.serve(time.Now())
	lc.subject.do(http.StatusForbidden, http.MethodPost, lc.base+"/withdrawal", workflows.WithdrawProposalInput{Reasons: "x"}, nil)
	lc.prov.do(http.StatusUnprocessableEntity, http.MethodPost, lc.base+"/withdrawal", workflows.WithdrawProposalInput{}, nil)
	var st workflows.ListingState
	lc.prov.do(http.StatusOK, http.MethodPost, lc.base+"/withdrawal", workflows.WithdrawProposalInput{Reasons: "当事人已全部履行处罚决定，不再符合列入条件"}, &st)
	if st.Status != workflows.StatusWithdrawn || st.Outcome != workflows.OutcomeWithdrawn {
		t.Fatalf("after withdrawal: %s/%s", st.Status, st.Outcome)
	}
	d := lc.waitFor("the withdrawal letter", func(d api.ListingDetail) bool {
		return d.Listing.Status == "withdrawn" && d.State != nil && len(d.State.Documents) == 2
	})
	var docs struct {
		Documents []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"documents"`
	}
	lettersReady(t, path.Base(lc.base))
	lc.subject.do(http.StatusOK, http.MethodGet, lc.base+"/documents", nil, &docs)
	var letter int64
	for _, doc := range docs.Documents {
		if doc.Kind == "listing_withdrawn" {
			letter = doc.ID
		}
	}
	if letter == 0 {
		t.Fatalf("no withdrawal letter among %+v (state %+v)", docs.Documents, d.State.Documents)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ListingWorkflowID(lc.no), filepath.Join("..", "workflows", "testdata", "histories", "listing_withdrawn.json"))
	}
	html := lc.subject.send(http.MethodGet, fmt.Sprintf("%s/documents/%d?format=html", lc.base, letter), "", nil)
	if html.status != http.StatusOK || !strings.Contains(string(html.body), "撤回了该列入建议") || !strings.Contains(string(html.body), "当事人已全部履行处罚决定") {
		t.Errorf("withdrawal letter: %d %.300s", html.status, html.body)
	}
	var again api.ListingSummary
	lc.prov.do(http.StatusCreated, http.MethodPost, "/api/v1/listings", api.ProposeListingRequest{SubjectID: lc.subject.account.SubjectID,
		RecordIDs: []int64{lc.recordID}, Reasons: "再次提请", LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"},
		Measures: []string{"public_disclosure"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"}}, &again)
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ListingWorkflowID(again.ProposalNo), "", "test over")
	})

	// A natural person on the public list.
	var personID int64
	ident := fmt.Sprintf("32060219800101%04d", time.Now().UnixNano()%10000)
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('person', $1, '王小明') RETURNING id`, ident).Scan(&personID); err != nil {
		t.Fatal(err)
	}
	prof, _ := policy.Default().Get(policy.DefaultProfileID)
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, lc.prov.account.ProviderID, records.RecordInput{
		SubjectID: personID, Category: records.Negative, Severity: records.Serious, Disclosure: records.Public,
		Title: "拒不支付劳动报酬", DecisionNo: fmt.Sprintf("通人社罚〔IT〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-400).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var l api.ListingSummary
	lc.prov.do(http.StatusCreated, http.MethodPost, "/api/v1/listings", api.ProposeListingRequest{SubjectID: personID,
		RecordIDs: []int64{rec.ID}, Reasons: "拒不支付劳动报酬，情节严重", LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"},
		Measures: []string{"public_disclosure"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"}}, &l)
	person := &listingCase{t: t, no: l.ProposalNo, base: "/api/v1/listings/" + l.ProposalNo, subject: lc.subject, prov: lc.prov, cw: lc.cw}
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ListingWorkflowID(person.no), "", "test over")
	})
	person.waitFor("the notice", func(d api.ListingDetail) bool { return d.State != nil && len(d.State.Documents) == 1 })
	person.serve(time.Now())
	user := fmt.Sprintf("wxm%d", time.Now().UnixNano()%1_000_000)
	if _, err := auth.New(sys.Pool, 4).CreateAccount(ctx, audit.System, auth.NewAccount{Username: user, DisplayName: "王小明",
		Role: auth.Subject, SubjectID: personID, Password: seed.DemoPassword}); err != nil {
		t.Fatal(err)
	}
	logIn(t, user, seed.DemoPassword).do(http.StatusOK, http.MethodPost, person.base+"/waiver", workflows.WaiveInput{Reason: "无意见"}, nil)
	person.cw.do(http.StatusOK, http.MethodPost, person.base+"/decision", workflows.ListingDecision{List: true,
		Measures: []string{"public_disclosure"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"}, Reasons: "事实清楚"}, nil)
	shown := func() api.PublicListing {
		var pub struct {
			Listings []api.PublicListing `json:"listings"`
		}
		call(t, baseURL(), http.MethodGet, "/api/v1/public/listings", nil, &pub)
		for _, p := range pub.Listings {
			if p.ProposalNo == person.no {
				return p
			}
		}
		t.Fatalf("public list lacks %s", person.no)
		return api.PublicListing{}
	}
	if p := shown(); p.SubjectName != "王小明" || strings.Contains(p.SubjectID, ident[6:14]) {
		t.Errorf("nantong (full name): %q %q", p.SubjectName, p.SubjectID)
	}
	if _, err := sys.Pool.Exec(ctx, `UPDATE listings SET profile_id = 'nanning' WHERE proposal_no = $1`, person.no); err != nil {
		t.Fatal(err)
	}
	if p := shown(); p.SubjectName != "王**" && p.SubjectName != "王*明" && !strings.HasPrefix(p.SubjectName, "王*") {
		t.Errorf("nanning (masked): %q", p.SubjectName)
	}
}

// acceptedUpdates counts the updates a workflow's history holds.
func acceptedUpdates(t *testing.T, ctx context.Context, id string) int {
	t.Helper()
	n := 0
	it := sys.Temporal.GetWorkflowHistory(ctx, id, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			n++
		}
	}
	return n
}

package integration

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// verifiedUpheld files an objection on the record through HTTP, has the
// provider verify it as accurate and the centre uphold it in writing: the
// case is closed with the appeal window open.
func verifiedUpheld(t *testing.T, subject, cw, provider *apiUser, recordID int64, codes []string) string {
	t.Helper()
	var filed api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", map[string]any{"record_id": recordID,
		"ground_codes": codes, "grounds": []string{"工资已于处罚前结清"}, "statement": "拖欠工资已结清"}, &filed)
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
	})
	base := "/api/v1/objections/" + no
	var st workflows.ObjectionState
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", map[string]any{}, &st)
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-reply", workflows.ProviderReplyInput{Finding: workflows.FindingAccurate, Reasons: "经核对原始凭证，记录无误"}, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/decide", workflows.DecisionInput{Outcome: workflows.OutcomeUpheld, Reasons: "信息提供单位核实无误，予以维持"}, &st)
	if st.Stage != workflows.StageClosed || st.Outcome != workflows.OutcomeUpheld {
		t.Fatalf("after the decision: %s/%s", st.Stage, st.Outcome)
	}
	return no
}

func offers(t *testing.T, u *apiUser, no, action string) bool {
	t.Helper()
	var d casework.ObjectionDetail
	u.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+no, nil, &d)
	return slices.ContainsFunc(d.Actions, func(a casework.Action) bool { return a.Name == action })
}

// A disagreement that remains after the provider's verification, on the
// real stack through HTTP (issue 19.8, Anshan art. 10 last sentence): under
// the anshan profile the applicant is offered the hand-over, and taking it
// ends the centre's case, tells the provider (inbox) and hands the case to
// its system (objection.handed_over in its pull feed, with the applicant's
// words); a second hand-over is refused for the stage. Under the nantong
// profile the hand-over is neither offered nor taken: 409 no-handover names
// the setting, the profile and the appeal that applies instead.
func TestDisagreementHandedOverToProviderThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	code, providerID, nantongRec := relayProvider(t, ctx, subject.account.SubjectID)
	user := "h" + code[len(code)-9:]
	if _, err := auth.New(sys.Pool, 4).CreateAccount(ctx, audit.System, auth.NewAccount{Username: user, DisplayName: "人社局",
		Role: auth.Provider, ProviderID: providerID, Password: seed.DemoPassword}); err != nil {
		t.Fatal(err)
	}
	provider := logIn(t, user, seed.DemoPassword)
	anshan, err := policy.Default().Get("anshan")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, anshan, calendar.Default()).CreateRecord(ctx, audit.System, providerID, records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
		Title: "拖欠农民工工资", Content: "拖欠工资 8 万元", DecisionNo: fmt.Sprintf("鞍人社监〔IT〕%d号", time.Now().UnixNano()),
		DecidedOn: calendar.DateOf(time.Now()).AddDays(-30).String(),
	})
	if err != nil {
		t.Fatal(err)
	}

	no := verifiedUpheld(t, subject, cw, provider, rec.ID, []string{"error_omission"})
	base := "/api/v1/objections/" + no
	if !offers(t, subject, no, workflows.ObjectionHandOver) || offers(t, subject, no, workflows.ObjectionAppeal) {
		t.Fatal("anshan: the applicant is not offered the hand-over, or is offered an appeal its regulation does not grant")
	}
	// An appeal is refused, and the refusal says what applies instead.
	if p := problemOf(t, subject.do(http.StatusConflict, http.MethodPost, base+"/appeal", workflows.AppealInput{Grounds: "不服"}, nil)); p.Type != "/problems/wrong-stage" ||
		p.Instead != workflows.ObjectionHandOver || !strings.Contains(p.Detail, "grant no appeal") || !strings.Contains(p.Detail, "hands the case to the provider") {
		t.Fatalf("anshan appeal: %+v", p)
	}
	// The console shows the subject and the caseworker the window after
	// the reply in Anshan's words: 仍有异议 (移交), never 申诉.
	b := logInTab(t, "subject", seed.DemoPassword)
	b.open("/my/cases/" + no)
	b.wantText("已答复（仍有异议期内）", "仍有异议提出期限", "移交信息提供单位处理", "仍有异议的理由")
	if txt := b.mainText(); strings.Contains(txt, "申诉") {
		t.Errorf("the anshan case page names an appeal (申诉):\n%s", txt)
	}
	offered, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]bool](`['#do-hand-over', '#do-appeal'].map(s => !!document.querySelector(s))`))
	if err != nil || len(offered) != 2 || !offered[0] || offered[1] {
		t.Errorf("steps offered on the anshan case page (hand-over, appeal): %v, %v", offered, err)
	}
	b.check("case-anshan-replied")
	b.submit(".header-tools a[lang=en]")
	b.wantText("time to say you still disagree", "Time to say you still disagree", "hands the case to the provider")
	if txt := strings.ToLower(b.mainText()); strings.Contains(txt, "appeal") {
		t.Errorf("the anshan case page in English names an appeal:\n%s", txt)
	}
	b.check("case-anshan-replied-en")
	sb := logInTab(t, "caseworker", seed.DemoPassword)
	sb.open("/cases/" + no)
	sb.wantText("已答复（仍有异议期内）", "仍有异议提出期限", "移交信息提供单位处理")
	if txt := sb.mainText(); strings.Contains(txt, "申诉") {
		t.Errorf("the anshan case's staff page names an appeal (申诉):\n%s", txt)
	}
	sb.check("staff-case-anshan-replied")
	if p := problemOf(t, subject.do(http.StatusUnprocessableEntity, http.MethodPost, base+"/hand-over", map[string]any{"reasons": " "}, nil)); len(p.Errors) != 1 || p.Errors[0].Field != "reasons" {
		t.Fatalf("a hand-over without reasons: %+v", p)
	}
	words := "工资已于 2025 年 12 月结清，提供单位未核对银行流水"
	var st workflows.ObjectionState
	subject.do(http.StatusOK, http.MethodPost, base+"/hand-over", workflows.HandOverInput{Reasons: words}, &st)
	if st.Stage != workflows.StageFinished || st.HandedOver != words || st.HandedOverAt.IsZero() || st.Outcome != workflows.OutcomeUpheld {
		t.Fatalf("after the hand-over: %+v", st)
	}
	if p := problemOf(t, subject.do(http.StatusConflict, http.MethodPost, base+"/hand-over", workflows.HandOverInput{Reasons: "再次"}, nil)); p.Type != "/problems/wrong-stage" && p.Type != "/problems/case-finished" {
		t.Fatalf("a second hand-over: %+v", p)
	}
	// The case's workflow is done: the centre's procedure ended there.
	run := sys.Temporal.GetWorkflow(ctx, workflows.ObjectionWorkflowID(no), "")
	var final workflows.ObjectionState
	if err := run.Get(ctx, &final); err != nil || final.HandedOver != words {
		t.Fatalf("workflow result %+v: %v", final, err)
	}
	var appealWindow string
	if err := sys.Pool.QueryRow(ctx, `SELECT state FROM case_deadlines WHERE case_no = $1 AND rule_id = $2`, no, policy.ObjectionAppealWindow).Scan(&appealWindow); err != nil || appealWindow != "met" {
		t.Errorf("appeal window %q (%v); want met by the hand-over", appealWindow, err)
	}

	// The provider's system: objection.handed_over in its pull feed.
	var feed relay.FeedPage
	provider.do(http.StatusOK, http.MethodGet, "/api/v1/feed?limit=100", nil, &feed)
	handed := 0
	for _, e := range feed.Events {
		if e.Type == relay.ObjectionHandedOver && e.CaseNo == no {
			handed++
			if d := string(e.Data); !strings.Contains(d, words) || !strings.Contains(d, `"outcome":"upheld"`) || !strings.Contains(d, `"finding":"accurate"`) {
				t.Errorf("hand-over event data: %s", d)
			}
		}
	}
	if handed != 1 {
		t.Errorf("%d objection.handed_over events in the provider's feed; want 1", handed)
	}
	// The provider's account: an inbox notice.
	var inbox struct {
		Notifications []supervision.Notification `json:"notifications"`
	}
	provider.do(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil, &inbox)
	if !slices.ContainsFunc(inbox.Notifications, func(n supervision.Notification) bool { return n.CaseNo == no && n.Kind == "handover" }) {
		t.Errorf("provider inbox %+v; want the hand-over", inbox.Notifications)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ObjectionWorkflowID(no), filepath.Join("..", "workflows", "testdata", "histories", "objection_handed_over.json"))
	}

	// Nantong: the appeal to the credit authority instead (art. 33).
	other := verifiedUpheld(t, subject, cw, provider, nantongRec.ID, nil)
	if offers(t, subject, other, workflows.ObjectionHandOver) || !offers(t, subject, other, workflows.ObjectionAppeal) {
		t.Fatal("nantong: the hand-over is offered, or the appeal is not")
	}
	p := problemOf(t, subject.do(http.StatusConflict, http.MethodPost, "/api/v1/objections/"+other+"/hand-over", workflows.HandOverInput{Reasons: words}, nil))
	if p.Type != "/problems/no-handover" || p.Rule != workflows.SettingDisagreementHandover || p.Profile != "nantong" ||
		p.Instead != workflows.ObjectionAppeal || !strings.Contains(p.Detail, "appeal") {
		t.Fatalf("nantong hand-over: %+v", p)
	}
	subject.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+other+"/appeal", workflows.AppealInput{Grounds: words}, &st)
	if st.Stage != workflows.StageAppeal {
		t.Fatalf("nantong appeal after the refused hand-over: %s", st.Stage)
	}
}

package integration

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// hrssRecord gives the demo company a negative record from the human
// resources bureau (a provider no other test gives it records from) of a
// dishonesty category of its own, decided daysAgo: "same kind" for repair
// then depends on this test's records only.
func hrssRecord(t *testing.T, title, category string, daysAgo int) records.Record {
	t.Helper()
	ctx := context.Background()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	var subjectID int64
	if err := sys.Pool.QueryRow(ctx, `SELECT subject_id FROM accounts WHERE username = 'subject'`).Scan(&subjectID); err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.Actor{Username: "console-test", Role: "caseworker"},
		demo.ProviderIDs["nt-hrss"], records.RecordInput{
			SubjectID: subjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
			DishonestyCategory: category, Title: title, Content: "责令限期改正，罚款人民币 2 万元",
			DecisionNo: fmt.Sprintf("通人社监罚〔2026〕%d号", time.Now().UnixNano()%1000000),
			DecidedOn:  calendar.DateOf(time.Now()).AddDays(-daysAgo).String(),
		})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// a Chinese date as the console writes it, e.g. 2026年12月14日
var chineseDateText = regexp.MustCompile(`[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日`)

// TestConsoleSubjectRepair: a subject sees on "my records" whether each
// negative record can be repaired now or from which date; a record decided
// 20 days ago shows its unmet condition with the date and offers no
// application; on an eligible record it applies — the conditions, the
// credit commitment read and signed, evidence, check your answers — and a
// caseworker accepts (through the API): the case page shows the stage in
// words, the acceptance notice and the signed commitment on file. An
// application whose record gets a repeat of the same kind while the
// subject checks its answers is refused by the core, and the page shows
// the unmet condition with the date it is met.
func TestConsoleSubjectRepair(t *testing.T) {
	ok := hrssRecord(t, "未按时足额支付劳动报酬", "拖欠劳动报酬", 200)
	early := hrssRecord(t, "未依法参加社会保险", "未依法参保", 20)
	raced := hrssRecord(t, "用人单位未签订书面劳动合同", "未签订劳动合同", 300)

	b := newTab(t)
	b.open("/login")
	b.fill("#username", "subject")
	b.fill("#password", seed.DemoPassword)
	b.submit("main form button[type=submit]")

	b.open("/my/records")
	if got := b.text(fmt.Sprintf("#repair-%d", ok.ID)); !strings.Contains(got, "现在可以申请信用修复") {
		t.Errorf("eligible record's answer: %q", got)
	}
	earlyAnswer := b.text(fmt.Sprintf("#repair-%d", early.ID))
	if !strings.Contains(earlyAnswer, "起申请信用修复") || !chineseDateText.MatchString(earlyAnswer) {
		t.Errorf("early record's answer without its date: %q", earlyAnswer)
	}
	b.check("my-records-repair")

	// The early record: the shortest period is not over, with its date; no application.
	b.submit(fmt.Sprintf("#repair-link-%d", early.ID))
	b.wantText("信用修复条件核验", "现在还不能申请信用修复", "最短公示期", "未满足", "申请时提交")
	if from := b.text("#conditions .unmet .from"); !chineseDateText.MatchString(from) {
		t.Errorf("unmet condition without its date: %q", from)
	}
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#start-repair').length`)); err != nil || n != 0 {
		t.Errorf("an application is offered on an ineligible record: %d %v", n, err)
	}
	b.check("repair-not-yet")

	// The eligible record: conditions, then the form.
	b.open(fmt.Sprintf("/my/records/%d/repair", ok.ID))
	b.wantText("现在可以申请信用修复", "满足", "近一年内无同类（拖欠劳动报酬）失信行为", "申请步骤")
	b.check("repair-eligible")
	b.submit("#start-repair")
	b.wantText("申请信用修复", "信用承诺书", "郑重承诺", "未按时足额支付劳动报酬", "南通恒达建材有限公司")
	b.check("repair-form")

	// Nothing signed, no evidence: both named in the summary.
	b.submit("#repair-continue")
	if got := b.text(".error-summary"); !strings.Contains(got, "请阅读并签署信用承诺书") || !strings.Contains(got, "请上传至少一份证明材料") {
		t.Errorf("refused application summary: %q", got)
	}
	b.check("repair-form-refused")
	b.fill("#statement", "已足额支付拖欠的劳动报酬并缴纳罚款，整改完毕。")
	b.do("sign", chromedp.Click(chromedp.CSS("#commitment_accepted"), chromedp.NodeVisible))
	b.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#evidence"), evidenceFiles(t)))
	b.submit("#repair-continue")
	b.wantText("提交前请核对", "已阅读并签署《信用承诺书》", "付款凭证.pdf", "receipt.png", "已足额支付拖欠的劳动报酬")
	b.check("repair-check")
	b.submit("#submit-repair")
	if !strings.HasPrefix(b.path(), "/my/cases/XF-") {
		t.Fatalf("after applying at %s", b.path())
	}
	no := strings.TrimPrefix(strings.SplitN(b.path(), "?", 2)[0], "/my/cases/")
	b.wantText("信用修复申请已提交", no, "受理审查", "信用承诺书.pdf", "付款凭证.pdf", "办理期限")
	b.check("repair-filed")

	// The caseworker accepts through the API: the page shows the provider's
	// turn, its deadline, and the acceptance notice to download.
	cw := logIn(t, "caseworker", seed.DemoPassword)
	awaitUntil(t, "the application's acceptance stage", func() bool {
		var d struct {
			Live *struct{ Stage string } `json:"live"`
		}
		cw.do(http.StatusOK, http.MethodGet, "/api/v1/repairs/"+no, nil, &d)
		return d.Live != nil && d.Live.Stage == workflows.StageAcceptance
	})
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/repairs/"+no+"/accept", map[string]any{}, nil)
	awaitUntil(t, "the acceptance notice", func() bool {
		var docs struct {
			Documents []struct{ Kind string } `json:"documents"`
		}
		cw.do(http.StatusOK, http.MethodGet, "/api/v1/repairs/"+no, nil, &docs)
		return len(docs.Documents) > 0
	})
	lettersReady(t, no)
	b.open("/my/cases/" + no)
	b.wantText("信息提供单位出具修复意见", "信用修复申请受理通知书", "下载 PDF", "受理时核验的修复条件")
	if !chineseDateText.MatchString(b.text("#next-deadline")) {
		t.Errorf("next deadline without its date: %q", b.text("#next-deadline"))
	}
	b.check("repair-accepted")
	b.open("/my/cases")
	b.wantText(no, "信用修复", "信息提供单位出具修复意见")

	// A repeat of the same kind arrives while the subject checks its
	// answers: the core refuses the application and the page shows the
	// unmet condition with the date from which it is met.
	b.open(fmt.Sprintf("/my/records/%d/repair/apply", raced.ID))
	b.do("sign", chromedp.Click(chromedp.CSS("#commitment_accepted"), chromedp.NodeVisible))
	b.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#evidence"), evidenceFiles(t)[:1]))
	b.submit("#repair-continue")
	b.wantText("提交前请核对")
	hrssRecord(t, "再次未签订书面劳动合同", "未签订劳动合同", 10)
	b.submit("#submit-repair")
	b.wantText("不符合信用修复条件", "存在同类失信行为", "未满足")
	if from := b.text("#conditions .unmet .from"); !chineseDateText.MatchString(from) {
		t.Errorf("refused application: unmet condition without its date: %q", from)
	}
	b.check("repair-refused")
}

// TestConsoleSubjectRepairCorrected: a record followed within the year by
// a record of the same kind cannot be repaired yet, and the page says from
// when. The subject gives the day it corrected the behaviour (issue 19.3,
// Nantong art. 34(二)): a day before the record's decision is refused at its
// field; a day after the repeat makes "same kind" count from it and the
// application possible; the day goes through the form and "check your
// answers" into the filing, and the case page's conditions count from it.
// The files filed download from the subject's case page and through the
// API (byte for byte, for the caseworker too); another provider's staff get
// 404.
func TestConsoleSubjectRepairCorrected(t *testing.T) {
	first := hrssRecord(t, "未按规定办理劳动用工备案", "未办理用工备案", 300)
	hrssRecord(t, "再次未按规定办理劳动用工备案", "未办理用工备案", 120)
	today := calendar.DateOf(time.Now())

	b := newTab(t)
	b.open("/login")
	b.fill("#username", "subject")
	b.fill("#password", seed.DemoPassword)
	b.submit("main form button[type=submit]")

	b.open(fmt.Sprintf("/my/records/%d/repair", first.ID))
	b.wantText("现在还不能申请信用修复", "存在同类失信行为", "纠正失信行为之日")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#start-repair').length`)); err != nil || n != 0 {
		t.Errorf("an application is offered with a repeat of the same kind: %d %v", n, err)
	}

	// A day before the record's decision: refused at the field, nothing else changes.
	b.fill("#corrected_on", today.AddDays(-400).String())
	b.submit("#corrected-check")
	if got := b.text("#corrected_on-error"); !strings.Contains(got, "纠正之日不能早于该信息的决定日期") {
		t.Errorf("day before the decision: field error %q", got)
	}
	if got := b.text(".error-summary"); !strings.Contains(got, "纠正之日不能早于") {
		t.Errorf("day before the decision: summary %q", got)
	}
	b.wantText("现在还不能申请信用修复")
	b.check("repair-corrected-refused")

	// Corrected after the repeat: "same kind" counts from that day and is met.
	day := today.AddDays(-60)
	chineseDay := fmt.Sprintf("%d年%d月%d日", day.Year, int(day.Month), day.Day)
	b.fill("#corrected_on", day.String())
	b.submit("#corrected-check")
	b.wantText("现在可以申请信用修复", "自纠正之日（"+chineseDay+"）起一年内无同类（未办理用工备案）失信行为")
	b.check("repair-corrected")
	b.submit("#start-repair")
	if v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#corrected_on').value`)); err != nil || v != day.String() {
		t.Errorf("the form does not keep the correction day: %q %v", v, err)
	}
	b.do("sign", chromedp.Click(chromedp.CSS("#commitment_accepted"), chromedp.NodeVisible))
	b.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#evidence"), evidenceFiles(t)))
	b.submit("#repair-continue")
	if got := b.text("#check-corrected"); got != chineseDay {
		t.Errorf("check your answers: correction day %q, want %q", got, chineseDay)
	}
	b.check("repair-corrected-check")
	b.submit("#submit-repair")
	if !strings.HasPrefix(b.path(), "/my/cases/XF-") {
		t.Fatalf("after applying at %s", b.path())
	}
	no := strings.TrimPrefix(strings.SplitN(b.path(), "?", 2)[0], "/my/cases/")
	awaitUntil(t, "the conditions as checked at filing", func() bool {
		b.open("/my/cases/" + no)
		return strings.Contains(b.mainText(), "受理时核验的修复条件")
	})
	b.wantText("自纠正之日（"+chineseDay+"）起一年内无同类（未办理用工备案）失信行为", "付款凭证.pdf", "receipt.png", "信用承诺书.pdf")

	// The evidence downloads from the case page as filed.
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#evidence-list a')].find(a => a.textContent === '付款凭证.pdf').getAttribute('href')`))
	if err != nil || !strings.HasPrefix(href, "/my/cases/"+no+"/evidence/") {
		t.Fatalf("evidence link: %q %v", href, err)
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch('`+href+`').then(async r => r.status + ' ' + r.headers.get('content-type') + ' ' + (await r.text()))`, chromedp.EvalAwaitPromise))
	if err != nil || got != "200 application/pdf "+string(evidencePDF("console")) {
		t.Errorf("evidence from the case page: %q %v", got, err)
	}
	b.check("repair-corrected-filed")

	// Through the API: the subject and the caseworker get the same bytes;
	// staff of another provider do not learn the file exists.
	apiPath := strings.Replace(href, "/my/cases/", "/api/v1/repairs/", 1)
	for _, who := range []string{"subject", "caseworker"} {
		r := logIn(t, who, seed.DemoPassword).send(http.MethodGet, apiPath, "", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" || string(r.body) != string(evidencePDF("console")) {
			t.Errorf("%s downloads the evidence: %d %q", who, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := logIn(t, "provider", seed.DemoPassword).send(http.MethodGet, apiPath, "", nil); r.status != http.StatusNotFound {
		t.Errorf("another provider's staff: %d, want 404", r.status)
	}
}

// TestConsoleSubjectListing: a listing is proposed against the subject and
// its notice served (through the API); the subject finds it among its
// cases, reads the stage, the representation deadline and the notice,
// sees the three things it may do (statements, a hearing, waiving), and
// files a statement of two points through "check your answers"; the page
// then lists both points as not answered yet, and reads the same in
// English.
func TestConsoleSubjectListing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lc := proposeListing(t, ctx)
	lc.serve(time.Now())
	lc.waitFor("the representation stage", func(d api.ListingDetail) bool {
		return d.State != nil && d.State.Stage == workflows.StageRepresentation
	})

	b := newTab(t)
	b.open("/login")
	b.fill("#username", "subject")
	b.fill("#password", seed.DemoPassword)
	b.submit("main form button[type=submit]")
	// The inbox: the notice served, unread, opens its case and is read then.
	b.open("/my/inbox")
	b.wantText("我的通知", lc.no, "告知书已送达", "未读")
	b.check("my-inbox")
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`[...document.querySelectorAll('#notices li')].find(li => li.textContent.includes(%q) && li.textContent.includes('告知书已送达')).id`, lc.no)))
	if err != nil || !strings.HasPrefix(id, "notice-") {
		t.Fatalf("the served notice in the inbox: %q %v", id, err)
	}
	b.submit("#" + id + " .notice-actions form button")
	if !strings.HasPrefix(b.path(), "/my/cases/"+lc.no) {
		t.Errorf("the notice opens %s, want its case", b.path())
	}
	b.open("/my/inbox?unread=1")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#`+id+`').length`)); err != nil || n != 0 {
		t.Errorf("the opened notice is still unread: %d %v", n, err)
	}
	b.check("my-inbox-unread")

	b.open("/my/cases")
	b.wantText(lc.no, "列入严重失信名单", "陈述申辩期")
	b.check("my-cases")

	b.open("/my/cases/" + lc.no)
	b.wantText("陈述申辩期", "告知书已送达", "陈述申辩意见", "申请听证", "放弃陈述申辩", "拒不履行行政处罚决定", "限制参加政府采购、招标投标")
	if next := b.text("#next-deadline"); !chineseDateText.MatchString(next) || !strings.Contains(next, "您") {
		t.Errorf("the subject's deadline: %q", next)
	}
	b.check("listing-notice")

	b.fill("#statements-statement", "本公司已于处罚决定作出后全额缴纳罚款。\n\n拟列入的期限过长，请求从轻处理。")
	b.submit("#do-statements")
	b.wantText("提交前请核对", "提交陈述申辩", "本公司已于处罚决定作出后全额缴纳罚款。", "拟列入的期限过长")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#check-points li').length`)); err != nil || n != 2 {
		t.Errorf("points on the check page: %d %v", n, err)
	}
	b.check("listing-statement-check")
	b.submit("#confirm-step")
	b.wantText("陈述申辩意见已提交", "陈述申辩意见及答复", "本公司已于处罚决定作出后全额缴纳罚款。", "尚未答复")
	b.check("listing-statement-filed")
	st := lc.detail()
	if st.State == nil || len(st.State.Points) != 2 {
		t.Fatalf("points on the case: %+v", st.State)
	}

	// A hearing as well (行政处罚法 art. 64): the reason, check your
	// answers, and the page says the centre will say when and where; the
	// request is not offered twice.
	b.do("open the hearing request", chromedp.Click(chromedp.CSS("#actions-hearing-request summary"), chromedp.NodeVisible))
	b.fill("#hearing-request-reason", "请求当面说明罚款缴纳情况。")
	b.submit("#do-hearing-request")
	b.wantText("提交前请核对", "申请听证的说明", "请求当面说明罚款缴纳情况。")
	b.check("listing-hearing-check")
	b.submit("#confirm-step")
	b.wantText("听证申请已提交", "当前阶段：听证", "您已要求听证", "要求听证（信息主体）")
	if n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#do-hearing-request').length`)); err != nil || n != 0 {
		t.Errorf("a hearing request is offered again: %d %v", n, err)
	}
	b.check("listing-hearing-requested")
	if st := lc.detail(); st.State == nil || !st.State.HearingRequested {
		t.Fatalf("the hearing request is not on the case: %+v", st.State)
	}

	b.submit(".header-tools a[lang=en]")
	b.wantText("Your statements and the answers", "Not answered yet", "Written notices", "You asked for a hearing")
	b.check("listing-statement-filed-en")
}

// awaitUntil polls ok until it holds.
func awaitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for range 150 {
		if ok() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

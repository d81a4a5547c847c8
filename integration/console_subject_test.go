package integration

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/workflows"
)

// consoleRecord gives the demo organisation (the "subject" account) a fresh
// negative record of its own, so that the journey does not meet another
// test's open objection.
func consoleRecord(t *testing.T, title string) records.Record {
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
	st := records.NewStore(sys.Pool, prof, calendar.Default())
	rec, err := st.CreateRecord(ctx, audit.Actor{Username: "console-test", Role: "caseworker"}, demo.ProviderIDs["nt-market"], records.RecordInput{
		SubjectID: subjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
		DishonestyCategory: "", Title: title, Content: "罚款人民币 5000 元",
		DecisionNo: fmt.Sprintf("通市监处罚〔2026〕%d号", time.Now().UnixNano()%100000), DecidedOn: calendar.DateOf(time.Now().AddDate(0, -2, 0)).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// evidenceFiles writes a PDF and a PNG for the browser's file input.
func evidenceFiles(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	pdf := filepath.Join(dir, "付款凭证.pdf")
	if err := os.WriteFile(pdf, evidencePDF("console"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, 15, color.Black)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "receipt.png")
	if err := os.WriteFile(shot, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{pdf, shot}
}

// TestConsoleSubjectObjection: a subject logs in, files an objection on one
// of its records with two evidence files (grounds, statement, check your
// answers), sees the case with its deadlines; after a one-time notice from
// the caseworker it supplies the missing material; after the caseworker
// accepts (through the core, over the API) it downloads the acceptance
// notice. The case page prints, and reads the same in English.
func TestConsoleSubjectObjection(t *testing.T) {
	rec := consoleRecord(t, "未按期公示年度报告")
	b := newTab(t)
	b.open("/login")
	b.fill("#username", "subject")
	b.fill("#password", seed.DemoPassword)
	b.submit("main form button[type=submit]")

	b.open("/my/records")
	b.wantText("未按期公示年度报告", "失信信息", "对此记录提出异议")
	b.check("my-records")
	b.submit(fmt.Sprintf("#object-%d", rec.ID))
	b.wantText("对信用记录提出异议", "未按期公示年度报告")
	b.check("objection-form")

	// nothing chosen: the summary names both fields
	b.submit("main form button[type=submit]")
	if got := b.text(".error-summary"); !strings.Contains(got, "请至少选择一项异议理由") || !strings.Contains(got, "请写明异议事项和理由") {
		t.Errorf("refused filing summary: %q", got)
	}
	b.check("objection-form-refused")

	b.do("choose grounds", chromedp.Click(chromedp.CSS("#grounds-0"), chromedp.NodeVisible))
	b.fill("#statement", "年度报告已于规定期限内通过国家企业信用信息公示系统报送，附报送回执。")
	b.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#evidence"), evidenceFiles(t)))
	b.submit("main form button[type=submit]")
	b.wantText("提交前请核对", "与事实不符，存在记载错误或者遗漏", "第三十一条第一项", "付款凭证.pdf", "receipt.png", "年度报告已于规定期限内")
	b.check("objection-check")
	b.submit("#submit-objection")

	if !strings.HasPrefix(b.path(), "/my/cases/") {
		t.Fatalf("after filing at %s", b.path())
	}
	caseNo := strings.TrimPrefix(strings.SplitN(b.path(), "?", 2)[0], "/my/cases/")
	b.wantText("异议已提交", caseNo, "受理审查", "付款凭证.pdf", "receipt.png", "办理期限")
	b.check("case-filed")

	// the caseworker sends a one-time notice, through the core
	cw := logIn(t, "caseworker", seed.DemoPassword)
	waitStage(t, cw, caseNo, workflows.StageAcceptance)
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+caseNo+"/"+workflows.ObjectionRequestSupplement,
		map[string]any{"missing": []string{"年度报告报送回执原件扫描件"}}, nil)

	b.open("/my/cases/" + caseNo)
	b.wantText("等待补正材料", "一次性告知", "年度报告报送回执原件扫描件", "补正材料")
	b.check("case-one-time-notice")
	b.fill("#supplement-statement", "补充报送回执原件扫描件。")
	b.do("choose files", chromedp.SetUploadFiles(chromedp.CSS("#supplement-evidence"), evidenceFiles(t)[:1]))
	b.submit("#do-supplement")
	b.wantText("提交前请核对", "补充报送回执原件扫描件。", "付款凭证.pdf")
	b.check("supplement-check")
	b.submit("#confirm-step")
	b.wantText("补正材料已提交", "付款凭证.pdf")

	waitStage(t, cw, caseNo, workflows.StageAcceptance)
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+caseNo+"/"+workflows.ObjectionAccept, map[string]any{}, nil)
	waitStage(t, cw, caseNo, workflows.StageCentreCheck)
	lettersReady(t, caseNo) // its PDF is made a moment after the acceptance

	// the acceptance notice is there to download; the next deadline is the centre's
	b.open("/my/cases/" + caseNo)
	b.wantText("工作机构核查", "工作机构", "个工作日", "下载 PDF")
	if !chineseDate.MatchString(b.text("#next-deadline")) {
		t.Errorf("next deadline without its date: %q", b.text("#next-deadline"))
	}
	b.check("case-accepted")
	// only the steps the stage allows are offered: withdraw, not supplement or appeal
	offered, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]bool](
		`['#do-withdraw', '#do-supplement', '#do-appeal'].map(s => !!document.querySelector(s))`))
	if err != nil || len(offered) != 3 || !offered[0] || offered[1] || offered[2] {
		t.Errorf("steps offered at the centre's check (withdraw, supplement, appeal): %v, %v", offered, err)
	}
	href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("#letters a"), "href"))
	if err != nil || href.Value == "" {
		t.Fatalf("no letter to download: %v", err)
	}
	dl, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](fmt.Sprintf(
		`fetch(%q).then(async r => ({status: r.status, type: r.headers.get('content-type'), head: (await r.text()).slice(0, 5)}))`, href.Value),
		chromedp.EvalAwaitPromise))
	if err != nil || dl["status"] != float64(200) || dl["type"] != "application/pdf" || dl["head"] != "%PDF-" {
		t.Errorf("acceptance notice download: %v, %v", dl, err)
	}
	// the explanation of a deadline is there on demand
	if txt, err := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS("#deadlines details"))); err != nil || !strings.Contains(txt, "为什么是这一天") {
		t.Errorf("deadline explanation: %q, %v", txt, err)
	}

	b.open("/my/cases/" + caseNo + "?print=1")
	b.screenshot("case-print")

	b.open("/my/cases/" + caseNo)
	b.submit(".header-tools a[lang=en]")
	b.wantText("Where the case stands", "The centre's check", "working days left", "Written notices")
	b.check("case-accepted-en")

	// the clock paused for an expert test, resumed, the limit extended:
	// the subject reads each in its inbox, with the new date and why
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+caseNo+"/pause",
		workflows.PauseInput{Kind: "expert_test", Reason: "笔迹鉴定", Approver: "王主任"}, nil)
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+caseNo+"/resume", workflows.ResumeInput{Reason: "鉴定完毕"}, nil)
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/objections/"+caseNo+"/extend", workflows.ExtendInput{Reason: "案情复杂", Approver: "王主任"}, nil)
	subj := logIn(t, "subject", seed.DemoPassword)
	awaitUntil(t, "the subject's notices of the pause and the extension", func() bool {
		var inbox struct {
			Notifications []supervision.Notification `json:"notifications"`
		}
		subj.do(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil, &inbox)
		kinds := map[string]bool{}
		for _, n := range inbox.Notifications {
			if n.CaseNo == caseNo {
				kinds[n.Kind] = true
			}
		}
		return kinds["case.paused"] && kinds["deadline.lengthened"]
	})
	b.open("/my/inbox")
	b.wantText("the case clock stands still from", "an expert test or appraisal (笔迹鉴定)", "the head of the centre approved an extension (案情复杂)", "now ends at")
	b.check("my-inbox-pause-extension-en")
	b.submit(".header-tools a[lang^=zh]")
	b.wantText("因检验鉴定（笔迹鉴定），本案自", "起中止计时", "因负责人批准延长办理期限（案情复杂），异议处理期限的届满日由", "顺延至")
	b.check("my-inbox-pause-extension")

	// another subject's case is not found
	other := newTab(t)
	other.open("/login")
	other.fill("#username", "caseworker")
	other.fill("#password", seed.DemoPassword)
	other.submit("main form button[type=submit]")
	resp, err := chromedp.RunResponse(other.ctx, chromedp.Navigate(other.base+"/my/cases/"+caseNo))
	if err != nil || resp.Status != http.StatusForbidden {
		t.Errorf("a caseworker on the subject's case page: %v, %v", resp, err)
	}
}

// waitStage waits until the case's projection shows stage.
func waitStage(t *testing.T, u *apiUser, caseNo, stage string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var d struct {
			Case struct {
				Stage string `json:"stage"`
			} `json:"case"`
			Live *struct {
				Stage string `json:"stage"`
			} `json:"live"`
		}
		u.do(http.StatusOK, http.MethodGet, "/api/v1/objections/"+caseNo, nil, &d)
		if d.Live != nil && d.Live.Stage == stage && d.Case.Stage == stage {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("case %s stays at %s/%v, want %s", caseNo, d.Case.Stage, d.Live, stage)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

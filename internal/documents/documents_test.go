package documents

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/creditcase/creditcase/internal/calendar"
)

// pdfText extracts the text of a PDF with pdftotext (poppler-utils, which
// `make setup` installs) and its page count with pdfinfo, all whitespace
// removed from the text so that line breaks do not matter.
func pdfText(t *testing.T, pdf []byte) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed: run scripts/setup.sh")
		}
		t.Skip("pdftotext (poppler-utils) is not installed: run scripts/setup.sh")
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gave no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(string(m[1]))
	return strings.Join(strings.Fields(string(out)), ""), pages
}

// checkPDFStructure checks the header, the trailer and that the page tree
// holds as many pages as there are page objects.
func checkPDFStructure(t *testing.T, pdf []byte) int {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.")) {
		t.Fatalf("no PDF header: %q", pdf[:min(16, len(pdf))])
	}
	if !bytes.HasSuffix(bytes.TrimSpace(pdf), []byte("%%EOF")) || !bytes.Contains(pdf, []byte("startxref")) || !bytes.Contains(pdf, []byte("trailer")) {
		t.Fatal("no trailer, startxref or end-of-file marker")
	}
	pages := len(regexp.MustCompile(`/Type /Page\b[^s]`).FindAll(pdf, -1))
	m := regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no page tree")
	}
	if n, _ := strconv.Atoi(string(m[1])); n != pages || n == 0 {
		t.Fatalf("page tree counts %d, page objects %d", n, pages)
	}
	return pages
}

func TestEveryKindHasSampleAndTemplate(t *testing.T) {
	s := samples()
	for _, k := range Kinds() {
		if _, ok := s[k]; !ok {
			t.Errorf("kind %s has no sample in fixtures_test.go", k)
		}
		if k.Title() == "" || k.Recipient() == "" {
			t.Errorf("kind %s has no title or recipient", k)
		}
		d, err := NewData(k)
		if err != nil || d.Kind() != k {
			t.Errorf("NewData(%s) = %v, %v", k, d, err)
		}
	}
	if _, err := parseTemplates(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewData("nope"); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("NewData(nope): %v", err)
	}
}

func TestRenderEveryKind(t *testing.T) {
	for k, d := range samples() {
		t.Run(string(k), func(t *testing.T) {
			r, err := Render(k, d)
			if err != nil {
				t.Fatal(err)
			}
			h := d.header()
			if r.Kind != k || r.Title != k.Title() || r.Number != h.Number || r.CaseRef != h.CaseRef || r.Recipient != k.Recipient() || len(r.SHA256) != 64 {
				t.Fatalf("rendered %+v", Meta{Kind: r.Kind, Title: r.Title, Number: r.Number, CaseRef: r.CaseRef, Recipient: r.Recipient, SHA256: r.SHA256})
			}
			html := string(r.HTML)
			for _, want := range []string{"<!DOCTYPE html>", `lang="zh-CN"`, k.Title(), h.Number, h.Addressee + "：", h.Organ, "2026年11月23日", `<p class="seal">` + h.Seal} {
				if !strings.Contains(html, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
			pages := checkPDFStructure(t, r.PDF)
			text, n := pdfText(t, r.PDF)
			if n != pages {
				t.Errorf("pdfinfo says %d pages, page tree %d", n, pages)
			}
			for _, want := range []string{k.Title(), h.Number, h.Addressee + "：", h.Organ, "2026年11月23日", "—1—"} {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// Every outcome prints its own wording, and only its own.
func TestOutcomeWording(t *testing.T) {
	base := *samples()[KindObjectionResult].(*ObjectionResult)
	for outcome, want := range map[Outcome]string{
		OutcomeCorrected: "更正后的信息为：罚款人民币贰万元整。",
		OutcomeUpheld:    "予以维持；本中心已撤销该信息的异议标注",
		OutcomeDeleted:   "无法核实其真实性，本中心已予以删除",
	} {
		d := base
		d.Outcome = outcome
		r, err := Render(KindObjectionResult, d)
		if err != nil {
			t.Fatal(err)
		}
		html := string(r.HTML)
		if !strings.Contains(html, want) {
			t.Errorf("%s: lacks %q", outcome, want)
		}
		if strings.Count(html, "处理结果：") != 1 {
			t.Errorf("%s: %d outcome paragraphs", outcome, strings.Count(html, "处理结果："))
		}
		for _, remedy := range []string{"依照《南通市公共信用信息管理办法》第三十三条的规定，你对上述处理结果不服的，可以向南通市发展和改革委员会提出申诉，请于收到本告知书之日起60日内提出；对申诉决定不服的，可以依法申请行政复议或者提起行政诉讼。"} {
			if !strings.Contains(html, remedy) {
				t.Errorf("%s: lacks remedy %q", outcome, remedy)
			}
		}
	}
	// An appeal decision offers review and litigation, not another appeal.
	r, err := Render(KindAppealDecision, samples()[KindAppealDecision])
	if err != nil {
		t.Fatal(err)
	}
	if html := string(r.HTML); strings.Contains(html, "申诉") && !strings.Contains(html, "提出申诉。") || !strings.Contains(html, "你对本决定不服的，可以自收到本决定书之日起60日内向南通市人民政府申请行政复议，也可以自收到本决定书之日起6个月内向有管辖权的人民法院提起行政诉讼（《中华人民共和国行政复议法》第二十条第一款、《中华人民共和国行政诉讼法》第四十六条第一款）。") {
		t.Errorf("appeal remedies wrong:\n%s", html)
	}
}

func TestSupplementListsEveryMissingItem(t *testing.T) {
	d := samples()[KindSupplement].(*SupplementNotice)
	r, err := Render(KindSupplement, d)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pdfText(t, r.PDF)
	for i, item := range d.Missing {
		want := strconv.Itoa(i+1) + "．" + strings.Join(strings.Fields(item), "")
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if !strings.Contains(text, "一次性告知") || !strings.Contains(text, "2026年11月30日24时前（5个工作日内）") {
		t.Errorf("PDF lacks the one-time notice or the due date:\n%s", text)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	d := samples()[KindVerification]
	a, err := Render(KindVerification, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(KindVerification, d)
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 || !bytes.Equal(a.PDF, b.PDF) || !bytes.Equal(a.HTML, b.HTML) {
		t.Fatal("two renders of the same data differ")
	}
	c := *d.(*VerificationRequest)
	c.Number = FormatNumber("通信异核字", 2026, 99)
	o, err := Render(KindVerification, &c)
	if err != nil {
		t.Fatal(err)
	}
	if o.SHA256 == a.SHA256 {
		t.Fatal("different data, same hash")
	}
}

func TestHTMLEscapesData(t *testing.T) {
	d := *samples()[KindAcceptance].(*AcceptanceNotice)
	d.Addressee = `<script>alert("x")</script>&Co`
	d.Record.Title = `"><img src=x onerror=alert(1)>`
	r, err := Render(KindAcceptance, d)
	if err != nil {
		t.Fatal(err)
	}
	html := string(r.HTML)
	if strings.Contains(html, "<script>") || strings.Contains(html, "<img") {
		t.Fatalf("unescaped data in HTML:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;") {
		t.Fatal("escaped addressee missing")
	}
	text, _ := pdfText(t, r.PDF)
	if !strings.Contains(text, `<script>alert("x")</script>&Co：`) {
		t.Fatalf("PDF does not show the addressee as written:\n%s", text)
	}
}

func TestLongDocumentPaginatesAndWraps(t *testing.T) {
	d := *samples()[KindObjectionResult].(*ObjectionResult)
	d.Reasons = nil
	for i := range 40 {
		d.Reasons = append(d.Reasons, "第"+strconv.Itoa(i+1)+"项：经信息提供单位核查，该条记录所载处罚事由、处罚依据、处罚金额及履行情况与原行政处罚决定书记载一致，申请人提交的证据材料不足以证明其主张（编号ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789）。")
	}
	d.Outcome = OutcomeUpheld
	r, err := Render(KindObjectionResult, d)
	if err != nil {
		t.Fatal(err)
	}
	pages := checkPDFStructure(t, r.PDF)
	if pages < 4 {
		t.Fatalf("%d pages for 40 long paragraphs", pages)
	}
	text, n := pdfText(t, r.PDF)
	if n != pages {
		t.Fatalf("pdfinfo %d pages, page tree %d", n, pages)
	}
	for _, want := range []string{"第1项：", "第40项：", "特此告知。", "—" + strconv.Itoa(pages) + "—", "南通市公共信用信息中心2026年11月23日"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
}

// measureUnits measures for wrap tests: CJK characters 1, others 0.5.
func measureUnits(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x2E80 {
			w += 0.5
		} else {
			w++
		}
	}
	return w
}

func TestWrap(t *testing.T) {
	for _, in := range []string{
		"你于2026年11月20日提出的信用信息异议申请，本中心已受理（案号ABCDEFGHIJKLMNOPQRSTUVWXYZ）。“引号内文字”、《某某办法》第十条。",
		// "）。" falls after a full second line: one closer may hang
		// beyond the margin, not two; "癸" goes down with them.
		"一二三四五六七八甲乙丙丁戊己庚辛壬癸）。其后文字",
	} {
		checkWrap(t, in)
	}
}

func checkWrap(t *testing.T, in string) {
	t.Helper()
	const first, rest = 8, 10
	lines := wrap(measureUnits, in, first, rest)
	if got := strings.Join(lines, ""); got != in {
		t.Fatalf("wrapped text changed:\n%q\n%q", got, in)
	}
	for i, ln := range lines {
		w := float64(rest)
		if i == 0 {
			w = first
		}
		r, _ := utf8.DecodeRuneInString(ln)
		last, _ := utf8.DecodeLastRuneInString(ln)
		if i > 0 && strings.ContainsRune(noLineStart, r) {
			t.Errorf("line %d starts with %q: %q", i, r, ln)
		}
		if i < len(lines)-1 && strings.ContainsRune(noLineEnd, last) {
			t.Errorf("line %d ends with %q: %q", i, last, ln)
		}
		// A hanging closer may exceed the width by itself only.
		trimmed := ln
		if strings.ContainsRune(noLineStart, last) {
			trimmed = ln[:len(ln)-utf8.RuneLen(last)]
		}
		if measureUnits(trimmed) > w {
			t.Errorf("line %d is %.1f wide, more than %.0f: %q", i, measureUnits(trimmed), w, ln)
		}
	}
}

func TestWrapEmpty(t *testing.T) {
	if got := wrap(measureUnits, "", 5, 5); len(got) != 1 || got[0] != "" {
		t.Fatalf("empty text: %q", got)
	}
}

func TestValidationNamesEveryMissingField(t *testing.T) {
	_, err := Render(KindAcceptance, &AcceptanceNotice{Subject: Subject{Name: "张三"}})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Kind != KindAcceptance {
		t.Fatalf("got %v", err)
	}
	got := map[string]bool{}
	for _, f := range ve.Fields {
		got[f.Field] = true
	}
	for _, want := range []string{"case_ref", "number", "organ", "date", "addressee", "subject.id", "record.title", "record.provider",
		"record.decision_no", "record.decided_on", "received_on", "accepted_on", "result_due.date", "result_due.period", "seal"} {
		if !got[want] {
			t.Errorf("missing field %s not reported (got %v)", want, ve.Fields)
		}
	}
	if got["subject.name"] {
		t.Error("subject.name was given but reported")
	}
	if strings.Contains(err.Error(), "张三") {
		t.Error("the error message contains personal data")
	}

	bad := []struct {
		name  string
		kind  Kind
		data  Data
		field string
	}{
		{"bad number", KindAcceptance, func() Data { d := *samples()[KindAcceptance].(*AcceptanceNotice); d.Number = "12"; return &d }(), "number"},
		{"bad date", KindAcceptance, func() Data {
			d := *samples()[KindAcceptance].(*AcceptanceNotice)
			d.AcceptedOn = calendar.Date{Year: 2026, Month: 2, Day: 30}
			return &d
		}(), "accepted_on"},
		{"unknown outcome", KindObjectionResult, func() Data { d := *samples()[KindObjectionResult].(*ObjectionResult); d.Outcome = "maybe"; return &d }(), "outcome"},
		{"corrected without correction", KindObjectionResult, func() Data {
			d := *samples()[KindObjectionResult].(*ObjectionResult)
			d.Correction = ""
			return &d
		}(), "correction"},
		{"no appeal organ", KindObjectionResult, func() Data {
			d := *samples()[KindObjectionResult].(*ObjectionResult)
			a := *d.Remedies.Appeal
			a.To = ""
			d.Remedies.Appeal = &a
			return &d
		}(), "remedies.appeal.to"},
		{"a date the case does not have", KindAcceptance, func() Data {
			d := *samples()[KindAcceptance].(*AcceptanceNotice)
			d.AcceptedOn = calendar.NewDate(1, 1, 1)
			return &d
		}(), "accepted_on"},
		{"no missing items", KindSupplement, func() Data { d := *samples()[KindSupplement].(*SupplementNotice); d.Missing = nil; return &d }(), "missing"},
		{"empty missing item", KindSupplement, func() Data {
			d := *samples()[KindSupplement].(*SupplementNotice)
			d.Missing = []string{"a", " "}
			return &d
		}(), "missing[1]"},
		{"no reply due", KindVerification, func() Data {
			d := *samples()[KindVerification].(*VerificationRequest)
			d.ReplyDue = Due{}
			return &d
		}(), "reply_due.date"},
		{"no article", KindVerification, func() Data {
			d := *samples()[KindVerification].(*VerificationRequest)
			d.Basis = []Citation{{Instrument: "《办法》"}}
			return &d
		}(), "basis[0].article"},
		{"appeal offers appeal", KindAppealDecision, func() Data {
			d := *samples()[KindAppealDecision].(*AppealDecision)
			d.Remedies.Appeal = testRem.Appeal
			return &d
		}(), "remedies.appeal"},
		{"correction notice without error", KindCorrection, func() Data { d := *samples()[KindCorrection].(*CorrectionNotice); d.Error = ""; return &d }(), "error"},
	}
	for _, c := range bad {
		_, err := Render(c.kind, c.data)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v", c.name, err)
			continue
		}
		found := false
		for _, f := range ve.Fields {
			found = found || f.Field == c.field
		}
		if !found || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: %v does not name %s", c.name, err, c.field)
		}
	}
}

func TestRenderChecksDataType(t *testing.T) {
	v := *samples()[KindAcceptance].(*AcceptanceNotice)
	if _, err := Render(KindAcceptance, v); err != nil {
		t.Fatalf("value: %v", err)
	}
	for _, data := range []any{nil, (*AcceptanceNotice)(nil), &SupplementNotice{}, "x"} {
		if _, err := Render(KindAcceptance, data); err == nil || !strings.Contains(err.Error(), "AcceptanceNotice") {
			t.Errorf("Render(%T) = %v", data, err)
		}
	}
	if _, err := Render("nope", v); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	d := samples()[KindSupplement]
	req, err := NewRequest(d)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var back Request
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.Render()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Render(KindSupplement, d)
	if err != nil {
		t.Fatal(err)
	}
	if got.SHA256 != want.SHA256 {
		t.Fatal("a request rendered differently from its data")
	}
	back.Data = json.RawMessage(`{"number":"x","surprise":1}`)
	if _, err := back.Render(); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestFontErrors(t *testing.T) {
	d := samples()[KindAcceptance]
	t.Setenv(CJKFont.Env, filepath.Join(t.TempDir(), "missing.ttf"))
	_, err := Render(KindAcceptance, d)
	var fe *FontError
	if !errors.Is(err, ErrFontMissing) || !errors.As(err, &fe) || !strings.Contains(err.Error(), "DOCUMENT_FONT") || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing font: %v", err)
	}
	ttc := filepath.Join(t.TempDir(), "collection.ttc")
	if err := os.WriteFile(ttc, append([]byte("ttcf"), make([]byte, 64)...), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CJKFont.Env, ttc)
	if _, err := Render(KindAcceptance, d); !errors.Is(err, ErrFontMissing) || !strings.Contains(err.Error(), ".ttc") {
		t.Fatalf("ttc font: %v", err)
	}
	// No variable and nothing in the searched paths: name the package.
	t.Setenv(CJKFont.Env, "")
	saved := CJKFont.Paths
	CJKFont.Paths = []string{filepath.Join(t.TempDir(), "none.ttf")}
	defer func() { CJKFont.Paths = saved }()
	if _, err := Render(KindAcceptance, d); !errors.Is(err, ErrFontMissing) || !strings.Contains(err.Error(), "fonts-droid-fallback") {
		t.Fatalf("no font: %v", err)
	}
}

func TestFormatting(t *testing.T) {
	if got := FormatNumber("通信异字", 2026, 1); got != "通信异字〔2026〕第0001号" {
		t.Errorf("FormatNumber = %q", got)
	}
	if got := ChineseDate(calendar.NewDate(2026, 1, 5)); got != "2026年1月5日" {
		t.Errorf("ChineseDate = %q", got)
	}
	if got := sentence(" 罚款二万元；  "); got != "罚款二万元。" {
		t.Errorf("sentence = %q", got)
	}
	if got := cites([]Citation{{Instrument: "甲法", Article: "第一条"}, {Instrument: "乙办法", Number: "某令第1号", Article: "第二条", Paragraph: "第一款", Item: "第（三）项"}}); got != "《甲法》第一条、《乙办法》（某令第1号）第二条第一款第（三）项" {
		t.Errorf("cites = %q", got)
	}
	if got := dueBasis(Due{}); got != "该期限为本中心确定的办理期限。" {
		t.Errorf("dueBasis = %q", got)
	}
}

// pdfPageTexts returns the text of each page, white space removed.
func pdfPageTexts(t *testing.T, pdf []byte) []string {
	t.Helper()
	_, n := pdfText(t, pdf) // skips without poppler
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	pages := make([]string, n)
	for i := range n {
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-f", strconv.Itoa(i+1), "-l", strconv.Itoa(i+1), path, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		pages[i] = strings.Join(strings.Fields(string(out)), "")
	}
	return pages
}

// A heading of a listing notice (一、拟列入的事实和理由 …) never ends a
// page with what it heads on the next: however long the reasons, each
// page's text before its page number does not end with a heading.
func TestHeadingNeverEndsAPage(t *testing.T) {
	heads := []string{"一、拟列入的事实和理由", "所依据的失信信息：", "二、拟列入的依据", "三、列入后将采取的惩戒措施",
		"四、陈述、申辩和听证", "五、移出名单的条件", "六、移出名单的程序"}
	number := regexp.MustCompile(`—\d+—$`)
	for k := 1; k <= 14; k++ {
		d := *samples()[KindListingNotice].(*ListingNotice)
		d.Reasons = nil
		for i := range k {
			d.Reasons = append(d.Reasons, "第"+strconv.Itoa(i+1)+"项事实：该单位未按规定办理施工许可，经责令改正仍拒不履行。")
		}
		r, err := Render(KindListingNotice, &d)
		if err != nil {
			t.Fatal(err)
		}
		for i, pg := range pdfPageTexts(t, r.PDF) {
			body := number.ReplaceAllString(pg, "")
			for _, h := range heads {
				if strings.HasSuffix(body, h) {
					t.Errorf("%d reasons: page %d ends with the heading %q", k, i+1, h)
				}
			}
		}
	}
}

package letters

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
)

var (
	update = flag.Bool("update", false, "rewrite the golden texts in testdata/golden")
	pngDir = flag.String("png", "", "also render every letter of every profile to PNG pages (pdftoppm) in this directory, to look at")
	pngDPI = flag.Int("dpi", 70, "resolution of the PNG pages (-png)")
)

// compose composes and renders letter kind (variant) of the fixed case
// under profile id.
func compose(t *testing.T, id, kind, variant string) documents.Rendered {
	t.Helper()
	p, err := policy.Default().Get(id)
	if err != nil {
		t.Fatal(err)
	}
	k := documents.Kind(kind)
	series, err := Series(p, k)
	if err != nil {
		t.Fatal(err)
	}
	c := fixedCase(t, p, k)
	data, err := Compose(c, fixedIssue(k, variant, documents.FormatNumber(series, 2026, 7)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := documents.Render(k, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func name(kind, variant string) string {
	if variant != "" {
		return kind + "." + variant
	}
	return kind
}

// pdfPages returns the text of each page (white space removed) with
// pdftotext, and the page count of pdfinfo.
func pdfPages(t *testing.T, pdf []byte) []string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed: run scripts/setup.sh")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	path := filepath.Join(t.TempDir(), "l.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo: %s", info)
	}
	n, _ := strconv.Atoi(string(m[1]))
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

// Every letter of every procedure, for the fixed case under two profiles:
// its HTML says exactly the reviewed golden text, and its PDF carries the
// text, on a reasonable number of pages, the signature never alone.
func TestGoldenLetters(t *testing.T) {
	for _, id := range []string{"nantong", "anshan"} {
		p, _ := policy.Default().Get(id)
		for _, v := range variants(p) {
			kind, variant := v[0], v[1]
			t.Run(id+"/"+name(kind, variant), func(t *testing.T) {
				r := compose(t, id, kind, variant)
				got, err := documents.PlainText(r.HTML)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "golden", id, name(kind, variant)+".txt")
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/letters -update, then review the file)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden text (-want +got):\n%s", path, lineDiff(string(want), got))
				}
				checkPDF(t, r, got)
			})
		}
	}
}

// checkPDF: every body line of the HTML is in the PDF text, the page
// count is what such a letter needs, and the page with the signature and
// date also carries the end of the body.
func checkPDF(t *testing.T, r documents.Rendered, text string) {
	t.Helper()
	pages := pdfPages(t, r.PDF)
	// Page numbers come between the parts of a paragraph split over pages.
	number := regexp.MustCompile(`—\d+—`)
	all := ""
	for _, pg := range pages {
		all += number.ReplaceAllString(pg, "")
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for _, ln := range lines {
		if ln == "——" || strings.HasPrefix(ln, "（印章：") {
			continue // the separator and the seal are drawn, not written
		}
		if w := strings.Join(strings.Fields(ln), ""); !strings.Contains(all, w) {
			t.Errorf("PDF lacks %q", w)
		}
	}
	if len(pages) < 1 || len(pages) > 4 {
		t.Errorf("%d pages", len(pages))
	}
	for i, pg := range pages {
		if !strings.Contains(pg, "—"+strconv.Itoa(i+1)+"—") {
			t.Errorf("page %d has no page number", i+1)
		}
	}
	// The signature block: the organ's line before a line that is only
	// the date; the body's last line comes before it.
	dateLine := regexp.MustCompile(`^\d{4}年\d{1,2}月\d{1,2}日$`)
	sig, organ := -1, -1
	for i := 1; i < len(lines); i++ {
		if dateLine.MatchString(lines[i]) {
			organ = i - 1
			break
		}
	}
	if organ < 1 {
		t.Fatalf("no signature in:\n%s", text)
	}
	organDate := strings.Join(strings.Fields(lines[organ]+lines[organ+1]), "")
	for i, pg := range pages {
		if strings.Contains(pg, organDate) {
			sig = i
		}
	}
	if sig < 0 {
		t.Fatalf("no page carries the signature %q", organDate)
	}
	tail := []rune(strings.Join(strings.Fields(lines[organ-1]), ""))
	if len(tail) > 6 {
		tail = tail[len(tail)-6:]
	}
	if !strings.Contains(pages[sig], string(tail)) {
		t.Errorf("the signature page %d carries no body text (the body ends %q):\n%s", sig+1, string(tail), pages[sig])
	}
}

func writePNG(t *testing.T, r documents.Rendered, prefix string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefix+".pdf", r.PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", strconv.Itoa(*pngDPI), "-png", prefix+".pdf", prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
}

// lineDiff lists the lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("-" + a + "\n+" + c + "\n")
		}
	}
	return b.String()
}

// Latin words a letter may contain: none but identifiers and codes (a
// token with a digit: a credit code, a case number). Every profile, every
// letter: no Latin word, no internal note, no date before 2000.
func TestNoLatinWordsOrImpossibleDates(t *testing.T) {
	word := regexp.MustCompile(`[A-Za-z0-9*\-]+`)
	dateRE := regexp.MustCompile(`(\d+)年(\d+)月(\d+)日`)
	iso := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	for _, id := range policy.Default().IDs() {
		p, _ := policy.Default().Get(id)
		for _, v := range variants(p) {
			kind, variant := v[0], v[1]
			t.Run(id+"/"+name(kind, variant), func(t *testing.T) {
				r := compose(t, id, kind, variant)
				text, err := documents.PlainText(r.HTML)
				if err != nil {
					t.Fatal(err)
				}
				for _, tok := range word.FindAllString(text, -1) {
					if strings.IndexFunc(tok, unicode.IsLetter) >= 0 && strings.IndexFunc(tok, unicode.IsDigit) < 0 {
						t.Errorf("Latin word %q in:\n%s", tok, text)
					}
				}
				lower := strings.ToLower(text)
				for _, w := range []string{"design", "default", "fallback", "analogy", "national", "wd"} {
					if strings.Contains(lower, w) {
						t.Errorf("%q in:\n%s", w, text)
					}
				}
				for _, m := range dateRE.FindAllStringSubmatch(text, -1) {
					if y, _ := strconv.Atoi(m[1]); y < 2000 {
						t.Errorf("date %s in:\n%s", m[0], text)
					}
				}
				if m := iso.FindString(text); m != "" {
					t.Errorf("date written %s, not as 年月日, in:\n%s", m, text)
				}
				if *pngDir != "" {
					writePNG(t, r, filepath.Join(*pngDir, id+"-"+name(kind, variant)))
				}
			})
		}
	}
}

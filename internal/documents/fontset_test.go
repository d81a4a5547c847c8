package documents

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// pngPages rasterises a PDF with pdftoppm (poppler-utils) and returns its
// pages as PNG files' bytes.
func pngPages(t *testing.T, pdf []byte) [][]byte {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftoppm is not installed: run scripts/setup.sh")
		}
		t.Skip("pdftoppm (poppler-utils) is not installed: run scripts/setup.sh")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "l.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "110", "-png", path, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	names, err := filepath.Glob(filepath.Join(dir, "p-*.png"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no pages: %v", err)
	}
	sort.Strings(names)
	var pages [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, b)
	}
	return pages
}

func renderBothWays(t *testing.T, k Kind, d Data) (reduced, full Rendered) {
	t.Helper()
	var err error
	if reduced, err = Render(k, d); err != nil {
		t.Fatal(err)
	}
	reduceFonts = false
	defer func() { reduceFonts = true }()
	if full, err = Render(k, d); err != nil {
		t.Fatal(err)
	}
	return reduced, full
}

// Letters are set in fonts cut once per process to a working set (issue
// 20.2: parsing and subsetting the whole CJK font was most of a letter's
// time). A letter must look exactly as it does in the whole fonts: every
// page the same pixels.
func TestReducedFontsLookTheSame(t *testing.T) {
	for _, k := range []Kind{KindAcceptance, KindVerification, KindListingNotice, KindRepairDecision} {
		t.Run(string(k), func(t *testing.T) {
			reduced, full := renderBothWays(t, k, samples()[k])
			if bytes.Equal(reduced.PDF, full.PDF) {
				t.Fatal("the letter was not set in the reduced fonts (same bytes as the whole fonts)")
			}
			a, b := pngPages(t, reduced.PDF), pngPages(t, full.PDF)
			if len(a) != len(b) {
				t.Fatalf("%d pages in the reduced fonts, %d in the whole", len(a), len(b))
			}
			for i := range a {
				if !bytes.Equal(a[i], b[i]) {
					t.Errorf("page %d looks different in the reduced fonts", i+1)
				}
			}
		})
	}
}

// A letter with a character outside the working set (堃, not in GB 2312,
// in names) is set in the whole fonts: the same bytes as without reduced
// fonts, and the character is in the PDF's text.
func TestRareCharacterUsesTheWholeFont(t *testing.T) {
	d := samples()[KindAcceptance].(*AcceptanceNotice)
	c := *d
	c.Addressee = "王堃"
	reduced, full := renderBothWays(t, KindAcceptance, &c)
	if !bytes.Equal(reduced.PDF, full.PDF) {
		t.Fatal("a letter with a character outside the working set was not set in the whole fonts")
	}
	if text, _ := pdfText(t, reduced.PDF); !bytes.Contains([]byte(text), []byte("王堃")) {
		t.Fatalf("the rare character is missing from the text:\n%s", text)
	}
}

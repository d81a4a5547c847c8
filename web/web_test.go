package web

import (
	"io/fs"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Every key a template names is in the catalogue, in both languages, and
// no key is there twice.
func TestCatalogueCoversTemplates(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range messages {
		if seen[m.key] {
			t.Errorf("key %s is in the catalogue twice", m.key)
		}
		seen[m.key] = true
		if m.zh == "" || m.en == "" {
			t.Errorf("key %s lacks a language: zh %q en %q", m.key, m.zh, m.en)
		}
	}
	use := regexp.MustCompile(`\.T "([a-z0-9_.-]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			if !seen[m[1]] {
				t.Errorf("%s names %s, which is not in the catalogue", f, m[1])
			}
		}
	}
	if _, err := parsePages(); err != nil {
		t.Fatal(err)
	}
}

// Templates hold no text of their own: no CJK characters and no English
// words outside tags and actions.
func TestTemplatesHoldNoText(t *testing.T) {
	actions := regexp.MustCompile(`(?s){{.*?}}|<[^>]*>`)
	han := regexp.MustCompile(`\p{Han}|[A-Za-z]{3,}`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		rest := actions.ReplaceAllString(string(b), " ")
		if m := han.FindString(rest); m != "" {
			t.Errorf("%s holds text %q outside the catalogue", f, m)
		}
	}
}

func TestDates(t *testing.T) {
	d := calendar.NewDate(2026, 12, 14)
	if got := localizerZH.Date(d); got != "2026年12月14日" {
		t.Errorf("zh date %q", got)
	}
	if got := localizerEN.Date(d); got != "14 December 2026" {
		t.Errorf("en date %q", got)
	}
	// an instant late on 13 December UTC is 14 December in Shanghai
	if got := localizerZH.Date(time.Date(2026, 12, 13, 17, 30, 0, 0, time.UTC)); got != "2026年12月14日" {
		t.Errorf("instant date %q", got)
	}
	if got := localizerZH.DateTime(time.Date(2026, 12, 13, 17, 30, 0, 0, time.UTC)); got != "2026年12月14日 01:30" {
		t.Errorf("instant %q", got)
	}
}

func TestLanguageChoice(t *testing.T) {
	for _, c := range []struct{ cookie, accept, want string }{
		{"", "", "zh-CN"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "zh-TW,en;q=0.5", "zh-CN"},
		{"", "fr-FR", "zh-CN"},
		{"en", "zh-CN", "en"},
		{"zh", "en", "zh-CN"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		if c.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+c.cookie)
		}
		if got := localizerFor(r).Lang; got != c.want {
			t.Errorf("cookie %q Accept-Language %q: %s, want %s", c.cookie, c.accept, got, c.want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/my/cases?x=1": "/my/cases?x=1", "": "/", "https://evil.example/": "/", "//evil.example/x": "/",
		"/\\evil.example": "/", "my": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

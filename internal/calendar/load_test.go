package calendar

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbeddedDataValid guards Default(): it must not panic, and every
// embedded file must pass validation.
func TestEmbeddedDataValid(t *testing.T) {
	files, err := readEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compileFiles(files); err != nil {
		t.Fatal(err)
	}
	if Default() == nil {
		t.Fatal("nil default")
	}
	if got := Default().Regions(); len(got) != 1 || got[0] != "guangxi" {
		t.Errorf("regions = %v", got)
	}
	for y := 2020; y <= 2026; y++ {
		if _, ok := files["cn/"+itoa(y)+".json"]; !ok {
			t.Errorf("no data for %d", y)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// year2027 returns a plausible published 2027 file.
func year2027(t *testing.T) map[string]any {
	days := []dayEntry{
		{Date: d("2027-01-01"), Kind: kindOff, Name: "元旦"},
		{Date: d("2027-02-05"), Kind: kindOff, Name: "春节"},
		{Date: d("2027-02-08"), Kind: kindOff, Name: "春节"},
		{Date: d("2027-02-09"), Kind: kindOff, Name: "春节"},
		{Date: d("2027-02-10"), Kind: kindOff, Name: "春节"},
		{Date: d("2027-02-11"), Kind: kindOff, Name: "春节"},
		{Date: d("2027-02-20"), Kind: kindWork, Name: "春节"},
		{Date: d("2027-04-05"), Kind: kindOff, Name: "清明节"},
		{Date: d("2027-05-03"), Kind: kindOff, Name: "劳动节"},
		{Date: d("2027-05-04"), Kind: kindOff, Name: "劳动节"},
		{Date: d("2027-06-09"), Kind: kindOff, Name: "端午节"},
		{Date: d("2027-09-15"), Kind: kindOff, Name: "中秋节"},
		{Date: d("2027-10-01"), Kind: kindOff, Name: "国庆节"},
		{Date: d("2027-10-04"), Kind: kindOff, Name: "国庆节"},
		{Date: d("2027-10-05"), Kind: kindOff, Name: "国庆节"},
		{Date: d("2027-10-06"), Kind: kindOff, Name: "国庆节"},
		{Date: d("2027-10-07"), Kind: kindOff, Name: "国庆节"},
	}
	return map[string]any{
		"year":         2027,
		"status":       "published",
		"sources":      []Source{{ID: "notice", Title: "国务院办公厅关于2027年部分节假日安排的通知", Number: "test", Date: "2026-11-30", URL: "https://example.invalid/2027"}},
		"days":         days,
		"working_days": countWorkingDays(2027, days, nil),
	}
}

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.MarshalIndent(v, "", "  "); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadOverrideAddsYear(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, dir, "cn/2027.json", year2027(t))
	cal, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cal.Add(d("2026-12-31"), 1, WorkingDays, Options{})
	if err != nil || got.Due != d("2027-01-04") || got.Provisional {
		t.Fatalf("with 2027 published: %+v, %v", got, err)
	}
	if cal.Version("") == Default().Version("") {
		t.Error("override did not change the version")
	}
	// The embedded default is untouched.
	if _, err := Default().Add(d("2026-12-31"), 1, WorkingDays, Options{}); err == nil {
		t.Error("default calendar changed by Load")
	}
	// Guangxi has no 2027 overlay yet: unpublished for the region only.
	_, err = cal.Add(d("2026-12-31"), 1, WorkingDays, Options{Region: "guangxi"})
	var ue *UnpublishedYearError
	if !errors.As(err, &ue) || ue.Year != 2027 || ue.Region != "guangxi" {
		t.Errorf("guangxi 2027: %v", err)
	}
	if c, err := Load(""); err != nil || c != Default() {
		t.Errorf("Load(\"\") = %v, %v", c, err)
	}
}

func TestLoadOverrideRefusesInvalidData(t *testing.T) {
	mutate := func(f func(m map[string]any)) map[string]any {
		m := year2027(t)
		f(m)
		return m
	}
	tests := []struct {
		name    string
		file    string
		content any
		want    string
	}{
		{"duplicate date", "cn/2027.json", mutate(func(m map[string]any) {
			days := m["days"].([]dayEntry)
			m["days"] = append(days, days[0])
		}), "2027-01-01: duplicate date"},
		{"make-up on a weekday", "cn/2027.json", mutate(func(m map[string]any) {
			m["days"] = append(m["days"].([]dayEntry), dayEntry{Date: d("2027-03-03"), Kind: kindWork, Name: "x"})
		}), "must be a Saturday or Sunday, not a Wednesday"},
		{"no source", "cn/2027.json", mutate(func(m map[string]any) { delete(m, "sources") }), "must cite its source"},
		{"source without url", "cn/2027.json", mutate(func(m map[string]any) {
			m["sources"] = []Source{{ID: "n", Title: "t", Date: "2026"}}
		}), "id, title, date and url are required"},
		{"wrong count", "cn/2027.json", mutate(func(m map[string]any) { m["working_days"] = 250 }), "working_days says 250 but the days listed give"},
		{"implausible count", "cn/2027.json", mutate(func(m map[string]any) {
			var days []dayEntry
			for day := d("2027-03-01"); day.Month == 3; day = day.AddDays(1) {
				days = append(days, dayEntry{Date: day, Kind: kindOff, Name: "x"})
			}
			m["days"] = days
			m["working_days"] = countWorkingDays(2027, days, nil)
		}), "working days is implausible"},
		{"date in another year", "cn/2027.json", mutate(func(m map[string]any) {
			m["days"] = append(m["days"].([]dayEntry), dayEntry{Date: d("2026-12-31"), Kind: kindOff, Name: "元旦"})
		}), "is not in 2027"},
		{"bad kind", "cn/2027.json", mutate(func(m map[string]any) {
			m["days"] = append(m["days"].([]dayEntry), dayEntry{Date: d("2027-03-03"), Kind: "holiday", Name: "x"})
		}), `kind must be "off" or "work"`},
		{"unknown field", "cn/2027.json", mutate(func(m map[string]any) { m["publshed"] = true }), `unknown field "publshed"`},
		{"syntax error", "cn/2027.json", "{\n  \"year\": 2027,\n  \"status\": \"published\"\n  \"days\": []\n}", "line 4"},
		{"wrong type", "cn/2027.json", "{\n  \"year\": \"2027\"\n}", "line 2"},
		{"year mismatch", "cn/2028.json", year2027(t), "does not match the file name"},
		{"bad file name", "cn/next.json", year2027(t), "file name must be YYYY.json"},
		{"unknown status", "cn/2027.json", mutate(func(m map[string]any) { m["status"] = "draft" }), `status must be "published" or "unpublished"`},
		{"overlay cancels a national day off", "regions/guangxi.json", `{"region":"guangxi","name":"广西","basis":"令第98号","years":[{"year":2025,"status":"confirmed","sources":[{"id":"n","title":"t","date":"2025","url":"u"}],"days":[{"date":"2025-10-04","kind":"work","name":"x"}]}]}`, "cannot cancel a national day off"},
		{"overlay for an unpublished year", "regions/guangxi.json", `{"region":"guangxi","name":"广西","basis":"令第98号","years":[{"year":2027,"status":"confirmed","sources":[{"id":"n","title":"t","date":"2027","url":"u"}],"days":[{"date":"2027-04-09","kind":"off","name":"壮族三月三"}]}]}`, "national schedule is not published"},
		{"region name mismatch", "regions/yunnan.json", `{"region":"guangxi","name":"x","basis":"y","years":[]}`, "does not match the file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeJSON(t, dir, tt.file, tt.content)
			cal, err := Load(dir)
			if err == nil {
				t.Fatalf("accepted (%v)", cal != nil)
			}
			if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q should name %s and say %q", err, p, tt.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing override directory accepted")
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no cn/*.json") {
		t.Errorf("empty override directory: %v", err)
	}
}

package cleantext

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/refusal"
)

type sample struct {
	Name      string             `json:"name" text:"max=10"`
	Statement string             `json:"statement" text:"multiline,max=20"`
	Grounds   []string           `json:"grounds"`
	Extra     map[string]any     `json:"extra,omitempty"`
	Nested    struct{ V string } `json:"nested"`
	Raw       []byte             `json:"raw"`
	Skip      string             `json:"skip" text:"-"`
}

func names(fe []refusal.Field) []string {
	var out []string
	for _, f := range fe {
		out = append(out, f.Name+":"+f.Code)
	}
	return out
}

// Every string of an input is checked, named as the client spells it.
func TestCheckNamesEveryBadField(t *testing.T) {
	in := sample{
		Name:      "a\x00b",
		Statement: "one\ntwo\tend",
		Grounds:   []string{"ok", "bad\x1b[31m", strings.Repeat("长", DefaultLineMax+1)},
		Extra:     map[string]any{"k": "v\x7f", "list": []any{"x", "y\u2028"}},
		Raw:       []byte{0, 1, 2},
		Skip:      "\x00",
	}
	in.Nested.V = "\xff"
	got := names(Check(&in))
	want := []string{"name:control", "grounds[1]:control", "grounds[2]:length", "extra.k:control", "extra.list[1]:control", "nested.V:utf8"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// Tabs and newlines only in multi-line fields; lengths in runes.
func TestLineAndLength(t *testing.T) {
	if _, ok := CheckString("f", "a\nb", Line(10)); ok {
		t.Error("newline accepted in a single-line field")
	}
	if _, ok := CheckString("f", "a\nb\tc\r\n", Multiline(10)); !ok {
		t.Error("newline refused in a multi-line field")
	}
	if _, ok := CheckString("f", strings.Repeat("字", 10), Line(10)); !ok {
		t.Error("10 runes refused at max 10")
	}
	f, ok := CheckString("f", strings.Repeat("字", 11), Line(10))
	if ok || f.Code != CodeLength || f.Message.ZH == "" || f.Message.EN == "" {
		t.Errorf("11 runes: %+v %v", f, ok)
	}
	if _, ok := CheckString("f", "x\uFFFDy", Line(10)); ok {
		t.Error("U+FFFD accepted")
	}
}

// A JSON body: invalid UTF-8 is found and named (encoding/json would
// turn it into U+FFFD), unknown fields and wrong types are named without
// Go types, NUL escapes are refused.
func TestDecodeJSON(t *testing.T) {
	type body struct {
		RecordID int64    `json:"record_id"`
		Grounds  []string `json:"grounds"`
		Inner    struct {
			Note string `json:"note"`
		} `json:"inner"`
	}
	cases := []struct {
		body  string
		field string
		code  string
	}{
		{"{\"grounds\":[\"ok\",\"b\xffd\"]}", "grounds[1]", CodeUTF8},
		{"{\"inner\":{\"note\":\"\xc3\"}}", "inner.note", CodeUTF8},
		{"{\"k\xfe\":1}", "\"k\\ufffd\"", CodeUTF8},
		{`{"grounds":["a\u0000b"]}`, "grounds[0]", CodeControl},
		{`{"record_id":"seven"}`, "record_id", "type"},
		{`{"record_id":1,"by":{}}`, "by", "unknown"},
		{`{"record_id":1} {}`, "body", "json"},
		{`{"record_id":`, "body", "json"},
		{`{"record_id":1,"record_id":2}`, "record_id", CodeDuplicate},
		{`{"inner":{"note":"a","note":"b"}}`, "inner.note", CodeDuplicate},
		// encoding/json matches names case-insensitively: another case is
		// refused, alone or beside the exact name (the last would win).
		{`{"Record_ID":2}`, "Record_ID", "unknown"},
		{`{"record_id":1,"RECORD_ID":2}`, "RECORD_ID", "unknown"},
		{`{"inner":{"Note":"a"}}`, "inner.Note", "unknown"},
	}
	for _, c := range cases {
		var b body
		err := DecodeJSON([]byte(c.body), &b)
		r, ok := refusal.As(err)
		if !ok || r.Kind != refusal.InvalidInput || len(r.Fields) != 1 {
			t.Errorf("%q: %v", c.body, err)
			continue
		}
		f := r.Fields[0]
		if f.Name != c.field || f.Code != c.code {
			t.Errorf("%q: field %s/%s, want %s/%s", c.body, f.Name, f.Code, c.field, c.code)
		}
		for _, word := range []string{"int64", "string", "struct", "Go "} {
			if strings.Contains(f.Message.EN, word) && c.code == "type" && word != "string" {
				t.Errorf("%q: message names a Go type: %s", c.body, f.Message.EN)
			}
		}
	}
	var b body
	if err := DecodeJSON([]byte("  "), &b); err != nil {
		t.Errorf("empty body: %v", err)
	}
}

// A name given twice in one object is found wherever it is, named as the
// client spells it; the same name in different objects is no duplicate.
func TestDuplicateName(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1,"b":{"c":[{"d":1},{"d":2,"e":{"f":1,"f":2}}]}}`: "b.c[1].e.f",
		`[{"x":1},{"x":1,"x":2}]`:                               "[1].x",
		`{"correction":{"title":"a","title":"b"}}`:              "correction.title",
		`{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`:       "",
		`{"Title":1,"title":2}`:                                 "",
	} {
		f, dup := nameProblem([]byte(body), nil)
		if f.Name != want || dup != (want != "") || (dup && f.Code != CodeDuplicate) {
			t.Errorf("%s: %+v %v, want %q", body, f, dup, want)
		}
	}
}

// Names are matched against the input type exactly, as the document spells
// them: through pointers, slices, maps' values and embedded structs; map
// keys are data (any case); a type that decodes itself is not looked into.
func TestNamesMatchTheTypeExactly(t *testing.T) {
	type Common struct {
		By   string `json:"by"`
		Note string `json:"note"`
	}
	type item struct {
		Title string `json:"title"`
	}
	type input struct {
		Common
		Note  string           `json:"note"` // its own, wins over Common's
		Items []*item          `json:"items"`
		Fix   map[string]item  `json:"fix"`
		Raw   json.RawMessage  `json:"raw"`
		Any   any              `json:"any"`
		When  time.Time        `json:"when"`
		Tags  map[string]int64 `json:"tags"`
	}
	for body, want := range map[string]string{
		`{"by":"a","note":"b","items":[{"title":"x"}],"fix":{"Title":{"title":"y"}},"raw":{"A":1,"a":2},"any":{"X":1},"when":"2026-01-02T00:00:00Z","tags":{"A":1,"a":2}}`: "",
		`{"By":"a"}`: "By:unknown",
		`{"items":[{"title":"x"},{"Title":"y"}]}`: "items[1].Title:unknown",
		`{"fix":{"k":{"TITLE":"y"}}}`:             "fix.k.TITLE:unknown",
		`{"raw":{"a":1,"a":2}}`:                   "raw.a:duplicate",
	} {
		var in input
		if err := json.Unmarshal([]byte(body), &in); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		f, bad := nameProblem([]byte(body), reflect.TypeOf(&in))
		got := ""
		if bad {
			got = f.Name + ":" + f.Code
		}
		if got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
		if bad && f.Code == "unknown" && !strings.Contains(f.Message.EN, "case-sensitive") {
			t.Errorf("%s: message %q does not say names are case-sensitive", body, f.Message.EN)
		}
	}
}

// Query parameters: names and values.
func TestParams(t *testing.T) {
	got := names(Params(map[string][]string{"q": {"ok"}, "stage": {"a\x00"}, "x\xff": {"1"}, "long": {strings.Repeat("a", ParamMax+1)}}))
	want := []string{"long:length", "stage:control", `"x\xff":utf8`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

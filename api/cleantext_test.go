package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
)

// badText are the values every text field and every query parameter must
// refuse, naming the field: a NUL byte, invalid UTF-8 and a value one
// character over the field's limit (filled in per field).
var badText = []struct {
	name  string
	value func(max int) string
	code  string
}{
	{"NUL", func(int) string { return "a\x00b" }, "control"},
	{"invalid UTF-8", func(int) string { return "a\xffb" }, "utf8"},
	{"over-long", func(max int) string { return strings.Repeat("长", max+1) }, "length"},
}

// tablesWritten are the tables a write operation could change.
var tablesWritten = []string{"cases", "case_events", "case_deadlines", "records", "record_versions", "subjects", "providers",
	"accounts", "auth_tokens", "evidence", "evidence_blobs", "listings", "listing_records", "repair_applications",
	"repair_public_objections", "notifications", "escalation_actions", "audit_events", "query_log"}

func rowCounts(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, tbl := range tablesWritten {
		out[tbl] = count(t, `SELECT count(*) FROM `+tbl)
	}
	return out
}

// resolve follows a $ref into the document's components.
func resolve(doc jsonDoc, s jsonDoc) jsonDoc {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
				s = all[0].(jsonDoc)
				continue
			}
			return s
		}
		s = obj(doc, "components", "schemas", strings.TrimPrefix(ref, "#/components/schemas/"))
	}
}

// textField is a text field of a request body: where it sits (the body
// to send it in, with the value as placeholder) and its limit.
type textField struct {
	path string // as the client spells it: grounds[0], period.unit, correction.title
	max  int
	body func(v any) any
}

// textFields lists the text fields of schema s, to depth 3.
func textFields(doc jsonDoc, s jsonDoc, path string, wrap func(any) any, depth int) []textField {
	s = resolve(doc, s)
	if depth > 3 {
		return nil
	}
	max := func(s jsonDoc) int {
		if m, ok := s["maxLength"].(float64); ok {
			return int(m)
		}
		return 0
	}
	var out []textField
	switch s["type"] {
	case "string":
		if s["format"] != "binary" && s["format"] != "date-time" {
			out = append(out, textField{path: path, max: max(s), body: wrap})
		}
	case "array":
		items := resolve(doc, s["items"].(jsonDoc))
		out = append(out, textFields(doc, items, path+"[0]", func(v any) any { return wrap([]any{v}) }, depth+1)...)
	case "object":
		props, _ := s["properties"].(jsonDoc)
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if n == "by" {
				continue
			}
			child := n
			if path != "" {
				child = path + "." + n
			}
			n := n
			out = append(out, textFields(doc, props[n].(jsonDoc), child, func(v any) any { return wrap(map[string]any{n: v}) }, depth+1)...)
		}
		if ap, ok := s["additionalProperties"].(jsonDoc); ok && len(props) == 0 {
			key := "title"
			child := key
			if path != "" {
				child = path + "." + key
			}
			out = append(out, textFields(doc, ap, child, func(v any) any { return wrap(map[string]any{key: v}) }, depth+1)...)
		}
	}
	return out
}

// roleFor is a role the permission table lets take uc, preferring staff.
func roleFor(t *testing.T, uc string) (*client, bool) {
	e, ok := permission.Lookup(permission.UseCase(uc))
	if !ok {
		return nil, false
	}
	for _, r := range []auth.Role{auth.Caseworker, auth.Supervisor, auth.Provider, auth.Subject, auth.Admin, permission.Public} {
		for _, allowed := range e.Roles {
			if allowed != r {
				continue
			}
			var c *client
			if r == permission.Public {
				c = anonymous(t)
			} else {
				c = as(t, string(r))
			}
			c.skipRequestCheck = true
			return c, true
		}
	}
	return nil, false
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// samplePath fills the path parameters with well-formed values of objects
// that do not exist: the text check comes first, before any lookup.
func samplePath(p string) string {
	return pathParamRE.ReplaceAllStringFunc(p, func(m string) string {
		switch m {
		case "{no}":
			if strings.HasPrefix(p, "/listings") {
				return "LB-2026-999999"
			}
			if strings.Contains(p, "repair") {
				return "XF-2026-999999"
			}
			return "YY-2026-999999"
		case "{receipt}":
			return strings.Repeat("0", 32)
		case "{subscriber}":
			return "nobody"
		}
		return "999999"
	})
}

// TestEveryTextFieldAndParameterRefusesUncleanText drives every operation
// of the served OpenAPI document: each query parameter, and each text
// field of each JSON or multipart body, with a NUL byte, invalid UTF-8 and
// a value over its limit. Every one is refused (4xx) naming the field, and
// nothing is stored.
func TestEveryTextFieldAndParameterRefusesUncleanText(t *testing.T) {
	doc := loadDoc(t)
	for _, r := range []string{"subject", "provider", "caseworker", "supervisor", "admin"} {
		as(t, r) // log in before counting: a log-in writes a token and an event
	}
	before := rowCounts(t)
	tried := 0
	for p, v := range obj(doc, "paths") {
		for m, o := range v.(jsonDoc) {
			op, ok := o.(jsonDoc)
			if !ok || (m != "get" && m != "post") {
				continue
			}
			id, _ := op["operationId"].(string)
			c, ok := roleFor(t, id)
			if !ok {
				t.Errorf("%s: not in the permission table", id)
				continue
			}
			method, path := strings.ToUpper(m), "/api/v1"+samplePath(p)
			// Query parameters.
			params, _ := op["parameters"].([]any)
			for _, pv := range params {
				pm := pv.(jsonDoc)
				if pm["in"] != "query" {
					continue
				}
				name := pm["name"].(string)
				for _, bad := range badText {
					tried++
					q := url.Values{name: {bad.value(200)}}
					r := c.do(method, path+"?"+q.Encode(), nil)
					expectRefusal(t, id, r, http.StatusBadRequest, name, bad.code)
				}
			}
			content := obj(op, "requestBody", "content")
			if js, ok := content["application/json"].(jsonDoc); ok {
				for _, f := range textFields(doc, js["schema"].(jsonDoc), "", func(v any) any { return v }, 0) {
					for _, bad := range badText {
						if bad.name == "over-long" && f.max == 0 {
							t.Errorf("%s: %s has no maxLength in the document", id, f.path)
							continue
						}
						tried++
						raw, err := json.Marshal(f.body("\u0001PLACEHOLDER\u0001"))
						if err != nil {
							t.Fatal(err)
						}
						val, _ := json.Marshal(bad.value(f.max))
						if bad.name == "invalid UTF-8" {
							val = []byte("\"a\xffb\"") // json.Marshal would turn it into U+FFFD
						}
						body := bytes.Replace(raw, []byte(`"\u0001PLACEHOLDER\u0001"`), val, 1)
						r := c.do(method, path, body)
						expectRefusal(t, id, r, http.StatusUnprocessableEntity, f.path, bad.code)
					}
				}
			}
			if mp, ok := content["multipart/form-data"].(jsonDoc); ok {
				props := obj(resolve(doc, mp["schema"].(jsonDoc)), "properties")
				for name, ps := range props {
					s := ps.(jsonDoc)
					field := name
					if s["type"] == "array" {
						s, field = s["items"].(jsonDoc), name+"[0]"
					}
					if s["type"] != "string" || s["format"] == "binary" {
						continue
					}
					max := 0
					if v, ok := s["maxLength"].(float64); ok {
						max = int(v)
					}
					for _, bad := range badText {
						if bad.name == "over-long" && max == 0 {
							t.Errorf("%s: form field %s has no maxLength in the document", id, name)
							continue
						}
						tried++
						var buf bytes.Buffer
						w := multipart.NewWriter(&buf)
						_ = w.WriteField(name, bad.value(max))
						_ = w.Close()
						r := c.do(method, path, buf.Bytes(), "Content-Type", w.FormDataContentType())
						if field != name && r.Status == http.StatusUnprocessableEntity {
							field = name // a repeated form field is named without its index
							var pr problem
							r.decode(t, &pr)
							if pr.hasField(name+"[0]", "") {
								field = name + "[0]"
							}
						}
						expectRefusal(t, id, r, http.StatusUnprocessableEntity, field, bad.code)
					}
				}
			}
		}
	}
	// A file name is text too.
	for _, bad := range badText[:2] {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("record_id", "1")
		_ = w.WriteField("grounds", "理由")
		_ = w.WriteField("statement", "陈述")
		fw, _ := w.CreateFormFile("file", bad.value(0)+".pdf")
		_, _ = fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
		_ = w.Close()
		c := as(t, "subject")
		c.skipRequestCheck = true
		r := c.do(http.MethodPost, "/api/v1/objections", buf.Bytes(), "Content-Type", w.FormDataContentType())
		if bad.name == "NUL" && bytes.Contains(r.Body, []byte(`"code":"multipart"`)) {
			// A NUL in a part's header makes the whole body unreadable
			// multipart: refused naming the body.
			expectRefusal(t, "fileObjection", r, http.StatusUnprocessableEntity, "body", "multipart")
			continue
		}
		expectRefusal(t, "fileObjection", r, http.StatusUnprocessableEntity, "file[0]", bad.code)
	}
	if tried < 300 {
		t.Errorf("only %d refusals tried: the document lists too few text fields", tried)
	}
	after := rowCounts(t)
	for _, tbl := range tablesWritten {
		if after[tbl] != before[tbl] {
			t.Errorf("%s: %d rows before, %d after: a refused request stored something", tbl, before[tbl], after[tbl])
		}
	}
	t.Logf("%d unclean values refused", tried)
}

func expectRefusal(t *testing.T, id string, r response, status int, field, code string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: %s %s: status %d, want %d: %s", id, field, code, r.Status, status, short(r.Body))
		return
	}
	var p problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Errorf("%s: %s: not a problem: %s", id, field, short(r.Body))
		return
	}
	if !p.hasField(field, code) {
		t.Errorf("%s: %s (%s): the problem does not name the field: %s", id, field, code, short(r.Body))
	}
}

func short(b []byte) string {
	if len(b) > 400 {
		return fmt.Sprintf("%s…", b[:400])
	}
	return string(b)
}

// An import file is text too: a row with a NUL byte or invalid UTF-8 is
// refused naming the row and field, and nothing of the file is imported.
func TestImportRefusesUncleanText(t *testing.T) {
	org := subjectIdent(t, orgB)
	p := as(t, "provider")
	before := count(t, `SELECT count(*) FROM records`)
	for _, bad := range []string{"标\x00题", "标\xff题"} {
		csv := "subject_ident,category,severity,disclosure,title,content,decision_no,decided_on\n" +
			org + ",negative,general,public," + bad + ",,清洁〔2025〕1号,2025-03-01\n"
		r := p.expect(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/records/import?format=csv", csv, "Content-Type", "text/csv")
		var pr problem
		r.decode(t, &pr)
		if !pr.hasField("rows[2].title", "") {
			t.Errorf("%q: %s", bad, r.Body)
		}
	}
	if after := count(t, `SELECT count(*) FROM records`); after != before {
		t.Errorf("records %d → %d", before, after)
	}
}

package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/apidoc"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
)

// docOperation is one operation of the served OpenAPI document.
type docOperation struct {
	Method, Path, ID string
	Params           []docParam
	JSONBody         bool
}

type docParam struct {
	Name, In string
	Required bool
	Schema   struct {
		Type   string `json:"type"`
		Format string `json:"format"`
		Enum   []any  `json:"enum"`
	}
}

// documentOperations reads every operation of api/openapi.json.
func documentOperations(t *testing.T) []docOperation {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	var ops []docOperation
	for path, item := range doc.Paths {
		var shared []docParam
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				t.Fatalf("%s parameters: %v", path, err)
			}
		}
		for method, raw := range item {
			switch method {
			case "get", "post", "put", "patch", "delete":
			default:
				continue
			}
			var o struct {
				OperationID string     `json:"operationId"`
				Parameters  []docParam `json:"parameters"`
				RequestBody *struct {
					Content map[string]json.RawMessage `json:"content"`
				} `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if o.OperationID == "" {
				t.Fatalf("%s %s has no operationId", method, path)
			}
			op := docOperation{Method: strings.ToUpper(method), Path: path, ID: o.OperationID,
				Params: append(slices.Clone(shared), o.Parameters...)}
			if o.RequestBody != nil {
				_, op.JSONBody = o.RequestBody.Content["application/json"]
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		// log-out last: it ends the credential the other calls use.
		if (ops[i].ID == "logOut") != (ops[j].ID == "logOut") {
			return ops[j].ID == "logOut"
		}
		return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method
	})
	return ops
}

// url fills the operation's path and required query parameters with
// values of the right type naming nothing that exists.
func (o docOperation) url() string {
	path := o.Path
	q := []string{}
	for _, p := range o.Params {
		v := "NOSUCH-1"
		switch {
		case len(p.Schema.Enum) > 0:
			v = fmt.Sprint(p.Schema.Enum[0])
		case p.Schema.Type == "integer":
			v = "987654321"
		case p.Schema.Format == "date":
			v = "2026-01-05"
		case p.Schema.Format == "uuid":
			v = "6f1c1f0e-0000-4000-8000-000000000001"
		}
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", v)
		case "query":
			if p.Required {
				q = append(q, p.Name+"="+v)
			}
		}
	}
	if len(q) > 0 {
		path += "?" + strings.Join(q, "&")
	}
	return "/api/v1" + path
}

// TestEveryOperationAsEveryRole drives every operation of the OpenAPI
// document as every role — the public, a subject, a provider, a
// caseworker, a supervisor, an administrator — and holds the answers to
// the one permission table (issue 16.2): a role the table leaves out is
// refused before anything is read (401 for the public, 403 naming the
// operation for an account, written to the audit trail); a role it lets in
// is not refused for its role. Every row of the table is an operation of
// the document, and the administrator does no casework.
func TestEveryOperationAsEveryRole(t *testing.T) {
	ops := documentOperations(t)
	if len(ops) < 90 {
		t.Fatalf("only %d operations in the document", len(ops))
	}
	documented := map[string]bool{}
	for _, o := range ops {
		if _, ok := permission.Lookup(permission.UseCase(o.ID)); !ok {
			t.Errorf("%s %s: operation %s is not in the permission table", o.Method, o.Path, o.ID)
		}
		documented[o.ID] = true
	}
	for _, e := range permission.Table() {
		if !documented[string(e.UseCase)] {
			t.Errorf("permission table row %s is no operation of the API", e.UseCase)
		}
	}

	usernames := map[auth.Role]string{auth.Subject: "subject", auth.Provider: "provider",
		auth.Caseworker: "caseworker", auth.Supervisor: "supervisor", auth.Admin: "admin"}
	// Fresh bearer tokens: log-out (the last operation) ends them.
	bearer := map[auth.Role]string{}
	for role, user := range usernames {
		r := anonymous(t).expect(http.StatusOK, http.MethodPost, "/api/v1/auth/login",
			map[string]string{"username": user, "password": passwordOf(user), "kind": "bearer", "label": "roles test"})
		var lr struct {
			Token string `json:"token"`
		}
		r.decode(t, &lr)
		bearer[role] = lr.Token
	}

	seq := 0
	call := func(role auth.Role, o docOperation) response {
		t.Helper()
		seq++
		var body io.Reader
		var sent []byte
		if o.JSONBody {
			sent = []byte("{}")
			body = bytes.NewReader(sent)
		}
		req := httptest.NewRequest(o.Method, o.url(), body)
		if o.JSONBody {
			req.Header.Set("Content-Type", "application/json")
		}
		// One address per request: the anonymous budgets are not what
		// this test is about.
		req.RemoteAddr = fmt.Sprintf("198.18.%d.%d:4000", seq/250, seq%250+1)
		if tok := bearer[role]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		testAPI.ServeHTTP(rec, req)
		r := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		// The request is deliberately incomplete; the answer must still be
		// one the document describes.
		if err := docValidator.Check(req.Context(), apidoc.Exchange{Method: o.Method, URL: req.URL.RequestURI(), Header: req.Header,
			Body: sent, Status: r.Status, RHeader: r.Header, RBody: r.Body, SkipRequest: true}); err != nil {
			t.Errorf("OpenAPI: %v", err)
		}
		return r
	}

	denied := func(role auth.Role) int {
		return count(t, `SELECT count(*) FROM audit_events WHERE action = 'access.denied' AND actor = $1`, usernames[role])
	}

	checked := map[auth.Role]int{}
	for _, o := range ops {
		uc := permission.UseCase(o.ID)
		for _, role := range permission.Roles {
			allowed := permission.Allows(role, uc)
			before := 0
			if role != permission.Public {
				before = denied(role)
			}
			r := call(role, o)
			var p struct {
				Type   string `json:"type"`
				Detail string `json:"detail"`
			}
			_ = json.Unmarshal(r.Body, &p)
			where := fmt.Sprintf("%s %s (%s) as %s", o.Method, o.Path, o.ID, role)
			// What the caller is told when its role may not: log in
			// (401 unauthenticated) or not for your role (403 forbidden).
			// Anything else — a missing body, an unknown case, even a
			// wrong password — means the role got past the table.
			roleRefused := p.Type == "/problems/unauthenticated" || p.Type == "/problems/forbidden"
			switch {
			case allowed && roleRefused:
				t.Errorf("%s: the table allows it, the API refused the role %d: %s", where, r.Status, r.Body)
			case !allowed && role == permission.Public:
				if r.Status != http.StatusUnauthorized || p.Type != "/problems/unauthenticated" {
					t.Errorf("%s: %d, want 401 unauthenticated: %s", where, r.Status, r.Body)
				}
			case !allowed:
				if r.Status != http.StatusForbidden || p.Type != "/problems/forbidden" || !strings.Contains(p.Detail, o.ID) {
					t.Errorf("%s: %d, want 403 forbidden naming %s: %s", where, r.Status, o.ID, r.Body)
				} else if after := denied(role); after != before+1 {
					t.Errorf("%s: refused, but %d access.denied events written, want 1", where, after-before)
				}
			}
			checked[role]++
		}
	}
	for _, role := range permission.Roles {
		if checked[role] != len(ops) {
			t.Errorf("%s: %d operations checked, want %d", role, checked[role], len(ops))
		}
	}

	// The administrator does accounts, providers, profiles and calendars
	// (DESIGN.md §1): no operation on records, subjects or cases.
	casework := []string{"/records", "/subjects", "/objections", "/repairs", "/listings", "/board", "/escalations", "/inbox", "/events", "/query-log", "/deliveries"}
	for _, o := range ops {
		for _, prefix := range casework {
			if strings.HasPrefix(o.Path, prefix) && permission.Allows(auth.Admin, permission.UseCase(o.ID)) {
				t.Errorf("admin may take %s (%s %s): casework", o.ID, o.Method, o.Path)
			}
		}
	}
}

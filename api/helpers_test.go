package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/creditcase/creditcase/internal/apidoc"
	"github.com/creditcase/creditcase/internal/seed"
)

// client calls the API as one caller: anonymous, a bearer token, or a
// console session (cookies + CSRF token).
type client struct {
	t       *testing.T
	bearer  string
	cookies []*http.Cookie
	csrf    string
	lang    string
	// skipRequestCheck sends requests the document refuses on purpose
	// (the answers are still checked).
	skipRequestCheck bool
	// remote is the client's address ("": httptest's 192.0.2.1).
	remote string
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// problem is the subset of a problem+json body tests look at.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Errors []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (p problem) hasField(field, code string) bool {
	for _, e := range p.Errors {
		if e.Field == field && (code == "" || e.Code == code) {
			return true
		}
	}
	return false
}

func (c *client) do(method, path string, body any, header ...string) response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	var sent []byte
	if req.Body != nil {
		sent, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(sent))
	}
	rec := httptest.NewRecorder()
	testAPI.ServeHTTP(rec, req)
	r := response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	// Every request sent and every answer received is checked against
	// the served OpenAPI document.
	if err := docValidator.Check(req.Context(), apidoc.Exchange{Method: method, URL: req.URL.RequestURI(), Header: req.Header,
		Body: sent, Status: r.Status, RHeader: r.Header, RBody: r.Body, SkipRequest: c.skipRequestCheck}); err != nil {
		c.t.Errorf("OpenAPI: %v", err)
	}
	return r
}

func (c *client) expect(status int, method, path string, body any, header ...string) response {
	c.t.Helper()
	r := c.do(method, path, body, header...)
	if r.Status != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	return r
}

func anonymous(t *testing.T) *client { return &client{t: t} }

// visitors numbers the addresses of visitor clients.
var visitors atomic.Int64

// visitor is an anonymous client from an address of its own, with the
// anonymous rate limits' budgets all its own (a test paging through a
// lookup sends more than one address may send a minute).
func visitor(t *testing.T) *client {
	n := visitors.Add(1)
	return &client{t: t, remote: fmt.Sprintf("198.18.%d.%d:4000", n/250, 1+n%250)}
}

// tokens caches one bearer token per user for the package.
var (
	tokensMu sync.Mutex
	tokens   = map[string]string{}
)

// as returns a bearer-token client for a demo (or test-made) account.
func as(t *testing.T, username string) *client {
	t.Helper()
	tokensMu.Lock()
	defer tokensMu.Unlock()
	if tok, ok := tokens[username]; ok {
		return &client{t: t, bearer: tok}
	}
	r := anonymous(t).expect(http.StatusOK, http.MethodPost, "/api/v1/auth/login",
		map[string]string{"username": username, "password": passwordOf(username), "kind": "bearer", "label": "test"})
	var lr struct {
		Token string `json:"token"`
	}
	r.decode(t, &lr)
	tokens[username] = lr.Token
	return &client{t: t, bearer: lr.Token}
}

// extraPasswords are the passwords of accounts the tests create.
var extraPasswords sync.Map

func passwordOf(username string) string {
	if p, ok := extraPasswords.Load(username); ok {
		return p.(string)
	}
	return seed.DemoPassword
}

// count runs a COUNT(*) query directly against the database.
func count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := testPool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

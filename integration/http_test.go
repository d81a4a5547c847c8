package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/apidoc"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
)

// httpClient is every test's HTTP client: it checks each request it sends
// and each answer it receives against the served OpenAPI document.
var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &checkedTransport{base: http.DefaultTransport}}

// docValidator holds the served OpenAPI document (set by TestMain).
var docValidator *apidoc.Validator

// docFailures are the exchanges that did not match the document; TestMain
// fails the run when there are any.
var (
	docFailuresMu sync.Mutex
	docFailures   []string
)

type checkedTransport struct{ base http.RoundTripper }

func (t *checkedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		sent = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || docValidator == nil {
		return resp, err
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(got))
	if err := docValidator.Check(req.Context(), apidoc.Exchange{Method: req.Method, URL: req.URL.RequestURI(), Header: req.Header,
		Body: sent, Status: resp.StatusCode, RHeader: resp.Header, RBody: got}); err != nil {
		docFailuresMu.Lock()
		docFailures = append(docFailures, err.Error())
		docFailuresMu.Unlock()
	}
	return resp, nil
}

// call sends a request to base+path and decodes a JSON answer into out (if not nil).
func call(t *testing.T, base, method, path string, body any, out any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp
}

// callAs is call with a bearer token.
func callAs(t *testing.T, base, token, method, path string, body any, out any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp
}

// operatorToken makes (once) a supervisor account in the stack's database
// and logs it in through the API at base, for the operations endpoints.
func operatorToken(t *testing.T, base string, pool *pgxpool.Pool) string {
	t.Helper()
	const user, password = "ops-operator", "Harbour lights 17 over Lingnan"
	_, err := auth.New(pool, 4).CreateAccount(context.Background(), audit.System,
		auth.NewAccount{Username: user, DisplayName: "运维值班", Password: password, Role: auth.Supervisor})
	if err != nil && !strings.Contains(err.Error(), "taken") {
		t.Fatal(err)
	}
	var lr api.LoginResponse
	if resp := call(t, base, http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Username: user, Password: password, Kind: auth.KindBearer}, &lr); resp.StatusCode != http.StatusOK {
		t.Fatalf("operator log-in: %d", resp.StatusCode)
	}
	return lr.Token
}

func baseURL() string {
	addr := sys.APIAddr
	if strings.HasPrefix(addr, "[::]") {
		addr = "127.0.0.1" + strings.TrimPrefix(addr, "[::]")
	}
	return "http://" + addr
}

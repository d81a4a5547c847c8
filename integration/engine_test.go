package integration

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/api/operatorservice/v1"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// A workflow started through the API runs on the worker and writes its row
// to PostgreSQL; the row can be read back through the API, and the HTTP
// request ID travels into the activity.
func TestEngineCheckRunsThroughAPIWorkerAndDatabase(t *testing.T) {
	token := operatorToken(t, baseURL(), sys.Pool)
	var got api.EngineCheckResponse
	resp := callAs(t, baseURL(), token, http.MethodPost, "/api/v1/engine-checks", nil, &got)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST engine-checks: status %d", resp.StatusCode)
	}
	if got.CheckID == "" || got.RecordedAt.IsZero() || got.RoundTripMS <= 0 {
		t.Fatalf("incomplete answer: %+v", got)
	}
	if rid := resp.Header.Get("X-Request-Id"); rid == "" || got.RequestID != rid {
		t.Errorf("request ID in row = %q, response header = %q; want equal and non-empty", got.RequestID, rid)
	}
	if got.WorkflowID != workflows.EngineCheckWorkflowID(got.CheckID) {
		t.Errorf("workflow ID %q, want %q", got.WorkflowID, workflows.EngineCheckWorkflowID(got.CheckID))
	}

	var rows int
	if err := sys.Pool.QueryRow(context.Background(), "SELECT count(*) FROM engine_checks WHERE id = $1", got.CheckID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("engine_checks rows for %s = %d, want 1", got.CheckID, rows)
	}

	var read api.EngineCheckResponse
	resp = callAs(t, baseURL(), token, http.MethodGet, "/api/v1/engine-checks/"+got.CheckID, nil, &read)
	if resp.StatusCode != http.StatusOK || read.CheckID != got.CheckID || !read.RecordedAt.Equal(got.RecordedAt) {
		t.Fatalf("GET engine check: status %d, %+v", resp.StatusCode, read)
	}

	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, got.WorkflowID, filepath.Join("..", "workflows", "testdata", "histories", "engine_check.json"))
	}
}

func TestUnknownEngineCheckIsProblem404(t *testing.T) {
	var p api.Problem
	resp := callAs(t, baseURL(), operatorToken(t, baseURL(), sys.Pool), http.MethodGet, "/api/v1/engine-checks/0123456789abcdef01234567", nil, &p)
	if resp.StatusCode != http.StatusNotFound || p.Status != 404 || p.Type != "/problems/not-found" {
		t.Fatalf("status %d problem %+v", resp.StatusCode, p)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
}

func TestMalformedEngineCheckIDNamesTheField(t *testing.T) {
	var p api.Problem
	resp := callAs(t, baseURL(), operatorToken(t, baseURL(), sys.Pool), http.MethodGet, "/api/v1/engine-checks/not-an-id", nil, &p)
	if resp.StatusCode != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "id" {
		t.Fatalf("status %d problem %+v", resp.StatusCode, p)
	}
}

func TestReadyWhenDatabaseAndTemporalAnswer(t *testing.T) {
	var r api.Readiness
	resp := call(t, baseURL(), http.MethodGet, "/readyz", nil, &r)
	if resp.StatusCode != http.StatusOK || r.Checks["postgres"] != "ok" || r.Checks["temporal"] != "ok" ||
		r.Checks["migrations"] != "ok" || r.Checks["worker"] != "ok" {
		t.Fatalf("status %d %+v", resp.StatusCode, r)
	}
}

// The custom search attributes are registered in the namespace, so the stock
// temporal CLI lists them.
func TestSearchAttributesRegistered(t *testing.T) {
	resp, err := sys.Temporal.OperatorService().ListSearchAttributes(context.Background(),
		&operatorservice.ListSearchAttributesRequest{Namespace: sys.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range workflows.SearchAttributes() {
		if got, ok := resp.GetCustomAttributes()[name]; !ok || got != want {
			t.Errorf("search attribute %s: got %v (present %v), want %v", name, got, ok, want)
		}
	}
}

func TestMetricsExposeHTTPAndPool(t *testing.T) {
	call(t, baseURL(), http.MethodGet, "/healthz", nil, nil)
	req, _ := http.NewRequest(http.MethodGet, baseURL()+"/metrics", nil)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"creditcase_http_requests_total", "creditcase_db_pool_conns", "temporal_request"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

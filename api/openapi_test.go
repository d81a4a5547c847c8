package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var pathParam = regexp.MustCompile(`:([a-zA-Z_]+)`)

// TestOpenAPIMatchesRoutes keeps /api/v1/openapi.json in step with the
// routes: every /api/v1 route is documented and every documented operation
// exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	anonymous(t).expect(http.StatusOK, "GET", "/api/v1/openapi.json", nil).decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				documented[strings.ToUpper(m)+" /api/v1"+p] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range testAPI.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "echo_route_not_found" {
			continue
		}
		served[r.Method+" "+pathParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var missing, stale []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Fatalf("OpenAPI out of step with routes:\n  served, not documented: %v\n  documented, not served: %v", missing, stale)
	}
	if len(served) < 20 {
		t.Fatalf("only %d routes found: %v", len(served), served)
	}
}

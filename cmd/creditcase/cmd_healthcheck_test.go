package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The image's HEALTHCHECK: exit 0 only when the local role answers 200 on
// the asked path, at the port of HTTP_ADDR.
func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			http.Error(w, "temporal unreachable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	t.Setenv("HTTP_ADDR", ":"+port)

	var out, errOut bytes.Buffer
	if code := runMain([]string{"healthcheck"}, &out, &errOut); code != 0 {
		t.Fatalf("healthy /healthz: exit %d (%s)", code, errOut.String())
	}
	errOut.Reset()
	if code := runMain([]string{"healthcheck", "/readyz"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "503") {
		t.Fatalf("unready /readyz: exit %d (%s), want 1 naming the 503", code, errOut.String())
	}
	srv.Close()
	errOut.Reset()
	if code := runMain([]string{"healthcheck"}, &out, &errOut); code != 1 {
		t.Fatalf("nothing listening: exit %d, want 1", code)
	}
}

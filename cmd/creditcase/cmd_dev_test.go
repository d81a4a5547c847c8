package main

import (
	"testing"

	"github.com/creditcase/creditcase/internal/config"
)

// dev listens on the loopback interface unless HTTP_ADDR says otherwise;
// the other roles keep HTTP_ADDR's default (all interfaces).
func TestDevListensOnLoopbackUnlessTold(t *testing.T) {
	t.Setenv("HTTP_ADDR", "")
	cfg, err := config.FromEnv("console")
	if err != nil {
		t.Fatal(err)
	}
	if got := devHTTPAddr(cfg); got != "127.0.0.1:8080" {
		t.Errorf("dev without HTTP_ADDR listens on %q, want 127.0.0.1:8080", got)
	}
	if cfg.HTTPAddr != ":8080" {
		t.Errorf("api/worker without HTTP_ADDR listen on %q, want :8080", cfg.HTTPAddr)
	}
	t.Setenv("HTTP_ADDR", "0.0.0.0:9000")
	if cfg, err = config.FromEnv("console"); err != nil {
		t.Fatal(err)
	}
	if got := devHTTPAddr(cfg); got != "0.0.0.0:9000" {
		t.Errorf("dev with HTTP_ADDR=0.0.0.0:9000 listens on %q", got)
	}
}

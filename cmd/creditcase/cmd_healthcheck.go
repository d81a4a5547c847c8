package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/logging"
)

func init() {
	register(command{
		name:    "healthcheck",
		summary: "exit 0 when this machine's api or worker answers /healthz (container health checks)",
		usage: `Usage: creditcase healthcheck [PATH]

Asks the api or worker running on this machine, at the port of HTTP_ADDR
(default :8080), for PATH (default /healthz: the process is alive; /readyz
also checks PostgreSQL and Temporal) and exits 0 when it answers 200, 1
otherwise. For the container image's HEALTHCHECK, which has no shell or curl.`,
		run: runHealthcheck,
	})
}

func runHealthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	path := "/healthz"
	switch len(args) {
	case 0:
	case 1:
		path = args[0]
	default:
		return newUsageError("healthcheck takes at most one path")
	}
	cfg, err := config.FromEnv(string(logging.JSON))
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR=%q: %w", cfg.HTTPAddr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort("127.0.0.1", port) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return nil
}

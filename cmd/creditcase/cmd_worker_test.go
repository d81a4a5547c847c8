package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// A worker (and dev) given an unusable WORKFLOW_CACHE_SIZE or
// WORKFLOW_DEADLOCK_TIMEOUT stops at start and says which setting is wrong
// and what it accepts, before it connects to anything.
func TestWorkerRefusesBadWorkflowSettings(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
	for _, tc := range []struct{ name, value, says string }{
		{"WORKFLOW_CACHE_SIZE", "10k", `WORKFLOW_CACHE_SIZE="10k" is not a number of workflows from 0 to 100000`},
		{"WORKFLOW_DEADLOCK_TIMEOUT", "10", `WORKFLOW_DEADLOCK_TIMEOUT="10" is not a duration from 1s to 5m`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			for name, run := range map[string]func(context.Context, []string, io.Writer) error{"worker": runWorker, "dev": runDev} {
				err := run(context.Background(), nil, io.Discard)
				if err == nil || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s with %s=%s: %v", name, tc.name, tc.value, err)
				}
			}
		})
	}
}

package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// A worker (and dev) given an unusable WORKFLOW_CACHE_SIZE stops at start
// and says which setting is wrong and what it accepts, before it connects
// to anything.
func TestWorkerRefusesABadWorkflowCacheSize(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
	t.Setenv("WORKFLOW_CACHE_SIZE", "10k")
	for name, run := range map[string]func(context.Context, []string, io.Writer) error{"worker": runWorker, "dev": runDev} {
		err := run(context.Background(), nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), `WORKFLOW_CACHE_SIZE="10k" is not a number of workflows from 0 to 100000`) {
			t.Errorf("%s with WORKFLOW_CACHE_SIZE=10k: %v", name, err)
		}
	}
}

package config

import (
	"strings"
	"testing"
	"time"
)

// WORKFLOW_CACHE_SIZE: unset is the default that keeps a worker well under
// a gigabyte; a bad value stops the process at start naming the variable,
// the value and what it accepts.
func TestWorkflowCacheSize(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
	}{
		{"", DefaultWorkflowCacheSize},
		{"500", 500},
		{" 4000 ", 4000},
		{"0", 0},
		{"100000", 100000},
	} {
		t.Setenv("WORKFLOW_CACHE_SIZE", tc.value)
		c, err := FromEnv("json")
		if err != nil {
			t.Fatalf("WORKFLOW_CACHE_SIZE=%q: %v", tc.value, err)
		}
		if c.WorkflowCacheSize != tc.want {
			t.Errorf("WORKFLOW_CACHE_SIZE=%q: cache size %d, want %d", tc.value, c.WorkflowCacheSize, tc.want)
		}
	}
	for _, bad := range []string{"-1", "100001", "2k", "1e3", "10000000000000000000", "two thousand"} {
		t.Setenv("WORKFLOW_CACHE_SIZE", bad)
		_, err := FromEnv("json")
		if err == nil {
			t.Errorf("WORKFLOW_CACHE_SIZE=%q accepted", bad)
			continue
		}
		for _, want := range []string{"WORKFLOW_CACHE_SIZE", `"` + bad + `"`, "from 0 to 100000"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("WORKFLOW_CACHE_SIZE=%q: error %q does not say %q", bad, err, want)
			}
		}
	}
}

// PG_SETTINGS: the private cluster of dev sized for a register; a malformed
// list stops the process at start naming the variable and the bad entry.
func TestPGSettings(t *testing.T) {
	t.Setenv("PG_SETTINGS", "")
	c, err := FromEnv("console")
	if err != nil || len(c.PGSettings) != 0 {
		t.Fatalf("unset: %q, %v; want none", c.PGSettings, err)
	}
	t.Setenv("PG_SETTINGS", " shared_buffers = 2GB,max_wal_size=8GB, checkpoint_timeout=15min,")
	if c, err = FromEnv("console"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.PGSettings, " "); got != "shared_buffers=2GB max_wal_size=8GB checkpoint_timeout=15min" {
		t.Errorf("settings %q", got)
	}
	for _, bad := range []string{"shared_buffers", "=2GB", "shared_buffers=", "shared buffers=2GB", "shared_buffers=2GB=3GB"} {
		t.Setenv("PG_SETTINGS", "max_wal_size=8GB,"+bad)
		_, err := FromEnv("console")
		if err == nil {
			t.Errorf("PG_SETTINGS=%q accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "PG_SETTINGS") || !strings.Contains(err.Error(), "name=value") {
			t.Errorf("PG_SETTINGS=%q: error %q does not name the variable and what it takes", bad, err)
		}
	}
}

// WORKFLOW_DEADLOCK_TIMEOUT: unset is ten seconds (the SDK's one second
// trips on a busy machine); a bad value stops the process at start naming
// the variable, the value and what it accepts.
func TestWorkflowDeadlockTimeout(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
	}{
		{"", DefaultWorkflowDeadlockTimeout},
		{"1s", time.Second},
		{" 30s ", 30 * time.Second},
		{"5m", 5 * time.Minute},
	} {
		t.Setenv("WORKFLOW_DEADLOCK_TIMEOUT", tc.value)
		c, err := FromEnv("json")
		if err != nil {
			t.Fatalf("WORKFLOW_DEADLOCK_TIMEOUT=%q: %v", tc.value, err)
		}
		if c.WorkflowDeadlockTimeout != tc.want {
			t.Errorf("WORKFLOW_DEADLOCK_TIMEOUT=%q: %s, want %s", tc.value, c.WorkflowDeadlockTimeout, tc.want)
		}
	}
	if DefaultWorkflowDeadlockTimeout != 10*time.Second {
		t.Errorf("default %s, documented as 10s", DefaultWorkflowDeadlockTimeout)
	}
	for _, bad := range []string{"10", "500ms", "5m1s", "-1s", "ten seconds"} {
		t.Setenv("WORKFLOW_DEADLOCK_TIMEOUT", bad)
		_, err := FromEnv("json")
		if err == nil {
			t.Errorf("WORKFLOW_DEADLOCK_TIMEOUT=%q accepted", bad)
			continue
		}
		for _, want := range []string{"WORKFLOW_DEADLOCK_TIMEOUT", `"` + bad + `"`, "from 1s to 5m"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("WORKFLOW_DEADLOCK_TIMEOUT=%q: error %q does not say %q", bad, err, want)
			}
		}
	}
}

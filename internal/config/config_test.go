package config

import (
	"strings"
	"testing"
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

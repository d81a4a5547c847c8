package workflows_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/creditcase/creditcase/worker"
)

// TestReplayRecordedHistories replays every history in testdata/histories
// against the current workflow code: a change that would break a running case
// (a non-deterministic change) fails here before it reaches a worker.
// Histories are recorded from real runs by the integration tests with
// RECORD_HISTORIES=1; keep old ones when workflows change.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			r := sdkworker.NewWorkflowReplayer()
			worker.RegisterWorkflows(r)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// A history that does not match the code must fail the replay: the harness
// itself is checked, so a silent pass cannot hide a broken guard.
func TestReplayDetectsChangedWorkflow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "histories", "engine_check.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Rename the scheduled activity: the code schedules RecordEngineCheck, the
	// history now says another activity was scheduled.
	changed := strings.Replace(string(data), `"RecordEngineCheck"`, `"SomethingElse"`, 1)
	if changed == string(data) {
		t.Fatal("history has no RecordEngineCheck activity to alter")
	}
	path := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(r)
	if err := r.ReplayWorkflowHistoryFromJSONFile(nil, path); err == nil {
		t.Fatal("replay of an altered history passed; want a non-determinism error")
	}
}

// Package testenv holds helpers shared by the test packages: recording
// workflow histories for the replay tests.
package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// Recording reports whether tests should write the histories they produce
// (RECORD_HISTORIES=1), to refresh workflows/testdata/histories.
func Recording() bool { return os.Getenv("RECORD_HISTORIES") == "1" }

// RecordHistory writes the full history of workflow id as JSON, the format
// the SDK's replayer reads.
func RecordHistory(t *testing.T, c client.Client, id, path string) {
	t.Helper()
	RecordRunHistory(t, c, id, "", path)
}

// RecordRunHistory writes the history of one run of workflow id (runID ""
// is the latest), e.g. a run that continued as new.
func RecordRunHistory(t *testing.T, c client.Client, id, runID, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hist := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, runID, false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		hist.Events = append(hist.Events, ev)
	}
	data, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded history of %s in %s", id, path)
}

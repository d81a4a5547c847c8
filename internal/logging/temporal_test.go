package logging

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"go.temporal.io/server/common/log/tag"
)

// The embedded engine giving up ends the process with status 1, and says why
// on standard error even when its log lines are discarded (a test's stack
// logs to nowhere) — never a silent exit.
func TestServerFatalSaysWhyOnStandardError(t *testing.T) {
	var stderr, logged bytes.Buffer
	code := -1
	saved, savedExit := fatalOutput, fatalExit
	t.Cleanup(func() { fatalOutput, fatalExit = saved, savedExit })
	fatalOutput, fatalExit = &stderr, func(c int) { code = c }

	NewServer(zerolog.Nop()).Fatal("unable to start membership", tag.Error(errors.New("port 7233 in use")))
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	if got := stderr.String(); !strings.Contains(got, "unable to start membership") || !strings.Contains(got, "port 7233 in use") {
		t.Fatalf("standard error: %q, want the reason and its error", got)
	}

	code = -1
	NewServer(zerolog.New(&logged).Level(zerolog.ErrorLevel)).Fatal("shard lost")
	if code != 1 || !strings.Contains(logged.String(), `"level":"fatal"`) || !strings.Contains(logged.String(), "shard lost") {
		t.Fatalf("exit %d, log %q: want exit 1 and a fatal line in the log", code, logged.String())
	}
}

// Package crash is the crash test of issue 12: the whole stack (`creditcase
// dev`, built once from this tree) runs as a child process while concurrent
// clients file objections, repair applications and listing proposals and
// take caseworkers' steps, all with Idempotency-Keys; the stack is killed
// with SIGKILL at seeded random instants and started again, its private
// PostgreSQL is killed alone once, and the clients whose answers were lost
// repeat their requests with the same key and body. Afterwards every filing
// answered 201 must have exactly one complete case, the engine and the
// database must agree on every case, no record may stay labelled without a
// live case, every repeated request must get the first answer again and no
// letter number may be used twice.
//
// CRASH_SEED replays a run's kill points (the seed is printed).
package crash

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bin is the creditcase binary built from this tree.
var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "creditcase-crash-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "creditcase")
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash test: the go command is needed to build creditcase:", err)
		return 1
	}
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		fmt.Fprintln(os.Stderr, "crash test: cannot find the module root:", err)
		return 1
	}
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/creditcase")
	build.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if msg, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "crash test: go build ./cmd/creditcase: %v\n%s", err, msg)
		return 1
	}
	return m.Run()
}

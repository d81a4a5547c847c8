// Command all runs the performance benchmarks of issue 20 one after the
// other and prints their figures as one table (figure, goal, verdict, and
// the machine's 1-minute load average when each figure was taken):
//
//   - bench/objections: opening work (settled ratio against the bare
//     one-activity workflow, 201 → first deadline stored) and the
//     caseworker's actions against a no-op Update (parts 1 and 2);
//   - bench/atrest: open cases at rest, restart, timers across an outage
//     (part 3);
//   - bench/lookup: the public lookup at a fixed rate from a separate load
//     process, and the disclosure sweep beside it (part 4).
//
// The quick sizes run in about a quarter of an hour on an idle machine;
// -full runs the sizes (100 000 cases, 10 M records: hours; keep
// the seeded clusters with -dir and run it once). Profiles go to -profiles.
//
//	make bench                      # go run ./bench/all
//	go run ./bench/all -full -dir /tmp/ccbench -profiles /tmp/ccprof
//	go run ./bench/all -only lookup
//
// It must run from the module root; nothing it makes is written inside the
// repository.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/creditcase/creditcase/bench/internal/figures"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/all:", err)
		os.Exit(1)
	}
}

func run() error {
	full := flag.Bool("full", false, "the issue's full sizes (100 000 cases, 10 M records, a 5-minute outage)")
	dir := flag.String("dir", "", "keep the seeded clusters here between runs (atrest/, lookup/)")
	profiles := flag.String("profiles", "", "directory for the CPU profiles (default: a temporary one, removed)")
	only := flag.String("only", "", "comma-separated subset: objections, atrest, lookup")
	flag.Parse()
	ctx := context.Background()

	tmp, err := os.MkdirTemp("", "creditcase-bench-all-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	prof := *profiles
	if prof == "" {
		prof = tmp
	} else if err := os.MkdirAll(prof, 0o755); err != nil {
		return err
	}
	figFile := filepath.Join(tmp, "figures.jsonl")

	type prog struct {
		name        string
		quick, full []string
	}
	progs := []prog{
		{"objections",
			[]string{"-n", "100", "-c", "8", "-rounds", "2", "-actions", "20", "-cpuprofile", filepath.Join(prof, "actions.pprof")},
			[]string{"-n", "400", "-c", "8", "-rounds", "4", "-actions", "100", "-cpuprofile", filepath.Join(prof, "actions.pprof")}},
		{"atrest",
			[]string{"-cases", "300", "-rest", "30s", "-timers", "30", "-outage", "60s"},
			[]string{"-cases", "100000", "-rest", "60s", "-timers", "200", "-outage", "5m", "-timeout", "8h"}},
		{"lookup",
			[]string{"-n", "200000", "-duration", "10s", "-cpuprofile", filepath.Join(prof, "lookup.pprof")},
			[]string{"-n", "10000000", "-duration", "20s", "-cpuprofile", filepath.Join(prof, "lookup.pprof")}},
	}
	var failed []string
	for _, p := range progs {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), p.name) {
			continue
		}
		args := p.quick
		if *full {
			args = p.full
		}
		if *dir != "" && p.name != "objections" {
			args = append(slices.Clone(args), "-dir", filepath.Join(*dir, p.name))
		}
		bin := filepath.Join(tmp, p.name)
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/"+p.name).CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./bench/%s: %w\n%s", p.name, err, out)
		}
		fmt.Fprintf(os.Stderr, "== bench/%s %s (load %.1f)\n", p.name, strings.Join(args, " "), figures.Load1())
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), "BENCH_FIGURES="+figFile)
		if err := cmd.Run(); err != nil {
			failed = append(failed, fmt.Sprintf("bench/%s: %v", p.name, err))
		}
		fmt.Fprintf(os.Stderr, "== bench/%s took %s\n", p.name, time.Since(t0).Round(time.Second))
	}
	figs, err := figures.Read(figFile)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	size := "quick sizes"
	if *full {
		size = "full sizes"
	}
	fmt.Printf("\nissue 20 benchmarks (%s; load = 1-minute load average of this 2-core machine when measured)\n", size)
	figures.Table(os.Stdout, figs)
	if *profiles != "" {
		fmt.Printf("profiles: go tool pprof -top %s\n", filepath.Join(*profiles, "*.pprof"))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}

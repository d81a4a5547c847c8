// Command all runs the performance benchmarks of issue 20 and issue 15 one after the
// other and prints their figures as one table (figure, goal, verdict, and
// the machine's 1-minute load average when each figure was taken):
//
//   - bench/objections: opening work (settled ratio against the bare
//     one-activity workflow, 201 → first deadline stored) and the
//     caseworker's actions against a no-op Update (parts 1 and 2);
//   - bench/atrest: open cases at rest, restart, timers across an outage
//     (part 3); half of the quick 300 and a fifth of each full size moved
//     on to later stages through the API (-advance), so their deadlines
//     spread over the coming weeks;
//   - bench/lookup: the public lookup at a fixed rate from a separate load
//     process, and the disclosure sweep beside it (part 4);
//   - bench/board: issue 15's staff pages — the worklist API, the console's
//     /desk and /board, the board API — worst p99 server time of each
//     (20 000 cases quick, the 1 M with -full: seeding takes some
//     ten minutes, keep it with -dir).
//
// The quick sizes run in about a quarter of an hour on an idle machine;
// -full runs the sizes (open cases grown in steps of 10 000,
// 30 000 and 100 000, measured at each, the 5-minute outage at 100 000;
// 10 M records: hours; keep the seeded clusters with -dir). Seeding runs
// under nice -n 19 ionice -c3; each measuring run starts its own servers
// on the seeded data at this program's priority, holding -lock (a
// flock(1) file, as a shared machine's bench lock) while it measures.
// Profiles go to -profiles.
//
//	make bench                      # go run ./bench/all
//	go run ./bench/all -full -dir /tmp/ccbench -profiles /tmp/ccprof -lock /work/bench.lock
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
	"strconv"
	"strings"
	"syscall"
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
	dir := flag.String("dir", "", "keep the seeded clusters here between runs (atrest/, lookup/, board/)")
	profiles := flag.String("profiles", "", "directory for the CPU profiles (default: a temporary one, removed)")
	only := flag.String("only", "", "comma-separated subset: objections, atrest, lookup, board")
	lock := flag.String("lock", "", "hold this lock file (flock) during each measuring run, not while seeding")
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

	// A run is one invocation of a bench program. Seeding runs (niced: they
	// are not measurements) grow a kept dataset; the measuring run after
	// each starts its own processes on it at this process's priority,
	// holding -lock when given.
	type run struct {
		name   string
		args   []string
		seed   bool
		outDir bool // gets -dir DIR/name
	}
	var runs []run
	add := func(name string, outDir bool, args ...string) {
		runs = append(runs, run{name: name, args: args, outDir: outDir})
	}
	seed := func(name string, args ...string) {
		runs = append(runs, run{name: name, args: args, seed: true, outDir: true})
	}
	if !*full {
		add("objections", false, "-n", "100", "-c", "8", "-rounds", "2", "-actions", "20", "-cpuprofile", filepath.Join(prof, "actions.pprof"))
		seed("atrest", "-seed", "-pause-reconciler", "-cases", "300", "-advance", "150")
		add("atrest", true, "-build=false", "-cases", "300", "-rest", "30s", "-timers", "30", "-outage", "60s")
		seed("lookup", "-n", "200000", "-seed-only")
		add("lookup", true, "-n", "200000", "-duration", "10s", "-cpuprofile", filepath.Join(prof, "lookup.pprof"))
		seed("board", "-seed-only", "-cases", "20000")
		add("board", true, "-cases", "20000", "-requests", "200", "-cpuprofile", filepath.Join(prof, "board.pprof"))
	} else {
		add("objections", false, "-n", "400", "-c", "8", "-rounds", "4", "-actions", "100", "-cpuprofile", filepath.Join(prof, "actions.pprof"))
		// Open cases grown in steps, measured at each: how each figure
		// scales with the number of cases; the 5-minute outage at the
		// largest size.
		// Two fifths of each size moved on to later stages (their
		// deadlines spread over the coming weeks; 40 000 of the 100 000 in
		// session 7); counted across the steps.
		for _, n := range []string{"10000", "30000", "100000"} {
			v, _ := strconv.Atoi(n)
			seed("atrest", "-seed", "-pause-reconciler", "-cases", n, "-advance", strconv.Itoa(v*2/5), "-timeout", "12h")
			outage := "60s"
			if n == "100000" {
				outage = "5m"
			}
			add("atrest", true, "-build=false", "-cases", n, "-rest", "60s", "-timers", "200", "-outage", outage)
		}
		seed("lookup", "-n", "10000000", "-seed-only")
		add("lookup", true, "-n", "10000000", "-duration", "20s", "-cpuprofile", filepath.Join(prof, "lookup.pprof"))
		seed("board", "-seed-only", "-cases", "1000000")
		add("board", true, "-cases", "1000000", "-requests", "1000", "-cpuprofile", filepath.Join(prof, "board.pprof"))
	}
	dataDir := *dir
	if dataDir == "" {
		dataDir = filepath.Join(tmp, "data")
	}
	var failed []string
	built := map[string]string{}
	for _, r := range runs {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), r.name) {
			continue
		}
		if slices.ContainsFunc(failed, func(f string) bool { return strings.HasPrefix(f, "bench/"+r.name+":") }) {
			continue // a failed seeding leaves nothing to measure
		}
		args := r.args
		if r.outDir {
			args = append(slices.Clone(args), "-dir", filepath.Join(dataDir, r.name))
		}
		bin, ok := built[r.name]
		if !ok {
			bin = filepath.Join(tmp, r.name)
			if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/"+r.name).CombinedOutput(); err != nil {
				return fmt.Errorf("go build ./bench/%s: %w\n%s", r.name, err, out)
			}
			built[r.name] = bin
		}
		argv := append([]string{bin}, args...)
		if r.seed {
			argv = append(niced(), argv...)
		}
		unlock := func() {}
		if !r.seed && *lock != "" {
			fmt.Fprintf(os.Stderr, "== waiting for %s\n", *lock)
			if unlock, err = takeLock(*lock); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "== bench/%s %s (load %.1f)\n", r.name, strings.Join(argv[len(argv)-len(args):], " "), figures.Load1())
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), "BENCH_FIGURES="+figFile)
		if err := cmd.Run(); err != nil {
			failed = append(failed, fmt.Sprintf("bench/%s: %v", r.name, err))
		}
		unlock()
		fmt.Fprintf(os.Stderr, "== bench/%s took %s\n", r.name, time.Since(t0).Round(time.Second))
	}
	figs, err := figures.Read(figFile)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	size := "quick sizes"
	if *full {
		size = "full sizes"
	}
	fmt.Printf("\nissue 20 and 15 benchmarks (%s; load = 1-minute load average of this 2-core machine when measured)\n", size)
	figures.Table(os.Stdout, figs)
	if *profiles != "" {
		fmt.Printf("profiles: go tool pprof -top %s\n", filepath.Join(*profiles, "*.pprof"))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return nil
}

// niced is the prefix that runs a seeding program at the lowest CPU and I/O
// priority (its servers inherit it), when nice and ionice exist.
func niced() []string {
	var p []string
	if _, err := exec.LookPath("nice"); err == nil {
		p = append(p, "nice", "-n", "19")
	}
	if _, err := exec.LookPath("ionice"); err == nil {
		p = append(p, "ionice", "-c3")
	}
	return p
}

// takeLock holds an exclusive flock(2) on path (the same lock as
// flock(1)) until the returned function is called.
func takeLock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

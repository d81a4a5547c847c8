// Command visibility measures what the reconciler asks the engine's
// visibility store for each batch of 1 000 open cases (issue 20.3): a
// CountWorkflowExecutions against a ListWorkflowExecutions with the same
// query (ExecutionStatus = 'Running' AND WorkflowId IN (…)), in CPU of the
// engine and its PostgreSQL per call and in wall time.
//
// It builds ./cmd/creditcase, starts `creditcase dev` on a private data
// dir and ports of its own, starts -n workflows on a task queue no worker
// polls (running, as open cases' workflows are at rest), then alternates
// -rounds of counts and of lists over them in batches of -batch through
// reconcile.TemporalEngine, reading the CPU of the dev process and its
// descendants (engine, worker, PostgreSQL) before and after each. Run it
// from the module root at the priority being measured, e.g.
//
//	nice -n 10 go run ./bench/visibility -n 3000 -rounds 3
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/bench/internal/procs"
	"github.com/creditcase/creditcase/internal/reconcile"
)

func main() {
	n := flag.Int("n", 3000, "running workflows to start")
	batch := flag.Int("batch", reconcile.ListPage, "workflow IDs a call asks about")
	rounds := flag.Int("rounds", 3, "rounds of counts and of lists over the workflows")
	flag.Parse()
	if err := run(*n, *batch, *rounds); err != nil {
		log.Fatal(err)
	}
}

func run(n, batch, rounds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "creditcase-bench-visibility-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "creditcase")
	if err := procs.Build(ctx, bin); err != nil {
		return err
	}
	tport, err := procs.TemporalPort(30300, 31900, "127.0.0.1")
	if err != nil {
		return err
	}
	hport, err := procs.HTTPPorts(1, 18191, 18192, 18193, 18194)
	if err != nil {
		return err
	}
	dev, err := procs.Start(dir, "dev", bin, []string{"DATA_DIR=" + filepath.Join(dir, "data"),
		fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", hport[0]), fmt.Sprintf("TEMPORAL_PORT=%d", tport), "TEMPORAL_UI_PORT=0"}, "dev")
	if err != nil {
		return err
	}
	defer func() { _ = dev.Stop(30 * time.Second) }()
	if err := dev.WaitLog(ctx, "creditcase dev: ready"); err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", tport)})
	if err != nil {
		return err
	}
	defer c.Close()

	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("objection:YY-2026-9%06d", i)
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: "bench-visibility-nobody-polls"},
			"ObjectionWorkflow"); err != nil {
			return fmt.Errorf("start %s: %w", ids[i], err)
		}
	}
	e := reconcile.TemporalEngine{Client: c}
	// Visibility follows the engine by a moment: wait until it shows all.
	for {
		found := 0
		for i := 0; i < n; i += batch {
			k, err := e.CountRunning(ctx, ids[i:min(i+batch, n)])
			if err != nil {
				return err
			}
			found += k
		}
		if found == n {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	fmt.Printf("%d running workflows, batches of %d IDs, %d rounds each; CPU = `creditcase dev` (engine, worker) + its PostgreSQL\n", n, batch, rounds)
	fmt.Println("| call | calls | workflows shown running | wall a call | CPU a call |")
	fmt.Println("|---|---|---|---|---|")
	for range rounds {
		for _, what := range []string{"count", "list"} {
			calls, shown := 0, 0
			c0, t0 := treeCPU(dev.PID()), time.Now()
			for i := 0; i < n; i += batch {
				part := ids[i:min(i+batch, n)]
				if what == "count" {
					k, err := e.CountRunning(ctx, part)
					if err != nil {
						return err
					}
					shown += k
				} else {
					got, _, err := e.ListRunning(ctx, part, nil)
					if err != nil {
						return err
					}
					shown += len(got)
				}
				calls++
			}
			wall, cpu := time.Since(t0), treeCPU(dev.PID())-c0
			fmt.Printf("| %s | %d | %d | %.0f ms | %.0f ms |\n", what, calls, shown,
				wall.Seconds()*1000/float64(calls), cpu*1000/float64(calls))
		}
	}
	return nil
}

// treeCPU is the user + system CPU seconds of pid and its descendants.
func treeCPU(pid int) float64 {
	sum := cpuSeconds(pid)
	for _, c := range children(pid) {
		sum += treeCPU(c)
	}
	return sum
}

func children(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// cpuSeconds is a process's user + system CPU time.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(fs[11], 64)
	st, _ := strconv.ParseFloat(fs[12], 64)
	return (u + st) / 100 // USER_HZ
}

// Package figures carries the measured figures of the bench programs to one
// table: each program appends its figures as JSON lines to the file named by
// BENCH_FIGURES (when set), and bench/all prints them side by side with
// their goal, verdict and the machine's load average when each was taken.
package figures

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
)

// Figure is one measured figure.
type Figure struct {
	Part  string  `json:"part"`  // the part: "1 opening", "2 actions"…
	Name  string  `json:"name"`  // what was measured
	Value string  `json:"value"` // the figure with its unit
	Goal  string  `json:"goal"`  // the goal, "" when the figure is reported only
	Met   *bool   `json:"met"`   // nil when there is no goal
	Load  float64 `json:"load"`  // 1-minute load average when measured
	Note  string  `json:"note,omitempty"`
}

// Verdict is "met", "NOT met" or "—".
func (f Figure) Verdict() string {
	switch {
	case f.Met == nil:
		return "—"
	case *f.Met:
		return "met"
	default:
		return "NOT met"
	}
}

// Goal returns a figure whose verdict is met.
func Goal(part, name, value, goal string, met bool) Figure {
	return Figure{Part: part, Name: name, Value: value, Goal: goal, Met: &met, Load: Load1()}
}

// Report returns a figure without a goal.
func Report(part, name, value string) Figure {
	return Figure{Part: part, Name: name, Value: value, Load: Load1()}
}

// Load1 is the 1-minute load average (0 when unknown).
func Load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fs := strings.Fields(string(b))
	if len(fs) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fs[0], 64)
	return v
}

var mu sync.Mutex

// Emit prints f on standard error and appends it to $BENCH_FIGURES.
func Emit(fs ...Figure) {
	mu.Lock()
	defer mu.Unlock()
	path := os.Getenv("BENCH_FIGURES")
	var out *os.File
	if path != "" {
		var err error
		out, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "figures:", err)
		}
	}
	for _, f := range fs {
		fmt.Fprintf(os.Stderr, "figure: [%s] %s = %s (goal %s: %s; load %.1f)\n", f.Part, f.Name, f.Value, orDash(f.Goal), f.Verdict(), f.Load)
		if out != nil {
			b, _ := json.Marshal(f)
			_, _ = out.Write(append(b, '\n'))
		}
	}
	if out != nil {
		_ = out.Close()
	}
}

// Read reads the figures of a BENCH_FIGURES file.
func Read(path string) ([]Figure, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Figure
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var fig Figure
		if err := json.Unmarshal(sc.Bytes(), &fig); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, fig)
	}
	return out, sc.Err()
}

// Table prints the figures as one table.
func Table(w io.Writer, fs []Figure) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "part\tfigure\tvalue\tgoal\tverdict\tload")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f\n", f.Part, f.Name, f.Value, orDash(f.Goal), f.Verdict(), f.Load)
	}
	_ = tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

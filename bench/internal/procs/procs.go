// Package procs runs creditcase's production roles as separate operating
// system processes for the scale-out and cluster rehearsals in bench/: it
// builds the binary, starts processes with their own environment and log
// file, waits until they serve, and stops them gently or with SIGKILL.
package procs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Build compiles ./cmd/creditcase (run from the module root) into out, as
// `make build` does, with the given build tags. (deploy/check builds the
// image's static variant and checks it.)
func Build(ctx context.Context, out string, tags ...string) error {
	args := []string{"build", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "./cmd/creditcase")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// Proc is one started process.
type Proc struct {
	Name string
	Log  string // path of its combined stdout and stderr
	// from is where this run's output begins in Log: a process started
	// again appends to the same file, and what its earlier run wrote
	// (an "engine ready" line, say) must not answer for this one.
	from int64
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs bin with args and env (added to this process's environment),
// its output in dir/NAME.log. The process is killed if this one dies.
func Start(dir, name, bin string, env []string, args ...string) (*Proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	var from int64
	if fi, err := f.Stat(); err == nil {
		from = fi.Size()
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Log: logPath, from: from, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the process ID.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Exited is closed when the process has ended.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Kill9 sends SIGKILL and waits until the process is gone.
func (p *Proc) Kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM (the roles shut down gracefully) and waits up to grace,
// then kills.
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		p.Kill9()
		return fmt.Errorf("%s did not stop within %s; killed", p.Name, grace)
	}
}

// Tail is the end of the process's log, for error messages.
func (p *Proc) Tail() string {
	b := p.output()
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}

// output is what this run of the process has written so far.
func (p *Proc) output() []byte {
	b, _ := os.ReadFile(p.Log)
	if int64(len(b)) < p.from {
		return nil
	}
	return b[p.from:]
}

// WaitLog waits until the log contains want, failing early if the process
// exits.
func (p *Proc) WaitLog(ctx context.Context, want string) error {
	for {
		if strings.Contains(string(p.output()), want) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before %q:\n%s", p.Name, p.err, want, p.Tail())
		case <-ctx.Done():
			return fmt.Errorf("%s: no %q: %w\n%s", p.Name, want, ctx.Err(), p.Tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitReady waits until GET url answers 200, failing early if the process
// exits.
func (p *Proc) WaitReady(ctx context.Context, url string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before %s answered:\n%s", p.Name, p.err, url, p.Tail())
		case <-ctx.Done():
			return fmt.Errorf("%s: %s not ready: %w\n%s", p.Name, url, ctx.Err(), p.Tail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Run runs bin to completion with env and returns its combined output.
func Run(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// TemporalPort finds a frontend port P in [lo, hi) whose whole layout is
// free on every one of ips: P..P+3, P-300..P-297 (membership) and P+10
// (HTTP), as internal/engine lays it out. hi must stay at most 32000.
func TemporalPort(lo, hi int, ips ...string) (int, error) {
next:
	for p := lo; p < hi; p += 20 {
		ports := []int{p + 10}
		for i := range 4 {
			ports = append(ports, p+i, p-300+i)
		}
		for _, ip := range ips {
			if !free(ip, ports...) {
				continue next
			}
		}
		return p, nil
	}
	return 0, fmt.Errorf("no free Temporal port block on %v in [%d, %d)", ips, lo, hi)
}

// HTTPPorts returns n free ports from candidates, in order.
func HTTPPorts(n int, candidates ...int) ([]int, error) {
	var out []int
	for _, p := range candidates {
		if free("127.0.0.1", p) {
			out = append(out, p)
		}
		if len(out) == n {
			return out, nil
		}
	}
	return nil, errors.New("not enough free HTTP ports among " + fmt.Sprint(candidates))
}

func free(ip string, ports ...int) bool {
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}

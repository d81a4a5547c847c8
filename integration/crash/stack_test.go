package crash

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
	"testing"
	"time"
)

// devStack is `creditcase dev` as a child process on its own data
// directory and ports, started again on the same ones after a kill.
type devStack struct {
	t        *testing.T
	dir      string // DATA_DIR
	logs     string // where each run's output goes
	env      []string
	base     string // http://127.0.0.1:port
	temporal string // host:port of the engine's frontend
	pgPort   int
	cmd      *exec.Cmd
	exited   chan error
	runs     int
}

// freePort is a TCP port free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// temporalPort finds a frontend port from 28000 up whose whole layout (the
// engine binds P..P+3, P-300..P-297 and P+10) is free; Temporal keeps
// membership ports as smallint, so it must stay below 32000.
func temporalPort(t *testing.T) int {
	t.Helper()
	for p := 28000; p < 31900; p += 20 {
		free := true
		for _, q := range []int{p, p + 1, p + 2, p + 3, p - 300, p - 299, p - 298, p - 297, p + 10} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				free = false
				break
			}
			_ = l.Close()
		}
		if free {
			return p
		}
	}
	t.Fatal("no free block of ports for the engine between 28000 and 31900")
	return 0
}

func newDevStack(t *testing.T) *devStack {
	root, err := os.MkdirTemp("", "creditcase-crash-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("data and logs of the failed run kept in %s", root)
			return
		}
		_ = os.RemoveAll(root)
	})
	s := &devStack{t: t, dir: filepath.Join(root, "data"), logs: root, pgPort: freePort(t)}
	httpPort, tport := freePort(t), temporalPort(t)
	s.base = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	s.temporal = fmt.Sprintf("127.0.0.1:%d", tport)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "HTTP_ADDR", "METRICS_ADDR", "DATA_DIR", "PG_PORT",
			"TEMPORAL_PORT", "TEMPORAL_UI_PORT", "LOG_LEVEL", "LOG_FORMAT", "TEMPORAL_LOG_LEVEL", "SUBSCRIBERS_FILE", "SMTP_ADDR":
			continue
		}
		s.env = append(s.env, kv)
	}
	s.env = append(s.env, "DATA_DIR="+s.dir, fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", httpPort), fmt.Sprintf("PG_PORT=%d", s.pgPort),
		fmt.Sprintf("TEMPORAL_PORT=%d", tport), "TEMPORAL_UI_PORT=0", "LOG_LEVEL=info", "LOG_FORMAT=json", "TEMPORAL_LOG_LEVEL=error")
	t.Cleanup(s.stop)
	return s
}

// start runs dev and waits until /readyz says 200.
func (s *devStack) start(ctx context.Context) time.Duration {
	s.t.Helper()
	s.runs++
	out, err := os.Create(filepath.Join(s.logs, fmt.Sprintf("dev-%d.log", s.runs)))
	if err != nil {
		s.t.Fatal(err)
	}
	began := time.Now()
	cmd := exec.Command(bin, "dev")
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait(); out.Close() }()
	hc := &http.Client{Timeout: 3 * time.Second}
	for {
		resp, err := hc.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(began)
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			s.t.Fatalf("creditcase dev (run %d) exited while starting: %v\n%s", s.runs, err, s.tail())
		case <-ctx.Done():
			s.t.Fatalf("creditcase dev (run %d) not ready: %v\n%s", s.runs, ctx.Err(), s.tail())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// kill sends SIGKILL to dev (not to its children: what becomes of its
// PostgreSQL is the product's business) and waits for it to be gone.
func (s *devStack) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill -9 dev: %v", err)
	}
	<-s.exited
	s.cmd = nil
}

// stop ends dev as Ctrl-C would (it stops its PostgreSQL), killing it if
// it does not end within a minute.
func (s *devStack) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// postmaster is the PID of the private PostgreSQL serving dev now.
func (s *devStack) postmaster() int {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.dir, "pg", "postmaster.pid"))
	if err != nil {
		s.t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		s.t.Fatalf("postmaster.pid: %q", first)
	}
	return pid
}

// dbURL is the application's database in dev's private cluster.
func (s *devStack) dbURL() string {
	s.t.Helper()
	pw, err := os.ReadFile(filepath.Join(s.dir, "pg.password"))
	if err != nil {
		s.t.Fatal(err)
	}
	return fmt.Sprintf("postgres://creditcase:%s@127.0.0.1:%d/creditcase?sslmode=disable", strings.TrimSpace(string(pw)), s.pgPort)
}

// tail is the end of the current run's output, for a failure message.
func (s *devStack) tail() string {
	data, err := os.ReadFile(filepath.Join(s.logs, fmt.Sprintf("dev-%d.log", s.runs)))
	if err != nil {
		return "(no output)"
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 25 {
		lines = lines[len(lines)-25:]
	}
	return strings.Join(lines, "\n")
}

// alive reports whether dev still runs.
func (s *devStack) alive() error {
	select {
	case err := <-s.exited:
		s.exited <- err
		if err == nil {
			err = errors.New("exited")
		}
		return err
	default:
		return nil
	}
}

// Package pgcluster runs a private PostgreSQL cluster from the system's
// PostgreSQL server binaries: created with initdb on first use, started as a
// child process on 127.0.0.1, and stopped with its parent. It is the database
// of `creditcase dev` and of the integration tests when DATABASE_URL is unset.
package pgcluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/ident"
)

// Superuser is the cluster's superuser name; the password is generated at
// initdb and kept beside the data directory in <dir>.password (mode 0600).
const Superuser = "creditcase"

// ErrNoBinaries means initdb/postgres were not found. Its message says how to fix it.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin: run `make setup` (Debian: apt-get install postgresql) or set DATABASE_URL")

// Config says where the cluster lives and how it listens.
type Config struct {
	// Dir is the data directory (created if missing).
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Log receives progress lines; nil discards them.
	Log func(msg string)
	// Settings are more server settings ("name=value"), given on the
	// command line after the defaults (shared_buffers=128MB, sized for
	// development and tests), which they override; LogSettings still win.
	Settings []string
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	dir      string
	port     int
	password string
	bin      string
	owner    *user.User
	settings []string
	mu       sync.Mutex // guards cmd, done, waitErr across restarts
	cmd      *exec.Cmd
	done     chan struct{} // closed when the server process has exited
	waitErr  error
	stopOnce sync.Once
	stopping atomic.Bool
}

// FindBinDir returns the directory holding initdb and postgres: PATH first,
// then the newest /usr/lib/postgresql/N/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return pgMajor(matches[i]) > pgMajor(matches[j]) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

func pgMajor(initdbPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdbPath))))
	return n
}

// Start creates the cluster if needed and starts it. It returns when the
// server accepts connections; ctx bounds the wait.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			cfg.Log(fmt.Sprintf(format, args...))
		}
	}
	for _, s := range cfg.Settings {
		if name, _, ok := strings.Cut(s, "="); !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("PostgreSQL setting %q: want name=value", s)
		}
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	if err := prepareDir(dir, owner); err != nil {
		return nil, err
	}
	password, err := ensureInitialised(ctx, bin, dir, owner, logf)
	if err != nil {
		return nil, err
	}
	if err := clearStaleServer(ctx, bin, dir, owner, logf); err != nil {
		return nil, err
	}
	port := cfg.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	} else if err := portFree(port); err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, port: port, password: password, bin: bin, owner: owner, settings: cfg.Settings}
	if err := c.spawn(bin, owner); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	logf("PostgreSQL %s ready on 127.0.0.1:%d (data %s)", filepath.Base(filepath.Dir(bin)), port, dir)
	return c, nil
}

// URL returns a connection URL for database db as the superuser.
func (c *Cluster) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// LogPath is the server's log file (mode LogMode).
func (c *Cluster) LogPath() string { return c.dir + ".log" }

// Dir is the data directory.
func (c *Cluster) Dir() string { return c.dir }

// Done is closed when the server process running now has exited, for
// whatever reason (after a Restart, the new process's).
func (c *Cluster) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// PID is the server's (postmaster's) process ID, 0 when none runs.
func (c *Cluster) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Stopping reports whether Stop was called (an exit is then no failure).
func (c *Cluster) Stopping() bool { return c.stopping.Load() }

// Restart starts the server again, on the same port and data, after it
// exited (crashed, killed): PostgreSQL recovers from its WAL. It returns
// when the server accepts connections, or an error (the old server's
// backends may still hold its shared memory for a moment: try again).
func (c *Cluster) Restart(ctx context.Context) error {
	select {
	case <-c.Done():
	default:
		return errors.New("postgres is still running")
	}
	if c.stopping.Load() {
		return errors.New("postgres is being stopped")
	}
	if err := clearStaleServer(ctx, c.bin, c.dir, c.owner, func(string, ...any) {}); err != nil {
		return err
	}
	if err := portFree(c.port); err != nil {
		return err
	}
	if err := c.spawn(c.bin, c.owner); err != nil {
		return err
	}
	return c.waitReady(ctx)
}

// Stop shuts the server down (fast mode: open sessions are ended, data is
// flushed) and waits for it to exit. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopping.Store(true)
	c.stopOnce.Do(func() {
		c.mu.Lock()
		cmd, done := c.cmd, c.done
		c.mu.Unlock()
		if cmd == nil || cmd.Process == nil {
			return
		}
		select {
		case <-done:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Signal(syscall.SIGQUIT)
			<-done
		}
	})
}

// CreateDatabase creates db unless it exists. dsn is any database on the server.
func CreateDatabase(ctx context.Context, dsn, db string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize())
	return err
}

// spawn starts postgres as a child process that dies with this process: the
// parent-death signal is tied to the OS thread that forks, so a goroutine
// locked to its thread forks and then waits for the child.
func (c *Cluster) spawn(bin string, owner *user.User) error {
	logFile, err := openLog(c.dir + ".log")
	if err != nil {
		return err
	}
	started := make(chan error, 1)
	done := make(chan struct{})
	c.mu.Lock()
	c.done = done
	c.mu.Unlock()
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		defer logFile.Close()
		args := []string{
			"-D", c.dir,
			"-p", strconv.Itoa(c.port),
			"-c", "listen_addresses=127.0.0.1",
			"-c", "unix_socket_directories=",
			"-c", "max_connections=200",
			"-c", "shared_buffers=128MB",
		}
		for _, s := range c.settings {
			args = append(args, "-c", s)
		}
		for _, s := range LogSettings {
			args = append(args, "-c", s)
		}
		cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
		out := &maskingWriter{w: logFile}
		defer out.flush()
		cmd.Stdout = out
		cmd.Stderr = out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGINT, Setpgid: true}
		setCredential(cmd, owner)
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("start postgres: %w", err)
			close(done)
			return
		}
		c.mu.Lock()
		c.cmd = cmd
		c.mu.Unlock()
		started <- nil
		err := cmd.Wait()
		c.mu.Lock()
		c.waitErr = err
		c.mu.Unlock()
		close(done)
	}()
	return <-started
}

// LogSettings keep personal data out of the server log. A unique
// violation's DETAIL line quotes the key ("Key (ident)=(110105…) already
// exists"), and an error's STATEMENT line quotes the SQL with any literals
// in it, so the log holds only each error's primary message (terse), never
// the statement, never bind parameters, and no per-statement logging.
// Given on the command line, they override postgresql.conf and ALTER
// SYSTEM.
var LogSettings = []string{
	"log_error_verbosity=terse",
	"log_min_error_statement=panic",
	"log_parameter_max_length_on_error=0",
	"log_parameter_max_length=0",
	"log_statement=none",
	"log_min_duration_statement=-1",
	"log_connections=off",
	"log_disconnections=off",
}

// LogMode is the permission of the server log: the owner only.
const LogMode = 0o600

// openLog opens the server log for appending with mode LogMode, tightening
// a log left by an earlier version with wider permissions.
func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, LogMode)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL log: %w", err)
	}
	if err := f.Chmod(LogMode); err != nil {
		f.Close()
		return nil, fmt.Errorf("restrict PostgreSQL log %s to its owner: %w", path, err)
	}
	return f, nil
}

// maskingWriter passes the server's output to the log line by line with
// every citizen identity number masked: with terse errors and no
// statements logged, a value can still reach the log inside an error's
// own message (`value "110105…" is out of range for type integer`).
type maskingWriter struct {
	mu      sync.Mutex
	w       io.Writer
	partial []byte
}

func (m *maskingWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partial = append(m.partial, p...)
	i := bytes.LastIndexByte(m.partial, '\n')
	if i < 0 {
		if len(m.partial) < 64<<10 {
			return len(p), nil
		}
		i = len(m.partial) - 1
	}
	lines := m.partial[:i+1]
	_, err := io.WriteString(m.w, ident.MaskIDNumbersIn(string(lines)))
	m.partial = append(m.partial[:0], m.partial[i+1:]...)
	return len(p), err
}

func (m *maskingWriter) flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.partial) > 0 {
		_, _ = io.WriteString(m.w, ident.MaskIDNumbersIn(string(m.partial)))
		m.partial = nil
	}
}

func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-c.Done():
			c.mu.Lock()
			werr := c.waitErr
			c.mu.Unlock()
			return fmt.Errorf("postgres exited while starting (%v); its log says: %s", werr, tailLog(c.dir+".log"))
		case <-ctx.Done():
			return fmt.Errorf("postgres on port %d not ready: %w; log: %s", c.port, ctx.Err(), tailLog(c.dir+".log"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serverUser is the account the server runs as: the current user, or the
// `postgres` account when running as root (PostgreSQL refuses root).
func serverUser() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root but there is no `postgres` user to run PostgreSQL as: install the postgresql package (make setup) or run as another user")
	}
	return u, nil
}

func setCredential(cmd *exec.Cmd, owner *user.User) {
	if owner == nil {
		return
	}
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "HOME="+owner.HomeDir, "USER="+owner.Username)
}

// prepareDir makes dir's parent, checks that it is writable, and when the
// server runs as another user makes sure that user can reach dir.
func prepareDir(dir string, owner *user.User) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("cannot create %s (%v): choose a writable DATA_DIR or set DATABASE_URL", parent, err)
	}
	probe := filepath.Join(parent, ".write-test")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return fmt.Errorf("%s is not writable (%v): choose a writable DATA_DIR or set DATABASE_URL", parent, err)
	}
	_ = os.Remove(probe)
	if owner == nil {
		return nil
	}
	// The server user must be able to traverse every ancestor of dir.
	for p := parent; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("user postgres cannot reach %s and it cannot be opened for traversal (%v): use a DATA_DIR outside it", p, err)
			}
		}
		if p == "/" {
			break
		}
	}
	return nil
}

// ensureInitialised runs initdb on a new directory and returns the superuser password.
func ensureInitialised(ctx context.Context, bin, dir string, owner *user.User, logf func(string, ...any)) (string, error) {
	pwFile := dir + ".password"
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		pw, err := os.ReadFile(pwFile)
		if err != nil {
			return "", fmt.Errorf("cluster %s exists but its password file is unreadable (%v): remove %s to start afresh", dir, err, dir)
		}
		return strings.TrimSpace(string(pw)), nil
	}
	// A directory left half-made by an interrupted initdb is removed and made again.
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("remove incomplete cluster %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	password := hex.EncodeToString(buf)
	tmpPw := filepath.Join(dir, "initdb.pw")
	if err := os.WriteFile(tmpPw, []byte(password+"\n"), 0o600); err != nil {
		return "", err
	}
	if owner != nil {
		if err := chownTree(dir, owner); err != nil {
			return "", err
		}
	}
	logf("initdb %s (first start: this takes a few seconds)", dir)
	// initdb wants an empty directory: give it a subdirectory, then move it up.
	target := filepath.Join(dir, "data")
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", target, "-U", Superuser, "--pwfile", tmpPw,
		"--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")
	setCredential(cmd, owner)
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("initdb failed: %v: %s", err, lastLines(out, 5))
	}
	if err := moveUp(target, dir); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	_ = os.Remove(tmpPw)
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return password, nil
}

func moveUp(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return os.Remove(from)
}

func chownTree(dir string, owner *user.User) error {
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// clearStaleServer deals with a postmaster.pid left behind: a server still
// running on this directory (from an earlier run that was killed before it
// could stop it) is shut down; a file naming a dead or foreign process is removed.
func clearStaleServer(ctx context.Context, bin, dir string, owner *user.User, logf func(string, ...any)) error {
	pidFile := filepath.Join(dir, "postmaster.pid")
	data, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || !isPostgres(pid) {
		logf("removing stale %s", pidFile)
		return os.Remove(pidFile)
	}
	logf("a PostgreSQL server (pid %d) from an earlier run still serves %s: stopping it", pid, dir)
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_ctl"), "stop", "-D", dir, "-m", "fast", "-w", "-t", "60")
	setCredential(cmd, owner)
	if out, err := cmd.CombinedOutput(); err != nil {
		// The server may have been shutting down already (its parent was
		// killed: it got SIGINT) and finished between our look and
		// pg_ctl's: "PID file does not exist" then means it is gone.
		if waitGone(ctx, pid, pidFile, 10*time.Second) {
			logf("the earlier PostgreSQL server (pid %d) has stopped", pid)
			return nil
		}
		return fmt.Errorf("stop earlier PostgreSQL server pid %d: %v: %s", pid, err, lastLines(out, 3))
	}
	return nil
}

// waitGone waits up to d for the server pid to have exited and its
// postmaster.pid to be gone (or to name another process).
func waitGone(ctx context.Context, pid int, pidFile string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !isPostgres(pid) {
			data, err := os.ReadFile(pidFile)
			first, _, _ := strings.Cut(string(data), "\n")
			if errors.Is(err, os.ErrNotExist) || strings.TrimSpace(first) != strconv.Itoa(pid) {
				return true
			}
			// A postmaster.pid naming a dead process is stale: Start
			// removes it.
			return os.Remove(pidFile) == nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isPostgres(pid int) bool {
	if pid <= 0 {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	// A zombie (exited, not yet reaped by whoever adopted it) serves
	// nothing.
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	return strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1 is in use: set PG_PORT to a free port (or 0 to pick one)", port)
	}
	return l.Close()
}

func tailLog(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	return lastLines(data, 5)
}

func lastLines(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			lines = append(lines, t)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

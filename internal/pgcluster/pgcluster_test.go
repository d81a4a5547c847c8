package pgcluster

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// childEnv makes the test binary act as a `dev` process holding a cluster.
const childEnv = "PGCLUSTER_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		c, err := Start(context.Background(), Config{Dir: dir})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ready", c.Port())
		select {} // until killed
	}
	os.Exit(m.Run())
}

func tempDir(t *testing.T) string {
	t.Helper()
	// Under /tmp so that the postgres user can reach it when tests run as root.
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func query(t *testing.T, c *Cluster) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	return one
}

func TestStartCreatesClusterAndKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	c, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := CreateDatabase(ctx, c.URL("postgres"), "kept"); err != nil {
		t.Fatal(err)
	}
	if err := CreateDatabase(ctx, c.URL("postgres"), "kept"); err != nil {
		t.Fatalf("creating an existing database again: %v", err)
	}
	c.Stop()
	c.Stop() // idempotent

	c, err = Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	defer c.Stop()
	conn, err := pgx.Connect(ctx, c.URL("kept"))
	if err != nil {
		t.Fatalf("database made before the restart: %v", err)
	}
	conn.Close(ctx)
}

// A `dev` process killed with SIGKILL takes its PostgreSQL with it (parent
// death signal), and the next start on the same directory succeeds.
func TestRecoversAfterOwnerIsKilled(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		_ = cmd.Process.Kill()
		t.Fatalf("child: %q %v", line, err)
	}
	port, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "ready ")))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The orphaned server shuts down by itself.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL on port %d still answers 30 s after its owner was killed", port)
		}
		time.Sleep(200 * time.Millisecond)
	}

	c, err := Start(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatalf("start after SIGKILL: %v", err)
	}
	defer c.Stop()
	if query(t, c) != 1 {
		t.Fatal("cluster does not answer after recovery")
	}
}

// Started again at once after its owner was killed (as a supervisor or a
// crash test does), three times over: the orphaned server is still
// shutting down, and may finish between the start's look at
// postmaster.pid and its pg_ctl stop — the start then waits for it
// instead of failing on "PID file does not exist" (seen by the crash
// test, integration/crash).
func TestStartsAtOnceAfterOwnerIsKilled(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ready ") {
			_ = cmd.Process.Kill()
			t.Fatalf("round %d: child: %q %v", round, line, err)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		c, err := Start(context.Background(), Config{Dir: dir})
		if err != nil {
			t.Fatalf("round %d: start right after SIGKILL: %v", round, err)
		}
		if query(t, c) != 1 {
			t.Fatalf("round %d: cluster does not answer", round)
		}
		c.Stop()
	}
}

// A postmaster.pid naming a process that is not PostgreSQL (a stale file
// after a crash, its PID reused) is removed, and the server starts.
func TestStalePidFileIsCleared(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	c, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	stale := fmt.Sprintf("%d\n%s\n", os.Getpid(), dir) // this test process: alive, not postgres
	if err := os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("start with stale pid file: %v", err)
	}
	defer c.Stop()
	query(t, c)
}

func TestPortInUseIsOneClearError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Config{Dir: filepath.Join(tempDir(t), "pg"), Port: port})
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "PG_PORT") {
		t.Fatalf("err = %v; want a message naming the port in use and PG_PORT", err)
	}
}

func TestUnwritableDataDirIsOneClearError(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere; use a path under a regular file instead.
		f := filepath.Join(tempDir(t), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Start(context.Background(), Config{Dir: filepath.Join(f, "data", "pg")})
		if err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
			t.Fatalf("err = %v; want a message naming DATA_DIR", err)
		}
		return
	}
	ro := tempDir(t)
	if err := os.Chmod(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(ro, 0o700)
	_, err := Start(context.Background(), Config{Dir: filepath.Join(ro, "pg")})
	if err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
		t.Fatalf("err = %v; want a message naming DATA_DIR", err)
	}
}

// The server log holds no key values, statements or parameters, and only
// its owner can read it — also a log left world-readable by an earlier run.
func TestServerLogKeepsPersonalDataOut(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	if err := os.WriteFile(dir+".log", []byte("from an earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const id, name = "11010519491231002X", "张三丰"
	if _, err := conn.Exec(ctx, `CREATE TABLE subjects (ident text UNIQUE, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO subjects VALUES ($1, $2)`, id, name); err != nil {
		t.Fatal(err)
	}
	// A unique violation (bind parameters), a NOT NULL violation and a
	// literal in the SQL text: each would quote the data at default settings.
	if _, err := conn.Exec(ctx, `INSERT INTO subjects VALUES ($1, $2)`, id, name); err == nil {
		t.Fatal("duplicate accepted")
	}
	if _, err := conn.Exec(ctx, `INSERT INTO subjects VALUES ('`+id+`x', NULL)`); err == nil {
		t.Fatal("null name accepted")
	}
	if _, err := conn.Exec(ctx, `SELECT ident::int FROM subjects WHERE name = '`+name+`'`); err == nil {
		t.Fatal("cast accepted")
	}
	c.Stop()
	st, err := os.Stat(c.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != LogMode {
		t.Errorf("log mode %v, want %v", st.Mode().Perm(), os.FileMode(LogMode))
	}
	log, err := os.ReadFile(c.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "duplicate key value violates unique constraint") {
		t.Fatalf("the errors were not logged at all:\n%s", log)
	}
	for _, secret := range []string{id, name, "DETAIL", "STATEMENT"} {
		if strings.Contains(string(log), secret) {
			t.Errorf("server log holds %q:\n%s", secret, log)
		}
	}
}

// Issue 12.4: a cluster killed with SIGKILL (its postmaster) is started
// again by Restart on the same port, and its data is there.
func TestRestartAfterKill(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx, Config{Dir: filepath.Join(tempDir(t), "pg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if err := CreateDatabase(ctx, c.URL("postgres"), "kept"); err != nil {
		t.Fatal(err)
	}
	port := c.Port()
	if err := syscall.Kill(c.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if _, err := pgx.Connect(ctx, c.URL("postgres")); err == nil {
		t.Fatal("connected to a killed server")
	}
	// The old server's backends may hold its shared memory a moment.
	deadline := time.Now().Add(time.Minute)
	for {
		err := c.Restart(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restart: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if c.Port() != port || query(t, c) != 1 {
		t.Fatalf("after restart: port %d (was %d)", c.Port(), port)
	}
	conn, err := pgx.Connect(ctx, c.URL("kept"))
	if err != nil {
		t.Fatalf("the database made before the kill: %v", err)
	}
	conn.Close(ctx)
	select {
	case <-c.Done():
		t.Fatal("Done closed for the restarted server")
	default:
	}
	if err := c.Restart(ctx); err == nil {
		t.Fatal("Restart of a running server succeeded")
	}
}

// A cluster sized for a register (bench/lookup, a production-like run) is
// started with more settings; they take effect, but never over the
// settings that keep personal data out of the server log.
func TestSettingsTakeEffectButNotOverTheLogSettings(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "pg")
	if _, err := Start(ctx, Config{Dir: dir, Settings: []string{"shared_buffers"}}); err == nil || !strings.Contains(err.Error(), `"shared_buffers"`) {
		t.Fatalf("a setting without a value: %v, want an error naming it", err)
	}
	c, err := Start(ctx, Config{Dir: dir, Settings: []string{"shared_buffers=48MB", "wal_compression=on", "log_statement=all"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for name, want := range map[string]string{"shared_buffers": "48MB", "wal_compression": "pglz", "log_statement": "none", "max_connections": "200"} {
		var got string
		if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
}

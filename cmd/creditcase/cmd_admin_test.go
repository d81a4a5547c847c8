package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

// The first administrator of a production install: created from the
// command line with a password read from standard input or ADMIN_PASSWORD,
// held to the password policy (a weak one refused with the reason, nothing
// stored), audited, and able to log in.
func TestAdminCreate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/tmp", "creditcase-admin-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	url := pg.URL("postgres")
	pool, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	mig, err := db.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
	mig.Close()
	t.Setenv("DATABASE_URL", url)

	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		adminStdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		code := runMain(append([]string{"admin"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	create := []string{"create", "--username", "ops.admin", "--display-name", "运维管理员", "--password-stdin"}

	// Weak passwords: refused with the policy's reason, nothing stored.
	for pw, why := range map[string]string{
		"short1!":          "at least 12 characters",
		"password1234":     "common password",
		"ops.admin.ops.ad": "user name",
	} {
		code, _, stderr := run(pw+"\n", create...)
		if code != 1 || !strings.Contains(stderr, why) || !strings.Contains(stderr, "nothing stored") {
			t.Errorf("password %q: exit %d, %q; want 1 naming %q", pw, code, stderr, why)
		}
	}
	if n := count(`SELECT count(*) FROM accounts`); n != 0 {
		t.Fatalf("%d accounts after refusals, want 0", n)
	}
	// The password is never taken from an argument, nor from two places.
	if code, _, stderr := run("", "create", "--username", "ops.admin", "--display-name", "x", "Kq7-vessel-Orbit-29"); code != 2 || !strings.Contains(stderr, "never an argument") {
		t.Errorf("password as an argument: exit %d, %q; want 2", code, stderr)
	}
	t.Setenv("ADMIN_PASSWORD", "Kq7-vessel-Orbit-29")
	if code, _, stderr := run("Kq7-vessel-Orbit-29\n", create...); code != 2 || !strings.Contains(stderr, "not both") {
		t.Errorf("stdin and ADMIN_PASSWORD: exit %d, %q; want 2", code, stderr)
	}
	os.Unsetenv("ADMIN_PASSWORD")
	if code, _, stderr := run("", "create", "--username", "ops.admin", "--display-name", "x"); code != 2 || !strings.Contains(stderr, "no password") {
		t.Errorf("no password: exit %d, %q; want 2", code, stderr)
	}

	// A strong one on standard input (CRLF too): created, audited, can log in.
	code, stdout, stderr := run("Kq7-vessel-Orbit-29\r\n", create...)
	if code != 0 || !strings.Contains(stdout, "ops.admin") {
		t.Fatalf("strong password: exit %d, %q %q", code, stdout, stderr)
	}
	a, _, err := auth.New(pool, 0).Login(ctx, "ops.admin", "Kq7-vessel-Orbit-29")
	if err != nil || a.Role != auth.Admin || a.DisplayName != "运维管理员" {
		t.Fatalf("log-in as the new administrator: %+v, %v", a, err)
	}
	if n := count(`SELECT count(*) FROM audit_events WHERE action = 'account.created' AND object_id = $1
		AND actor LIKE 'cli%' AND role = 'admin'`, fmt.Sprint(a.ID)); n != 1 {
		t.Errorf("audit events of the creation: %d, want 1", n)
	}
	if strings.Contains(stdout+stderr, "Kq7-vessel-Orbit-29") {
		t.Error("the password was printed")
	}

	// From ADMIN_PASSWORD; the same name again is refused, nothing changed.
	t.Setenv("ADMIN_PASSWORD", "Lumen-harbor-83-quay")
	if code, _, stderr := run("", "create", "--username", "ops.admin", "--display-name", "again"); code != 1 || !strings.Contains(stderr, "taken") {
		t.Errorf("a taken user name: exit %d, %q; want 1 naming it taken", code, stderr)
	}
	if code, _, stderr := run("", "create", "--username", "second.admin", "--display-name", "第二管理员"); code != 0 {
		t.Errorf("from ADMIN_PASSWORD: exit %d, %q", code, stderr)
	}
	if n := count(`SELECT count(*) FROM accounts WHERE role = 'admin'`); n != 2 {
		t.Errorf("%d administrators, want 2", n)
	}
}

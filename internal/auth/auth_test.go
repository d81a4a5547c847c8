package auth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/records"
)

var pool *pgxpool.Pool

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "auth tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/tmp", "creditcase-auth-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, err
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")})
	if err != nil {
		return 0, err
	}
	defer pg.Stop()
	if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), "authtest"); err != nil {
		return 0, err
	}
	if pool, err = db.Open(ctx, pg.URL("authtest")); err != nil {
		return 0, err
	}
	defer pool.Close()
	mig, err := db.NewMigrator(pool)
	if err != nil {
		return 0, err
	}
	if _, err := mig.Up(ctx); err != nil {
		return 0, err
	}
	_ = mig.Close()
	return m.Run(), nil
}

// clock is a settable time for the service under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var seq atomic.Int64

// service returns a service on its own clock and a fresh caseworker
// account (name, password).
func service(t *testing.T, o auth.Options) (*auth.Service, *clock, auth.Account, string) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(seq.Add(1)) * 24 * time.Hour)}
	o.Now, o.BcryptCost = c.now, bcrypt.MinCost
	s := auth.NewWithOptions(pool, o)
	name := fmt.Sprintf("user-%d-%d", time.Now().UnixNano()%1e6, seq.Add(1))
	const pw = "Harbour lights 17 over Lingnan"
	a, err := s.CreateAccount(context.Background(), audit.System, auth.NewAccount{Username: name, DisplayName: "测试", Password: pw, Role: auth.Caseworker})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, a, pw
}

func countEvents(t *testing.T, action, objectID string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = $1 AND ($2 = '' OR object_id = $2)`,
		action, objectID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The account's failures back off exponentially after three, lock it after
// ten, refuse even the right password while locked, and a success after
// the lock is recorded with the failures before it.
func TestAccountBacksOffThenLocks(t *testing.T) {
	ctx := context.Background()
	s, clk, a, pw := service(t, auth.Options{})
	try := func(password string) error {
		_, _, err := s.LoginFrom(ctx, auth.LoginAttempt{Username: a.Username, Password: password, Client: "198.51.100.7"})
		return err
	}
	var waits []time.Duration
	for failures := 0; failures < 10; {
		err := try("wrong password!")
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			waits = append(waits, te.RetryAfter)
			clk.add(te.RetryAfter)
			continue
		}
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatal(err)
		}
		failures++
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v (three free failures, then doubling)", waits, want)
	}
	var te *auth.ThrottledError
	if err := try(pw); !errors.As(err, &te) || !te.Locked || te.RetryAfter != 15*time.Minute {
		t.Fatalf("after ten failures the right password: %v", err)
	}
	if n := countEvents(t, auth.ActionLoginFailed, fmt.Sprint(a.ID)); n != 10 {
		t.Fatalf("login.failed events: %d, want 10", n)
	}
}

func TestLockRefusesTheRightPasswordUntilItEnds(t *testing.T) {
	ctx := context.Background()
	s, clk, a, pw := service(t, auth.Options{Throttle: auth.ThrottlePolicy{
		Account: auth.ThrottleRule{Free: 1, LockAfter: 3}, Address: auth.ThrottleRule{Free: 100, LockAfter: 200},
		BaseDelay: time.Second, MaxDelay: time.Minute, LockFor: 10 * time.Minute, Window: time.Hour}})
	for i := 0; i < 3; i++ {
		_, _, err := s.Login(ctx, a.Username, "wrong password!")
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			clk.add(te.RetryAfter)
			i--
			continue
		}
		if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	_, _, err := s.Login(ctx, a.Username, pw)
	var te *auth.ThrottledError
	if !errors.As(err, &te) || !te.Locked || te.RetryAfter != 10*time.Minute || te.RetryAfterSeconds() != 600 {
		t.Fatalf("right password during the lock: %v %+v", err, te)
	}
	if n := countEvents(t, auth.ActionLoginBlocked, a.Username); n == 0 {
		t.Error("no login.blocked event")
	}
	entries, err := s.Throttles(ctx, 500)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Scope == auth.ScopeAccount && e.Key == a.Username {
			found = e.Blocked && e.Locked && e.Failures == 3 && e.Refused == 1
		}
	}
	if !found {
		t.Fatalf("the supervisor's list does not show the lock: %+v", entries)
	}
	clk.add(10 * time.Minute)
	if _, _, err := s.Login(ctx, a.Username, pw); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	var before int
	if err := pool.QueryRow(ctx, `SELECT (data->>'failures_before')::int FROM audit_events WHERE action = $1 AND object_id = $2`,
		auth.ActionLoginSucceededAfterFail, fmt.Sprint(a.ID)).Scan(&before); err != nil || before != 3 {
		t.Fatalf("success after failures: %d, %v", before, err)
	}
	// The success cleared the account's count: one more failure is free.
	if _, _, err := s.Login(ctx, a.Username, "wrong password!"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, a.Username, pw); err != nil {
		t.Fatalf("one failure after a success blocks: %v", err)
	}
}

// An unknown account name is answered exactly like a known one, failure
// for failure, block for block.
func TestUnknownAccountAnsweredLikeKnown(t *testing.T) {
	ctx := context.Background()
	s, _, a, _ := service(t, auth.Options{})
	trace := func(user string) []string {
		var out []string
		for i := 0; i < 6; i++ {
			_, _, err := s.Login(ctx, user, "wrong password!")
			var te *auth.ThrottledError
			if errors.As(err, &te) {
				out = append(out, fmt.Sprintf("429/%d", te.RetryAfterSeconds()))
			} else {
				out = append(out, err.Error())
			}
		}
		return out
	}
	known, unknown := trace(a.Username), trace("nobody-"+a.Username)
	if fmt.Sprint(known) != fmt.Sprint(unknown) {
		t.Fatalf("known %v, unknown %v", known, unknown)
	}
}

// Failures from one address across many account names block the address:
// then even a right password from it waits, while another address logs in.
func TestAddressBlockedAcrossAccounts(t *testing.T) {
	ctx := context.Background()
	s, _, a, pw := service(t, auth.Options{Throttle: auth.ThrottlePolicy{
		Account: auth.ThrottleRule{Free: 3, LockAfter: 10}, Address: auth.ThrottleRule{Free: 4, LockAfter: 8},
		BaseDelay: time.Second, MaxDelay: time.Minute, LockFor: 10 * time.Minute, Window: time.Hour}})
	bad := "203.0.113.9"
	for i := 0; i < 5; i++ {
		if _, _, err := s.LoginFrom(ctx, auth.LoginAttempt{Username: fmt.Sprintf("guess-%d", i), Password: "x", Client: bad}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	_, _, err := s.LoginFrom(ctx, auth.LoginAttempt{Username: a.Username, Password: pw, Client: bad})
	if !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("right password from a blocked address: %v", err)
	}
	if _, _, err := s.LoginFrom(ctx, auth.LoginAttempt{Username: a.Username, Password: pw, Client: "192.0.2.1"}); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// IPv6 clients are counted by their /64.
	if auth.AddressKey("2001:db8:1:2:aaaa::1") != auth.AddressKey("2001:db8:1:2:bbbb::2") || auth.AddressKey("::ffff:192.0.2.1") != "192.0.2.1" {
		t.Fatal("address keys")
	}
}

// Parallel guesses on one account gain nothing: attempts are serialised
// and those arriving while one runs are refused as busy.
func TestParallelGuessesAreSerialised(t *testing.T) {
	ctx := context.Background()
	s, _, a, _ := service(t, auth.Options{})
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := s.Login(ctx, a.Username, "wrong password!"); errors.Is(err, auth.ErrBadCredentials) {
				bad.Add(1)
			} else if !errors.Is(err, auth.ErrThrottled) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 4 {
		t.Fatalf("%d of 30 parallel guesses had their password checked; want at most 4 (3 free + the one that blocks)", n)
	}
}

func TestPasswordPolicy(t *testing.T) {
	s := auth.NewWithOptions(nil, auth.Options{BcryptCost: bcrypt.MinCost, ContextWords: []string{"南通市公共信用信息中心", "nantong"}})
	refused := map[string]string{
		"1234567890":          "length",
		"123456789012":        "weak",
		"Password2024!":       "common",
		"P@ssw0rd2024":        "common",
		"qwertyuiop12":        "common",
		"aaaaaaaaaaaa":        "weak",
		"abcd1234abcd":        "weak",
		"zhangwei.1985":       "context",
		"Zhangwei1985!!":      "context",
		"creditcase-demo":     "context",
		"Nantong@2024!":       "common",
		"南通市公共信用信息中心2024":     "context",
		"xinyong12345678":     "common",
		"Zhangwei-Creditcase": "context",
		"woaini1314woaini":    "weak",
		"1qaz2wsx3edc":        "weak",
	}
	for pw, code := range refused {
		fe := s.CheckPassword(pw, "zhangwei", "张伟")
		if fe == nil || fe.Code != code {
			t.Errorf("CheckPassword(%q) = %+v, want %s", pw, fe, code)
		}
	}
	for _, pw := range []string{"Harbour lights 17 over Lingnan", "tea-kettle-violin-74", "Tr0ub4dor&3qx", "月落乌啼霜满天 1987"} {
		if fe := s.CheckPassword(pw, "zhangwei", "张伟"); fe != nil {
			t.Errorf("CheckPassword(%q) = %+v, want accepted", pw, fe)
		}
	}
	// Through account creation by an administrator.
	ctx := context.Background()
	admin := audit.Actor{Username: "admin", Role: "admin"}
	_, err := auth.New(pool, bcrypt.MinCost).CreateAccount(ctx, admin, auth.NewAccount{Username: "weak-admin", DisplayName: "管理员",
		Password: "1234567890", Role: auth.Admin})
	if err == nil {
		t.Fatal("an administrator made an account with password 1234567890")
	}
}

func TestDisableRevokesAndRefusesLogIn(t *testing.T) {
	ctx := context.Background()
	s, _, a, pw := service(t, auth.Options{})
	_, sess, err := s.Login(ctx, a.Username, pw)
	if err != nil {
		t.Fatal(err)
	}
	bearer, err := s.IssueBearer(ctx, a, "laptop", 0)
	if err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{AccountID: 0, Username: "admin", Role: "admin"}
	if _, err := s.SetDisabled(ctx, admin, a.ID, true, ""); err == nil {
		t.Fatal("disabled without a reason")
	}
	got, err := s.SetDisabled(ctx, admin, a.ID, true, "left the centre")
	if err != nil || !got.Disabled || got.DisabledAt == nil || got.DisabledReason != "left the centre" {
		t.Fatalf("disable: %+v %v", got, err)
	}
	for _, tk := range []struct{ v, kind string }{{sess.Value, auth.KindSession}, {bearer.Value, auth.KindBearer}} {
		if _, err := s.Authenticate(ctx, tk.v, tk.kind); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("%s token after disabling: %v", tk.kind, err)
		}
	}
	if _, _, err := s.Login(ctx, a.Username, pw); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("disabled account logs in: %v", err)
	}
	if n := countEvents(t, auth.ActionAccountDisabled, fmt.Sprint(a.ID)); n != 1 {
		t.Fatalf("account.disabled events: %d", n)
	}
	if _, err := s.SetDisabled(ctx, admin, a.ID, false, "came back"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, a.Username, pw); err != nil {
		t.Fatalf("enabled again: %v", err)
	}
	// Nobody disables their own account.
	if _, err := s.SetDisabled(ctx, a.Actor(), a.ID, true, "oops"); !errors.Is(err, auth.ErrOwnAccount) {
		t.Fatalf("own account: %v", err)
	}
}

func TestRevokeTokensOfAnotherAccount(t *testing.T) {
	ctx := context.Background()
	s, clk, a, pw := service(t, auth.Options{BearerTTL: 7 * 24 * time.Hour})
	_, sess, err := s.Login(ctx, a.Username, pw)
	if err != nil {
		t.Fatal(err)
	}
	bearer, err := s.IssueBearer(ctx, a, "ci", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, info, err := s.Authenticated(ctx, bearer.Value, auth.KindBearer); err != nil || !info.ExpiresAt.Equal(clk.now().Add(7*24*time.Hour)) {
		t.Fatalf("configured lifetime: %+v %v", info, err)
	}
	toks, err := s.Tokens(ctx, a.ID)
	if err != nil || len(toks) != 2 || !toks[0].Live {
		t.Fatalf("tokens: %+v %v", toks, err)
	}
	n, err := s.RevokeTokens(ctx, audit.Actor{Username: "admin", Role: "admin"}, a.ID, "token leaked in a ticket")
	if err != nil || n != 2 {
		t.Fatalf("revoked %d: %v", n, err)
	}
	for _, v := range []string{sess.Value, bearer.Value} {
		if _, err := s.Authenticate(ctx, v, auth.KindBearer); err == nil {
			t.Fatal("revoked token still authenticates")
		}
	}
	if _, err := s.Authenticate(ctx, sess.Value, auth.KindSession); err == nil {
		t.Fatal("revoked session still authenticates")
	}
	// The default lifetime is 30 days.
	if d := auth.New(pool, bcrypt.MinCost).BearerTTL(); d != 30*24*time.Hour {
		t.Fatalf("default bearer lifetime %v", d)
	}
}

func TestCSRFTokenBoundToSession(t *testing.T) {
	ctx := context.Background()
	s, _, a, pw := service(t, auth.Options{})
	_, one, err := s.Login(ctx, a.Username, pw)
	if err != nil {
		t.Fatal(err)
	}
	_, two, err := s.Login(ctx, a.Username, pw)
	if err != nil {
		t.Fatal(err)
	}
	t1, err := s.CSRFToken(ctx, one.Value)
	if err != nil {
		t.Fatal(err)
	}
	// Another replica (another Service) computes the same token.
	other := auth.New(pool, bcrypt.MinCost)
	if ok, err := other.CheckCSRF(ctx, one.Value, t1); !ok || err != nil {
		t.Fatalf("token of session one on another replica: %v %v", ok, err)
	}
	if ok, _ := s.CheckCSRF(ctx, two.Value, t1); ok {
		t.Fatal("session one's token accepted for session two")
	}
	if ok, _ := s.CheckCSRF(ctx, one.Value, ""); ok {
		t.Fatal("empty token accepted")
	}
}

// An administrator gives an account a new password: a weak one or a
// missing reason is refused and changes nothing; accepted, the old
// password and every session and token of the account stop at once, the
// lock its holder ran into trying the forgotten password is lifted, and
// the audit trail keeps who, why and how many tokens ended — never the
// password.
func TestResetPasswordChecksPolicyRevokesAndUnlocks(t *testing.T) {
	ctx := context.Background()
	s, clk, a, old := service(t, auth.Options{ContextWords: []string{"南通市公共信用信息中心", "nantong"}, Throttle: auth.ThrottlePolicy{
		Account: auth.ThrottleRule{Free: 1, LockAfter: 3}, Address: auth.ThrottleRule{Free: 100, LockAfter: 200},
		BaseDelay: time.Second, MaxDelay: time.Minute, LockFor: time.Hour, Window: 24 * time.Hour}})
	_, sess, err := s.Login(ctx, a.Username, old)
	if err != nil {
		t.Fatal(err)
	}
	bearer, err := s.IssueBearer(ctx, a, "laptop", 0)
	if err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{Username: "admin", Role: "admin"}
	refused := []struct{ pw, reason, field, code string }{
		{"short-pw-9", "forgot it", "password", "length"},
		{"Password2024!", "forgot it", "password", "common"},
		{a.Username + "-qz", "forgot it", "password", "context"},
		{"南通市公共信用信息中心-2026", "forgot it", "password", "context"},
		{"abcd1234abcd4321", "forgot it", "password", "weak"},
		{"Copper kettle 93 on the shelf", " ", "reason", "required"},
	}
	for _, r := range refused {
		_, _, err := s.ResetPassword(ctx, admin, a.ID, r.pw, r.reason)
		var ve *records.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != r.field || ve.Fields[0].Code != r.code {
			t.Errorf("reset to %q (reason %q): %v, want %s/%s", r.pw, r.reason, err, r.field, r.code)
		}
	}
	if _, err := s.Authenticate(ctx, bearer.Value, auth.KindBearer); err != nil {
		t.Fatalf("a refused reset ended a token: %v", err)
	}
	if n := countEvents(t, auth.ActionPasswordReset, fmt.Sprint(a.ID)); n != 0 {
		t.Fatalf("refused resets audited: %d", n)
	}
	// Nobody resets their own password here.
	if _, _, err := s.ResetPassword(ctx, a.Actor(), a.ID, "Copper kettle 93 on the shelf", "mine"); !errors.Is(err, auth.ErrOwnPassword) {
		t.Fatalf("own password: %v", err)
	}
	if _, _, err := s.ResetPassword(ctx, admin, 1<<40, "Copper kettle 93 on the shelf", "who?"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}

	// The holder forgot the password and locked the account trying.
	for locked := false; !locked; {
		_, _, err := s.Login(ctx, a.Username, "what was it again")
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			if te.Locked {
				locked = true
			} else {
				clk.add(te.RetryAfter)
			}
		} else if !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	const fresh = "Copper kettle 93 on the shelf"
	got, n, err := s.ResetPassword(ctx, admin, a.ID, fresh, "forgot the password and locked the account")
	if err != nil || n != 2 || got.ID != a.ID {
		t.Fatalf("reset: %+v revoked %d: %v", got, n, err)
	}
	for _, tk := range []struct{ v, kind string }{{sess.Value, auth.KindSession}, {bearer.Value, auth.KindBearer}} {
		if _, err := s.Authenticate(ctx, tk.v, tk.kind); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("%s token after the reset: %v", tk.kind, err)
		}
	}
	if _, _, err := s.Login(ctx, a.Username, old); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("old password after the reset: %v", err)
	}
	if _, _, err := s.Login(ctx, a.Username, fresh); err != nil {
		t.Fatalf("new password right after the reset (the lock lifted): %v", err)
	}
	var reason, data string
	if err := pool.QueryRow(ctx, `SELECT reason, data::text FROM audit_events WHERE action = $1 AND object_id = $2`,
		auth.ActionPasswordReset, fmt.Sprint(a.ID)).Scan(&reason, &data); err != nil {
		t.Fatal(err)
	}
	if reason != "forgot the password and locked the account" || !strings.Contains(data, `"tokens_revoked": 2`) || strings.Contains(data, "kettle") {
		t.Fatalf("audit: %q %s", reason, data)
	}
}

// An account that signs in through the identity platform has no password
// to reset.
func TestResetPasswordRefusesIdentityPlatformAccount(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := service(t, auth.Options{})
	var subject int64
	ident := fmt.Sprintf("91320600%010d", time.Now().UnixNano()%1e10)
	if err := pool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('organisation', $1, '南通某公司') RETURNING id`, ident).
		Scan(&subject); err != nil {
		t.Fatal(err)
	}
	acc, err := s.SubjectAccount(ctx, subject, "南通某公司")
	if err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{Username: "admin", Role: "admin"}
	if _, _, err := s.ResetPassword(ctx, admin, acc.ID, "Copper kettle 93 on the shelf", "asked for one"); !errors.Is(err, auth.ErrExternalAccount) {
		t.Fatalf("identity-platform account: %v", err)
	}
}

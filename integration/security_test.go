package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/health"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/ratelimit"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/stack"
	"github.com/creditcase/creditcase/workflows"
)

// Issue 16 through HTTP on the real stack. The shared stack trusts
// 127.0.0.0/8 as a proxy, so a test names the client it acts as in
// X-Forwarded-For; its log-in throttling is the default shape in seconds
// (testThrottle).

// anon is one anonymous request from client (X-Forwarded-For), with an
// optional cookie jar and headers.
type anon struct {
	t       *testing.T
	base    string
	client  string
	cookies []*http.Cookie
	header  map[string]string
}

func (a anon) send(method, path string, body any) response {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	base := a.base
	if base == "" {
		base = baseURL()
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.client != "" {
		req.Header.Set("X-Forwarded-For", a.client)
	}
	req.Header.Set("Accept-Language", "en")
	for k, v := range a.header {
		req.Header.Set(k, v)
	}
	for _, c := range a.cookies {
		req.AddCookie(c)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// newAccount makes an account straight in the store (not through the
// policy: the system's own accounts) and returns its name and password.
func newAccount(t *testing.T, role auth.Role, extra func(*auth.NewAccount)) (string, string, int64) {
	t.Helper()
	name := fmt.Sprintf("sec-%s-%d", role, time.Now().UnixNano()%1_000_000_000)
	const pw = "Harbour lights 17 over Lingnan"
	in := auth.NewAccount{Username: name, DisplayName: "安全测试", Password: pw, Role: role}
	if extra != nil {
		extra(&in)
	}
	a, err := auth.New(sys.Pool, 4).CreateAccount(context.Background(), audit.System, in)
	if err != nil {
		t.Fatal(err)
	}
	return name, pw, a.ID
}

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

func retryAfter(t *testing.T, r response) int {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("429 without a Retry-After: %q", r.header.Get("Retry-After"))
	}
	return n
}

func problemType(t *testing.T, r response) string {
	t.Helper()
	var p api.Problem
	_ = json.Unmarshal(r.body, &p)
	return p.Type
}

// 16.1: failures back off then lock, per account name and per address,
// an unknown name answered the same; 429 with Retry-After; audited;
// visible to the supervisor; a success after failures recorded.
func TestLoginThrottlingThroughHTTP(t *testing.T) {
	ctx := context.Background()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	user, pw, id := newAccount(t, auth.Caseworker, nil)
	stamp := time.Now().UnixNano() % 200
	from := anon{t: t, client: fmt.Sprintf("203.0.113.%d", stamp+1)}
	ghostFrom := anon{t: t, client: fmt.Sprintf("203.0.113.%d", stamp+2)}
	login := func(a anon, name, password string) response {
		return a.send(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": name, "password": password, "kind": "bearer"})
	}
	// The trace of six wrong passwords: status and Retry-After.
	trace := func(a anon, name string) []string {
		var out []string
		for range 6 {
			r := login(a, name, "wrong password!")
			s := strconv.Itoa(r.status)
			if r.status == http.StatusTooManyRequests {
				retryAfter(t, r)
				s += "/" + problemType(t, r)
			}
			out = append(out, s)
		}
		return out
	}
	known := trace(from, user)
	unknown := trace(ghostFrom, "no-such-"+user)
	want := []string{"401", "401", "401", "401", "429//problems/rate-limited", "429//problems/rate-limited"}
	if fmt.Sprint(known) != fmt.Sprint(want) {
		t.Fatalf("wrong passwords for %s: %v, want %v (three free, the fourth sets a 1 s wait)", user, known, want)
	}
	if fmt.Sprint(unknown) != fmt.Sprint(known) {
		t.Fatalf("an unknown account is answered differently: %v vs %v", unknown, known)
	}
	// After the wait one more failure locks the name (5 failures); the
	// right password is refused while it lasts, from any address.
	time.Sleep(2 * time.Second)
	if r := login(from, user, "wrong password!"); r.status != http.StatusUnauthorized {
		t.Fatalf("fifth failure: %d %s", r.status, r.body)
	}
	r := login(anon{t: t, client: "198.51.100.77"}, user, pw)
	if r.status != http.StatusTooManyRequests || retryAfter(t, r) < 3 {
		t.Fatalf("right password during the lock: %d %s %v", r.status, r.body, r.header)
	}
	// The supervisor sees the lock (and the administrator too); a
	// caseworker may not.
	sup := logIn(t, "supervisor", seed.DemoPassword)
	var th struct {
		Policy struct {
			LockSeconds int64 `json:"lock_seconds"`
		} `json:"policy"`
		Entries []auth.ThrottleEntry `json:"entries"`
	}
	sup.do(http.StatusOK, http.MethodGet, "/api/v1/login-throttles", nil, &th)
	i := slices.IndexFunc(th.Entries, func(e auth.ThrottleEntry) bool { return e.Scope == auth.ScopeAccount && e.Key == user })
	if i < 0 || !th.Entries[i].Blocked || !th.Entries[i].Locked || th.Entries[i].Failures != 5 || th.Policy.LockSeconds != 4 {
		t.Fatalf("the supervisor's view of %s: %+v", user, th)
	}
	logIn(t, "admin", seed.DemoPassword).do(http.StatusOK, http.MethodGet, "/api/v1/login-throttles", nil, nil)
	logIn(t, "caseworker", seed.DemoPassword).do(http.StatusForbidden, http.MethodGet, "/api/v1/login-throttles", nil, nil)

	// When the lock ends the right password logs in, and the success
	// after failures is on the record with the count.
	time.Sleep(time.Duration(retryAfter(t, r)) * time.Second)
	if r := login(from, user, pw); r.status != http.StatusOK {
		t.Fatalf("after the lock: %d %s", r.status, r.body)
	}
	var events struct {
		Events []audit.Event `json:"events"`
	}
	sup.do(http.StatusOK, http.MethodGet, "/api/v1/events?action=login.succeeded_after_failures&object_id="+strconv.FormatInt(id, 10), nil, &events)
	if len(events.Events) != 1 || events.Events[0].Data["failures_before"] != float64(5) {
		t.Fatalf("success after failures: %+v", events.Events)
	}
	sup.do(http.StatusOK, http.MethodGet, "/api/v1/events?action=login.failed&object_id="+strconv.FormatInt(id, 10), nil, &events)
	if len(events.Events) != 5 || events.Events[0].Data["client"] != from.client {
		t.Fatalf("failed log-ins audited: %d %+v", len(events.Events), events.Events)
	}
	sup.do(http.StatusOK, http.MethodGet, "/api/v1/events?action=login.blocked&object_id="+user, nil, &events)
	if len(events.Events) < 2 {
		t.Fatalf("blocks audited: %+v", events.Events)
	}

	// Per address: failures on many names from one address block it; the
	// right password of another account from there waits, not from elsewhere.
	other, otherPW, _ := newAccount(t, auth.Caseworker, nil)
	spray := anon{t: t, client: fmt.Sprintf("192.0.2.%d", stamp+1)}
	for i := range 7 {
		if r := login(spray, fmt.Sprintf("guess-%d-%d", stamp, i), "x"); r.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, r.status)
		}
	}
	if r := login(spray, other, otherPW); r.status != http.StatusTooManyRequests {
		t.Fatalf("right password from a blocked address: %d", r.status)
	}
	if r := login(anon{t: t, client: fmt.Sprintf("192.0.2.%d", stamp+2)}, other, otherPW); r.status != http.StatusOK {
		t.Fatalf("another address: %d %s", r.status, r.body)
	}
}

// sessionOf logs in with a console session and returns its cookies and
// CSRF token.
func sessionOf(t *testing.T, user, pw string) ([]*http.Cookie, string) {
	t.Helper()
	r := anon{t: t}.send(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": pw})
	if r.status != http.StatusOK {
		t.Fatalf("session log-in: %d %s", r.status, r.body)
	}
	var lr api.LoginResponse
	if err := json.Unmarshal(r.body, &lr); err != nil {
		t.Fatal(err)
	}
	cookies := (&http.Response{Header: r.header}).Cookies()
	return cookies, lr.CSRFToken
}

// 16.8: the CSRF token is bound to the session: another session's token,
// or a made-up one, is refused; the cookie alone is refused.
func TestCSRFTokenBoundToSession(t *testing.T) {
	user, pw, _ := newAccount(t, auth.Caseworker, nil)
	one, tokOne := sessionOf(t, user, pw)
	_, tokTwo := sessionOf(t, user, pw)
	if tokOne == "" || tokOne == tokTwo {
		t.Fatalf("CSRF tokens %q %q", tokOne, tokTwo)
	}
	for _, c := range one {
		if c.Name == "_csrf" && c.Value != tokOne {
			t.Fatalf("the _csrf cookie %q is not the session's token %q", c.Value, tokOne)
		}
	}
	for _, tc := range []struct {
		name, token string
	}{{"no token", ""}, {"another session's", tokTwo}, {"made up", "forged-token"}} {
		a := anon{t: t, cookies: one, header: map[string]string{"X-CSRF-Token": tc.token}}
		if r := a.send(http.MethodPost, "/api/v1/auth/logout", nil); r.status != http.StatusForbidden || problemType(t, r) != "/problems/csrf" {
			t.Fatalf("%s token: %d %s", tc.name, r.status, r.body)
		}
	}
	// Reading needs no token; the session's own token does the unsafe step.
	if r := (anon{t: t, cookies: one}).send(http.MethodGet, "/api/v1/auth/me", nil); r.status != http.StatusOK {
		t.Fatalf("me: %d", r.status)
	}
	if r := (anon{t: t, cookies: one, header: map[string]string{"X-CSRF-Token": tokOne}}).send(http.MethodPost, "/api/v1/auth/logout", nil); r.status != http.StatusNoContent {
		t.Fatalf("log-out with the session's token: %d %s", r.status, r.body)
	}
}

// 16.7: the password policy, disabling, revoking another account's tokens
// and the token lifetime (TOKEN_LIFETIME, shown).
func TestAccountAdministrationThroughHTTP(t *testing.T) {
	if _, err := seed.Demo(context.Background(), sys.Pool); err != nil {
		t.Fatal(err)
	}
	admin := logIn(t, "admin", seed.DemoPassword)
	name := fmt.Sprintf("sec-clerk-%d", time.Now().UnixNano()%1_000_000)
	weak := map[string]string{"1234567890": "length", "Password2024!": "common", name + "-2024!!": "context",
		"creditcase-demo": "context", "abcd1234abcd": "weak"}
	for pw, code := range weak {
		r := admin.send(http.MethodPost, "/api/v1/accounts", "application/json", strings.NewReader(fmt.Sprintf(
			`{"username":%q,"display_name":"经办人","password":%q,"role":"caseworker"}`, name, pw)))
		var p api.Problem
		_ = json.Unmarshal(r.body, &p)
		if r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "password" || p.Errors[0].Code != code {
			t.Errorf("password %q: %d %s, want 422 password/%s", pw, r.status, r.body, code)
		}
	}
	const pw = "tea-kettle-violin-74"
	var acc auth.Account
	admin.do(http.StatusCreated, http.MethodPost, "/api/v1/accounts",
		map[string]any{"username": name, "display_name": "经办人", "password": pw, "role": "caseworker"}, &acc)

	// The token lifetime is the configured one, and shown.
	clerk := logIn(t, name, pw)
	var me api.MeResponse
	clerk.do(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil, &me)
	if me.BearerLifetimeSeconds != int64(testTokenLifetime.Seconds()) || me.Via != "bearer" ||
		time.Until(me.ExpiresAt) < testTokenLifetime-time.Minute || time.Until(me.ExpiresAt) > testTokenLifetime {
		t.Fatalf("me: %+v", me)
	}
	// The administrator lists its tokens and revokes them.
	var tokens api.TokenList
	admin.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/accounts/%d/tokens", acc.ID), nil, &tokens)
	if len(tokens.Tokens) < 1 || !tokens.Tokens[0].Live || tokens.Tokens[0].Kind != auth.KindBearer {
		t.Fatalf("tokens: %+v", tokens)
	}
	admin.do(http.StatusUnprocessableEntity, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/revoke-tokens", acc.ID), map[string]string{}, nil)
	var rv struct{ Revoked int64 }
	admin.do(http.StatusOK, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/revoke-tokens", acc.ID), map[string]string{"reason": "laptop lost"}, &rv)
	if rv.Revoked < 1 {
		t.Fatalf("revoked %d", rv.Revoked)
	}
	clerk.do(http.StatusUnauthorized, http.MethodGet, "/api/v1/auth/me", nil, nil)
	// Others may not administer accounts.
	clerk = logIn(t, name, pw)
	logIn(t, "supervisor", seed.DemoPassword).do(http.StatusForbidden, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/disable", acc.ID), map[string]string{"reason": "x"}, nil)
	// Disabled: its token stops at once and it cannot log in (answered
	// like a wrong password); enabled again, it can.
	var got auth.Account
	admin.do(http.StatusOK, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/disable", acc.ID), map[string]string{"reason": "left the centre"}, &got)
	if !got.Disabled || got.DisabledReason != "left the centre" {
		t.Fatalf("disabled: %+v", got)
	}
	clerk.do(http.StatusUnauthorized, http.MethodGet, "/api/v1/auth/me", nil, nil)
	r := anon{t: t}.send(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": name, "password": pw, "kind": "bearer"})
	if r.status != http.StatusUnauthorized || problemType(t, r) != "/problems/bad-credentials" {
		t.Fatalf("disabled account logs in: %d %s", r.status, r.body)
	}
	admin.do(http.StatusOK, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/enable", acc.ID), map[string]string{"reason": "came back"}, nil)
	logIn(t, name, pw)
	// Nobody disables their own account.
	admin.do(http.StatusConflict, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/disable", admin.account.ID), map[string]string{"reason": "oops"}, nil)
}

// 16.5: engine checks for supervisors and administrators only; the answer
// names no host or process.
func TestEngineChecksForOperatorsOnly(t *testing.T) {
	if _, err := seed.Demo(context.Background(), sys.Pool); err != nil {
		t.Fatal(err)
	}
	if r := (anon{t: t}).send(http.MethodPost, "/api/v1/engine-checks", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("anonymous engine check: %d", r.status)
	}
	logIn(t, "caseworker", seed.DemoPassword).do(http.StatusForbidden, http.MethodPost, "/api/v1/engine-checks", nil, nil)
	r := logIn(t, "admin", seed.DemoPassword).do(http.StatusCreated, http.MethodPost, "/api/v1/engine-checks", nil, nil)
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if _, ok := body["worker"]; ok || strings.Contains(string(r.body), host) || strings.Contains(string(r.body), "/"+strconv.Itoa(os.Getpid())) {
		t.Fatalf("the answer names the worker: %s", r.body)
	}
}

// 16.5: /metrics can be served on an address of its own (METRICS_ADDR):
// there it is the only thing served, and the API's address no longer
// serves it; an address that is taken is refused, naming the setting.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	reg := newRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "creditcase_test_scrapes_total", Help: "a counter of this test"}))
	errc := make(chan error, 1)
	msrv, addr, err := stack.ServeMetrics("127.0.0.1:0", reg, errc)
	if err != nil {
		t.Fatal(err)
	}
	defer msrv.Close()
	get := func(base, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get("http://"+addr, "/metrics"); st != http.StatusOK || !strings.Contains(body, "creditcase_test_scrapes_total") {
		t.Fatalf("/metrics on its own address: %d %.200s", st, body)
	}
	for _, path := range []string{"/api/v1/public/listings", "/healthz", "/"} {
		if st, _ := get("http://"+addr, path); st != http.StatusNotFound {
			t.Errorf("the metrics address serves %s: %d", path, st)
		}
	}
	apiSrv := httptest.NewServer(api.New(api.Deps{App: sys.App, Logger: zerolog.Nop(), Registry: reg, NoMetrics: true}))
	defer apiSrv.Close()
	if st, _ := get(apiSrv.URL, "/metrics"); st != http.StatusNotFound {
		t.Errorf("the API still serves /metrics: %d", st)
	}
	if st, _ := get(apiSrv.URL, "/healthz"); st != http.StatusOK {
		t.Errorf("the API's /healthz: %d", st)
	}
	if _, _, err := stack.ServeMetrics(addr, reg, errc); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("a taken metrics address: %v", err)
	}
}

// 16.6: one limiter for every anonymous endpoint, per client address
// (behind a trusted proxy, the address it names; from anyone else, the
// peer), answered 429 with Retry-After; callers with a credential are not
// limited as anonymous.
func TestAnonymousRateLimitsAndTrustedProxies(t *testing.T) {
	if _, err := seed.Demo(context.Background(), sys.Pool); err != nil {
		t.Fatal(err)
	}
	limits, err := ratelimit.ParseConfig("lookup=3/1m,anonymous=4/1m,login=2/1m,objection=1/1m")
	if err != nil {
		t.Fatal(err)
	}
	proxies, _ := ratelimit.ParseProxies("127.0.0.1")
	srv := httptest.NewServer(api.New(api.Deps{App: sys.App, Logger: zerolog.Nop(), Registry: newRegistry(),
		Limits: limits, Proxies: proxies}))
	defer srv.Close()
	a := anon{t: t, base: srv.URL, client: "198.51.100.10"}
	for i := range 3 {
		if r := a.send(http.MethodGet, "/api/v1/public/records?q=南通恒达建材有限公司", nil); r.status != http.StatusOK {
			t.Fatalf("lookup %d: %d %s", i, r.status, r.body)
		}
	}
	r := a.send(http.MethodGet, "/api/v1/public/records?q=南通恒达建材有限公司", nil)
	if r.status != http.StatusTooManyRequests || retryAfter(t, r) < 1 || problemType(t, r) != "/problems/rate-limited" {
		t.Fatalf("fourth lookup: %d %s", r.status, r.body)
	}
	// Another client has its own budget; the lists have theirs.
	b := anon{t: t, base: srv.URL, client: "198.51.100.11"}
	if r := b.send(http.MethodGet, "/api/v1/public/records?q=南通恒达建材有限公司", nil); r.status != http.StatusOK {
		t.Fatalf("another client: %d", r.status)
	}
	for _, path := range []string{"/api/v1/public/listings", "/api/v1/public/repair-notices", "/api/v1/openapi.json", "/api/v1/public/listings"} {
		if r := a.send(http.MethodGet, path, nil); r.status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.status)
		}
	}
	if r := a.send(http.MethodGet, "/api/v1/public/listings", nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("fifth anonymous request: %d", r.status)
	}
	// Log-in has its own budget, on top of the per-account throttle.
	for i := range 2 {
		if r := a.send(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "nobody-rl", "password": "x"}); r.status != http.StatusUnauthorized {
			t.Fatalf("log-in %d: %d", i, r.status)
		}
	}
	if r := a.send(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "nobody-rl", "password": "x"}); r.status != http.StatusTooManyRequests {
		t.Fatalf("third log-in: %d", r.status)
	}
	// The public objection form of a repair publicity has its own budget:
	// the second objection within the minute waits, whatever the first
	// was answered.
	form := map[string]string{"name": "王某", "contact": "13800000000", "reasons": "申请人仍在拖欠货款，不应修复。"}
	if r := a.send(http.MethodPost, "/api/v1/public/repair-notices/XF2026-999999/objections", form); r.status == http.StatusTooManyRequests {
		t.Fatalf("first objection: %d %s", r.status, r.body)
	}
	if r := a.send(http.MethodPost, "/api/v1/public/repair-notices/XF2026-999999/objections", form); r.status != http.StatusTooManyRequests ||
		retryAfter(t, r) < 1 || problemType(t, r) != "/problems/rate-limited" {
		t.Fatalf("second objection within the minute: %d %s", r.status, r.body)
	}
	// A caller with a bearer token is not counted as anonymous.
	tok := logIn(t, "supervisor", seed.DemoPassword).token
	for i := range 5 {
		r := anon{t: t, base: srv.URL, client: "198.51.100.10", header: map[string]string{"Authorization": "Bearer " + tok}}.
			send(http.MethodGet, "/api/v1/public/records?q=南通恒达建材有限公司", nil)
		if r.status != http.StatusOK {
			t.Fatalf("logged-in lookup %d: %d", i, r.status)
		}
	}
	// Without a trusted proxy the header is ignored: every "client" is
	// the peer and shares its budget.
	plain := httptest.NewServer(api.New(api.Deps{App: sys.App, Logger: zerolog.Nop(), Registry: newRegistry(), Limits: limits}))
	defer plain.Close()
	for i := range 3 {
		anon{t: t, base: plain.URL, client: fmt.Sprintf("198.51.100.%d", 20+i)}.send(http.MethodGet, "/api/v1/public/records?q=南通恒达建材有限公司", nil)
	}
	if r := (anon{t: t, base: plain.URL, client: "198.51.100.99"}).send(http.MethodGet, "/api/v1/public/records?q=南通恒达建材有限公司", nil); r.status != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For escaped the peer's budget: %d", r.status)
	}
}

// 16.6: a lookup by a full identity number needs its check character,
// and each one is in the query log with the client's address.
func TestFullIDLookupNeedsCheckCharacterAndIsLogged(t *testing.T) {
	demo, err := seed.Demo(context.Background(), sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	var volunteer string // 李娜: one 社会公开 record
	for id := range demo.SubjectIDs {
		if strings.HasPrefix(id, "32061119900701002") {
			volunteer = id
		}
	}
	if volunteer == "" {
		t.Fatal("demo person not found")
	}
	client := fmt.Sprintf("198.51.100.%d", 100+time.Now().UnixNano()%100)
	a := anon{t: t, client: client}
	wrong := volunteer[:17] + map[bool]string{true: "1", false: "2"}[volunteer[17] != '1']
	r := a.send(http.MethodGet, "/api/v1/public/records?q="+wrong, nil)
	var p api.Problem
	_ = json.Unmarshal(r.body, &p)
	if r.status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "q" {
		t.Fatalf("a number with a wrong check character: %d %s", r.status, r.body)
	}
	if r := a.send(http.MethodGet, "/api/v1/public/records?q="+volunteer[:16], nil); r.status != http.StatusBadRequest {
		t.Fatalf("a truncated number: %d %s", r.status, r.body)
	}
	var out struct {
		Records []records.PublicRecord `json:"records"`
	}
	r = a.send(http.MethodGet, "/api/v1/public/records?q="+volunteer, nil)
	if err := json.Unmarshal(r.body, &out); err != nil || r.status != http.StatusOK || len(out.Records) != 1 ||
		out.Records[0].SubjectIdent != ident.MaskIDNumber(volunteer) {
		t.Fatalf("valid number: %d %s", r.status, r.body)
	}
	var ql struct {
		Queries []audit.Query `json:"queries"`
	}
	logIn(t, "supervisor", seed.DemoPassword).do(http.StatusOK, http.MethodGet, "/api/v1/query-log?limit=50", nil, &ql)
	i := slices.IndexFunc(ql.Queries, func(q audit.Query) bool { return q.Client == client })
	if i < 0 {
		t.Fatalf("the lookup is not in the query log: %+v", ql.Queries)
	}
	q := ql.Queries[i]
	if q.SubjectID != demo.SubjectIDs[volunteer] || q.RecordID != out.Records[0].ID || q.Lookup != "person_id:"+ident.MaskIDNumber(volunteer) ||
		q.Actor.Role != "public" || !strings.Contains(q.Purpose, "身份号码") {
		t.Fatalf("query log row: %+v", q)
	}
	for _, q := range ql.Queries {
		if strings.Contains(q.Lookup, wrong) || strings.Contains(q.Lookup, volunteer) {
			t.Fatalf("the query log holds a full number: %+v", q)
		}
	}
}

// 16.3: prohibited data found by meaning through the API: every spelling
// of the security review refused, naming the field and the article; the
// consentable ones accepted with consent; identity numbers in free text.
func TestProhibitedDataBySpellingThroughHTTP(t *testing.T) {
	if _, err := seed.Demo(context.Background(), sys.Pool); err != nil {
		t.Fatal(err)
	}
	prov := logIn(t, "provider", seed.DemoPassword)
	var subj struct {
		Ident string `json:"ident"`
	}
	if err := sys.Pool.QueryRow(context.Background(), `SELECT ident FROM subjects WHERE name = '张伟'`).Scan(&subj.Ident); err != nil {
		t.Fatal(err)
	}
	record := func(details map[string]any, consent, content string) map[string]any {
		return map[string]any{"subject_ident": subj.Ident, "category": "basic", "disclosure": "government", "title": "登记信息",
			"content": content, "decision_no": fmt.Sprintf("通市监测〔%d〕号", time.Now().UnixNano()), "decided_on": "2024-01-02",
			"details": details, "consent_ref": consent}
	}
	cases := []struct{ key, code, article string }{
		{"bloodType", "prohibited", "Nanning"}, {"medicalHistory", "prohibited", "Anshan"}, {"familyOrigin", "prohibited", "Nanning"},
		{"religiousBelief", "prohibited", "Anshan"}, {"fingerprint_image", "prohibited", "Anshan"}, {"dna_sequence", "prohibited", "Anshan"},
		{"bank_deposit", "prohibited_without_consent", "Anshan"}, {"民族成分", "prohibited", "Nanning"}, {"reli\u200bgion", "prohibited", "Nanning"},
		{"taxAmount", "prohibited_without_consent", "Anshan"}, {"realEstate", "prohibited_without_consent", "Anshan"},
	}
	for _, c := range cases {
		r := prov.send(http.MethodPost, "/api/v1/records", "application/json", jsonBody(t, record(map[string]any{c.key: "x"}, "", "")))
		var p api.Problem
		_ = json.Unmarshal(r.body, &p)
		if r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "details."+c.key ||
			p.Errors[0].Code != c.code || !strings.Contains(p.Errors[0].Message, c.article) || !strings.Contains(p.Errors[0].Message, "art. 7") {
			t.Errorf("%q: %d %s", c.key, r.status, r.body)
		}
	}
	// With written consent the consentable items are collected.
	prov.do(http.StatusCreated, http.MethodPost, "/api/v1/records", record(map[string]any{"taxAmount": 1000, "realEstate": "一处"}, "同意书〔2026〕1号", ""), nil)
	// An identity number written into free text is refused without echoing it.
	r := prov.send(http.MethodPost, "/api/v1/records", "application/json", jsonBody(t, record(nil, "", "当事人身份证号 "+subj.Ident)))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "identity_number_in_text") || strings.Contains(string(r.body), subj.Ident) {
		t.Fatalf("identity number in content: %d %s", r.status, r.body)
	}
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// 16.10: without its CJK font the worker is not ready (readiness and the
// start-up check name what is missing); a case whose letter cannot be made
// shows the failing step on its page and on the board, a step on it is
// answered with what fails, and the case goes on once the font is back.
func TestMissingFontShownOnReadinessCaseAndBoard(t *testing.T) {
	ctx := context.Background()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	sup := logIn(t, "supervisor", seed.DemoPassword)
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, demo.ProviderIDs["nt-market"], records.RecordInput{
		SubjectID: subject.account.SubjectID, Category: records.Basic, Disclosure: records.Public, Title: "企业年报信息",
		DecisionNo: fmt.Sprintf("通市监年〔%d〕号", time.Now().UnixNano()), DecidedOn: "2025-06-30"})
	if err != nil {
		t.Fatal(err)
	}

	// The font goes missing.
	t.Setenv("DOCUMENT_FONT", "/nonexistent/creditcase-test-font.ttf")
	var ready api.Readiness
	checks := health.WorkerChecks(sys.Pool, sys.Rules, nil)
	app := application.New(application.Deps{Pool: sys.Pool, Temporal: sys.Temporal, Rules: sys.Rules, Logger: zerolog.Nop(), Checks: checks})
	srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: newRegistry()}))
	defer srv.Close()
	if resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &ready); resp.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(ready.Checks["fonts"], "DOCUMENT_FONT") || ready.Checks["documents"] != "ok" ||
		(ready.Checks["calendar"] != "ok" && ready.Checks["calendar"] != "warning") {
		t.Fatalf("readiness without the font: %d %+v", resp.StatusCode, ready)
	}
	if err := health.RunChecks(ctx, checks); err == nil || !strings.Contains(err.Error(), "fonts: ") {
		t.Fatalf("start-up check: %v", err)
	}

	var filed api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: rec.ID, Grounds: []string{"年报日期有误"}, Statement: "请核实年报信息"}, &filed)
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
	})
	base := "/api/v1/objections/" + no
	// Acceptance numbers and dates the acceptance notice and answers
	// (issue 20.2: the PDF is made after); the PDF cannot be made, so the
	// letter stays "being prepared" while the case goes on trying.
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", map[string]any{}, nil)
	var letters struct {
		Documents []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
		} `json:"documents"`
	}
	cw.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &letters)
	if len(letters.Documents) == 0 || slices.ContainsFunc(letters.Documents, func(d struct {
		Kind   string `json:"kind"`
		Status string `json:"status"`
	}) bool {
		return d.Status != "preparing"
	}) {
		t.Fatalf("without the font every letter is still being prepared: %+v", letters.Documents)
	}
	var detail struct {
		Case struct {
			Stage   string `json:"stage"`
			Failing []struct {
				Activity, Step, Cause, Message string
				Attempts                       int
			} `json:"failing"`
		} `json:"case"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cw.do(http.StatusOK, http.MethodGet, base, nil, &detail)
		if len(detail.Case.Failing) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(detail.Case.Failing) != 1 || detail.Case.Failing[0].Activity != "IssueDocument" || detail.Case.Failing[0].Cause != "fonts" ||
		!strings.Contains(detail.Case.Failing[0].Message, "DOCUMENT_FONT") {
		t.Fatalf("the case page does not say what holds it up: %+v", detail.Case)
	}
	// The board says it too.
	var board struct {
		Failing []struct {
			CaseNo string `json:"case_no"`
			Cause  string `json:"cause"`
		} `json:"failing"`
	}
	sup.do(http.StatusOK, http.MethodGet, "/api/v1/board", nil, &board)
	if !slices.ContainsFunc(board.Failing, func(f struct {
		CaseNo string `json:"case_no"`
		Cause  string `json:"cause"`
	}) bool {
		return f.CaseNo == no && f.Cause == "fonts"
	}) {
		t.Fatalf("the board does not show the held-up case: %+v", board.Failing)
	}
	// A step on the case is answered with what fails, at once.
	start := time.Now()
	r := cw.send(http.MethodPost, base+"/accept", "application/json", strings.NewReader(`{}`))
	var p api.Problem
	_ = json.Unmarshal(r.body, &p)
	if r.status != http.StatusServiceUnavailable || p.Type != "/problems/activity-failing" || !strings.Contains(p.Detail, "DOCUMENT_FONT") ||
		!strings.Contains(p.Title, "font") || time.Since(start) > 5*time.Second || r.header.Get("Retry-After") == "" {
		t.Fatalf("a step on the held-up case: %d in %s: %s", r.status, time.Since(start), r.body)
	}

	// The font is back: the retried letter is made, the case moves on and
	// nothing is shown as failing any more.
	if err := os.Unsetenv("DOCUMENT_FONT"); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		detail.Case.Failing = nil // absent from the answer when none
		cw.do(http.StatusOK, http.MethodGet, base, nil, &detail)
		if (len(detail.Case.Failing) == 0 && detail.Case.Stage == workflows.StageCentreCheck) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	if len(detail.Case.Failing) != 0 || detail.Case.Stage != workflows.StageCentreCheck {
		t.Fatalf("after the font came back: %+v", detail.Case)
	}
	if resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &ready); resp.StatusCode != http.StatusOK {
		t.Fatalf("readiness with the font: %d %+v", resp.StatusCode, ready)
	}
}

// 16.10: a worker without this year's holiday calendar, or whose
// database role cannot write the document store, is not ready: /readyz
// answers 503 naming each, and the start-up check refuses to start with
// both, saying what to do.
func TestReadinessNamesMissingCalendarYearAndDocumentStore(t *testing.T) {
	ctx := context.Background()
	// A database role that may read the document tables but not write
	// them, as after a half-done grant.
	role := fmt.Sprintf("sec_reader_%d", time.Now().UnixNano()%1_000_000)
	const pw = "reader-only-7341"
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN PASSWORD '` + pw + `'`,
		`GRANT SELECT ON case_documents, evidence, evidence_blobs TO ` + role,
	} {
		if _, err := sys.Pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		_, _ = sys.Pool.Exec(context.Background(), `DROP OWNED BY `+role)
		_, _ = sys.Pool.Exec(context.Background(), `DROP ROLE `+role)
	})
	u, err := url.Parse(sys.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, pw)
	reader, err := pgxpool.New(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	// 2041: no schedule is published that far ahead.
	later := func() time.Time { return time.Date(2041, 3, 2, 10, 0, 0, 0, time.UTC) }
	checks := health.WorkerChecks(reader, sys.Rules, later)
	app := application.New(application.Deps{Pool: sys.Pool, Temporal: sys.Temporal, Rules: sys.Rules, Logger: zerolog.Nop(), Checks: checks})
	srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: newRegistry()}))
	defer srv.Close()
	var ready api.Readiness
	resp := call(t, srv.URL, http.MethodGet, "/readyz", nil, &ready)
	if resp.StatusCode != http.StatusServiceUnavailable || ready.Status == "ready" ||
		!strings.Contains(ready.Checks["calendar"], "2041") || !strings.Contains(ready.Checks["calendar"], "calendar import") ||
		!strings.Contains(ready.Checks["documents"], "case_documents") || !strings.Contains(ready.Checks["documents"], "INSERT") ||
		ready.Checks["postgres"] != "ok" {
		t.Fatalf("readiness without the calendar year and the document store: %d %+v", resp.StatusCode, ready)
	}
	err = health.RunChecks(ctx, checks)
	if err == nil || !strings.Contains(err.Error(), "calendar: ") || !strings.Contains(err.Error(), "documents: ") {
		t.Fatalf("start-up check: %v", err)
	}

	// With the grant and today's date the same checks pass.
	for _, q := range []string{`GRANT INSERT ON case_documents, evidence, evidence_blobs TO ` + role, `GRANT UPDATE ON case_documents TO ` + role} {
		if _, err := sys.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := health.RunChecks(ctx, health.WorkerChecks(reader, sys.Rules, nil)); err != nil && strings.Contains(err.Error(), "documents: ") {
		t.Fatalf("the document store after the grant: %v", err)
	}
}

// 16.9: a repair publicity notice about a record that is not 社会公开
// shows who applied, the provider, the proposal and the period — not the
// record's title, decision number or date.
func TestRepairNoticeOfNonPublicRecordShowsNoRecordDetails(t *testing.T) {
	ctx := context.Background()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	// A subject of its own: the demo subject's records from other tests of
	// this run (same provider, within a year) would bar the repair as a
	// repeat of the same kind.
	const subjectName = "南通安检示范建材有限公司"
	var subjectID int64
	ident := fmt.Sprintf("91320600SEC%07d", time.Now().UnixNano()%10_000_000)
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO subjects (kind, ident, name) VALUES ('organisation', $1, $2) RETURNING id`,
		ident, subjectName).Scan(&subjectID); err != nil {
		t.Fatal(err)
	}
	subjectUser, subjectPW, _ := newAccount(t, auth.Subject, func(in *auth.NewAccount) { in.SubjectID = subjectID })
	subject := logIn(t, subjectUser, subjectPW)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	taxID := demo.ProviderIDs["nt-tax"]
	const title = "欠缴社会保险费行政处罚（政府共享）"
	decisionNo := fmt.Sprintf("通税罚〔SEC〕%d号", time.Now().UnixNano())
	rec, err := records.NewStore(sys.Pool, prof, calendar.Default()).CreateRecord(ctx, audit.System, taxID, records.RecordInput{
		SubjectID: subjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Government,
		Title: title, Content: "罚款已缴清", DecisionNo: decisionNo, DecidedOn: calendar.DateOf(time.Now()).AddDays(-200).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	user, pw, _ := newAccount(t, auth.Provider, func(in *auth.NewAccount) { in.ProviderID = taxID })
	provider := logIn(t, user, pw)

	r := subject.apply(rec.ID, true, 1)
	if r.status != http.StatusCreated {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	var filed api.FiledRepair
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	no := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.RepairWorkflowID(no), "", "test over")
	})
	base := "/api/v1/repairs/" + no
	var st workflows.RepairState
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", map[string]any{}, &st)
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-opinion", map[string]any{"agree": true, "reasons": "已缴清"}, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/publish", map[string]any{}, &st)

	resp := anon{t: t}.send(http.MethodGet, "/api/v1/public/repair-notices", nil)
	var notices struct {
		Notices []map[string]any `json:"notices"`
	}
	if err := json.Unmarshal(resp.body, &notices); err != nil || resp.status != http.StatusOK {
		t.Fatalf("notices: %d %s", resp.status, resp.body)
	}
	i := slices.IndexFunc(notices.Notices, func(n map[string]any) bool { return n["application_no"] == no })
	if i < 0 {
		t.Fatalf("no notice of %s", no)
	}
	n := notices.Notices[i]
	if n["record_public"] != false || n["subject_name"] != subjectName || n["provider_name"] != "国家税务总局南通市税务局" ||
		n["proposed_outcome"] == "" || n["until"] == "" {
		t.Fatalf("notice: %v", n)
	}
	for _, k := range []string{"record_title", "decision_no", "decided_on"} {
		if _, ok := n[k]; ok {
			t.Errorf("the notice of a non-public record shows %s: %v", k, n[k])
		}
	}
	if strings.Contains(string(resp.body), title) || strings.Contains(string(resp.body), decisionNo) {
		t.Fatalf("the record's details are on the public page: %s", resp.body)
	}

	// The console's public pages say the record is not public where a
	// public record's title and decision number would be, and show
	// neither; so does the objection form of the notice. (Read as HTML:
	// the pages' screenshots and accessibility are the console tests'.)
	page := func(path string) string {
		t.Helper()
		r := anon{t: t}.send(http.MethodGet, path, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.status)
		}
		return string(r.body)
	}
	html := page("/public/repair-notices")
	i = strings.Index(html, `id="n-`+no+`"`)
	if i < 0 {
		t.Fatalf("the console lists no notice of %s", no)
	}
	section := html[i:]
	if j := strings.Index(section, "</section>"); j > 0 {
		section = section[:j]
	}
	for _, want := range []string{no, subjectName, "国家税务总局南通市税务局", "The record is not published"} {
		if !strings.Contains(section, want) {
			t.Errorf("the console's notice does not show %q: %s", want, section)
		}
	}
	form := page("/public/repair-notices/" + no + "/objection")
	if !strings.Contains(form, subjectName) || !strings.Contains(form, "The record is not published") {
		t.Errorf("the objection form does not say the record is not public: %s", form)
	}
	for _, h := range []string{html, form} {
		if strings.Contains(h, title) || strings.Contains(h, decisionNo) {
			t.Fatalf("the console's public pages show the record's title or decision number")
		}
	}
}

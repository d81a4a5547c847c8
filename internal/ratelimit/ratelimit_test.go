package ratelimit

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestBucketAllowsBurstThenRefills(t *testing.T) {
	l := New(Config{Lookup: {Requests: 3, Per: 3 * time.Second}, Anonymous: {Requests: 0}})
	now := time.Unix(1_800_000_000, 0)
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow(Lookup, "192.0.2.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow(Lookup, "192.0.2.1")
	if ok || wait != time.Second {
		t.Fatalf("fourth request: %v, wait %v; want refused for 1s", ok, wait)
	}
	if ok, _ := l.Allow(Lookup, "192.0.2.2"); !ok {
		t.Fatal("another client shares the bucket")
	}
	// IPv6 clients are counted by /64: another address in it shares.
	for i := 0; i < 3; i++ {
		l.Allow(Lookup, "2001:db8::1")
	}
	if ok, _ := l.Allow(Lookup, "2001:db8::ffff"); ok {
		t.Fatal("the same /64 got a fresh bucket")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow(Lookup, "192.0.2.1"); !ok {
		t.Fatal("not refilled after a second")
	}
	// Unlimited class; unknown classes count as anonymous.
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow("whatever", "192.0.2.9"); !ok {
			t.Fatal("unlimited anonymous class refused")
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig("lookup=10/1m, objection=3/h,login=0")
	if err != nil {
		t.Fatal(err)
	}
	if c[Lookup] != (Rule{10, time.Minute}) || c[Objection] != (Rule{3, time.Hour}) || c[Login].Requests != 0 || c[Anonymous] != Defaults[Anonymous] {
		t.Fatalf("%v", c)
	}
	for _, bad := range []string{"lookup", "lookup=x/1m", "lookup=10/fortnight", "search=10/1m", "lookup=10"} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("ParseConfig(%q) accepted", bad)
		}
	}
}

func TestClientAddrBehindTrustedProxies(t *testing.T) {
	p, err := ParseProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	req := func(peer string, xff ...string) string {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		for _, h := range xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		return p.ClientAddr(r)
	}
	cases := []struct {
		got, want, why string
	}{
		{req("198.51.100.1:5000", "1.2.3.4"), "198.51.100.1", "an untrusted peer's header is ignored"},
		{req("10.1.1.1:5000", "203.0.113.5"), "203.0.113.5", "a trusted proxy names the client"},
		{req("10.1.1.1:5000", "6.6.6.6, 203.0.113.5, 192.0.2.7"), "203.0.113.5", "trusted hops are skipped from the right; the client's own entries are not believed"},
		{req("10.1.1.1:5000", "6.6.6.6", "203.0.113.5"), "203.0.113.5", "several headers are one list"},
		{req("10.1.1.1:5000"), "10.1.1.1", "no header: the proxy itself"},
		{req("10.1.1.1:5000", "garbage, 203.0.113.5"), "203.0.113.5", "a bad entry left of the client does not matter"},
		{req("10.1.1.1:5000", "203.0.113.5, garbage"), "10.1.1.1", "a bad entry right of the client stops at the last good one"},
		{req("[::ffff:10.1.1.1]:5000", "203.0.113.5"), "203.0.113.5", "IPv4-mapped peer"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.why, c.got, c.want)
		}
	}
	none, _ := ParseProxies("")
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := none.ClientAddr(r); got != "127.0.0.1" {
		t.Fatalf("no trusted proxies: %s", got)
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Fatal("bad CIDR accepted")
	}
}

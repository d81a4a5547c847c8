// Package ratelimit is the one limiter of requests from anonymous callers
// (the public lookup and lists, the public objection form, log-in) and the
// resolution of who the caller is behind trusted reverse proxies.
//
// Each class of endpoint has a budget per client address: Requests per
// Per, refilled evenly, in bursts of at most Requests (a token bucket).
// IPv6 clients are counted by their /64. The buckets live in memory, so
// each API replica enforces the budget on the requests it serves.
package ratelimit

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Classes of anonymous endpoints.
const (
	// Anonymous is every anonymous request without a class of its own.
	Anonymous = "anonymous"
	// Lookup is the public lookup of records by name or identifier.
	Lookup = "lookup"
	// Login is the log-in endpoint (on top of the per-account throttle).
	Login = "login"
	// Objection is the public objection form of a repair publicity.
	Objection = "objection"
)

// Rule is one class's budget per client: Requests per Per. Requests 0
// means unlimited.
type Rule struct {
	Requests int           `json:"requests"`
	Per      time.Duration `json:"per"`
}

func (r Rule) String() string {
	if r.Requests == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d/%s", r.Requests, shortDuration(r.Per))
}

func shortDuration(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// Config is the budget of each class.
type Config map[string]Rule

// Defaults are the budgets the README lists.
var Defaults = Config{
	Anonymous: {Requests: 120, Per: time.Minute},
	Lookup:    {Requests: 20, Per: time.Minute},
	Login:     {Requests: 20, Per: time.Minute},
	Objection: {Requests: 5, Per: 10 * time.Minute},
}

// String lists the budgets as ParseConfig reads them.
func (c Config) String() string {
	var parts []string
	for k, r := range c {
		parts = append(parts, k+"="+r.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// ParseConfig reads "lookup=20/1m,objection=5/10m,login=0" over the
// defaults: each item sets one class to N requests per duration (Go
// syntax; "/m", "/h" and "/s" alone mean one of those), 0 = unlimited.
func ParseConfig(s string) (Config, error) {
	c := Config{}
	for k, v := range Defaults {
		c[k] = v
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		class, spec, ok := strings.Cut(item, "=")
		class = strings.TrimSpace(class)
		if _, known := Defaults[class]; !ok || !known {
			return nil, fmt.Errorf("RATE_LIMITS: %q is not class=N/duration (classes: anonymous, lookup, login, objection)", item)
		}
		n, per, hasPer := strings.Cut(strings.TrimSpace(spec), "/")
		req, err := strconv.Atoi(n)
		if err != nil || req < 0 {
			return nil, fmt.Errorf("RATE_LIMITS: %q: %q is not a number of requests", item, n)
		}
		rule := Rule{Requests: req, Per: time.Minute}
		if hasPer {
			switch per {
			case "s", "m", "h":
				per = "1" + per
			}
			d, err := time.ParseDuration(per)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("RATE_LIMITS: %q: %q is not a duration such as 1m or 10m", item, per)
			}
			rule.Per = d
		} else if req != 0 {
			return nil, fmt.Errorf("RATE_LIMITS: %q: give the period, as in %s=%d/1m", item, class, req)
		}
		c[class] = rule
	}
	return c, nil
}

// Limiter holds the buckets of every class and client.
type Limiter struct {
	cfg     Config
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter enforcing cfg (nil = Defaults).
func New(cfg Config) *Limiter {
	if cfg == nil {
		cfg = Defaults
	}
	return &Limiter{cfg: cfg, buckets: map[string]*bucket{}, now: time.Now}
}

// Config is the budgets in force.
func (l *Limiter) Config() Config { return l.cfg }

// maxBuckets bounds memory: beyond it, full buckets are dropped.
const maxBuckets = 50000

// Allow takes one request of class from client, or says how long until
// one is allowed. An unknown class counts as Anonymous.
func (l *Limiter) Allow(class, client string) (bool, time.Duration) {
	rule, ok := l.cfg[class]
	if !ok {
		class, rule = Anonymous, l.cfg[Anonymous]
	}
	if rule.Requests <= 0 || rule.Per <= 0 {
		return true, 0
	}
	capacity := float64(rule.Requests)
	refill := rule.Per / time.Duration(rule.Requests) // one token every refill
	key := class + "|" + ClientKey(client)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > maxBuckets {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: capacity, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(capacity, b.tokens+float64(now.Sub(b.at))/float64(refill))
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(refill))
	}
	b.tokens--
	return true, 0
}

// sweep drops the buckets that have refilled completely.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		class, _, _ := strings.Cut(k, "|")
		if r := l.cfg[class]; now.Sub(b.at) >= r.Per {
			delete(l.buckets, k)
		}
	}
}

// ClientKey is what a client is counted under: an IPv4 address, or the
// /64 of an IPv6 address.
func ClientKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Package config reads creditcase's settings from the environment. Every
// variable is listed in Help, which `creditcase --help` prints.
package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/creditcase/creditcase/internal/ratelimit"
)

// Help documents every environment variable.
const Help = `
Environment:
  DATABASE_URL        PostgreSQL URL of the application database. Unset under
                      "dev": a private cluster is started under DATA_DIR/pg.
  TEMPORAL_ADDRESS    Temporal frontend host:port (api, worker; default
                      127.0.0.1:7233). TEMPORAL_NAMESPACE (default "default"),
                      TEMPORAL_TLS_* and TEMPORAL_API_KEY are read by the
                      Temporal SDK's envconfig loader, as the temporal CLI does.
  HTTP_ADDR           address the API listens on (default :8080; dev: 127.0.0.1:8080)
  LOG_LEVEL           debug, info, warn or error (default info)
  LOG_FORMAT          json or console (default json; dev: console)
  DATA_DIR            dev: where the private PostgreSQL cluster lives (default .data)
  PG_PORT             dev: port of the private PostgreSQL (default 0: any free port)
  PG_SETTINGS         dev: more settings of the private PostgreSQL, comma-separated
                      name=value (default none: 128 MB of shared buffers, sized for
                      development; a register of millions of records wants e.g.
                      "shared_buffers=2GB,max_wal_size=8GB,checkpoint_timeout=15min,wal_compression=lz4")
  TEMPORAL_PORT       dev, engine: port of the embedded Temporal frontend (default
                      7233); its services use P..P+3, P-300..P-297 and P+10, so
                      P must lie between 400 and 32000
  TEMPORAL_BIND_IP    engine: address every Temporal service binds and announces
                      to the other engine nodes (default 127.0.0.1)
  TEMPORAL_UI_PORT    dev, engine: port of the Temporal Web UI (default 8233; 0 disables it)
  TEMPORAL_LOG_LEVEL  dev, engine: level of the embedded Temporal server's own lines (default warn)
  CALENDAR_DIR        directory of working-day calendar files overriding the embedded ones
  POLICY_DIR          directory of policy profile files overriding the embedded ones
  ADMIN_PASSWORD      admin create: the new administrator's password (or --password-stdin)
  DOCUMENT_FONT       TrueType CJK font for PDF notices (default: Debian's
                      fonts-droid-fallback); DOCUMENT_LATIN_FONT the Latin one
                      (default: fonts-dejavu-core)
  SMTP_ADDR           host:port of an SMTP relay for notices by e-mail (unset:
                      in-app inbox only); SMTP_FROM, SMTP_USERNAME, SMTP_PASSWORD,
                      SMTP_TO_CENTRE and SMTP_TO_SUPERVISOR complete it
  OIDC_ISSUER         console: issuer URL of the government identity platform
                      (统一身份认证) subjects sign in with (unset: no such sign-in);
                      OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URL (the
                      console's https://…/login/oidc/callback; default: built
                      from the request's host), OIDC_ID_CLAIM (the
                      ID token claim holding the identity number or credit code,
                      default id_number) and OIDC_SCOPES (besides openid) complete it
  TRUSTED_PROXIES     reverse proxies trusted to name the client in
                      X-Forwarded-For: CIDRs or addresses, comma-separated
                      (default none: the connection's peer is the client)
  RATE_LIMITS         budgets of anonymous requests per client address, e.g.
                      "lookup=20/1m,login=20/1m,objection=5/10m,anonymous=120/1m"
                      (those are the defaults; 0 = unlimited)
  TOKEN_LIFETIME      life of API bearer tokens, e.g. 30d or 720h (default 30d,
                      at most 90d); console sessions last 12h
  CENTRE_NAME         the centre's name: refused inside passwords with the
                      account's own names
  METRICS_ADDR        serve /metrics on this address only (e.g. 127.0.0.1:9090);
                      unset: /metrics is on HTTP_ADDR
  WORKFLOW_CACHE_SIZE worker, dev: how many case workflows a worker keeps in
                      memory between their steps (default 2000: a few hundred
                      MiB at most, whatever the number of open cases; a case
                      not kept replays its history at its next step). 0 keeps
                      none; at most 100000
  WORKFLOW_DEADLOCK_TIMEOUT worker, dev: how long one step of a case workflow may
                      run without yielding before the worker calls it a
                      deadlock and fails the step (retried); a Go duration
                      from 1s to 5m (default 10s; the Temporal SDK's own 1s
                      trips on a busy machine, where a step waits for the CPU)
`

// Config is the environment, read once at start.
type Config struct {
	DatabaseURL      string
	TemporalAddress  string
	Namespace        string
	HTTPAddr         string
	LogLevel         string
	LogFormat        string
	DataDir          string
	PGPort           int
	PGSettings       []string
	TemporalPort     int
	TemporalBindIP   string
	UIPort           int
	TemporalLogLevel string
	CalendarDir      string
	PolicyDir        string
	// HTTPAddrSet: HTTP_ADDR was given (dev binds 127.0.0.1 otherwise).
	HTTPAddrSet bool
	// Security.
	TrustedProxies ratelimit.Proxies
	RateLimits     ratelimit.Config
	TokenLifetime  time.Duration
	CentreName     string
	MetricsAddr    string
	// WorkflowCacheSize is the Temporal SDK's sticky workflow cache of a
	// worker process (worker.SetStickyWorkflowCacheSize).
	WorkflowCacheSize int
	// WorkflowDeadlockTimeout is the worker's DeadlockDetectionTimeout.
	WorkflowDeadlockTimeout time.Duration
}

// DefaultWorkflowCacheSize bounds the workflows a worker keeps in memory.
// The SDK's own default (10 000) costs about a gigabyte once that many cases
// have been touched (bench/atrest measures the cost per cached case);
// cases wait days between steps, so a bigger cache buys no hits, and a
// case evicted only replays its short history at its next step.
const DefaultWorkflowCacheSize = 2000

// DefaultWorkflowDeadlockTimeout is how long a workflow task may run
// without yielding before the worker reports a deadlock. The SDK's default
// (1 s) measures wall-clock time: on a loaded machine a workflow goroutine
// that is merely waiting for a CPU trips it, the task fails and is retried,
// and an Update arriving meanwhile is refused. A real deadlock (blocking
// I/O in workflow code) never yields, so it is caught as surely at 10 s.
const DefaultWorkflowDeadlockTimeout = 10 * time.Second

// Bounds of WORKFLOW_DEADLOCK_TIMEOUT: below a second every busy moment is a
// "deadlock"; above five minutes a real one holds a case's task that long.
const (
	minWorkflowDeadlockTimeout = time.Second
	maxWorkflowDeadlockTimeout = 5 * time.Minute
)

// maxWorkflowCacheSize refuses a cache no worker's memory could hold.
const maxWorkflowCacheSize = 100000

// FromEnv reads the environment. logFormat is the default format of the role.
func FromEnv(defaultLogFormat string) (Config, error) {
	c := Config{
		DatabaseURL:      os.Getenv("DATABASE_URL"),
		TemporalAddress:  env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		Namespace:        env("TEMPORAL_NAMESPACE", "default"),
		HTTPAddr:         env("HTTP_ADDR", ":8080"),
		LogLevel:         env("LOG_LEVEL", "info"),
		LogFormat:        env("LOG_FORMAT", defaultLogFormat),
		DataDir:          env("DATA_DIR", ".data"),
		TemporalLogLevel: env("TEMPORAL_LOG_LEVEL", "warn"),
		TemporalBindIP:   env("TEMPORAL_BIND_IP", "127.0.0.1"),
		CalendarDir:      os.Getenv("CALENDAR_DIR"),
		PolicyDir:        os.Getenv("POLICY_DIR"),
	}
	c.HTTPAddrSet = os.Getenv("HTTP_ADDR") != ""
	c.CentreName = strings.TrimSpace(os.Getenv("CENTRE_NAME"))
	c.MetricsAddr = strings.TrimSpace(os.Getenv("METRICS_ADDR"))
	var errs []string
	var err error
	if c.TrustedProxies, err = ratelimit.ParseProxies(os.Getenv("TRUSTED_PROXIES")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.RateLimits, err = ratelimit.ParseConfig(os.Getenv("RATE_LIMITS")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.TokenLifetime, err = parseLifetime(os.Getenv("TOKEN_LIFETIME")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.WorkflowCacheSize, err = parseCacheSize(os.Getenv("WORKFLOW_CACHE_SIZE")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.WorkflowDeadlockTimeout, err = parseDeadlockTimeout(os.Getenv("WORKFLOW_DEADLOCK_TIMEOUT")); err != nil {
		errs = append(errs, err.Error())
	}
	if c.PGSettings, err = parsePGSettings(os.Getenv("PG_SETTINGS")); err != nil {
		errs = append(errs, err.Error())
	}
	port := func(name string, def int, dst *int) {
		v := os.Getenv(name)
		if v == "" {
			*dst = def
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Sprintf("%s=%q is not a port number", name, v))
			return
		}
		*dst = n
	}
	port("PG_PORT", 0, &c.PGPort)
	port("TEMPORAL_PORT", 7233, &c.TemporalPort)
	port("TEMPORAL_UI_PORT", 8233, &c.UIPort)
	if net.ParseIP(c.TemporalBindIP) == nil {
		errs = append(errs, fmt.Sprintf("TEMPORAL_BIND_IP=%q is not an IP address", c.TemporalBindIP))
	}
	if c.TemporalPort == 0 {
		errs = append(errs, "TEMPORAL_PORT must not be 0")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return c, nil
}

// parseLifetime reads TOKEN_LIFETIME: a Go duration (720h) or whole days
// (30d); "" is the default (0).
func parseLifetime(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, aerr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, aerr
	}
	if err != nil || d < time.Hour || d > 90*24*time.Hour {
		return 0, fmt.Errorf("TOKEN_LIFETIME=%q is not a lifetime from 1h to 90d (such as 30d or 720h)", v)
	}
	return d, nil
}

// parseCacheSize reads WORKFLOW_CACHE_SIZE: a whole number of workflows
// from 0 to 100000; "" is DefaultWorkflowCacheSize.
func parseCacheSize(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultWorkflowCacheSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxWorkflowCacheSize {
		return 0, fmt.Errorf("WORKFLOW_CACHE_SIZE=%q is not a number of workflows from 0 to %d (default %d)", v, maxWorkflowCacheSize, DefaultWorkflowCacheSize)
	}
	return n, nil
}

// parseDeadlockTimeout reads WORKFLOW_DEADLOCK_TIMEOUT: a Go duration from
// 1s to 5m; "" is DefaultWorkflowDeadlockTimeout.
func parseDeadlockTimeout(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultWorkflowDeadlockTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minWorkflowDeadlockTimeout || d > maxWorkflowDeadlockTimeout {
		return 0, fmt.Errorf("WORKFLOW_DEADLOCK_TIMEOUT=%q is not a duration from 1s to 5m, such as 10s or 1m (default %s)", v, DefaultWorkflowDeadlockTimeout)
	}
	return d, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// pgSetting is one PostgreSQL setting: a parameter name, "=", a value
// without commas (the list's separator).
var pgSetting = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*=[^,=]+$`)

// parsePGSettings reads PG_SETTINGS: name=value pairs, comma-separated,
// for the private cluster of dev; "" is none. PostgreSQL itself refuses a
// name or value it does not know, at start, saying which.
func parsePGSettings(v string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, value, _ := strings.Cut(f, "=")
		f = strings.TrimSpace(name) + "=" + strings.TrimSpace(value)
		if !pgSetting.MatchString(f) {
			return nil, fmt.Errorf("PG_SETTINGS=%q: %q is not name=value (settings are comma-separated, e.g. shared_buffers=2GB,max_wal_size=8GB)", v, f)
		}
		out = append(out, f)
	}
	return out, nil
}

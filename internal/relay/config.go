package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"gopkg.in/yaml.v3"
)

// Subscriber kinds.
const (
	KindWebhook = "webhook" // HTTPS POST of the signed JSON envelope
	KindEmail   = "email"   // an e-mail notice of the event
)

// Defaults of the retry policy: 8 attempts, 30 s doubling up to 1 h
// (the last attempt about 1 h 4 min after the first).
const (
	DefaultMaxAttempts = 8
	DefaultInitial     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
)

// Subscriber is one downstream receiver of the deployment.
type Subscriber struct {
	ID   string
	Name string
	Kind string
	// URL (webhook) or e-mail address (email).
	Endpoint string
	// Secret signs the webhook body (HMAC-SHA256).
	Secret []byte
	// Events it receives (empty: all); Providers limits it to the records
	// of these provider codes (empty: all), e.g. a provider's own system.
	Events    []string
	Providers []string
	// MaxAttempts is the retry limit after which a delivery is dead.
	MaxAttempts int
	// RootCAs, when set, are the only CAs trusted for this endpoint.
	RootCAs *x509.CertPool
}

// Config is the deployment's relay configuration: the SUBSCRIBERS_FILE.
type Config struct {
	Subscribers []Subscriber
	// Initial and MaxBackoff shape the exponential back-off: the n-th retry
	// waits Initial·2^(n-1), at most MaxBackoff.
	Initial    time.Duration
	MaxBackoff time.Duration
}

// Backoff is how long to wait after the attempts-th failed attempt.
func (c Config) Backoff(attempts int) time.Duration {
	d := c.Initial
	for i := 1; i < attempts && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}

type fileRetry struct {
	MaxAttempts int    `yaml:"max_attempts"`
	Initial     string `yaml:"initial"`
	Max         string `yaml:"max"`
}

type fileSubscriber struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	URL         string   `yaml:"url"`
	Email       string   `yaml:"email"`
	SecretEnv   string   `yaml:"secret_env"`
	Events      []string `yaml:"events"`
	Providers   []string `yaml:"providers"`
	MaxAttempts int      `yaml:"max_attempts"`
	CAFile      string   `yaml:"ca_file"`
}

type file struct {
	Retry       fileRetry        `yaml:"retry"`
	Subscribers []fileSubscriber `yaml:"subscribers"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// LoadFile reads a subscribers file (YAML; see README "Results delivered
// downstream"). Secrets are read from the environment variables it names,
// never from the file. Every problem is reported with the subscriber it
// concerns.
func LoadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("subscribers file: %w", err)
	}
	return Parse(b, os.Getenv)
}

// Parse reads a subscribers file's content; getenv resolves secret_env.
func Parse(b []byte, getenv func(string) string) (Config, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Config{}, fmt.Errorf("subscribers file: %w", err)
	}
	cfg := Config{Initial: DefaultInitial, MaxBackoff: DefaultMaxBackoff}
	maxAttempts := DefaultMaxAttempts
	var errs []error
	if f.Retry.MaxAttempts < 0 {
		errs = append(errs, errors.New("retry.max_attempts: must be positive"))
	} else if f.Retry.MaxAttempts > 0 {
		maxAttempts = f.Retry.MaxAttempts
	}
	for _, d := range []struct {
		name, v string
		to      *time.Duration
	}{{"retry.initial", f.Retry.Initial, &cfg.Initial}, {"retry.max", f.Retry.Max, &cfg.MaxBackoff}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30s or 1h", d.name, d.v))
			continue
		}
		*d.to = v
	}
	if cfg.MaxBackoff < cfg.Initial {
		errs = append(errs, errors.New("retry.max: shorter than retry.initial"))
	}
	seen := map[string]bool{}
	for i, fs := range f.Subscribers {
		at := fmt.Sprintf("subscribers[%d]", i)
		if fs.ID != "" {
			at += " (" + fs.ID + ")"
		}
		s := Subscriber{ID: fs.ID, Name: fs.Name, Events: fs.Events, Providers: fs.Providers, MaxAttempts: maxAttempts}
		if fs.MaxAttempts < 0 {
			errs = append(errs, fmt.Errorf("%s.max_attempts: must be positive", at))
		} else if fs.MaxAttempts > 0 {
			s.MaxAttempts = fs.MaxAttempts
		}
		if !idPattern.MatchString(fs.ID) {
			errs = append(errs, fmt.Errorf("%s.id: lower-case letters, digits and dashes, 2 to 63", at))
		} else if seen[fs.ID] {
			errs = append(errs, fmt.Errorf("%s.id: defined twice", at))
		}
		seen[fs.ID] = true
		if strings.TrimSpace(fs.Name) == "" {
			errs = append(errs, fmt.Errorf("%s.name: required", at))
		}
		for _, ev := range fs.Events {
			if !slices.Contains(EventTypes, ev) {
				errs = append(errs, fmt.Errorf("%s.events: unknown event %q (known: %s)", at, ev, strings.Join(EventTypes, ", ")))
			}
		}
		switch {
		case fs.URL != "" && fs.Email != "":
			errs = append(errs, fmt.Errorf("%s: give url or email, not both", at))
		case fs.URL != "":
			s.Kind, s.Endpoint = KindWebhook, fs.URL
			u, err := url.Parse(fs.URL)
			if err != nil || u.Scheme != "https" || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s.url: an https:// URL is required", at))
			}
			if fs.SecretEnv == "" {
				errs = append(errs, fmt.Errorf("%s.secret_env: name the environment variable holding the signing secret", at))
			} else if sec := getenv(fs.SecretEnv); len(sec) < 16 {
				errs = append(errs, fmt.Errorf("%s.secret_env: %s must hold a secret of at least 16 characters", at, fs.SecretEnv))
			} else {
				s.Secret = []byte(sec)
			}
			if fs.CAFile != "" {
				pem, err := os.ReadFile(fs.CAFile)
				pool := x509.NewCertPool()
				if err != nil || !pool.AppendCertsFromPEM(pem) {
					errs = append(errs, fmt.Errorf("%s.ca_file: no PEM certificate in %s", at, fs.CAFile))
				}
				s.RootCAs = pool
			}
		case fs.Email != "":
			s.Kind, s.Endpoint = KindEmail, fs.Email
			if _, err := mail.ParseAddress(fs.Email); err != nil {
				errs = append(errs, fmt.Errorf("%s.email: not an e-mail address", at))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: url (HTTPS endpoint) or email is required", at))
		}
		cfg.Subscribers = append(cfg.Subscribers, s)
	}
	return cfg, errors.Join(errs...)
}

// tlsConfig is the TLS configuration of a webhook subscriber.
func (s Subscriber) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.RootCAs}
}

// Sync writes the configured subscribers into event_subscribers and marks
// the others inactive (their pending deliveries wait; nothing is lost).
// Provider codes are resolved to provider IDs; an unknown code is an error.
func Sync(ctx context.Context, pool *pgxpool.Pool, cfg Config) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		ids := make([]string, 0, len(cfg.Subscribers))
		for _, s := range cfg.Subscribers {
			var providers []int64
			if len(s.Providers) > 0 {
				rows, err := tx.Query(ctx, `SELECT id FROM providers WHERE code = ANY($1)`, s.Providers)
				if err != nil {
					return err
				}
				if providers, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
					return err
				}
				if len(providers) != len(s.Providers) {
					return fmt.Errorf("subscriber %s: unknown provider code among %v", s.ID, s.Providers)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO event_subscribers (id, name, kind, endpoint, events, provider_ids, max_attempts, active, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,true,now())
				ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, endpoint = EXCLUDED.endpoint,
					events = EXCLUDED.events, provider_ids = EXCLUDED.provider_ids, max_attempts = EXCLUDED.max_attempts,
					active = true, updated_at = now()`,
				s.ID, s.Name, s.Kind, s.Endpoint, nonNil(s.Events), nonNilIDs(providers), s.MaxAttempts)
			if err != nil {
				return fmt.Errorf("subscriber %s: %w", s.ID, err)
			}
			ids = append(ids, s.ID)
		}
		_, err := tx.Exec(ctx, `UPDATE event_subscribers SET active = false, updated_at = now() WHERE active AND NOT (id = ANY($1))`, ids)
		return err
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilIDs(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

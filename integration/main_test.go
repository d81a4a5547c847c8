// Package integration drives the running system through its HTTP API: the
// same private PostgreSQL and embedded Temporal server as `creditcase dev`,
// started once for the whole package by TestMain. It is the only test package
// that links the Temporal server, which costs tens of seconds per binary.
package integration

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/apidoc"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/ratelimit"
	"github.com/creditcase/creditcase/internal/stack"
	"github.com/creditcase/creditcase/web"
)

// testThrottle is the log-in throttling of the shared stack: the default
// shape (free failures, doubling waits, then a lock), in seconds instead
// of minutes.
var testThrottle = auth.ThrottlePolicy{
	Account:   auth.ThrottleRule{Free: 3, LockAfter: 5},
	Address:   auth.ThrottleRule{Free: 6, LockAfter: 12},
	BaseDelay: time.Second, MaxDelay: 2 * time.Second, LockFor: 4 * time.Second, Window: time.Hour,
}

// testTokenLifetime is the shared stack's TOKEN_LIFETIME.
const testTokenLifetime = 7 * 24 * time.Hour

// sys is the stack every test shares.
var sys *stack.Stack

// idp is the identity platform (统一身份认证) the console's OIDC sign-in
// talks to: a real OpenID Connect provider (github.com/oauth2-proxy/mockoidc)
// issuing RS256-signed ID tokens for the users a test queues.
var idp *mockoidc.MockOIDC

// testLogger writes the stack's logs to integration.log in the temp dir, so a
// failure can be read afterwards without flooding the test output.
func testLogger(dir string) (zerolog.Logger, io.Closer, error) {
	f, err := os.Create(filepath.Join(dir, "integration.log"))
	if err != nil {
		return zerolog.Nop(), nil, err
	}
	return zerolog.New(f).With().Timestamp().Logger(), f, nil
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "creditcase-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log, closer, err := testLogger(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if idp, err = startIdentityPlatform(); err != nil {
		fmt.Fprintln(os.Stderr, "start the OIDC provider:", err)
		return 1
	}
	defer func() { _ = idp.Shutdown() }()
	defer closeBrowser()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	// The tests' own client is 127.0.0.1: as a trusted proxy it may name
	// other clients in X-Forwarded-For, which the log-in throttling tests
	// use to act from several addresses. Anonymous requests are not
	// limited here (the limiter has its own test server) but for the public
	// objection form, whose burst the repair test meets; log-in
	// throttling is fast, so its lock can be waited out.
	proxies, err := ratelimit.ParseProxies("127.0.0.0/8")
	if err != nil {
		cancel()
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sys, err = stack.Start(ctx, stack.Options{
		OIDC:             web.OIDCConfig{Issuer: idp.Issuer(), ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, IDClaim: oidcIDClaim},
		DataDir:          dir,
		HTTPAddr:         "127.0.0.1:0",
		Logger:           log,
		TemporalLogLevel: "warn",
		Progress:         func(s string) { fmt.Fprintln(os.Stderr, "stack:", s) },
		Auth:             auth.Options{Throttle: testThrottle, BearerTTL: testTokenLifetime},
		Proxies:          proxies,
		Limits:           ratelimit.Config{ratelimit.Anonymous: {}, ratelimit.Lookup: {}, ratelimit.Login: {}, ratelimit.Objection: ratelimit.Defaults[ratelimit.Objection]},
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		return 1
	}
	apidoc.RegisterBodyDecoders()
	if docValidator, err = apidoc.NewValidator(api.OpenAPIDocument(), "/api/v1"); err != nil {
		fmt.Fprintln(os.Stderr, "OpenAPI document:", err)
		return 1
	}
	code := m.Run()
	if len(docFailures) > 0 {
		fmt.Fprintf(os.Stderr, "%d exchanges did not match the OpenAPI document:\n", len(docFailures))
		for _, f := range docFailures {
			fmt.Fprintln(os.Stderr, "  -", f)
		}
		code = 1
	}
	people, perr := personalData(sys.Pool)
	sys.Stop()
	closer.Close()
	if code == 0 {
		if perr != nil {
			fmt.Fprintln(os.Stderr, "read the subjects to look for in the logs:", perr)
			code = 1
		} else if !logsClean(dir, people) {
			code = 1
		}
	}
	if code == 0 {
		_ = os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "stack logs kept in", dir)
	}
	return code
}

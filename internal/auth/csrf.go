package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// CSRF tokens are bound to the session: the token of a session is the
// HMAC-SHA256, under a server key, of the session token's digest. The
// console gets it at log-in (and in a readable cookie) and echoes it in a
// header; a token from another session, or made up, does not verify. The
// key lives in PostgreSQL (auth_keys), made once, so that every API
// replica computes the same tokens; it never leaves the server.

// csrfKeyName names the key in auth_keys.
const csrfKeyName = "csrf-hmac"

// keyCache loads a server key once per process.
type keyCache struct {
	mu  sync.Mutex
	key []byte
}

func (s *Service) key(ctx context.Context, name string) ([]byte, error) {
	s.csrfKey.mu.Lock()
	defer s.csrfKey.mu.Unlock()
	if s.csrfKey.key != nil {
		return s.csrfKey.key, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	// The first replica to get here makes the key; the others read it.
	if _, err := s.pool.Exec(ctx, `INSERT INTO auth_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, err
	}
	var key []byte
	if err := s.pool.QueryRow(ctx, `SELECT secret FROM auth_keys WHERE name = $1`, name).Scan(&key); err != nil {
		return nil, err
	}
	s.csrfKey.key = key
	return key, nil
}

// CSRFToken returns the CSRF token of the session whose token is session.
func (s *Service) CSRFToken(ctx context.Context, session string) (string, error) {
	key, err := s.key(ctx, csrfKeyName)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("creditcase csrf v1\x00"))
	m.Write(digest(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// CheckCSRF reports whether presented is the CSRF token of session, in
// constant time.
func (s *Service) CheckCSRF(ctx context.Context, session, presented string) (bool, error) {
	if session == "" || presented == "" {
		return false, nil
	}
	want, err := s.CSRFToken(ctx, session)
	if err != nil {
		return false, err
	}
	return hmac.Equal([]byte(want), []byte(presented)), nil
}

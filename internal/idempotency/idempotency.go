// Package idempotency keeps the first answer to a state-changing request
// sent with an Idempotency-Key header (IETF draft
// draft-ietf-httpapi-idempotency-key-header): the same caller sending the
// same key with the same request gets that answer again, whatever happened
// in between (a lost answer, a crash, a restart); the same key with another
// request is refused. Keys are kept at least 24 hours.
//
// A request runs under a lease on its key. While it runs, a second request
// with the key is told to wait; when the process running it dies, the lease
// runs out and a retry runs the request again — safe, because the use cases
// themselves find what the first run did (a filing finds its case by the
// key, a step is sent to its workflow with an update ID derived from the
// key, which Temporal runs once).
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// Pattern is what a key must look like: 8–128 letters, digits, '.', '_',
// ':' or '-' (a UUID fits).
var Pattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,128}$`)

// Lease is how long a request holds its key unless renewed: the process
// running it renews the lease every Lease/3 (Hold) while the request runs,
// so a request that runs long keeps its key, and a retry after the process
// died (kill -9) may run it again within Lease.
const Lease = 10 * time.Second

// Keep is how long answers are kept (the draft asks for at least 24 h).
const Keep = 48 * time.Hour

type ctxKey struct{}

// Key is a caller's key: who sent it and the key.
type Key struct {
	Owner string // the account ("account:12"), or the client for the public
	Key   string
}

// With returns ctx carrying k, for the use cases.
func With(ctx context.Context, k Key) context.Context { return context.WithValue(ctx, ctxKey{}, k) }

// From returns the key the request carries (zero when none).
func From(ctx context.Context) (Key, bool) {
	k, ok := ctx.Value(ctxKey{}).(Key)
	return k, ok && k.Key != ""
}

// ID is a stable identifier of the key, for update IDs and stored rows:
// the same caller and key always give the same ID, different callers
// never share one.
func (k Key) ID() string {
	sum := sha256.Sum256([]byte(k.Owner + "\x00" + k.Key))
	return hex.EncodeToString(sum[:16])
}

// Answer is a stored answer.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// Store keeps keys and answers in PostgreSQL.
type Store struct {
	Pool *pgxpool.Pool
}

// Begin claims k for a request (its method, route path and a hash of
// everything it sends). It returns the stored answer when the same request
// was answered before (replay), nil when the caller runs the request now and
// must then call Finish or Release, or a refusal: the key used with another
// request (422), or the first request still running (409, try again soon).
func (s *Store) Begin(ctx context.Context, k Key, method, path string, hash []byte) (*Answer, error) {
	var out *Answer
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (owner, key, method, path, request_hash, locked_until)
			VALUES ($1, $2, $3, $4, $5, now() + $6::interval) ON CONFLICT (owner, key) DO NOTHING`,
			k.Owner, k.Key, method, path, hash, Lease)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		var (
			m, p        string
			h           []byte
			status      *int
			contentType string
			body        []byte
			running     bool
		)
		err = tx.QueryRow(ctx, `SELECT method, path, request_hash, status, content_type, body, locked_until > now()
			FROM idempotency_keys WHERE owner = $1 AND key = $2 FOR UPDATE`, k.Owner, k.Key).
			Scan(&m, &p, &h, &status, &contentType, &body, &running)
		if err != nil {
			return err
		}
		switch {
		case m != method || p != path || string(h) != string(hash):
			return reused()
		case status != nil:
			out = &Answer{Status: *status, ContentType: contentType, Body: body}
			return nil
		case running:
			return inProgress()
		}
		// The first run died without an answer: this one takes the lease.
		_, err = tx.Exec(ctx, `UPDATE idempotency_keys SET locked_until = now() + $3::interval WHERE owner = $1 AND key = $2`,
			k.Owner, k.Key, Lease)
		return err
	})
	if err != nil {
		if _, ok := refusal.As(err); ok {
			return nil, err
		}
		return nil, faults.Database(err)
	}
	return out, nil
}

// Hold renews k's lease every Lease/3 until the returned stop is called
// (the request ended). A renewal that fails is logged by the caller's
// next Finish or Release failing too; the lease then runs out and a retry
// may run the request again, which the use cases make safe.
func (s *Store) Hold(ctx context.Context, k Key) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_, _ = s.Pool.Exec(ctx, `UPDATE idempotency_keys SET locked_until = now() + $3::interval
					WHERE owner = $1 AND key = $2 AND status IS NULL`, k.Owner, k.Key, Lease)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Finish stores the answer of the request holding k.
func (s *Store) Finish(ctx context.Context, k Key, a Answer) error {
	_, err := s.Pool.Exec(context.WithoutCancel(ctx), `UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5
		WHERE owner = $1 AND key = $2`, k.Owner, k.Key, a.Status, a.ContentType, a.Body)
	return err
}

// Release gives k up without an answer (the request failed in a way a
// retry may mend): the next request with it runs again.
func (s *Store) Release(ctx context.Context, k Key) error {
	_, err := s.Pool.Exec(context.WithoutCancel(ctx), `DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND status IS NULL`,
		k.Owner, k.Key)
	return err
}

// Expire deletes the keys older than Keep.
func (s *Store) Expire(ctx context.Context) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval`, Keep)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func reused() *refusal.Error {
	return &refusal.Error{Kind: refusal.KeyReused, Title: refusal.T("幂等键已用于另一请求", "Idempotency key used for another request"),
		Detail: refusal.T("同一 Idempotency-Key 只能用于同一请求；新的请求请使用新的键，未作任何更改",
			"An Idempotency-Key stands for one request; send a new request with a new key. Nothing was changed"),
		Fields: []refusal.Field{{Name: Header, Code: "reused", Message: refusal.T("该键已用于内容不同的请求", "this key was sent with a different request")}}}
}

func inProgress() *refusal.Error {
	return &refusal.Error{Kind: refusal.InProgress, Title: refusal.T("同一请求正在处理", "The same request is being processed"),
		Detail: refusal.T("带此 Idempotency-Key 的请求尚在处理中；请稍后用同一键重试，将得到其结果",
			"A request with this Idempotency-Key is still running; repeat it with the same key in a moment to get its answer"),
		RetryAfter: 2 * time.Second}
}

// ErrNoKey is returned by helpers that need a key when there is none.
var ErrNoKey = errors.New("idempotency: no key")

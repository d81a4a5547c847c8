package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/records"
)

// Log-in throttling. Failed log-ins are counted per account name and per
// client address in PostgreSQL (table login_throttle), so every API replica
// sees the same counts. After Free failures each further failure makes the
// key wait before the next attempt — BaseDelay, then twice as long each
// time, at most MaxDelay — and at LockAfter failures the key is locked for
// LockFor. While a key waits, log-ins on it are refused without looking at
// the password (429 with Retry-After). An unknown account name is counted
// and answered exactly like a known one. A successful log-in clears the
// account's count (the address keeps its own); failures older than Window
// are forgotten.

// ThrottleRule is the back-off and lock of one scope.
type ThrottleRule struct {
	// Free failures are answered at once.
	Free int `json:"free_failures"`
	// LockAfter failures lock the key for LockFor.
	LockAfter int `json:"lock_after"`
}

// ThrottlePolicy says how failed log-ins slow down the next ones.
type ThrottlePolicy struct {
	Account ThrottleRule `json:"account"`
	Address ThrottleRule `json:"address"`
	// BaseDelay is the wait after the first failure past Free; it doubles
	// with each further failure up to MaxDelay.
	BaseDelay time.Duration `json:"base_delay"`
	MaxDelay  time.Duration `json:"max_delay"`
	// LockFor is how long a lock lasts.
	LockFor time.Duration `json:"lock_for"`
	// Window: failures older than this (counted from the latest) are
	// forgotten.
	Window time.Duration `json:"window"`
}

// DefaultThrottle is the policy the README lists.
var DefaultThrottle = ThrottlePolicy{
	Account:   ThrottleRule{Free: 3, LockAfter: 10},
	Address:   ThrottleRule{Free: 10, LockAfter: 50},
	BaseDelay: time.Second,
	MaxDelay:  5 * time.Minute,
	LockFor:   15 * time.Minute,
	Window:    time.Hour,
}

// Throttle scopes.
const (
	ScopeAccount = "account"
	ScopeAddress = "address"
)

// ThrottledError refuses a log-in while its account name or client address
// waits after failed attempts.
type ThrottledError struct {
	// RetryAfter is how long until an attempt is considered again.
	RetryAfter time.Duration
	// Locked is true when the wait is a lock, not a back-off.
	Locked bool
	// Busy is true when another attempt on the same account is running.
	Busy bool
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many failed log-ins; retry after %s", e.RetryAfter)
}

// ErrThrottled matches (errors.Is) a *ThrottledError.
var ErrThrottled = errors.New("auth: log-in throttled")

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds (at least 1),
// for the Retry-After header.
func (e *ThrottledError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// Audit actions of log-in throttling.
const (
	ActionLoginFailed             = "login.failed"
	ActionLoginBlocked            = "login.blocked"
	ActionLoginSucceededAfterFail = "login.succeeded_after_failures"
)

// delay is the wait imposed after the n-th failure under rule.
func (p ThrottlePolicy) delay(rule ThrottleRule, n int) (time.Duration, bool) {
	switch {
	case n >= rule.LockAfter:
		return p.LockFor, true
	case n <= rule.Free:
		return 0, false
	}
	d := p.BaseDelay
	for i := rule.Free + 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay), false
}

// AddressKey reduces a client address to the key it is counted under:
// an IPv4 address as is, an IPv6 address by its /64 (one subscriber).
func AddressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return strings.TrimSpace(addr)
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// accountKey is the account name as log-ins look it up.
func accountKey(username string) string {
	k := strings.ToLower(strings.TrimSpace(username))
	if len(k) > 200 {
		k = k[:200]
	}
	return k
}

type throttleKey struct{ scope, key string }

// blocked returns the longest block in force on keys, counting the refusal.
func (s *Service) blocked(ctx context.Context, tx pgx.Tx, keys []throttleKey, now time.Time) (*ThrottledError, error) {
	var te *ThrottledError
	for _, k := range keys {
		var until time.Time
		var locked bool
		err := tx.QueryRow(ctx, `UPDATE login_throttle SET refused = refused + 1
			WHERE scope = $1 AND key = $2 AND blocked_until > $3 RETURNING blocked_until, locked`,
			k.scope, k.key, now).Scan(&until, &locked)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if wait := until.Sub(now); te == nil || wait > te.RetryAfter {
			te = &ThrottledError{RetryAfter: wait, Locked: locked}
		}
	}
	return te, nil
}

// failure counts a failed log-in on k and sets the wait it earns; it
// returns the number of failures and the block set (zero when none).
func (s *Service) failure(ctx context.Context, tx pgx.Tx, k throttleKey, rule ThrottleRule, now time.Time) (int, time.Duration, bool, error) {
	var n int
	err := tx.QueryRow(ctx, `
		INSERT INTO login_throttle AS t (scope, key, failures, first_failure_at, last_failure_at)
		VALUES ($1, $2, 1, $3, $3)
		ON CONFLICT (scope, key) DO UPDATE SET
			failures = CASE WHEN t.last_failure_at < $4 THEN 1 ELSE t.failures + 1 END,
			first_failure_at = CASE WHEN t.last_failure_at < $4 THEN $3 ELSE t.first_failure_at END,
			last_failure_at = $3
		RETURNING failures`, k.scope, k.key, now, now.Add(-s.throttle.Window)).Scan(&n)
	if err != nil {
		return 0, 0, false, err
	}
	wait, locked := s.throttle.delay(rule, n)
	if wait > 0 {
		_, err = tx.Exec(ctx, `UPDATE login_throttle SET blocked_until = $3, locked = $4, refused = 0 WHERE scope = $1 AND key = $2`,
			k.scope, k.key, now.Add(wait), locked)
	}
	return n, wait, locked, err
}

// LoginAttempt is one log-in: the credentials and where they come from.
type LoginAttempt struct {
	Username string
	Password string
	// Client is the client's address (the API resolves it through the
	// trusted proxies); "" counts the attempt against the account only.
	Client string
}

// LoginFrom checks an attempt and opens a session. It answers
// *ThrottledError (errors.Is ErrThrottled) while the account name or the
// client address waits after failures, ErrBadCredentials for a wrong
// password, an unknown user or a disabled account, and records every
// failure, every block and a success after failures in the audit trail.
//
// Attempts on one account name are serialised (a transaction-scoped
// advisory lock): one running while another is checked is refused at once
// as busy, so parallel guessing gains nothing.
func (s *Service) LoginFrom(ctx context.Context, at LoginAttempt) (Account, Token, error) {
	now := s.now()
	uname := accountKey(at.Username)
	keys := []throttleKey{{ScopeAccount, uname}}
	if at.Client != "" {
		keys = append(keys, throttleKey{ScopeAddress, AddressKey(at.Client)})
	}
	var a Account
	var tok Token
	var outcome error
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var got bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended('login:' || $1, 0))`, uname).Scan(&got); err != nil {
			return err
		}
		if !got {
			outcome = &ThrottledError{RetryAfter: time.Second, Busy: true}
			return nil
		}
		te, err := s.blocked(ctx, tx, keys, now)
		if err != nil {
			return err
		}
		if te != nil {
			outcome = te
			return nil
		}
		var hash string
		err = tx.QueryRow(ctx, `SELECT `+accountColumns+`, password_hash FROM accounts WHERE username = $1`, uname).
			Scan(append(accountDest(&a), &hash)...)
		known := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if !known {
			_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(at.Password))
		}
		if !known || bcrypt.CompareHashAndPassword([]byte(hash), []byte(at.Password)) != nil || a.Disabled {
			outcome = ErrBadCredentials
			return s.recordFailure(ctx, tx, at, uname, keys, a, known, now)
		}
		var before int
		err = tx.QueryRow(ctx, `DELETE FROM login_throttle WHERE scope = $1 AND key = $2 RETURNING failures`, ScopeAccount, uname).Scan(&before)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if tok, err = s.issue(ctx, tx, a.ID, KindSession, "console", SessionTTL); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, a.Actor(), audit.Event{Action: audit.ActionSessionCreated, ObjectType: "account",
			ObjectID: fmt.Sprint(a.ID), Data: map[string]any{"client": at.Client}}); err != nil {
			return err
		}
		if before > 0 {
			return audit.Write(ctx, tx, a.Actor(), audit.Event{Action: ActionLoginSucceededAfterFail, ObjectType: "account",
				ObjectID: fmt.Sprint(a.ID), Data: map[string]any{"failures_before": before, "client": at.Client}})
		}
		return nil
	})
	if err != nil {
		return Account{}, Token{}, err
	}
	if outcome != nil {
		return Account{}, Token{}, outcome
	}
	return a, tok, nil
}

// recordFailure counts a failed attempt on every key and writes it, and
// any block it sets, to the audit trail. The name tried is kept with any
// identity number in it masked (people type their ID number as a name).
func (s *Service) recordFailure(ctx context.Context, tx pgx.Tx, at LoginAttempt, uname string, keys []throttleKey,
	a Account, known bool, now time.Time) error {
	data := map[string]any{"username": ident.MaskIDNumbersIn(uname), "client": at.Client, "known_account": known}
	objectID := ""
	if known {
		objectID = fmt.Sprint(a.ID)
		if a.Disabled {
			data["disabled"] = true
		}
	}
	var blocks []map[string]any
	for _, k := range keys {
		rule := s.throttle.Account
		if k.scope == ScopeAddress {
			rule = s.throttle.Address
		}
		n, wait, locked, err := s.failure(ctx, tx, k, rule, now)
		if err != nil {
			return err
		}
		data[k.scope+"_failures"] = n
		if wait > 0 {
			blocks = append(blocks, map[string]any{"scope": k.scope, "key": ident.MaskIDNumbersIn(k.key), "failures": n,
				"until": now.Add(wait).UTC(), "seconds": int(math.Ceil(wait.Seconds())), "locked": locked})
		}
	}
	if err := audit.Write(ctx, tx, audit.Public, audit.Event{Action: ActionLoginFailed, ObjectType: "account", ObjectID: objectID, Data: data}); err != nil {
		return err
	}
	for _, b := range blocks {
		if err := audit.Write(ctx, tx, audit.Public, audit.Event{Action: ActionLoginBlocked, ObjectType: "login_" + b["scope"].(string),
			ObjectID: b["key"].(string), Data: b}); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE last_failure_at < $1 AND (blocked_until IS NULL OR blocked_until < $2)`,
		now.Add(-s.throttle.Window), now)
	return err
}

// ThrottleEntry is one account name or client address with recent
// failures, as the supervisor sees it.
type ThrottleEntry struct {
	Scope          string     `json:"scope"`
	Key            string     `json:"key"`
	Failures       int        `json:"failures"`
	FirstFailureAt time.Time  `json:"first_failure_at"`
	LastFailureAt  time.Time  `json:"last_failure_at"`
	BlockedUntil   *time.Time `json:"blocked_until,omitempty"`
	Locked         bool       `json:"locked"`
	// Refused counts the attempts refused during the current block.
	Refused int `json:"refused"`
	// Blocked is true while the block is in force.
	Blocked bool `json:"blocked"`
}

// Throttles lists the account names and addresses with failures within
// the window, blocked ones first, then by the latest failure.
func (s *Service) Throttles(ctx context.Context, limit int) ([]ThrottleEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	now := s.now()
	rows, err := s.pool.Query(ctx, `
		SELECT scope, key, failures, first_failure_at, last_failure_at, blocked_until, locked, refused
		FROM login_throttle
		WHERE last_failure_at >= $1 OR blocked_until > $2
		ORDER BY (blocked_until > $2) IS TRUE DESC, last_failure_at DESC
		LIMIT $3`, now.Add(-s.throttle.Window), now, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ThrottleEntry, error) {
		var e ThrottleEntry
		err := r.Scan(&e.Scope, &e.Key, &e.Failures, &e.FirstFailureAt, &e.LastFailureAt, &e.BlockedUntil, &e.Locked, &e.Refused)
		e.Key = ident.MaskIDNumbersIn(e.Key)
		e.Blocked = e.BlockedUntil != nil && e.BlockedUntil.After(now)
		if !e.Blocked {
			e.Locked = false
		}
		return e, err
	})
	if out == nil && err == nil {
		out = []ThrottleEntry{}
	}
	return out, err
}

// Unblock lifts the block and clears the failures on an account name or
// client address (an administrator's decision, audited with its reason).
func (s *Service) Unblock(ctx context.Context, actor audit.Actor, scope, key, reason string) error {
	if scope != ScopeAccount && scope != ScopeAddress {
		return &records.ValidationError{Fields: []records.FieldError{{Field: "scope", Code: "enum", ZH: "应为 account 或 address", EN: "must be account or address"}}}
	}
	if scope == ScopeAccount {
		key = accountKey(key)
	} else {
		key = AddressKey(key)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE scope = $1 AND key = $2`, scope, key)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: ActionLoginUnblocked, ObjectType: "login_" + scope,
			ObjectID: ident.MaskIDNumbersIn(key), Reason: reason})
	})
}

// ActionLoginUnblocked is written when an administrator lifts a block.
const ActionLoginUnblocked = "login.unblocked"

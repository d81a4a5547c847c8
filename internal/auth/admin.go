package auth

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/records"
)

// Audit actions of account administration.
const (
	ActionAccountDisabled = "account.disabled"
	ActionAccountEnabled  = "account.enabled"
	ActionTokensRevoked   = "tokens.revoked"
	ActionPasswordReset   = "account.password_reset"
)

// ErrOwnAccount refuses disabling one's own account (nobody could enable
// it again if it was the last administrator).
var ErrOwnAccount = errors.New("auth: an administrator cannot disable their own account")

// ErrOwnPassword refuses an administrator resetting their own password
// here (another administrator does it, as for disabling).
var ErrOwnPassword = errors.New("auth: an administrator cannot reset their own password")

// ErrExternalAccount refuses giving a password to an account that signs in
// only through the identity platform.
var ErrExternalAccount = errors.New("auth: the account signs in through the identity platform and has no password")

// MaxReason bounds a reason given for an administrative act.
const MaxReason = 500

func checkReason(reason string) *records.ValidationError {
	n := len([]rune(strings.TrimSpace(reason)))
	if n == 0 || n > MaxReason {
		return &records.ValidationError{Fields: []records.FieldError{{Field: "reason", Code: "required",
			ZH: fmt.Sprintf("请说明理由（%d 字以内）", MaxReason), EN: fmt.Sprintf("give the reason (at most %d characters)", MaxReason)}}}
	}
	return nil
}

// SetDisabled disables (or enables again) account id for reason. Disabling
// ends every session and revokes every token of the account at once, in
// the same transaction; a disabled account cannot log in (answered like a
// wrong password). Both are audited.
func (s *Service) SetDisabled(ctx context.Context, actor audit.Actor, id int64, disabled bool, reason string) (Account, error) {
	if ve := checkReason(reason); ve != nil {
		return Account{}, ve
	}
	if disabled && actor.AccountID == id {
		return Account{}, ErrOwnAccount
	}
	reason = strings.TrimSpace(reason)
	var a Account
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if disabled {
			err = tx.QueryRow(ctx, `UPDATE accounts SET disabled = true, disabled_at = coalesce(disabled_at, $2), disabled_reason = $3
				WHERE id = $1 RETURNING `+accountColumns, id, s.now(), reason).Scan(accountDest(&a)...)
		} else {
			err = tx.QueryRow(ctx, `UPDATE accounts SET disabled = false, disabled_at = NULL, disabled_reason = ''
				WHERE id = $1 RETURNING `+accountColumns, id).Scan(accountDest(&a)...)
		}
		if err != nil {
			return mapErr(err)
		}
		action, data := ActionAccountEnabled, map[string]any{"username": a.Username}
		if disabled {
			n, err := revokeAll(ctx, tx, id, s.now())
			if err != nil {
				return err
			}
			action, data["tokens_revoked"] = ActionAccountDisabled, n
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: action, ObjectType: "account", ObjectID: fmt.Sprint(id), Reason: reason, Data: data})
	})
	return a, err
}

func revokeAll(ctx context.Context, tx pgx.Tx, accountID int64, now time.Time) (int64, error) {
	tag, err := tx.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
		accountID, now)
	return tag.RowsAffected(), err
}

// RevokeTokens ends every session and revokes every bearer token of
// account id (an administrator acting on a lost laptop or a leaked token);
// it returns how many were live.
func (s *Service) RevokeTokens(ctx context.Context, actor audit.Actor, id int64, reason string) (int64, error) {
	if ve := checkReason(reason); ve != nil {
		return 0, ve
	}
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var username string
		if err := tx.QueryRow(ctx, `SELECT username FROM accounts WHERE id = $1 FOR UPDATE`, id).Scan(&username); err != nil {
			return mapErr(err)
		}
		var err error
		if n, err = revokeAll(ctx, tx, id, s.now()); err != nil {
			return err
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: ActionTokensRevoked, ObjectType: "account", ObjectID: fmt.Sprint(id),
			Reason: strings.TrimSpace(reason), Data: map[string]any{"username": username, "revoked": n}})
	})
	return n, err
}

// TokenInfo describes a session or bearer token without its secret. ID is
// the first bytes of the token's digest, enough to tell tokens apart.
type TokenInfo struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Label     string     `json:"label,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Live is true while the token authenticates.
	Live bool `json:"live"`
}

// Tokens lists account id's sessions and tokens, newest first (at most
// 200; expired ones older than 30 days are left out).
func (s *Service) Tokens(ctx context.Context, id int64) ([]TokenInfo, error) {
	now := s.now()
	rows, err := s.pool.Query(ctx, `SELECT digest, kind, label, created_at, expires_at, revoked_at FROM auth_tokens
		WHERE account_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 200`, id, now.Add(-30*24*time.Hour))
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TokenInfo, error) {
		var t TokenInfo
		var d []byte
		err := r.Scan(&d, &t.Kind, &t.Label, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt)
		t.ID = hex.EncodeToString(d[:6])
		t.Live = t.RevokedAt == nil && t.ExpiresAt.After(now)
		return t, err
	})
	if out == nil && err == nil {
		out = []TokenInfo{}
	}
	return out, err
}

// Authenticated returns the live, enabled account holding token of kind
// and the token's own description (its expiry, for the caller to show).
func (s *Service) Authenticated(ctx context.Context, token, kind string) (Account, TokenInfo, error) {
	if token == "" || len(token) > 100 {
		return Account{}, TokenInfo{}, ErrUnauthenticated
	}
	var a Account
	var t TokenInfo
	var d []byte
	err := s.pool.QueryRow(ctx, `
		SELECT a.id, a.username, a.display_name, a.role, coalesce(a.provider_id, 0), coalesce(a.subject_id, 0), a.disabled,
			a.disabled_at, a.disabled_reason, a.created_at, t.digest, t.kind, t.label, t.created_at, t.expires_at
		FROM auth_tokens t JOIN accounts a ON a.id = t.account_id
		WHERE t.digest = $1 AND t.kind = $2 AND t.revoked_at IS NULL AND t.expires_at > $3 AND NOT a.disabled`,
		digest(token), kind, s.now()).Scan(append(accountDest(&a), &d, &t.Kind, &t.Label, &t.CreatedAt, &t.ExpiresAt)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, TokenInfo{}, ErrUnauthenticated
	}
	if err != nil {
		return Account{}, TokenInfo{}, err
	}
	t.ID, t.Live = hex.EncodeToString(d[:6]), true
	return a, t, nil
}

// ResetPassword gives account id the new password for reason (the holder
// forgot it, or it may be known to someone else). The password must pass
// the password policy for that account's names (CheckPassword); in one
// transaction the hash is replaced, every session and bearer token of the
// account is revoked (whoever held the old password or a token made with
// it is out), the account name's log-in back-off or lock is lifted (the
// holder who locked it trying the forgotten password can log in at once),
// and the reset is audited with the reason and the number of tokens
// revoked — never the password. It returns the account and that number.
func (s *Service) ResetPassword(ctx context.Context, actor audit.Actor, id int64, password, reason string) (Account, int64, error) {
	if actor.AccountID == id {
		return Account{}, 0, ErrOwnPassword
	}
	var a Account
	var hash string
	if err := s.pool.QueryRow(ctx, `SELECT `+accountColumns+`, password_hash FROM accounts WHERE id = $1`, id).
		Scan(append(accountDest(&a), &hash)...); err != nil {
		return Account{}, 0, mapErr(err)
	}
	if hash == noPassword {
		return a, 0, ErrExternalAccount
	}
	var fe []records.FieldError
	if e := s.CheckPassword(password, a.Username, a.DisplayName); e != nil {
		fe = append(fe, *e)
	}
	if ve := checkReason(reason); ve != nil {
		fe = append(fe, ve.Fields...)
	}
	if len(fe) > 0 {
		return a, 0, &records.ValidationError{Fields: fe}
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return a, 0, err
	}
	var n int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Accounts are never renamed, so the names the policy judged
		// above are the account's names.
		var now Account
		if err := tx.QueryRow(ctx, `UPDATE accounts SET password_hash = $2 WHERE id = $1 RETURNING `+accountColumns, id, string(newHash)).
			Scan(accountDest(&now)...); err != nil {
			return mapErr(err)
		}
		a = now
		var err error
		if n, err = revokeAll(ctx, tx, id, s.now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE scope = $1 AND key = $2`, ScopeAccount, accountKey(a.Username)); err != nil {
			return err
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: ActionPasswordReset, ObjectType: "account", ObjectID: fmt.Sprint(id),
			Reason: strings.TrimSpace(reason), Data: map[string]any{"username": a.Username, "tokens_revoked": n}})
	})
	return a, n, err
}

package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/audit"
)

// noPassword is stored for accounts that sign in only through the
// government identity platform: it is no bcrypt hash, so no password ever
// matches it.
const noPassword = "!external"

// SubjectAccount returns the account bound to subject id, creating it on
// the subject's first sign-in through the identity platform (统一身份认证).
// The subject itself must exist: nothing else is created. Such an account
// has no password; a disabled one is refused like a wrong password.
func (s *Service) SubjectAccount(ctx context.Context, subjectID int64, name string) (Account, error) {
	var a Account
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE role = 'subject' AND subject_id = $1
			ORDER BY id LIMIT 1 FOR UPDATE`, subjectID).Scan(accountDest(&a)...)
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// Serialise first sign-ins of one subject: the loser of a race
		// finds the winner's account.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('subject-account', $1))`, subjectID); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE role = 'subject' AND subject_id = $1 ORDER BY id LIMIT 1`,
			subjectID).Scan(accountDest(&a)...)
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if name == "" {
			name = fmt.Sprintf("subject %d", subjectID)
		}
		err = tx.QueryRow(ctx, `INSERT INTO accounts (username, display_name, password_hash, role, subject_id)
			VALUES ($1, $2, $3, 'subject', $4) RETURNING `+accountColumns,
			fmt.Sprintf("subject-%d", subjectID), name, noPassword, subjectID).Scan(accountDest(&a)...)
		if err != nil {
			return mapErr(err)
		}
		return audit.Write(ctx, tx, a.Actor(), audit.Event{Action: audit.ActionAccountCreated, ObjectType: "account",
			ObjectID: fmt.Sprint(a.ID), Data: map[string]any{"username": a.Username, "role": a.Role, "via": "identity platform"}})
	})
	if err == nil && a.Disabled {
		return Account{}, ErrBadCredentials
	}
	return a, err
}

// OpenSession opens a console session for an account whose identity was
// proven elsewhere (the identity platform's ID token); via names how.
func (s *Service) OpenSession(ctx context.Context, a Account, via string) (Token, error) {
	var tok Token
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		tok, err = s.issue(ctx, tx, a.ID, KindSession, "console "+via, SessionTTL)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, a.Actor(), audit.Event{Action: audit.ActionSessionCreated, ObjectType: "account",
			ObjectID: fmt.Sprint(a.ID), Data: map[string]any{"via": via}})
	})
	return tok, err
}

// Package accounts is the application core of log-in and accounts: log in
// (a console session or an API bearer token), log out, who am I, the
// administrator's accounts, and resolving a presented token to its account
// for every front end. It wraps package auth (the store and its rules:
// passwords, throttling, tokens) in use cases that take the actor and a
// typed input and return a typed result or a *refusal.Error.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Service holds the account use cases.
type Service struct {
	auth  *auth.Service
	guard permission.Guard
	log   zerolog.Logger
}

// New returns the account use cases on store.
func New(store *auth.Service, guard permission.Guard, log zerolog.Logger) *Service {
	return &Service{auth: store, guard: guard, log: log}
}

// Store is the account store, for the front ends' session plumbing (CSRF
// tokens bound to a session).
func (s *Service) Store() *auth.Service { return s.auth }

// LogIn logs in. Kind "session" (default) opens a console session; kind
// "bearer" gives a bearer token for API clients instead.
type LogIn struct {
	Username string `json:"username" text:"max=64"`
	Password string `json:"password" text:"max=200"`
	Kind     string `json:"kind,omitempty" text:"max=20"`
	// Label names a bearer token (e.g. the client's host).
	Label string `json:"label,omitempty" text:"max=100"`
}

// LoggedIn is the account logged in and its session or bearer token.
type LoggedIn struct {
	Account   auth.Account
	Kind      string
	Token     string
	ExpiresAt time.Time
}

// BadCredentials is the refusal of a wrong user name or password, the same
// for an unknown account.
func BadCredentials() *refusal.Error {
	return &refusal.Error{Kind: refusal.BadCredentials, Title: refusal.T("用户名或密码错误", "Wrong user name or password"),
		Detail: refusal.T("用户名或密码错误，或账户已停用；请核对后重试", "The user name or password is wrong, or the account is disabled; check them and try again")}
}

// LogIn checks the password (throttled per account and per client
// address) and opens a session or issues a bearer token.
func (s *Service) LogIn(ctx context.Context, a permission.Actor, client string, in LogIn) (LoggedIn, error) {
	if err := s.guard.Require(ctx, a, "logIn"); err != nil {
		return LoggedIn{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return LoggedIn{}, err
	}
	if in.Kind == "" {
		in.Kind = auth.KindSession
	}
	if in.Kind != auth.KindSession && in.Kind != auth.KindBearer {
		return LoggedIn{}, refusal.Invalid(refusal.Field{Name: "kind", Code: "enum", Message: refusal.T("应为 session 或 bearer", "must be session or bearer")})
	}
	acc, tok, err := s.auth.LoginFrom(ctx, auth.LoginAttempt{Username: in.Username, Password: in.Password, Client: client})
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		wait := te.RetryAfterSeconds()
		return LoggedIn{}, &refusal.Error{Kind: refusal.RateLimited, RetryAfter: time.Duration(wait) * time.Second,
			Title: refusal.T("登录尝试过多", "Too many log-in attempts"),
			Detail: refusal.T(fmt.Sprintf("登录失败次数过多，请于 %d 秒后再试", wait),
				fmt.Sprintf("Too many failed log-ins; try again in %d seconds", wait))}
	case errors.Is(err, auth.ErrBadCredentials):
		s.log.Warn().Msg("log-in refused")
		return LoggedIn{}, BadCredentials()
	case err != nil:
		return LoggedIn{}, faults.Database(err)
	}
	if in.Kind == auth.KindBearer {
		// The log-in session only proves the password; the client gets a
		// bearer token and the session is ended at once.
		bt, err := s.auth.IssueBearer(ctx, acc, in.Label, 0)
		if err != nil {
			return LoggedIn{}, faults.Database(err)
		}
		if err := s.auth.Logout(ctx, acc, tok.Value); err != nil {
			return LoggedIn{}, faults.Database(err)
		}
		return LoggedIn{Account: acc, Kind: auth.KindBearer, Token: bt.Value, ExpiresAt: bt.ExpiresAt}, nil
	}
	return LoggedIn{Account: acc, Kind: auth.KindSession, Token: tok.Value, ExpiresAt: tok.ExpiresAt}, nil
}

// LogOut ends the session or revokes the bearer token the actor presented.
func (s *Service) LogOut(ctx context.Context, a permission.Actor, token string) error {
	if err := s.guard.Require(ctx, a, "logOut"); err != nil {
		return err
	}
	return faults.Database(s.auth.Logout(ctx, a.Account, token))
}

// Me is the actor's account.
func (s *Service) Me(ctx context.Context, a permission.Actor) (auth.Account, error) {
	if err := s.guard.Require(ctx, a, "getMe"); err != nil {
		return auth.Account{}, err
	}
	return a.Account, nil
}

// Authenticate resolves a presented token of kind (session or bearer) to
// its live, enabled account; any other token is 401.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (auth.Account, error) {
	if f, ok := cleantext.Param("token", token); !ok || len(token) > 200 {
		_ = f
		return auth.Account{}, refusal.Unauth()
	}
	a, err := s.auth.Authenticate(ctx, token, kind)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return a, refusal.Unauth()
	}
	return a, faults.Database(err)
}

// Accounts lists the accounts (admin).
func (s *Service) Accounts(ctx context.Context, a permission.Actor) ([]auth.Account, error) {
	if err := s.guard.Require(ctx, a, "listAccounts"); err != nil {
		return nil, err
	}
	as, err := s.auth.Accounts(ctx)
	if as == nil {
		as = []auth.Account{}
	}
	return as, faults.Database(err)
}

// CreateAccount adds an account (admin).
func (s *Service) CreateAccount(ctx context.Context, a permission.Actor, in auth.NewAccount) (auth.Account, error) {
	if err := s.guard.Require(ctx, a, "createAccount"); err != nil {
		return auth.Account{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return auth.Account{}, err
	}
	acc, err := s.auth.CreateAccount(ctx, a.Audit(), in)
	return acc, storeErr(err)
}

func storeErr(err error) error {
	var ve *records.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		fe := make([]refusal.Field, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			fe = append(fe, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
		}
		return refusal.Invalid(fe...)
	case errors.Is(err, auth.ErrNotFound):
		return refusal.NotFoundErr()
	case errors.Is(err, auth.ErrConflict):
		return &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("与已有数据冲突", "Conflicts with existing data"),
			Detail: refusal.T("该用户名已被使用，请换一个", "This user name is taken; choose another"), Cause: err}
	}
	return faults.Database(err)
}

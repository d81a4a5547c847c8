// Package accounts is the application core of log-in and account
// administration: log in (throttled per account name and client address),
// log out, the current account and its token, and what an administrator
// does with accounts — create, disable and enable, revoke every session and
// token of another account, list an account's tokens — and the log-in
// throttle as the supervisor sees it. One exported method per use case,
// taking the actor and a typed input and returning a typed result or a
// *refusal.Error; every front end calls these.
package accounts

import (
	"context"
	"errors"
	"strings"
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

// New returns the account use cases on store (its options configure
// passwords, throttling and token lifetimes).
func New(store *auth.Service, guard permission.Guard, log zerolog.Logger) *Service {
	return &Service{auth: store, guard: guard, log: log}
}

// Store is the account store, for the front ends' session plumbing and
// the seed.
func (s *Service) Store() *auth.Service { return s.auth }

// ---- log-in ----

// LogIn asks for a console session (kind "session", the default) or a
// bearer token for an API client (kind "bearer", named by label).
type LogIn struct {
	Username string `json:"username" text:"max=64"`
	Password string `json:"password" text:"max=200"`
	Kind     string `json:"kind,omitempty" text:"max=20"`
	Label    string `json:"label,omitempty" text:"max=100"`
}

// LoggedIn is the account logged in and its credential: a session (the
// front end keeps Session in a cookie and the console echoes CSRFToken in
// a header) or a bearer token, each with when it expires.
type LoggedIn struct {
	Account   auth.Account `json:"account"`
	Via       string       `json:"via"`
	Token     string       `json:"token,omitempty"`
	Session   string       `json:"-"`
	CSRFToken string       `json:"csrf_token,omitempty"`
	ExpiresAt time.Time    `json:"expires_at"`
	// LifetimeSeconds is how long this kind of credential lives.
	LifetimeSeconds int64 `json:"lifetime_seconds"`
}

// LogIn checks the credentials of an attempt from client (the caller's
// address as the front end resolved it) and opens a session or issues a
// bearer token. Refusals: 422 for a bad kind, 401 bad-credentials for a
// wrong password, an unknown user or a disabled account alike, and 429
// rate-limited with Retry-After while the account name or the client
// address waits after failed attempts — the same for an unknown account.
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
	acc, sess, err := s.auth.LoginFrom(ctx, auth.LoginAttempt{Username: in.Username, Password: in.Password, Client: client})
	var te *auth.ThrottledError
	switch {
	case errors.As(err, &te):
		s.log.Warn().Str("client", client).Bool("locked", te.Locked).Int("retry_after_s", te.RetryAfterSeconds()).Msg("log-in throttled")
		return LoggedIn{}, throttled(te)
	case errors.Is(err, auth.ErrBadCredentials):
		s.log.Warn().Str("client", client).Msg("log-in refused")
		return LoggedIn{}, BadCredentials()
	case err != nil:
		return LoggedIn{}, faults.Database(err)
	}
	if in.Kind == auth.KindBearer {
		// The log-in session only proved the password; the client gets a
		// bearer token and the session ends at once.
		bt, err := s.auth.IssueBearer(ctx, acc, in.Label, 0)
		if err != nil {
			return LoggedIn{}, faults.Database(err)
		}
		if err := s.auth.Logout(ctx, acc, sess.Value); err != nil {
			return LoggedIn{}, faults.Database(err)
		}
		return LoggedIn{Account: acc, Via: auth.KindBearer, Token: bt.Value, ExpiresAt: bt.ExpiresAt,
			LifetimeSeconds: int64(s.auth.BearerTTL().Seconds())}, nil
	}
	csrf, err := s.auth.CSRFToken(ctx, sess.Value)
	if err != nil {
		return LoggedIn{}, faults.Database(err)
	}
	return LoggedIn{Account: acc, Via: auth.KindSession, Session: sess.Value, CSRFToken: csrf, ExpiresAt: sess.ExpiresAt,
		LifetimeSeconds: int64(auth.SessionTTL.Seconds())}, nil
}

// BadCredentials is the refusal of a wrong user name or password, the same
// for an unknown or disabled account.
func BadCredentials() *refusal.Error {
	return &refusal.Error{Kind: refusal.BadCredentials, Title: refusal.T("用户名或密码错误", "Wrong user name or password"),
		Detail: refusal.T("用户名或密码错误，或账户已停用；多次失败后须等待一段时间才能再试", "The user name or password is wrong, or the account is disabled; after repeated failures you must wait before trying again")}
}

func throttled(te *auth.ThrottledError) *refusal.Error {
	r := &refusal.Error{Kind: refusal.RateLimited, RetryAfter: te.RetryAfter,
		Title:  refusal.T("登录尝试过多", "Too many log-in attempts"),
		Detail: refusal.T("失败次数过多，请按 Retry-After 所示的秒数后再试", "Too many failed attempts; try again after the number of seconds in Retry-After")}
	switch {
	case te.Busy:
		r.Detail = refusal.T("该账户的另一次登录正在核验，请稍后再试", "Another log-in to this account is being checked; try again in a moment")
	case te.Locked:
		r.Detail = refusal.T("失败次数过多，登录已被暂时锁定，请按 Retry-After 所示的秒数后再试，或请管理员解除", "Too many failed attempts: log-in is locked for a while; try again after the seconds in Retry-After, or ask an administrator to lift the lock")
	}
	return r
}

// Credential is how the caller authenticated: the token and its kind.
type Credential struct {
	Token string
	Kind  string
}

// Authenticate returns the account holding a live credential, and the
// credential's description; 401 when it is unknown, expired, revoked or
// its account disabled.
func (s *Service) Authenticate(ctx context.Context, c Credential) (auth.Account, auth.TokenInfo, error) {
	if _, ok := cleantext.Param("token", c.Token); !ok || len(c.Token) > 200 {
		return auth.Account{}, auth.TokenInfo{}, refusal.Unauth()
	}
	a, t, err := s.auth.Authenticated(ctx, c.Token, c.Kind)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return a, t, refusal.Unauth()
	}
	if err != nil {
		return a, t, faults.Database(err)
	}
	return a, t, nil
}

// CheckCSRF reports whether presented is the CSRF token of the session.
func (s *Service) CheckCSRF(ctx context.Context, session, presented string) error {
	ok, err := s.auth.CheckCSRF(ctx, session, presented)
	if err != nil {
		return faults.Database(err)
	}
	if !ok {
		return &refusal.Error{Kind: refusal.CSRF, Title: refusal.T("跨站请求校验失败", "Cross-site request check failed"),
			Detail: refusal.T("请在 X-CSRF-Token 头中回传登录时得到的 csrf_token（也在 _csrf Cookie 中）", "Send the csrf_token given at log-in (also in the _csrf cookie) in the X-CSRF-Token header")}
	}
	return nil
}

// LogOut ends the caller's session or revokes the bearer token used.
func (s *Service) LogOut(ctx context.Context, a permission.Actor, c Credential) error {
	if err := s.guard.Require(ctx, a, "logOut"); err != nil {
		return err
	}
	return faults.Database(s.auth.Logout(ctx, a.Account, c.Token))
}

// Me is the current account, how it authenticated and until when.
type Me struct {
	Account   auth.Account `json:"account"`
	Via       string       `json:"via"`
	ExpiresAt time.Time    `json:"expires_at"`
	// Token describes the credential in use (never its secret).
	Token auth.TokenInfo `json:"token"`
	// BearerLifetimeSeconds is the life of a new bearer token here.
	BearerLifetimeSeconds int64 `json:"bearer_lifetime_seconds"`
}

// GetMe returns the caller's account and credential.
func (s *Service) GetMe(ctx context.Context, a permission.Actor, t auth.TokenInfo) (Me, error) {
	if err := s.guard.Require(ctx, a, "getMe"); err != nil {
		return Me{}, err
	}
	return Me{Account: a.Account, Via: t.Kind, ExpiresAt: t.ExpiresAt, Token: t, BearerLifetimeSeconds: int64(s.auth.BearerTTL().Seconds())}, nil
}

// ---- administration ----

// ListAccounts lists every account by user name.
func (s *Service) ListAccounts(ctx context.Context, a permission.Actor) ([]auth.Account, error) {
	if err := s.guard.Require(ctx, a, "listAccounts"); err != nil {
		return nil, err
	}
	out, err := s.auth.Accounts(ctx)
	if out == nil {
		out = []auth.Account{}
	}
	return out, faults.Database(err)
}

// CreateAccount adds an account; its password must pass the password
// policy (length, common passwords, the account's and the centre's names).
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

// Reason is why an administrator acts on an account (kept in the audit
// trail).
type Reason struct {
	Reason string `json:"reason" text:"max=500"`
}

// DisableAccount disables account id: it can no longer log in, and every
// session and token it holds ends at once.
func (s *Service) DisableAccount(ctx context.Context, a permission.Actor, id int64, in Reason) (auth.Account, error) {
	return s.setDisabled(ctx, a, "disableAccount", id, true, in)
}

// EnableAccount lets a disabled account log in again.
func (s *Service) EnableAccount(ctx context.Context, a permission.Actor, id int64, in Reason) (auth.Account, error) {
	return s.setDisabled(ctx, a, "enableAccount", id, false, in)
}

func (s *Service) setDisabled(ctx context.Context, a permission.Actor, uc permission.UseCase, id int64, disabled bool, in Reason) (auth.Account, error) {
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return auth.Account{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return auth.Account{}, err
	}
	acc, err := s.auth.SetDisabled(ctx, a.Audit(), id, disabled, in.Reason)
	if errors.Is(err, auth.ErrOwnAccount) {
		return acc, &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("不能停用自己的账户", "You cannot disable your own account"),
			Detail: refusal.T("请由另一位管理员停用该账户", "Ask another administrator to disable it")}
	}
	return acc, storeErr(err)
}

// Revoked says how many live sessions and tokens were ended.
type Revoked struct {
	AccountID int64 `json:"account_id"`
	Revoked   int64 `json:"revoked"`
}

// RevokeAccountTokens ends every session and revokes every bearer token
// of account id (a lost laptop, a leaked token); the account itself stays
// usable with its password.
func (s *Service) RevokeAccountTokens(ctx context.Context, a permission.Actor, id int64, in Reason) (Revoked, error) {
	if err := s.guard.Require(ctx, a, "revokeAccountTokens"); err != nil {
		return Revoked{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return Revoked{}, err
	}
	n, err := s.auth.RevokeTokens(ctx, a.Audit(), id, in.Reason)
	return Revoked{AccountID: id, Revoked: n}, storeErr(err)
}

// ResetPassword is the new password an administrator gives an account,
// and why.
type ResetPassword struct {
	Password string `json:"password" text:"max=200"`
	Reason   string `json:"reason" text:"max=500"`
}

// PasswordReset is the account whose password was reset and how many of
// its sessions and tokens were ended.
type PasswordReset struct {
	Account auth.Account `json:"account"`
	Revoked int64        `json:"revoked"`
}

// ResetAccountPassword gives account id a new password (its holder forgot
// it, or someone else may know it). The password must pass the password
// policy for that account (length, common passwords, the account's and
// the centre's names: 422 on the password field), and a reason is
// required (422 on reason). Every session and token of the account ends at
// once, a log-in back-off or lock of its name is lifted, and the reset is
// audited with the reason (never the password). The holder is not forced
// to change it at the next log-in: the console has no self-service
// password change, so the administrator agrees the new password with the
// holder. Refused with 409 for one's own account (another administrator
// resets it) and for an account that signs in through the identity
// platform (it has no password here); 404 for an unknown account.
func (s *Service) ResetAccountPassword(ctx context.Context, a permission.Actor, id int64, in ResetPassword) (PasswordReset, error) {
	if err := s.guard.Require(ctx, a, "resetAccountPassword"); err != nil {
		return PasswordReset{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return PasswordReset{}, err
	}
	acc, n, err := s.auth.ResetPassword(ctx, a.Audit(), id, in.Password, in.Reason)
	switch {
	case errors.Is(err, auth.ErrOwnPassword):
		return PasswordReset{}, &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("不能在此重置自己的密码", "You cannot reset your own password here"),
			Detail: refusal.T("请由另一位管理员重置", "Ask another administrator to reset it")}
	case errors.Is(err, auth.ErrExternalAccount):
		return PasswordReset{}, &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("该账户没有密码", "This account has no password"),
			Detail: refusal.T("该账户通过统一身份认证平台登录，不在本系统设置密码", "This account signs in through the identity platform; it has no password here")}
	case err != nil:
		return PasswordReset{}, storeErr(err)
	}
	s.log.Info().Int64("account_id", acc.ID).Int64("tokens_revoked", n).Msg("account password reset")
	return PasswordReset{Account: acc, Revoked: n}, nil
}

// ListAccountTokens lists account id's sessions and tokens (without their
// secrets): kind, label, created, expires, revoked.
func (s *Service) ListAccountTokens(ctx context.Context, a permission.Actor, id int64) ([]auth.TokenInfo, error) {
	if err := s.guard.Require(ctx, a, "listAccountTokens"); err != nil {
		return nil, err
	}
	if _, err := s.auth.Account(ctx, id); err != nil {
		return nil, storeErr(err)
	}
	out, err := s.auth.Tokens(ctx, id)
	return out, faults.Database(err)
}

// LoginThrottles is the log-in throttle as the supervisor sees it: the
// policy in force and every account name and client address with recent
// failures (blocked ones first).
type LoginThrottles struct {
	Policy  ThrottlePolicy       `json:"policy"`
	Entries []auth.ThrottleEntry `json:"entries"`
}

// ThrottlePolicy is auth.ThrottlePolicy in seconds, for clients.
type ThrottlePolicy struct {
	Account          auth.ThrottleRule `json:"account"`
	Address          auth.ThrottleRule `json:"address"`
	BaseDelaySeconds int64             `json:"base_delay_seconds"`
	MaxDelaySeconds  int64             `json:"max_delay_seconds"`
	LockSeconds      int64             `json:"lock_seconds"`
	WindowSeconds    int64             `json:"window_seconds"`
}

// PolicyOf renders a throttle policy in seconds.
func PolicyOf(p auth.ThrottlePolicy) ThrottlePolicy {
	return ThrottlePolicy{Account: p.Account, Address: p.Address, BaseDelaySeconds: int64(p.BaseDelay.Seconds()),
		MaxDelaySeconds: int64(p.MaxDelay.Seconds()), LockSeconds: int64(p.LockFor.Seconds()), WindowSeconds: int64(p.Window.Seconds())}
}

// ListLoginThrottles lists the account names and client addresses with
// recent failed log-ins.
func (s *Service) ListLoginThrottles(ctx context.Context, a permission.Actor) (LoginThrottles, error) {
	if err := s.guard.Require(ctx, a, "listLoginThrottles"); err != nil {
		return LoginThrottles{}, err
	}
	entries, err := s.auth.Throttles(ctx, 500)
	return LoginThrottles{Policy: PolicyOf(s.auth.Throttle()), Entries: entries}, faults.Database(err)
}

// Unblock lifts a block on an account name or a client address.
type Unblock struct {
	Scope  string `json:"scope" text:"max=20"`
	Key    string `json:"key" text:"max=200"`
	Reason string `json:"reason" text:"max=500"`
}

// UnblockLogin lifts the back-off or lock of an account name or client
// address and forgets its failures.
func (s *Service) UnblockLogin(ctx context.Context, a permission.Actor, in Unblock) error {
	if err := s.guard.Require(ctx, a, "unblockLogin"); err != nil {
		return err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return err
	}
	var fe []refusal.Field
	if strings.TrimSpace(in.Key) == "" {
		fe = append(fe, refusal.Required("key", refusal.Text{}))
	}
	if strings.TrimSpace(in.Reason) == "" {
		fe = append(fe, refusal.Required("reason", refusal.T("请说明理由", "give the reason")))
	}
	if len(fe) > 0 {
		return refusal.Invalid(fe...)
	}
	return storeErr(s.auth.Unblock(ctx, a.Audit(), in.Scope, in.Key, in.Reason))
}

// storeErr maps the store's errors to refusals.
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	var ve *records.ValidationError
	switch {
	case errors.As(err, &ve):
		fields := make([]refusal.Field, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			fields = append(fields, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
		}
		return refusal.Invalid(fields...)
	case errors.Is(err, auth.ErrNotFound):
		return refusal.NotFoundErr()
	case errors.Is(err, auth.ErrConflict):
		return &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("与已有数据冲突", "Conflicts with existing data"),
			Detail: refusal.T("该用户名已被使用，请换一个", "This user name is taken; choose another"), Cause: err}
	}
	return faults.Database(err)
}

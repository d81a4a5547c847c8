// Package auth holds the accounts, their roles, and the tokens that
// authenticate them: console sessions (a cookie) and bearer tokens for API
// clients. Passwords are hashed with bcrypt (golang.org/x/crypto/bcrypt);
// tokens are 256-bit values from crypto/rand, of which only the SHA-256
// digest is stored. No cryptography is implemented here.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/records"
)

// Role is what an account may do.
type Role string

// Roles (DESIGN.md §1).
const (
	Subject    Role = "subject"    // 信息主体: its own records and cases
	Provider   Role = "provider"   // 信息提供单位 staff, bound to one provider
	Caseworker Role = "caseworker" // 工作机构 staff
	Supervisor Role = "supervisor" // 信用管理部门
	Admin      Role = "admin"      // operator: accounts, providers, profiles, calendars
)

// Roles lists every role.
var Roles = []Role{Subject, Provider, Caseworker, Supervisor, Admin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Token kinds.
const (
	KindSession = "session"
	KindBearer  = "bearer"
)

// Lifetimes.
const (
	SessionTTL = 12 * time.Hour
	// DefaultBearerTTL is an API token's life unless configured
	// (TOKEN_LIFETIME); clients then log in again for a new one.
	DefaultBearerTTL = 30 * 24 * time.Hour
	// MaxBearerTTL bounds the configured lifetime.
	MaxBearerTTL = 90 * 24 * time.Hour
)

// Errors.
var (
	// ErrBadCredentials: unknown user, wrong password or disabled account
	// (deliberately not told apart).
	ErrBadCredentials = errors.New("auth: user name or password is wrong")
	// ErrUnauthenticated: no, unknown, expired or revoked token.
	ErrUnauthenticated = errors.New("auth: not authenticated")
	ErrNotFound        = records.ErrNotFound
	ErrConflict        = records.ErrConflict
)

// Account is a person using the system.
type Account struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	ProviderID  int64  `json:"provider_id,omitempty"`
	SubjectID   int64  `json:"subject_id,omitempty"`
	Disabled    bool   `json:"disabled"`
	// DisabledAt and DisabledReason say when and why it was disabled.
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Actor is the account as the audit trail names it.
func (a Account) Actor() audit.Actor {
	return audit.Actor{AccountID: a.ID, Username: a.Username, Role: string(a.Role)}
}

// NewAccount creates an account.
type NewAccount struct {
	Username    string `json:"username" text:"max=64"`
	DisplayName string `json:"display_name" text:"max=100"`
	Password    string `json:"password" text:"max=200"`
	Role        Role   `json:"role" text:"max=20"`
	ProviderID  int64  `json:"provider_id,omitempty"`
	SubjectID   int64  `json:"subject_id,omitempty"`
}

// Service manages accounts and tokens.
type Service struct {
	pool *pgxpool.Pool
	cost int
	// dummy is compared against when the user does not exist, so that a
	// wrong user name takes as long as a wrong password.
	dummy     []byte
	now       func() time.Time
	throttle  ThrottlePolicy
	bearerTTL time.Duration
	// contextWords are refused inside passwords besides the account's own
	// names: the centre's name and the product's.
	contextWords []string
	csrfKey      keyCache
}

// Options configure the service; zero fields take the defaults.
type Options struct {
	// BcryptCost hashes passwords (0 = bcrypt.DefaultCost).
	BcryptCost int
	// Throttle slows down failed log-ins (zero = DefaultThrottle).
	Throttle ThrottlePolicy
	// BearerTTL is the life of API tokens (0 = DefaultBearerTTL).
	BearerTTL time.Duration
	// ContextWords are names no password may be built on (the centre's
	// name, its city); DefaultContextWords are always added.
	ContextWords []string
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

// New returns the service with the default options; cost is the bcrypt
// cost (0 = bcrypt.DefaultCost).
func New(pool *pgxpool.Pool, cost int) *Service {
	return NewWithOptions(pool, Options{BcryptCost: cost})
}

// NewWithOptions returns the service configured by o.
func NewWithOptions(pool *pgxpool.Pool, o Options) *Service {
	cost := o.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("creditcase-no-such-user"), cost)
	if err != nil {
		panic("auth: bcrypt cost out of range: " + err.Error())
	}
	s := &Service{pool: pool, cost: cost, dummy: dummy, now: time.Now, throttle: o.Throttle, bearerTTL: o.BearerTTL,
		contextWords: append(append([]string{}, DefaultContextWords...), o.ContextWords...)}
	if o.Now != nil {
		s.now = o.Now
	}
	if s.throttle == (ThrottlePolicy{}) {
		s.throttle = DefaultThrottle
	}
	if s.bearerTTL <= 0 {
		s.bearerTTL = DefaultBearerTTL
	}
	s.bearerTTL = min(s.bearerTTL, MaxBearerTTL)
	return s
}

// BearerTTL is the life of a new API token.
func (s *Service) BearerTTL() time.Duration { return s.bearerTTL }

// Throttle is the log-in throttling policy in force.
func (s *Service) Throttle() ThrottlePolicy { return s.throttle }

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// MinPassword is the fewest characters a password has; MaxPassword the
// most bytes (bcrypt reads at most 72).
const (
	MinPassword = 12
	MaxPassword = 72
)

// CreateAccount validates and adds an account.
func (s *Service) CreateAccount(ctx context.Context, actor audit.Actor, in NewAccount) (Account, error) {
	in.Username = strings.TrimSpace(in.Username)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	var fe []records.FieldError
	if !usernamePattern.MatchString(in.Username) {
		fe = append(fe, records.FieldError{Field: "username", Code: "format",
			ZH: "用户名为 3–64 位小写字母、数字、点、下划线或连字符", EN: "a user name is 3–64 lower-case letters, digits, dots, underscores or hyphens"})
	}
	if in.DisplayName == "" {
		fe = append(fe, records.FieldError{Field: "display_name", Code: "required", ZH: "必填", EN: "required"})
	}
	if actor == audit.System {
		// Accounts the system makes itself (the demo centre, benchmarks)
		// only need a password bcrypt can take.
		if len(in.Password) == 0 || len(in.Password) > MaxPassword {
			fe = append(fe, records.FieldError{Field: "password", Code: "length",
				ZH: fmt.Sprintf("密码长度应为 1–%d 字节", MaxPassword), EN: fmt.Sprintf("a password is 1–%d bytes long", MaxPassword)})
		}
	} else if e := s.CheckPassword(in.Password, in.Username, in.DisplayName); e != nil {
		fe = append(fe, *e)
	}
	switch {
	case !in.Role.Valid():
		fe = append(fe, records.FieldError{Field: "role", Code: "enum",
			ZH: "角色应为 subject、provider、caseworker、supervisor 或 admin", EN: "role is subject, provider, caseworker, supervisor or admin"})
	case in.Role == Provider && in.ProviderID == 0:
		fe = append(fe, records.FieldError{Field: "provider_id", Code: "required", ZH: "提供单位账户须绑定一个提供单位", EN: "a provider account is bound to one provider"})
	case in.Role == Subject && in.SubjectID == 0:
		fe = append(fe, records.FieldError{Field: "subject_id", Code: "required", ZH: "信息主体账户须绑定一个信息主体", EN: "a subject account is bound to one subject"})
	}
	if in.Role != Provider && in.ProviderID != 0 {
		fe = append(fe, records.FieldError{Field: "provider_id", Code: "not_allowed", ZH: "只有提供单位账户绑定提供单位", EN: "only provider accounts are bound to a provider"})
	}
	if in.Role != Subject && in.SubjectID != 0 {
		fe = append(fe, records.FieldError{Field: "subject_id", Code: "not_allowed", ZH: "只有信息主体账户绑定信息主体", EN: "only subject accounts are bound to a subject"})
	}
	if len(fe) > 0 {
		return Account{}, &records.ValidationError{Fields: fe}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.cost)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO accounts (username, display_name, password_hash, role, provider_id, subject_id)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+accountColumns,
			in.Username, in.DisplayName, string(hash), in.Role, nullID(in.ProviderID), nullID(in.SubjectID)).
			Scan(accountDest(&a)...)
		if err != nil {
			return mapErr(err)
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: audit.ActionAccountCreated, ObjectType: "account",
			ObjectID: fmt.Sprint(a.ID), Data: map[string]any{"username": a.Username, "role": a.Role}})
	})
	return a, err
}

const accountColumns = `id, username, display_name, role, coalesce(provider_id, 0), coalesce(subject_id, 0), disabled,
	disabled_at, disabled_reason, created_at`

func accountDest(a *Account) []any {
	return []any{&a.ID, &a.Username, &a.DisplayName, &a.Role, &a.ProviderID, &a.SubjectID, &a.Disabled,
		&a.DisabledAt, &a.DisabledReason, &a.CreatedAt}
}

// Account returns account id.
func (s *Service) Account(ctx context.Context, id int64) (Account, error) {
	var a Account
	err := s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id).Scan(accountDest(&a)...)
	return a, mapErr(err)
}

// AccountByUsername returns the account named username.
func (s *Service) AccountByUsername(ctx context.Context, username string) (Account, error) {
	var a Account
	err := s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE username = $1`, username).Scan(accountDest(&a)...)
	return a, mapErr(err)
}

// Accounts lists every account by user name.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY username`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		var a Account
		return a, r.Scan(accountDest(&a)...)
	})
}

// Token is a freshly issued secret: Value is shown once and never stored.
type Token struct {
	Value     string    `json:"token"`
	Kind      string    `json:"kind"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Login checks username and password and opens a session; see LoginFrom,
// which also counts the attempt against the client's address.
func (s *Service) Login(ctx context.Context, username, password string) (Account, Token, error) {
	return s.LoginFrom(ctx, LoginAttempt{Username: username, Password: password})
}

// IssueBearer gives account a bearer token for API clients, living ttl
// or, when ttl is 0 or longer, the configured BearerTTL.
func (s *Service) IssueBearer(ctx context.Context, a Account, label string, ttl time.Duration) (Token, error) {
	if ttl <= 0 || ttl > s.bearerTTL {
		ttl = s.bearerTTL
	}
	var tok Token
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		tok, err = s.issue(ctx, tx, a.ID, KindBearer, label, ttl)
		if err != nil {
			return err
		}
		return audit.Write(ctx, tx, a.Actor(), audit.Event{Action: audit.ActionTokenIssued, ObjectType: "account",
			ObjectID: fmt.Sprint(a.ID), Data: map[string]any{"label": label, "expires_at": tok.ExpiresAt}})
	})
	return tok, err
}

func (s *Service) issue(ctx context.Context, tx pgx.Tx, accountID int64, kind, label string, ttl time.Duration) (Token, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, err
	}
	value := base64.RawURLEncoding.EncodeToString(raw)
	tok := Token{Value: value, Kind: kind, ExpiresAt: s.now().Add(ttl).UTC().Truncate(time.Second)}
	_, err := tx.Exec(ctx, `INSERT INTO auth_tokens (digest, account_id, kind, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		digest(value), accountID, kind, label, s.now(), tok.ExpiresAt)
	return tok, err
}

func digest(token string) []byte {
	d := sha256.Sum256([]byte(token))
	return d[:]
}

// Authenticate returns the live, enabled account holding token of kind.
func (s *Service) Authenticate(ctx context.Context, token, kind string) (Account, error) {
	a, _, err := s.Authenticated(ctx, token, kind)
	return a, err
}

// Logout revokes the session or token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, a Account, token string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE auth_tokens SET revoked_at = now() WHERE digest = $1 AND account_id = $2 AND revoked_at IS NULL`,
			digest(token), a.ID)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit.Write(ctx, tx, a.Actor(), audit.Event{Action: audit.ActionSessionEnded, ObjectType: "account", ObjectID: fmt.Sprint(a.ID)})
	})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &records.ValidationError{Fields: []records.FieldError{{Field: "username", Code: "taken", ZH: "用户名已被使用", EN: "this user name is taken"}}}
		case "23503":
			return &records.ValidationError{Fields: []records.FieldError{{Field: fkField(pe.ConstraintName), Code: "unknown", ZH: "引用的对象不存在", EN: "no such object"}}}
		}
	}
	return err
}

func fkField(constraint string) string {
	if strings.Contains(constraint, "subject") {
		return "subject_id"
	}
	return "provider_id"
}

// Package records is the store of the credit records a centre keeps
// (信用信息), the subjects they concern (信息主体) and the providers that
// supply them (信息提供单位). Every change is written in one transaction
// with its audit event; records are versioned (a correction writes a new
// version and keeps the old); intake refuses prohibited personal data with a
// field-level error; bulk import is all-or-nothing per file.
//
// The store does not decide who may do what: the API authorises first and
// passes the acting audit.Actor.
package records

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/policy"
)

// Category of a record (信息类别).
const (
	Basic    = "basic"    // 基础信息
	Positive = "positive" // 守信（良好）信息
	Negative = "negative" // 失信（不良）信息
	Other    = "other"    // 其他信息
)

// Severity of a negative record (失信程度).
const (
	Minor   = "minor"   // 轻微失信
	General = "general" // 一般失信
	Serious = "serious" // 严重失信
)

// Disclosure class (公开属性).
const (
	Public     = "public"     // 社会公开
	Government = "government" // 政府共享
	Authorised = "authorised" // 授权查询
)

// Status of a record.
const (
	StatusActive         = "active"          // 有效
	StatusUnderObjection = "under_objection" // 异议标注
	StatusSuspended      = "suspended"       // 暂停公开
	StatusCorrected      = "corrected"       // 已更正
	StatusRepaired       = "repaired"        // 已修复
	StatusArchived       = "archived"        // 已归档
)

// PubliclyServed are the statuses in which a 社会公开 record is served to
// the public: a record under objection stays public with its label
// (Nantong art. 32); a suspended, repaired or archived one does not.
var PubliclyServed = []string{StatusActive, StatusUnderObjection, StatusCorrected}

var (
	categories   = []string{Basic, Positive, Negative, Other}
	severities   = []string{Minor, General, Serious}
	disclosures  = []string{Public, Government, Authorised}
	errConflict  = errors.New("records: conflicts with an existing row")
	shanghaiDate = func(t time.Time) calendar.Date { return calendar.DateOf(t) }
)

// ErrNotFound is returned when a subject, provider or record does not exist.
var ErrNotFound = db.ErrNotFound

// ErrConflict is returned when a row with the same identity exists
// (subject ident, provider code, or provider+subject+decision number).
var ErrConflict = errConflict

// FieldError is one invalid input field with messages in both languages.
type FieldError struct {
	Field string `json:"field"`
	Code  string `json:"code"`
	ZH    string `json:"-"`
	EN    string `json:"-"`
}

// ValidationError carries every field error of one input.
type ValidationError struct{ Fields []FieldError }

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.EN)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Store reads and writes records, subjects and providers.
type Store struct {
	pool    *pgxpool.Pool
	profile *policy.Profile
	cal     *calendar.Calendar
	now     func() time.Time
}

// NewStore returns a store computing disclosure periods from profile.
func NewStore(pool *pgxpool.Pool, profile *policy.Profile, cal *calendar.Calendar) *Store {
	return &Store{pool: pool, profile: profile, cal: cal, now: time.Now}
}

// Profile is the policy profile the store computes disclosure ends with.
func (s *Store) Profile() *policy.Profile { return s.profile }

// Provider is a department that supplies records (信息提供单位).
type Provider struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// ProviderInput creates a provider.
type ProviderInput struct {
	Code string `json:"code" text:"max=50"`
	Name string `json:"name" text:"max=200"`
}

// CreateProvider adds a provider.
func (s *Store) CreateProvider(ctx context.Context, actor audit.Actor, in ProviderInput) (Provider, error) {
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	var fe []FieldError
	if !providerCode(in.Code) {
		fe = append(fe, FieldError{Field: "code", Code: "format",
			ZH: "单位代码为 2–63 位小写字母、数字或连字符", EN: "a provider code is 2–63 lower-case letters, digits or hyphens"})
	}
	fe = appendText(fe, "name", in.Name, 200, true)
	if len(fe) > 0 {
		return Provider{}, &ValidationError{Fields: fe}
	}
	var p Provider
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, $2) RETURNING id, code, name, created_at`,
			in.Code, in.Name).Scan(&p.ID, &p.Code, &p.Name, &p.CreatedAt)
		if err != nil {
			return mapErr(err)
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: audit.ActionProviderCreated, ObjectType: "provider",
			ObjectID: fmt.Sprint(p.ID), Data: map[string]any{"code": p.Code, "name": p.Name}})
	})
	return p, err
}

func providerCode(s string) bool {
	if len(s) < 2 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}

// Provider returns provider id.
func (s *Store) Provider(ctx context.Context, id int64) (Provider, error) {
	var p Provider
	err := s.pool.QueryRow(ctx, `SELECT id, code, name, created_at FROM providers WHERE id = $1`, id).
		Scan(&p.ID, &p.Code, &p.Name, &p.CreatedAt)
	return p, mapErr(err)
}

// ProviderByCode returns the provider with code.
func (s *Store) ProviderByCode(ctx context.Context, code string) (Provider, error) {
	var p Provider
	err := s.pool.QueryRow(ctx, `SELECT id, code, name, created_at FROM providers WHERE code = $1`, code).
		Scan(&p.ID, &p.Code, &p.Name, &p.CreatedAt)
	return p, mapErr(err)
}

// Providers lists every provider by code.
func (s *Store) Providers(ctx context.Context) ([]Provider, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, code, name, created_at FROM providers ORDER BY code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Provider, error) {
		var p Provider
		return p, r.Scan(&p.ID, &p.Code, &p.Name, &p.CreatedAt)
	})
}

// Subject is a person or organisation records are about (信息主体).
type Subject struct {
	ID             int64      `json:"id"`
	Kind           ident.Kind `json:"kind"`
	Ident          string     `json:"ident"`
	Name           string     `json:"name"`
	ContactAddress string     `json:"contact_address"`
	ContactPhone   string     `json:"contact_phone"`
	ContactEmail   string     `json:"contact_email"`
	CreatedAt      time.Time  `json:"created_at"`
}

// SubjectInput creates a subject. Contact details are where notices are
// served (送达).
type SubjectInput struct {
	Kind           ident.Kind `json:"kind" text:"max=20"`
	Ident          string     `json:"ident" text:"max=50"`
	Name           string     `json:"name" text:"max=200"`
	ContactAddress string     `json:"contact_address" text:"max=500"`
	ContactPhone   string     `json:"contact_phone" text:"max=50"`
	ContactEmail   string     `json:"contact_email" text:"max=200"`
}

// CheckIdent validates an identifier of kind k as a field error, or nil.
func CheckIdent(field string, k ident.Kind, s string) *FieldError {
	err := ident.Check(k, s)
	if err == nil {
		return nil
	}
	what, whatEN := "公民身份号码", "citizen identity number"
	if k == ident.Organisation {
		what, whatEN = "统一社会信用代码", "unified social credit code"
	}
	switch {
	case errors.Is(err, ident.ErrCheckDigit):
		return &FieldError{Field: field, Code: "check_digit", ZH: what + "校验码错误", EN: "the check character of the " + whatEN + " is wrong"}
	case errors.Is(err, ident.ErrLength):
		return &FieldError{Field: field, Code: "length", ZH: what + "应为 18 位", EN: "a " + whatEN + " has 18 characters"}
	case errors.Is(err, ident.ErrBirthDate):
		return &FieldError{Field: field, Code: "birth_date", ZH: what + "中的出生日期无效", EN: "the birth date in the " + whatEN + " is not valid"}
	case errors.Is(err, ident.ErrRegion):
		return &FieldError{Field: field, Code: "region", ZH: what + "中的行政区划代码无效", EN: "the division code in the " + whatEN + " is not valid"}
	default:
		return &FieldError{Field: field, Code: "format", ZH: what + "含有不允许的字符", EN: "the " + whatEN + " has a character that is not allowed"}
	}
}

// CreateSubject adds a subject after checking its identifier.
func (s *Store) CreateSubject(ctx context.Context, actor audit.Actor, in SubjectInput) (Subject, error) {
	in.Ident = ident.Normalize(in.Ident)
	in.Name = strings.TrimSpace(in.Name)
	var fe []FieldError
	if !in.Kind.Valid() {
		fe = append(fe, FieldError{Field: "kind", Code: "enum", ZH: "主体类型应为 person 或 organisation", EN: "kind is person or organisation"})
	} else if e := CheckIdent("ident", in.Kind, in.Ident); e != nil {
		fe = append(fe, *e)
	}
	fe = appendText(fe, "name", in.Name, 200, true)
	fe = appendText(fe, "contact_address", in.ContactAddress, 300, false)
	fe = appendText(fe, "contact_phone", in.ContactPhone, 40, false)
	fe = appendText(fe, "contact_email", in.ContactEmail, 200, false)
	if in.ContactEmail != "" && !strings.Contains(in.ContactEmail, "@") {
		fe = append(fe, FieldError{Field: "contact_email", Code: "format", ZH: "电子邮箱格式无效", EN: "not an e-mail address"})
	}
	if len(fe) > 0 {
		return Subject{}, &ValidationError{Fields: fe}
	}
	var sub Subject
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO subjects (kind, ident, name, contact_address, contact_phone, contact_email)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING id, kind, ident, name, contact_address, contact_phone, contact_email, created_at`,
			in.Kind, in.Ident, in.Name, in.ContactAddress, in.ContactPhone, in.ContactEmail).
			Scan(&sub.ID, &sub.Kind, &sub.Ident, &sub.Name, &sub.ContactAddress, &sub.ContactPhone, &sub.ContactEmail, &sub.CreatedAt)
		if err != nil {
			return mapErr(err)
		}
		// The event names the subject by its masked identifier only.
		return audit.Write(ctx, tx, actor, audit.Event{Action: audit.ActionSubjectCreated, ObjectType: "subject",
			ObjectID: fmt.Sprint(sub.ID), Data: map[string]any{"kind": sub.Kind, "ident": ident.Mask(sub.Kind, sub.Ident)}})
	})
	return sub, err
}

const subjectColumns = `id, kind, ident, name, contact_address, contact_phone, contact_email, created_at`

func scanSubject(r pgx.Row) (Subject, error) {
	var s Subject
	err := r.Scan(&s.ID, &s.Kind, &s.Ident, &s.Name, &s.ContactAddress, &s.ContactPhone, &s.ContactEmail, &s.CreatedAt)
	return s, mapErr(err)
}

// Subject returns subject id.
func (s *Store) Subject(ctx context.Context, id int64) (Subject, error) {
	return scanSubject(s.pool.QueryRow(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE id = $1`, id))
}

// SubjectByIdent returns the subject with identifier code.
func (s *Store) SubjectByIdent(ctx context.Context, code string) (Subject, error) {
	return scanSubject(s.pool.QueryRow(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE ident = $1`, ident.Normalize(code)))
}

// SubjectFilter selects subjects, newest first.
type SubjectFilter struct {
	// Q matches the identifier exactly or the name by prefix.
	Q string
	// ProviderID limits to subjects of records that provider supplied.
	ProviderID int64
	Before     int64
	Limit      int
}

// Subjects lists subjects matching f.
func (s *Store) Subjects(ctx context.Context, f SubjectFilter) ([]Subject, error) {
	var q query
	q.add("TRUE")
	if f.Q != "" {
		q.add("(ident = " + q.arg(ident.Normalize(f.Q)) + " OR name LIKE " + q.arg(likePrefix(f.Q)) + ")")
	}
	if f.ProviderID != 0 {
		q.add("EXISTS (SELECT 1 FROM records r WHERE r.subject_id = subjects.id AND r.provider_id = " + q.arg(f.ProviderID) + ")")
	}
	if f.Before != 0 {
		q.add("id < " + q.arg(f.Before))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE `+q.where()+
		` ORDER BY id DESC LIMIT `+q.arg(pageSize(f.Limit)), q.args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subject, error) { return scanSubject(r) })
}

func likePrefix(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.TrimSpace(s))
	return s + "%"
}

// query builds a WHERE clause with numbered arguments.
type query struct {
	conds []string
	args  []any
}

func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *query) add(cond string) { q.conds = append(q.conds, cond) }

func (q *query) where() string { return strings.Join(q.conds, " AND ") }

// MaxPage is the largest page a list returns; DefaultPage the usual one.
const (
	MaxPage     = 500
	DefaultPage = 50
)

func pageSize(n int) int {
	if n <= 0 {
		return DefaultPage
	}
	if n > MaxPage {
		return MaxPage
	}
	return n
}

func appendText(fe []FieldError, field, v string, max int, required bool) []FieldError {
	switch {
	case required && strings.TrimSpace(v) == "":
		return append(fe, FieldError{Field: field, Code: "required", ZH: "必填", EN: "required"})
	case utf8.RuneCountInString(v) > max:
		return append(fe, FieldError{Field: field, Code: "too_long",
			ZH: fmt.Sprintf("不得超过 %d 个字符", max), EN: fmt.Sprintf("at most %d characters", max)})
	}
	return fe
}

// mapErr stops pgx errors at the store's boundary.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if db.IsNoRows(err) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w (%s)", ErrConflict, pe.ConstraintName)
	}
	return err
}

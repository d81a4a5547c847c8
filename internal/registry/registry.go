// Package registry is the application core of the credit register: the
// use cases on providers, subjects and records (submission, bulk import,
// correction, reads with their query log, the public lookup) and the reads
// of the audit trail. One exported method per use case, taking the actor
// and a typed input and returning a typed result or a *refusal.Error, as
// package casework does for the procedures.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Service holds the register's use cases.
type Service struct {
	pool    *pgxpool.Pool
	records *records.Store
	guard   permission.Guard
	log     zerolog.Logger
}

// New returns the register's use cases on store (shared with casework).
func New(pool *pgxpool.Pool, store *records.Store, guard permission.Guard, log zerolog.Logger) *Service {
	return &Service{pool: pool, records: store, guard: guard, log: log}
}

// storeErr maps store errors to refusals.
func storeErr(err error) error {
	var ve *records.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return invalid(ve.Fields)
	case errors.Is(err, records.ErrNotFound):
		return refusal.NotFoundErr()
	case errors.Is(err, records.ErrConflict):
		return &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("与已有数据冲突", "Conflicts with existing data"),
			Detail: refusal.T("已存在相同标识的数据，请勿重复提交", "Data with the same identity already exist; do not submit them again"), Cause: err}
	}
	return faults.Database(err)
}

func invalid(fields []records.FieldError) error {
	fe := make([]refusal.Field, 0, len(fields))
	for _, f := range fields {
		fe = append(fe, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
	}
	return refusal.Invalid(fe...)
}

func checkLimit(limit int) error {
	if limit < 0 || limit > records.MaxPage {
		return refusal.BadParam("limit", "range", refusal.T(fmt.Sprintf("应为 1–%d", records.MaxPage), fmt.Sprintf("must be 1–%d", records.MaxPage)))
	}
	return nil
}

// ---- providers ----

// Providers lists the providers.
func (s *Service) Providers(ctx context.Context, a permission.Actor) ([]records.Provider, error) {
	if err := s.guard.Require(ctx, a, "listProviders"); err != nil {
		return nil, err
	}
	ps, err := s.records.Providers(ctx)
	return nonNil(ps), storeErr(err)
}

// Provider reads a provider.
func (s *Service) Provider(ctx context.Context, a permission.Actor, id int64) (records.Provider, error) {
	if err := s.guard.Require(ctx, a, "getProvider"); err != nil {
		return records.Provider{}, err
	}
	p, err := s.records.Provider(ctx, id)
	return p, storeErr(err)
}

// CreateProvider adds a provider (admin).
func (s *Service) CreateProvider(ctx context.Context, a permission.Actor, in records.ProviderInput) (records.Provider, error) {
	if err := s.guard.Require(ctx, a, "createProvider"); err != nil {
		return records.Provider{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return records.Provider{}, err
	}
	p, err := s.records.CreateProvider(ctx, a.Audit(), in)
	return p, storeErr(err)
}

// ---- subjects ----

// SubjectFilter selects subjects (centre staff and providers).
type SubjectFilter struct {
	Q      string `query:"q"`
	Before int64  `query:"before"`
	Limit  int    `query:"limit"`
}

// Subjects lists subjects: a subject itself, a provider the subjects of
// its records, centre staff all.
func (s *Service) Subjects(ctx context.Context, a permission.Actor, f SubjectFilter) ([]records.Subject, error) {
	if err := s.guard.Require(ctx, a, "listSubjects"); err != nil {
		return nil, err
	}
	if a.Role() == auth.Subject {
		sub, err := s.records.Subject(ctx, a.Account.SubjectID)
		if err != nil {
			return nil, storeErr(err)
		}
		return []records.Subject{sub}, nil
	}
	if err := checkLimit(f.Limit); err != nil {
		return nil, err
	}
	sf := records.SubjectFilter{Q: f.Q, Before: f.Before, Limit: f.Limit}
	if a.Role() == auth.Provider {
		sf.ProviderID = a.Account.ProviderID
	}
	subs, err := s.records.Subjects(ctx, sf)
	return nonNil(subs), storeErr(err)
}

// subjectVisible reports whether a may see subject id: its own subject, a
// subject of a record its provider supplied, or any for centre staff.
func (s *Service) subjectVisible(ctx context.Context, a permission.Actor, id int64) (bool, error) {
	switch a.Role() {
	case auth.Caseworker, auth.Supervisor:
		return true, nil
	case auth.Subject:
		return a.Account.SubjectID == id, nil
	case auth.Provider:
		var ok bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM records WHERE subject_id = $1 AND provider_id = $2)`,
			id, a.Account.ProviderID).Scan(&ok)
		return ok, faults.Database(err)
	}
	return false, nil
}

// Subject reads a subject the actor may see.
func (s *Service) Subject(ctx context.Context, a permission.Actor, id int64) (records.Subject, error) {
	const uc = "getSubject"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return records.Subject{}, err
	}
	ok, err := s.subjectVisible(ctx, a, id)
	if err != nil {
		return records.Subject{}, err
	}
	if !ok {
		return records.Subject{}, s.guard.Hide(ctx, a, uc, "subject", strconv.FormatInt(id, 10))
	}
	sub, err := s.records.Subject(ctx, id)
	return sub, storeErr(err)
}

// CreateSubject registers a subject.
func (s *Service) CreateSubject(ctx context.Context, a permission.Actor, in records.SubjectInput) (records.Subject, error) {
	if err := s.guard.Require(ctx, a, "createSubject"); err != nil {
		return records.Subject{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return records.Subject{}, err
	}
	sub, err := s.records.CreateSubject(ctx, a.Audit(), in)
	return sub, storeErr(err)
}

// ---- records ----

// RecordFilter selects records; Purpose is why centre staff read records
// that are not public (written to the query log).
type RecordFilter struct {
	Category   string `query:"category"`
	Severity   string `query:"severity"`
	Disclosure string `query:"disclosure"`
	Status     string `query:"status"`
	SubjectID  int64  `query:"subject_id"`
	ProviderID int64  `query:"provider_id"`
	Before     int64  `query:"before"`
	Limit      int    `query:"limit"`
	Purpose    string `query:"purpose"`
}

// purposeFor returns the purpose recorded in the query log when a reads
// records that are not public. Subjects and providers read their own;
// centre staff must say why.
func purposeFor(a permission.Actor, given string) (string, error) {
	switch a.Role() {
	case auth.Subject:
		return "本人查询 (subject reads own records)", nil
	case auth.Provider:
		return "提供单位核查 (provider reads records it supplied)", nil
	}
	p := strings.TrimSpace(given)
	if p == "" || len([]rune(p)) > 200 {
		return "", refusal.BadParam("purpose", "required", refusal.T("查阅非社会公开信息须说明用途（purpose，200 字以内）",
			"reading records that are not public needs a purpose (purpose, at most 200 characters)"))
	}
	return p, nil
}

// logReads writes one query-log row per non-public record served.
func (s *Service) logReads(ctx context.Context, a permission.Actor, purpose string, recs ...records.Record) error {
	var ids []int64
	for _, r := range recs {
		if r.Disclosure != records.Public {
			ids = append(ids, r.ID)
		}
	}
	return faults.Database(audit.LogQueries(ctx, s.pool, a.Audit(), ids, purpose))
}

// Records lists the records the actor may see; reading records that are
// not public is written to the query log.
func (s *Service) Records(ctx context.Context, a permission.Actor, f RecordFilter) (records.Page, error) {
	const uc = "listRecords"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return records.Page{}, err
	}
	if err := checkLimit(f.Limit); err != nil {
		return records.Page{}, err
	}
	rf := records.RecordFilter{Category: f.Category, Severity: f.Severity, Disclosure: f.Disclosure, Status: f.Status,
		SubjectID: f.SubjectID, ProviderID: f.ProviderID, Before: f.Before, Limit: f.Limit}
	switch a.Role() {
	case auth.Subject:
		if rf.SubjectID != 0 && rf.SubjectID != a.Account.SubjectID {
			return records.Page{}, s.guard.Forbid(ctx, a, uc, "subject", strconv.FormatInt(rf.SubjectID, 10))
		}
		rf.SubjectID = a.Account.SubjectID
	case auth.Provider:
		if rf.ProviderID != 0 && rf.ProviderID != a.Account.ProviderID {
			return records.Page{}, s.guard.Forbid(ctx, a, uc, "provider", strconv.FormatInt(rf.ProviderID, 10))
		}
		rf.ProviderID = a.Account.ProviderID
	}
	purpose := ""
	if rf.Disclosure != records.Public {
		var err error
		if purpose, err = purposeFor(a, f.Purpose); err != nil {
			return records.Page{}, err
		}
	}
	page, err := s.records.Records(ctx, rf)
	if err != nil {
		return records.Page{}, storeErr(err)
	}
	return page, s.logReads(ctx, a, purpose, page.Records...)
}

// RecordVisible reports whether a may see rec.
func RecordVisible(a permission.Actor, rec records.Record) bool {
	switch a.Role() {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return rec.SubjectID == a.Account.SubjectID
	case auth.Provider:
		return rec.ProviderID == a.Account.ProviderID
	}
	return false
}

// RecordDetail is a record with its version history.
type RecordDetail struct {
	records.Record
	Versions []records.Version `json:"versions"`
}

// Record reads a record and its versions; a read of a record that is not
// public is written to the query log with its purpose.
func (s *Service) Record(ctx context.Context, a permission.Actor, id int64, purpose string) (RecordDetail, error) {
	const uc = "getRecord"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return RecordDetail{}, err
	}
	rec, err := s.records.Record(ctx, id)
	if err != nil {
		return RecordDetail{}, storeErr(err)
	}
	if !RecordVisible(a, rec) {
		return RecordDetail{}, s.guard.Hide(ctx, a, uc, "record", strconv.FormatInt(id, 10))
	}
	why := ""
	if rec.Disclosure != records.Public {
		if why, err = purposeFor(a, purpose); err != nil {
			return RecordDetail{}, err
		}
	}
	versions, err := s.records.Versions(ctx, id)
	if err != nil {
		return RecordDetail{}, storeErr(err)
	}
	if err := s.logReads(ctx, a, why, rec); err != nil {
		return RecordDetail{}, err
	}
	return RecordDetail{Record: rec, Versions: nonNil(versions)}, nil
}

// supplierFor decides which provider a new record or import is from: a
// provider account's own (naming another is refused), or the provider_id
// a caseworker names.
func (s *Service) supplierFor(ctx context.Context, a permission.Actor, uc permission.UseCase, named int64, field func(string, string, refusal.Text) error) (int64, error) {
	if a.Role() == auth.Provider {
		if named != 0 && named != a.Account.ProviderID {
			return 0, s.guard.Forbid(ctx, a, uc, "provider", strconv.FormatInt(named, 10))
		}
		return a.Account.ProviderID, nil
	}
	if named == 0 {
		return 0, field("provider_id", "required", refusal.T("工作机构代为录入时须指明信息提供单位", "a caseworker must name the provider the record comes from"))
	}
	if _, err := s.records.Provider(ctx, named); errors.Is(err, records.ErrNotFound) {
		return 0, field("provider_id", "unknown", refusal.T("没有该信息提供单位", "no such provider"))
	} else if err != nil {
		return 0, faults.Database(err)
	}
	return named, nil
}

func bodyField(name, code string, msg refusal.Text) error {
	return refusal.Invalid(refusal.Field{Name: name, Code: code, Message: msg})
}

func paramField(name, code string, msg refusal.Text) error { return refusal.BadParam(name, code, msg) }

// CreateRecord submits a record (a provider's own, or a caseworker's for
// a provider).
func (s *Service) CreateRecord(ctx context.Context, a permission.Actor, in records.RecordInput) (records.Record, error) {
	const uc = "createRecord"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return records.Record{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return records.Record{}, err
	}
	pid, err := s.supplierFor(ctx, a, uc, in.ProviderID, bodyField)
	if err != nil {
		return records.Record{}, err
	}
	rec, err := s.records.CreateRecord(ctx, a.Audit(), pid, in)
	return rec, storeErr(err)
}

// CorrectRecord writes a new version of a record (更正). Only the centre's
// caseworkers correct records.
func (s *Service) CorrectRecord(ctx context.Context, a permission.Actor, id int64, in records.RecordInput) (records.Record, error) {
	if err := s.guard.Require(ctx, a, "correctRecord"); err != nil {
		return records.Record{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return records.Record{}, err
	}
	rec, err := s.records.Correct(ctx, a.Audit(), id, in)
	return rec, storeErr(err)
}

// Import is a bulk import: its format (csv or jsonl), the provider a
// caseworker imports for, and the file.
type Import struct {
	Format     string
	ProviderID int64
	File       io.Reader
}

// ImportRejection is the refusal of an import with rejected rows: one
// field error per bad field (rows[LINE].FIELD) and the report.
type ImportRejection struct {
	Refusal *refusal.Error
	Report  records.ImportReport
}

func (e *ImportRejection) Error() string { return e.Refusal.Error() }

// Unwrap makes the refusal found by refusal.As.
func (e *ImportRejection) Unwrap() error { return e.Refusal }

// ImportRecords imports a file all or nothing: every row valid, or none
// stored and every bad field named.
func (s *Service) ImportRecords(ctx context.Context, a permission.Actor, in Import) (records.ImportReport, error) {
	const uc = "importRecords"
	if err := s.guard.Require(ctx, a, uc); err != nil {
		return records.ImportReport{}, err
	}
	if in.Format != records.FormatCSV && in.Format != records.FormatJSONL {
		return records.ImportReport{}, refusal.BadParam("format", "enum", refusal.T("应为 csv 或 jsonl（或使用 Content-Type text/csv、application/jsonl）",
			"must be csv or jsonl (or send Content-Type text/csv or application/jsonl)"))
	}
	pid, err := s.supplierFor(ctx, a, uc, in.ProviderID, paramField)
	if err != nil {
		return records.ImportReport{}, err
	}
	rep, err := s.records.Import(ctx, a.Audit(), pid, in.Format, in.File)
	if errors.Is(err, records.ErrImportFormat) {
		return rep, &refusal.Error{Kind: refusal.UnreadableFile, Title: refusal.T("文件无法读取", "The file cannot be read"),
			Detail: refusal.T("文件格式有误，未导入任何数据："+err.Error(), "The file is malformed and nothing was imported: "+err.Error())}
	}
	if err != nil {
		return rep, storeErr(err)
	}
	if rep.Committed {
		return rep, nil
	}
	e := &refusal.Error{Kind: refusal.ImportRejected, Title: refusal.T("导入被拒绝", "Import rejected"),
		Detail: refusal.T(fmt.Sprintf("%d 行中有 %d 行有误，整份文件未导入；请按字段错误修改后重新导入", rep.Rows, len(rep.Rejected)),
			fmt.Sprintf("%d of %d rows are invalid; nothing from the file was imported. Correct the fields listed and import again", len(rep.Rejected), rep.Rows))}
	for _, row := range rep.Rejected {
		for _, f := range row.Fields {
			e.Fields = append(e.Fields, refusal.Field{Name: fmt.Sprintf("rows[%d].%s", row.Line, f.Field), Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
		}
	}
	return rep, &ImportRejection{Refusal: e, Report: rep}
}

// PublicLookupQuery asks for a page of the public lookup: the subject's
// exact name or identifier, and the cursor of a page after the first (the
// next of the page before it).
type PublicLookupQuery struct {
	Q      string `query:"q"`
	Cursor string `query:"cursor"`
}

// PublicLookup serves 社会公开 records to anyone, by the subject's exact
// name or identifier, a page of records.PublicPageSize at a time, newest
// first. Persons' identity numbers are masked. A lookup by a citizen
// identity number is answered only for a valid number (check character
// included; 400 otherwise) and each page is written to the query log with
// client, the caller's address as the front end resolved it. A cursor not
// given by a lookup of the same query is refused (400 naming cursor) and
// nothing is read.
func (s *Service) PublicLookup(ctx context.Context, a permission.Actor, client string, in PublicLookupQuery) (records.PublicPage, error) {
	if err := s.guard.Require(ctx, a, "lookUpPublicRecords"); err != nil {
		return records.PublicPage{}, err
	}
	q := strings.TrimSpace(in.Q)
	if n := len([]rune(q)); n < 2 || n > 100 {
		return records.PublicPage{}, refusal.BadParam("q", "length", refusal.T("请输入主体名称或统一社会信用代码/身份证号码（2–100 字）",
			"give the subject's name or identifier (2–100 characters)"))
	}
	page, err := s.records.PublicLookup(ctx, q, in.Cursor, client)
	if errors.Is(err, records.ErrInvalidIDNumber) {
		return records.PublicPage{}, refusal.BadParam("q", "id-number", refusal.T("公民身份号码须为 18 位且校验码正确；按身份号码查询只接受完整、有效的号码",
			"a citizen identity number has 18 characters and a valid check character; lookups by number take only a full, valid one"))
	}
	if errors.Is(err, records.ErrBadCursor) {
		return records.PublicPage{}, refusal.BadParam("cursor", "invalid", refusal.T("翻页标记无效：须是同一查询上一页给出的 next，未经改动；请从第一页重新查询",
			"not a cursor of this lookup: give the next of the previous page of the same query, unchanged, or start again from the first page"))
	}
	return page, storeErr(err)
}

// ---- audit trail ----

// EventFilter selects events of the event log.
type EventFilter struct {
	Action     string `query:"action"`
	ObjectType string `query:"object_type"`
	ObjectID   string `query:"object_id"`
	AccountID  int64  `query:"account_id"`
	Before     int64  `query:"before"`
	Limit      int    `query:"limit"`
}

// Events shows the event log to supervisors, newest first.
func (s *Service) Events(ctx context.Context, a permission.Actor, f EventFilter) ([]audit.Event, error) {
	if err := s.guard.Require(ctx, a, "listEvents"); err != nil {
		return nil, err
	}
	if err := checkLimit(f.Limit); err != nil {
		return nil, err
	}
	evs, err := audit.Events(ctx, s.pool, audit.EventFilter{Action: f.Action, ObjectType: f.ObjectType, ObjectID: f.ObjectID,
		AccountID: f.AccountID, Before: f.Before, Limit: f.Limit})
	return nonNil(evs), faults.Database(err)
}

// QueryFilter selects entries of the query log.
type QueryFilter struct {
	RecordID  int64 `query:"record_id"`
	AccountID int64 `query:"account_id"`
	Before    int64 `query:"before"`
	Limit     int   `query:"limit"`
}

// QueryLog shows the query log to supervisors, newest first.
func (s *Service) QueryLog(ctx context.Context, a permission.Actor, f QueryFilter) ([]audit.Query, error) {
	if err := s.guard.Require(ctx, a, "listQueryLog"); err != nil {
		return nil, err
	}
	if err := checkLimit(f.Limit); err != nil {
		return nil, err
	}
	qs, err := audit.Queries(ctx, s.pool, audit.QueryFilter{RecordID: f.RecordID, AccountID: f.AccountID, Before: f.Before, Limit: f.Limit})
	return nonNil(qs), faults.Database(err)
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

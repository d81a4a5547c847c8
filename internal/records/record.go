package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/ident"
)

// Record is the current version of a credit record with the names of its
// subject and provider.
type Record struct {
	ID           int64      `json:"id"`
	SubjectID    int64      `json:"subject_id"`
	SubjectKind  ident.Kind `json:"subject_kind"`
	SubjectIdent string     `json:"subject_ident"`
	SubjectName  string     `json:"subject_name"`
	ProviderID   int64      `json:"provider_id"`
	ProviderName string     `json:"provider_name"`
	Version      int        `json:"version"`
	Category     string     `json:"category"`
	Severity     string     `json:"severity,omitempty"`
	// DishonestyCategory is the provider's code for the behaviour of a
	// negative record (失信行为类别, e.g. 虚假宣传): "same kind" in credit
	// repair means the same category.
	DishonestyCategory string         `json:"dishonesty_category,omitempty"`
	Disclosure         string         `json:"disclosure"`
	Title              string         `json:"title"`
	Content            string         `json:"content"`
	DecisionNo         string         `json:"decision_no"`
	DecidedOn          calendar.Date  `json:"decided_on"`
	DisclosureEnd      *calendar.Date `json:"disclosure_end,omitempty"`
	PeriodRule         string         `json:"period_rule,omitempty"`
	ProfileID          string         `json:"profile,omitempty"`
	ProfileVersion     string         `json:"profile_version,omitempty"`
	ConsentRef         string         `json:"consent_ref,omitempty"`
	Details            map[string]any `json:"details"`
	Status             string         `json:"status"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
}

// RecordInput is what a provider or caseworker supplies for a record (and
// for a correction, whose subject and provider do not change).
type RecordInput struct {
	SubjectID    int64  `json:"subject_id,omitempty"`
	SubjectIdent string `json:"subject_ident,omitempty" text:"max=50"`
	ProviderID   int64  `json:"provider_id,omitempty"`
	Category     string `json:"category" text:"max=50"`
	Severity     string `json:"severity,omitempty" text:"max=50"`
	// DishonestyCategory: negative records only (失信行为类别).
	DishonestyCategory string         `json:"dishonesty_category,omitempty" text:"max=100"`
	Disclosure         string         `json:"disclosure" text:"max=50"`
	Title              string         `json:"title" text:"max=200"`
	Content            string         `json:"content,omitempty" text:"multiline,max=4000"`
	DecisionNo         string         `json:"decision_no" text:"max=100"`
	DecidedOn          string         `json:"decided_on" text:"max=20"`
	ConsentRef         string         `json:"consent_ref,omitempty" text:"max=200"`
	Details            map[string]any `json:"details,omitempty" text:"multiline,max=2000"`
	// Reason is why a correction is made (required for corrections).
	Reason string `json:"reason,omitempty" text:"multiline,max=2000"`
}

var recordFields = map[string]bool{
	"subject_id": true, "subject_ident": true, "provider_id": true, "category": true, "severity": true, "dishonesty_category": true,
	"disclosure": true, "title": true, "content": true, "decision_no": true, "decided_on": true,
	"consent_ref": true, "details": true, "reason": true,
}

// DecodeRecordInput parses a JSON record. Unknown fields are refused, and
// a field carrying prohibited personal data (at the top level or anywhere
// in details) is refused with a field error that names it.
func DecodeRecordInput(data []byte) (RecordInput, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return RecordInput{}, &ValidationError{Fields: []FieldError{{Field: "body", Code: "json",
			ZH: "请求体不是有效的 JSON 对象", EN: "the body is not a valid JSON object"}}}
	}
	consent := false
	if c, ok := raw["consent_ref"]; ok {
		var s string
		consent = json.Unmarshal(c, &s) == nil && strings.TrimSpace(s) != ""
	}
	var fe []FieldError
	for k := range raw {
		if e := checkProhibited(k, k, consent); e != nil {
			fe = append(fe, *e)
		} else if !recordFields[k] {
			fe = append(fe, FieldError{Field: k, Code: "unknown",
				ZH: "未知字段（其他内容请放入 details）", EN: "unknown field (put other data in details)"})
		}
	}
	var in RecordInput
	for k, v := range raw {
		if !recordFields[k] {
			continue
		}
		// Decode field by field so a type error names its field.
		one, _ := json.Marshal(map[string]json.RawMessage{k: v})
		if err := json.Unmarshal(one, &in); err != nil {
			fe = append(fe, FieldError{Field: k, Code: "type", ZH: "类型错误", EN: "wrong type"})
		}
	}
	if in.Details != nil {
		checkDetails("details", map[string]any(in.Details), consent, &fe)
	}
	if len(fe) > 0 {
		sortFields(fe)
		return in, &ValidationError{Fields: fe}
	}
	return in, nil
}

func sortFields(fe []FieldError) {
	slices.SortStableFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
}

// resolved is a validated input, ready to write.
type resolved struct {
	subject    Subject
	providerID int64
	in         RecordInput
	decidedOn  calendar.Date
	end        *calendar.Date
	periodRule string
}

// validate checks in apart from the subject (which the caller resolves) and
// computes the disclosure end.
func (s *Store) validate(in RecordInput, sub Subject) (resolved, []FieldError) {
	in.Category = strings.TrimSpace(in.Category)
	in.Severity = strings.TrimSpace(in.Severity)
	in.DishonestyCategory = strings.TrimSpace(in.DishonestyCategory)
	in.Disclosure = strings.TrimSpace(in.Disclosure)
	in.Title = strings.TrimSpace(in.Title)
	in.DecisionNo = strings.TrimSpace(in.DecisionNo)
	in.ConsentRef = strings.TrimSpace(in.ConsentRef)
	var fe []FieldError
	if !slices.Contains(categories, in.Category) {
		fe = append(fe, FieldError{Field: "category", Code: "enum",
			ZH: "类别应为 basic、positive、negative 或 other", EN: "category is basic, positive, negative or other"})
	}
	switch {
	case in.Category == Negative && in.Severity == "":
		fe = append(fe, FieldError{Field: "severity", Code: "required",
			ZH: "失信信息须注明失信程度（minor、general、serious）", EN: "a negative record needs a severity (minor, general, serious)"})
	case in.Category == Negative && !slices.Contains(severities, in.Severity):
		fe = append(fe, FieldError{Field: "severity", Code: "enum",
			ZH: "失信程度应为 minor、general 或 serious", EN: "severity is minor, general or serious"})
	case in.Category != Negative && in.Severity != "":
		fe = append(fe, FieldError{Field: "severity", Code: "not_allowed",
			ZH: "只有失信信息才有失信程度", EN: "only negative records have a severity"})
	}
	if in.DishonestyCategory != "" && in.Category != Negative {
		fe = append(fe, FieldError{Field: "dishonesty_category", Code: "not_allowed",
			ZH: "只有失信信息才有失信行为类别", EN: "only negative records have a dishonesty category"})
	}
	fe = appendText(fe, "dishonesty_category", in.DishonestyCategory, 50, false)
	if !slices.Contains(disclosures, in.Disclosure) {
		fe = append(fe, FieldError{Field: "disclosure", Code: "enum",
			ZH: "公开属性应为 public（社会公开）、government（政府共享）或 authorised（授权查询）",
			EN: "disclosure is public (社会公开), government (政府共享) or authorised (授权查询)"})
	}
	fe = appendText(fe, "title", in.Title, 200, true)
	fe = appendText(fe, "content", in.Content, 4000, false)
	fe = appendText(fe, "decision_no", in.DecisionNo, 100, true)
	fe = appendText(fe, "consent_ref", in.ConsentRef, 200, false)
	fe = appendFreeText(fe, in, sub)
	r := resolved{subject: sub, in: in}
	d, err := calendar.ParseDate(strings.TrimSpace(in.DecidedOn))
	switch {
	case strings.TrimSpace(in.DecidedOn) == "":
		fe = append(fe, FieldError{Field: "decided_on", Code: "required", ZH: "必填（决定日期）", EN: "required (date of the decision)"})
	case err != nil || d.Year < calendar.MinYear:
		fe = append(fe, FieldError{Field: "decided_on", Code: "format", ZH: "日期格式应为 YYYY-MM-DD", EN: "a date is YYYY-MM-DD"})
	case d.After(shanghaiDate(s.now())):
		fe = append(fe, FieldError{Field: "decided_on", Code: "future", ZH: "决定日期不能晚于今天", EN: "the decision date cannot be in the future"})
	default:
		r.decidedOn = d
	}
	if len(fe) > 0 {
		return r, fe
	}
	rule := DisclosurePeriodRule(sub.Kind, in.Category, in.Severity)
	if rule != "" {
		end, err := s.disclosureEnd(rule, r.decidedOn)
		if err != nil {
			fe = append(fe, FieldError{Field: "decided_on", Code: "period", ZH: "无法计算公开期限", EN: "the disclosure period cannot be computed: " + err.Error()})
			return r, fe
		}
		r.end, r.periodRule = &end, rule
	}
	return r, nil
}

// appendFreeText checks the free-text fields (title, content, the text
// values of details and a correction's reason) for an identity number or
// labelled prohibited data written into them.
func appendFreeText(fe []FieldError, in RecordInput, sub Subject) []FieldError {
	consent := in.ConsentRef != ""
	person := sub.Kind == ident.Person
	for _, f := range []struct{ name, value string }{{"title", in.Title}, {"content", in.Content}, {"reason", in.Reason}} {
		if e := checkText(f.name, f.value, consent, person); e != nil {
			fe = append(fe, *e)
		}
	}
	if in.Details != nil {
		var de []FieldError
		checkValues("details", map[string]any(in.Details), consent, person, &de)
		sortFields(de)
		fe = append(fe, de...)
	}
	return fe
}

// snapshot is what record_versions keeps of each version.
func (r resolved) snapshot(version int, status string, profileID, profileVersion string) map[string]any {
	snap := map[string]any{
		"version": version, "subject_id": r.subject.ID, "provider_id": r.providerID,
		"category": r.in.Category, "severity": r.in.Severity, "dishonesty_category": r.in.DishonestyCategory, "disclosure": r.in.Disclosure,
		"title": r.in.Title, "content": r.in.Content, "decision_no": r.in.DecisionNo,
		"decided_on": r.decidedOn.String(), "period_rule": r.periodRule, "profile": profileID,
		"profile_version": profileVersion, "consent_ref": r.in.ConsentRef, "details": detailsOrEmpty(r.in.Details),
		"status": status,
	}
	if r.end != nil {
		snap["disclosure_end"] = r.end.String()
	}
	return snap
}

func detailsOrEmpty(d map[string]any) map[string]any {
	if d == nil {
		return map[string]any{}
	}
	return d
}

func dateArg(d *calendar.Date) any {
	if d == nil {
		return nil
	}
	return d.String()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// subjectFor resolves the input's subject (by id or identifier).
func (s *Store) subjectFor(ctx context.Context, in RecordInput) (Subject, *FieldError) {
	var sub Subject
	var err error
	switch {
	case in.SubjectID != 0:
		sub, err = s.Subject(ctx, in.SubjectID)
		if err == nil {
			return sub, nil
		}
		if err == ErrNotFound {
			return sub, &FieldError{Field: "subject_id", Code: "unknown", ZH: "没有该信息主体", EN: "no such subject"}
		}
	case strings.TrimSpace(in.SubjectIdent) != "":
		sub, err = s.SubjectByIdent(ctx, in.SubjectIdent)
		if err == nil {
			return sub, nil
		}
		if err == ErrNotFound {
			return sub, &FieldError{Field: "subject_ident", Code: "unknown",
				ZH: "没有该身份证号码或统一社会信用代码的信息主体，请先登记主体", EN: "no subject has this identifier: register the subject first"}
		}
	default:
		return sub, &FieldError{Field: "subject_ident", Code: "required", ZH: "须填写 subject_ident 或 subject_id", EN: "subject_ident or subject_id is required"}
	}
	return sub, &FieldError{Field: "subject_ident", Code: "lookup", ZH: "查询主体失败", EN: "subject lookup failed"}
}

// CreateRecord writes a new record (version 1) supplied by providerID, its
// first version and its event, in one transaction.
func (s *Store) CreateRecord(ctx context.Context, actor audit.Actor, providerID int64, in RecordInput) (Record, error) {
	sub, fe := s.subjectFor(ctx, in)
	if fe != nil {
		return Record{}, &ValidationError{Fields: []FieldError{*fe}}
	}
	r, errs := s.validate(in, sub)
	if len(errs) > 0 {
		return Record{}, &ValidationError{Fields: errs}
	}
	r.providerID = providerID
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		id, err = s.insert(ctx, tx, actor, r, nil)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return s.Record(ctx, id)
}

// insert writes one resolved record with version 1 and its event.
func (s *Store) insert(ctx context.Context, tx pgx.Tx, actor audit.Actor, r resolved, eventData map[string]any) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, content, decision_no,
			decided_on, disclosure_end, period_rule, profile_id, profile_version, consent_ref, details, dishonesty_category)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`,
		r.subject.ID, r.providerID, r.in.Category, nullable(r.in.Severity), r.in.Disclosure, r.in.Title, r.in.Content,
		r.in.DecisionNo, r.decidedOn.String(), dateArg(r.end), r.periodRule, s.profile.ID, s.profile.Version,
		r.in.ConsentRef, detailsOrEmpty(r.in.Details), r.in.DishonestyCategory).Scan(&id)
	if err != nil {
		return 0, mapErr(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO record_versions (record_id, version, snapshot, reason, written_by) VALUES ($1, 1, $2, $3, $4)`,
		id, r.snapshot(1, StatusActive, s.profile.ID, s.profile.Version), "intake", actor.Username); err != nil {
		return 0, err
	}
	data := map[string]any{"subject_id": r.subject.ID, "provider_id": r.providerID, "category": r.in.Category,
		"disclosure": r.in.Disclosure, "decision_no": r.in.DecisionNo}
	for k, v := range eventData {
		data[k] = v
	}
	return id, audit.Write(ctx, tx, actor, audit.Event{Action: audit.ActionRecordCreated, ObjectType: "record",
		ObjectID: fmt.Sprint(id), Data: data})
}

// Correct writes a new version of record id (更正) with in's content and
// status corrected; the old version stays in the history. Subject and
// provider do not change. reason is required and recorded.
func (s *Store) Correct(ctx context.Context, actor audit.Actor, id int64, in RecordInput) (Record, error) {
	cur, err := s.Record(ctx, id)
	if err != nil {
		return Record{}, err
	}
	sub, err := s.Subject(ctx, cur.SubjectID)
	if err != nil {
		return Record{}, err
	}
	r, fe := s.validate(in, sub)
	if strings.TrimSpace(in.Reason) == "" {
		fe = append(fe, FieldError{Field: "reason", Code: "required", ZH: "须说明更正理由", EN: "say why the record is corrected"})
	}
	if len(fe) > 0 {
		return Record{}, &ValidationError{Fields: fe}
	}
	r.providerID = cur.ProviderID
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var version int
		if err := tx.QueryRow(ctx, `SELECT version FROM records WHERE id = $1 FOR UPDATE`, id).Scan(&version); err != nil {
			return mapErr(err)
		}
		version++
		_, err := tx.Exec(ctx, `
			UPDATE records SET version = $2, category = $3, severity = $4, disclosure = $5, title = $6, content = $7,
				decision_no = $8, decided_on = $9, disclosure_end = $10, period_rule = $11, profile_id = $12,
				profile_version = $13, consent_ref = $14, details = $15, status = $16, dishonesty_category = $17, updated_at = now()
			WHERE id = $1`,
			id, version, r.in.Category, nullable(r.in.Severity), r.in.Disclosure, r.in.Title, r.in.Content,
			r.in.DecisionNo, r.decidedOn.String(), dateArg(r.end), r.periodRule, s.profile.ID, s.profile.Version,
			r.in.ConsentRef, detailsOrEmpty(r.in.Details), StatusCorrected, r.in.DishonestyCategory)
		if err != nil {
			return mapErr(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO record_versions (record_id, version, snapshot, reason, written_by) VALUES ($1, $2, $3, $4, $5)`,
			id, version, r.snapshot(version, StatusCorrected, s.profile.ID, s.profile.Version), in.Reason, actor.Username); err != nil {
			return err
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: audit.ActionRecordCorrected, ObjectType: "record",
			ObjectID: fmt.Sprint(id), Reason: in.Reason, Data: map[string]any{"version": version}})
	})
	if err != nil {
		return Record{}, err
	}
	return s.Record(ctx, id)
}

const recordColumns = `r.id, r.subject_id, s.kind, s.ident, s.name, r.provider_id, p.name, r.version, r.category,
	coalesce(r.severity, ''), r.dishonesty_category, r.disclosure, r.title, r.content, r.decision_no, r.decided_on, r.disclosure_end,
	r.period_rule, r.profile_id, r.profile_version, r.consent_ref, r.details, r.status, r.created_at, r.updated_at`

const recordFrom = ` FROM records r JOIN subjects s ON s.id = r.subject_id JOIN providers p ON p.id = r.provider_id`

func scanRecord(row pgx.Row) (Record, error) {
	var r Record
	var decided time.Time
	var end *time.Time
	err := row.Scan(&r.ID, &r.SubjectID, &r.SubjectKind, &r.SubjectIdent, &r.SubjectName, &r.ProviderID, &r.ProviderName,
		&r.Version, &r.Category, &r.Severity, &r.DishonestyCategory, &r.Disclosure, &r.Title, &r.Content, &r.DecisionNo, &decided, &end,
		&r.PeriodRule, &r.ProfileID, &r.ProfileVersion, &r.ConsentRef, &r.Details, &r.Status, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return r, mapErr(err)
	}
	r.DecidedOn = dateOf(decided)
	if end != nil {
		d := dateOf(*end)
		r.DisclosureEnd = &d
	}
	return r, nil
}

// dateOf takes a PostgreSQL date (scanned as UTC midnight) as a date.
func dateOf(t time.Time) calendar.Date { return calendar.NewDate(t.Year(), t.Month(), t.Day()) }

// Record returns the current version of record id.
func (s *Store) Record(ctx context.Context, id int64) (Record, error) {
	return scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+recordFrom+` WHERE r.id = $1`, id))
}

// Version is one version of a record as written.
type Version struct {
	Version   int            `json:"version"`
	Snapshot  map[string]any `json:"snapshot"`
	Reason    string         `json:"reason"`
	WrittenBy string         `json:"written_by"`
	WrittenAt time.Time      `json:"written_at"`
}

// Versions returns every version of record id, oldest first.
func (s *Store) Versions(ctx context.Context, id int64) ([]Version, error) {
	rows, err := s.pool.Query(ctx, `SELECT version, snapshot, reason, written_by, written_at FROM record_versions
		WHERE record_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Version, error) {
		var v Version
		return v, r.Scan(&v.Version, &v.Snapshot, &v.Reason, &v.WrittenBy, &v.WrittenAt)
	})
}

// RecordFilter selects records, newest first. Zero fields select all.
type RecordFilter struct {
	SubjectID  int64
	ProviderID int64
	Category   string
	Severity   string
	Disclosure string
	Status     string
	// Before is the keyset cursor: records with a smaller ID.
	Before int64
	Limit  int
}

// Page is one page of records and the cursor of the next (0 = last page).
type Page struct {
	Records    []Record `json:"records"`
	NextBefore int64    `json:"next_before,omitempty"`
}

// Records lists records matching f. The WHERE clause holds only the
// filters given, so each list shape gets its own index-backed plan.
func (s *Store) Records(ctx context.Context, f RecordFilter) (Page, error) {
	var q query
	q.add("TRUE")
	if f.SubjectID != 0 {
		q.add("r.subject_id = " + q.arg(f.SubjectID))
	}
	if f.ProviderID != 0 {
		q.add("r.provider_id = " + q.arg(f.ProviderID))
	}
	for _, c := range []struct{ col, v string }{{"r.category", f.Category}, {"r.severity", f.Severity}, {"r.disclosure", f.Disclosure}, {"r.status", f.Status}} {
		if c.v != "" {
			q.add(c.col + " = " + q.arg(c.v))
		}
	}
	if f.Before != 0 {
		q.add("r.id < " + q.arg(f.Before))
	}
	n := pageSize(f.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+recordFrom+` WHERE `+q.where()+
		` ORDER BY r.id DESC LIMIT `+q.arg(n+1), q.args...)
	if err != nil {
		return Page{}, err
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) { return scanRecord(r) })
	if err != nil {
		return Page{}, err
	}
	p := Page{Records: recs}
	if len(recs) > n {
		p.Records = recs[:n]
		p.NextBefore = recs[n-1].ID
	}
	if p.Records == nil {
		p.Records = []Record{}
	}
	return p, nil
}

// PublicRecord is what anyone may see of a 社会公开 record: no contact
// details, a person's identity number masked.
type PublicRecord struct {
	ID            int64          `json:"id"`
	SubjectKind   ident.Kind     `json:"subject_kind"`
	SubjectIdent  string         `json:"subject_ident"`
	SubjectName   string         `json:"subject_name"`
	ProviderName  string         `json:"provider_name"`
	Category      string         `json:"category"`
	Severity      string         `json:"severity,omitempty"`
	Title         string         `json:"title"`
	Content       string         `json:"content"`
	DecisionNo    string         `json:"decision_no"`
	DecidedOn     calendar.Date  `json:"decided_on"`
	DisclosureEnd *calendar.Date `json:"disclosure_end,omitempty"`
	// UnderObjection is the objection label (异议标注).
	UnderObjection bool `json:"under_objection"`
}

// PublicPageSize is the number of records of one page of a public lookup.
const PublicPageSize = 20

// PublicPage is one page of a public lookup, newest records first.
type PublicPage struct {
	Records []PublicRecord
	// Next is the cursor of the next page; "" on the last page.
	Next string
	// Seen is the number of records served on the pages before this one
	// (carried by the cursor: no count is run).
	Seen int
}

// ErrInvalidIDNumber refuses a public lookup by something that is meant to
// be a citizen identity number (digits, 15 to 18 characters) but is not a
// valid one: wrong length, birth date or check character.
var ErrInvalidIDNumber = errors.New("records: not a valid citizen identity number")

// idAttempt matches what can only be meant as an identity number.
var idAttempt = regexp.MustCompile(`^[0-9]{14,17}[0-9Xx]$`)

// PurposePublicIDLookup is the query log's purpose of a public lookup by
// a full identity number.
const PurposePublicIDLookup = "社会公开信息查询：公众按公民身份号码查询 (public lookup by citizen identity number)"

// PublicLookup returns a page of the 社会公开 records being disclosed today
// for the subject whose identifier is q, or whose name is exactly q:
// PublicPageSize records, newest first, from the cursor on ("" for the
// first page; ErrBadCursor for one not given by a lookup of q). A lookup
// by a full citizen identity number turns a number into a name: it is
// answered only when the number is valid, check character included
// (ErrInvalidIDNumber otherwise, so numbers cannot be guessed digit by
// digit against the register), and each page is written to the query log
// with client, the caller's address, and the records it served, found or
// not. Nothing is read nor logged for a refused query or cursor.
func (s *Store) PublicLookup(ctx context.Context, q, cursor, client string) (PublicPage, error) {
	q = strings.TrimSpace(q)
	// Eighteen digits may also be a unified social credit code (its
	// organisation code and check character are often digits): a valid
	// code that is not a valid identity number is looked up as a code.
	byID := idAttempt.MatchString(q) &&
		(ident.CheckCreditCode(ident.Normalize(q)) != nil || ident.CheckIDNumber(ident.Normalize(q)) == nil)
	if byID {
		q = ident.Normalize(q)
		if ident.CheckIDNumber(q) != nil {
			return PublicPage{}, ErrInvalidIDNumber
		}
	}
	var at lookupCursor
	if cursor != "" {
		c, err := decodeCursor(q, cursor)
		if err != nil {
			return PublicPage{}, err
		}
		at = c
	}
	if !byID {
		return s.publicLookup(ctx, q, at, nil)
	}
	// The records and the query log's entry in one statement: the entry
	// is written exactly when the answer is (one transaction), in one
	// round trip.
	return s.publicLookup(ctx, q, at, &audit.Lookup{Kind: "person_id", Query: ident.MaskIDNumber(q), Client: client, Purpose: PurposePublicIDLookup})
}

// publicLookupSQL picks one page of public records of the subjects named
// by identifier ($1) or name ($2), newest first and older than record $6
// (the keyset cursor), from two indexes alone — records_public_by_name
// (migration 00117: each record carries its subject's name) and
// records_public_lookup (00115, per subject) hold status and disclosure
// end — then reads those rows only: a common name held by thousands of
// subjects costs the first entries of one index range from the cursor on,
// not a probe per subject nor a record row more than served (and one: $5
// is a page and one, to know whether another page follows).
const publicLookupSQL = `
	WITH top AS (
		(SELECT r.id FROM records r
		 WHERE r.subject_name = $2 AND r.id < $6 AND r.disclosure = 'public'
		   AND r.status = ANY($3) AND (r.disclosure_end IS NULL OR r.disclosure_end >= $4::date)
		 ORDER BY r.id DESC LIMIT $5)
		UNION
		(SELECT r.id FROM subjects s JOIN records r ON r.subject_id = s.id
		 WHERE s.ident = $1 AND r.id < $6 AND r.disclosure = 'public'
		   AND r.status = ANY($3) AND (r.disclosure_end IS NULL OR r.disclosure_end >= $4::date)
		 ORDER BY r.id DESC LIMIT $5)
		ORDER BY id DESC LIMIT $5
	)%s` + publicLookupRows

// publicLookupByNameSQL is publicLookupSQL for a q that cannot be an
// identifier (every identifier has 18 characters: subjects' CHECK): the
// name's index range alone, without the probe of subjects by identifier
// and the union — fewer plan nodes for PostgreSQL to run per lookup.
const publicLookupByNameSQL = `
	WITH top AS (
		SELECT r.id FROM records r
		WHERE r.subject_name = $1 AND r.id < $5 AND r.disclosure = 'public'
		  AND r.status = ANY($2) AND (r.disclosure_end IS NULL OR r.disclosure_end >= $3::date)
		ORDER BY r.id DESC LIMIT $4
	)` + publicLookupRows

// publicLookupRows reads the records picked (top), newest first.
const publicLookupRows = `
	SELECT r.id, s.kind, s.ident, s.name, p.name, r.category, coalesce(r.severity, ''), r.title, r.content,
		r.decision_no, r.decided_on, r.disclosure_end, r.status
	FROM top
	JOIN records r ON r.id = top.id
	JOIN subjects s ON s.id = r.subject_id
	JOIN providers p ON p.id = r.provider_id
	ORDER BY r.id DESC`

var publicLookupPlain = fmt.Sprintf(publicLookupSQL, "")

// PublicLookupPlan returns the statement the first page of a public
// lookup by name or identifier q runs (without the query log's entry) and
// its arguments as of today, for a benchmark to EXPLAIN it.
func (s *Store) PublicLookupPlan(q string) (string, []any) {
	return s.publicLookupStatement(q, lookupCursor{})
}

// publicLookupStatement is the statement of a page of the lookup of q
// from at, and its arguments: by name alone when q cannot be an
// identifier.
func (s *Store) publicLookupStatement(q string, at lookupCursor) (string, []any) {
	after := int64(math.MaxInt64)
	if at.After > 0 {
		after = at.After
	}
	today := shanghaiDate(s.now()).String()
	if utf8.RuneCountInString(ident.Normalize(q)) != identLen {
		return publicLookupByNameSQL, []any{q, PubliclyServed, today, PublicPageSize + 1, after}
	}
	return publicLookupPlain, []any{ident.Normalize(q), q, PubliclyServed, today, PublicPageSize + 1, after}
}

// identLen is the length of every subject's identifier (subjects' CHECK).
const identLen = 18

// publicLookup answers a page of a lookup; with log (a lookup by a full
// identity number), it writes the query log's entry for it in the same
// statement (the records served on this page, the subject found by
// identifier).
func (s *Store) publicLookup(ctx context.Context, q string, at lookupCursor, log *audit.Lookup) (PublicPage, error) {
	sql, args := s.publicLookupStatement(q, at)
	if log != nil {
		served := fmt.Sprintf("(SELECT array_agg(id) FROM (SELECT id FROM top ORDER BY id DESC LIMIT %d) served)", PublicPageSize)
		insert, more := audit.LookupLogStatement(ctx, audit.Public, *log,
			served, "(SELECT id FROM subjects WHERE ident = $1)", len(args)+1)
		sql = fmt.Sprintf(publicLookupSQL, ", logged AS (\n\t\t"+insert+"\n\t)")
		args = append(args, more...)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return PublicPage{}, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (PublicRecord, error) {
		var r PublicRecord
		var decided time.Time
		var end *time.Time
		var status string
		if err := row.Scan(&r.ID, &r.SubjectKind, &r.SubjectIdent, &r.SubjectName, &r.ProviderName, &r.Category, &r.Severity,
			&r.Title, &r.Content, &r.DecisionNo, &decided, &end, &status); err != nil {
			return r, err
		}
		r.SubjectIdent = ident.Mask(r.SubjectKind, r.SubjectIdent)
		r.DecidedOn = dateOf(decided)
		if end != nil {
			d := dateOf(*end)
			r.DisclosureEnd = &d
		}
		r.UnderObjection = status == StatusUnderObjection
		return r, nil
	})
	if err != nil {
		return PublicPage{}, err
	}
	p := PublicPage{Records: out, Seen: at.Seen}
	if len(out) > PublicPageSize {
		p.Records = out[:PublicPageSize]
		p.Next = lookupCursor{After: out[PublicPageSize-1].ID, Seen: at.Seen + PublicPageSize}.encode(q)
	}
	if p.Records == nil {
		p.Records = []PublicRecord{}
	}
	return p, nil
}

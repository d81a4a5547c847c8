package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/records"
)

// storeErr maps store errors to problems.
func storeErr(err error) error {
	var ve *records.ValidationError
	switch {
	case errors.As(err, &ve):
		return invalid(ve.Fields)
	case errors.Is(err, records.ErrNotFound):
		return notFound()
	case errors.Is(err, records.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict",
			Title:  Message{ZH: "与已有数据冲突", EN: "Conflicts with existing data"},
			Detail: Message{ZH: "已存在相同标识的数据", EN: "Data with the same identity already exist"}, Cause: err}
	}
	return err
}

// int64Param reads an optional positive integer query or path value.
func int64Param(name, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badParam(name, "应为正整数", "must be a positive integer")
	}
	return n, nil
}

func pathID(c echo.Context) (int64, error) {
	id, err := int64Param("id", c.Param("id"))
	if err == nil && id == 0 {
		err = badParam("id", "应为正整数", "must be a positive integer")
	}
	return id, err
}

func limitParam(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > records.MaxPage {
		return 0, badParam("limit", fmt.Sprintf("应为 1–%d", records.MaxPage), fmt.Sprintf("must be 1–%d", records.MaxPage))
	}
	return n, nil
}

func decodeBody(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid([]records.FieldError{{Field: "body", Code: "json",
			ZH: "请求体不是有效的 JSON 或含有未知字段：" + err.Error(), EN: "the body is not valid JSON or has unknown fields: " + err.Error()}})
	}
	return nil
}

// ---- providers ----

func (s *Server) listProviders(c echo.Context) error {
	if _, ok := caller(c); !ok {
		return unauthenticated()
	}
	ps, err := s.records.Providers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"providers": nonNil(ps)})
}

func (s *Server) getProvider(c echo.Context) error {
	if _, ok := caller(c); !ok {
		return unauthenticated()
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	p, err := s.records.Provider(c.Request().Context(), id)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) createProvider(c echo.Context) error {
	if _, err := s.require(c, "provider", auth.Admin); err != nil {
		return err
	}
	var in records.ProviderInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	p, err := s.records.CreateProvider(c.Request().Context(), auditActor(c), in)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusCreated, p)
}

// ---- subjects ----

func (s *Server) listSubjects(c echo.Context) error {
	a, err := s.require(c, "subject", auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if a.Role == auth.Subject {
		sub, err := s.records.Subject(ctx, a.SubjectID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"subjects": []records.Subject{sub}})
	}
	f := records.SubjectFilter{Q: c.QueryParam("q")}
	if f.Before, err = int64Param("before", c.QueryParam("before")); err != nil {
		return err
	}
	if f.Limit, err = limitParam(c); err != nil {
		return err
	}
	if a.Role == auth.Provider {
		f.ProviderID = a.ProviderID
	}
	subs, err := s.records.Subjects(ctx, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"subjects": nonNil(subs)})
}

// subjectVisible reports whether a may see subject id: its own subject, a
// subject of a record its provider supplied, or any for centre staff.
func (s *Server) subjectVisible(c echo.Context, a auth.Account, id int64) (bool, error) {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor:
		return true, nil
	case auth.Subject:
		return a.SubjectID == id, nil
	case auth.Provider:
		var ok bool
		err := s.Pool.QueryRow(c.Request().Context(),
			`SELECT EXISTS (SELECT 1 FROM records WHERE subject_id = $1 AND provider_id = $2)`, id, a.ProviderID).Scan(&ok)
		return ok, err
	}
	return false, nil
}

func (s *Server) getSubject(c echo.Context) error {
	a, err := s.require(c, "subject", auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ok, err := s.subjectVisible(c, a, id)
	if err != nil {
		return err
	}
	if !ok {
		return s.deny(c, http.StatusNotFound, "subject", strconv.FormatInt(id, 10))
	}
	sub, err := s.records.Subject(c.Request().Context(), id)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusOK, sub)
}

func (s *Server) createSubject(c echo.Context) error {
	if _, err := s.require(c, "subject", auth.Provider, auth.Caseworker); err != nil {
		return err
	}
	var in records.SubjectInput
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	sub, err := s.records.CreateSubject(c.Request().Context(), auditActor(c), in)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusCreated, sub)
}

// ---- records ----

// purposeFor returns the purpose recorded in the query log when a reads
// records that are not public. Subjects and providers read their own;
// centre staff must say why (?purpose=…).
func purposeFor(c echo.Context, a auth.Account) (string, error) {
	switch a.Role {
	case auth.Subject:
		return "本人查询 (subject reads own records)", nil
	case auth.Provider:
		return "提供单位核查 (provider reads records it supplied)", nil
	}
	p := strings.TrimSpace(c.QueryParam("purpose"))
	if p == "" || len([]rune(p)) > 200 {
		return "", badParam("purpose", "查阅非社会公开信息须说明用途（purpose，200 字以内）",
			"reading records that are not public needs a purpose (purpose, at most 200 characters)")
	}
	return p, nil
}

// logReads writes one query-log row per non-public record served.
func (s *Server) logReads(c echo.Context, purpose string, recs ...records.Record) error {
	var ids []int64
	for _, r := range recs {
		if r.Disclosure != records.Public {
			ids = append(ids, r.ID)
		}
	}
	return audit.LogQueries(c.Request().Context(), s.Pool, auditActor(c), ids, purpose)
}

func (s *Server) listRecords(c echo.Context) error {
	a, err := s.require(c, "record", auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor)
	if err != nil {
		return err
	}
	f := records.RecordFilter{
		Category: c.QueryParam("category"), Severity: c.QueryParam("severity"),
		Disclosure: c.QueryParam("disclosure"), Status: c.QueryParam("status"),
	}
	if f.SubjectID, err = int64Param("subject_id", c.QueryParam("subject_id")); err != nil {
		return err
	}
	if f.ProviderID, err = int64Param("provider_id", c.QueryParam("provider_id")); err != nil {
		return err
	}
	if f.Before, err = int64Param("before", c.QueryParam("before")); err != nil {
		return err
	}
	if f.Limit, err = limitParam(c); err != nil {
		return err
	}
	switch a.Role {
	case auth.Subject:
		if f.SubjectID != 0 && f.SubjectID != a.SubjectID {
			return s.deny(c, http.StatusForbidden, "subject", strconv.FormatInt(f.SubjectID, 10))
		}
		f.SubjectID = a.SubjectID
	case auth.Provider:
		if f.ProviderID != 0 && f.ProviderID != a.ProviderID {
			return s.deny(c, http.StatusForbidden, "provider", strconv.FormatInt(f.ProviderID, 10))
		}
		f.ProviderID = a.ProviderID
	}
	purpose := ""
	if f.Disclosure != records.Public {
		if purpose, err = purposeFor(c, a); err != nil {
			return err
		}
	}
	page, err := s.records.Records(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if err := s.logReads(c, purpose, page.Records...); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// recordVisible reports whether a may see rec.
func recordVisible(a auth.Account, rec records.Record) bool {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return rec.SubjectID == a.SubjectID
	case auth.Provider:
		return rec.ProviderID == a.ProviderID
	}
	return false
}

// RecordDetail is a record with its version history.
type RecordDetail struct {
	records.Record
	Versions []records.Version `json:"versions"`
}

func (s *Server) getRecord(c echo.Context) error {
	a, err := s.require(c, "record", auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor)
	if err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rec, err := s.records.Record(ctx, id)
	if errors.Is(err, records.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return err
	}
	if !recordVisible(a, rec) {
		return s.deny(c, http.StatusNotFound, "record", strconv.FormatInt(id, 10))
	}
	purpose := ""
	if rec.Disclosure != records.Public {
		if purpose, err = purposeFor(c, a); err != nil {
			return err
		}
	}
	versions, err := s.records.Versions(ctx, id)
	if err != nil {
		return err
	}
	if err := s.logReads(c, purpose, rec); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, RecordDetail{Record: rec, Versions: nonNil(versions)})
}

// supplierFor decides which provider a new record or import is from: a
// provider account's own (naming another is refused), or the provider_id
// a caseworker names.
func (s *Server) supplierFor(c echo.Context, a auth.Account, named int64) (int64, error) {
	if a.Role == auth.Provider {
		if named != 0 && named != a.ProviderID {
			return 0, s.deny(c, http.StatusForbidden, "provider", strconv.FormatInt(named, 10))
		}
		return a.ProviderID, nil
	}
	if named == 0 {
		return 0, invalid([]records.FieldError{{Field: "provider_id", Code: "required",
			ZH: "工作机构代为录入时须指明信息提供单位", EN: "a caseworker must name the provider the record comes from"}})
	}
	if _, err := s.records.Provider(c.Request().Context(), named); errors.Is(err, records.ErrNotFound) {
		return 0, invalid([]records.FieldError{{Field: "provider_id", Code: "unknown", ZH: "没有该信息提供单位", EN: "no such provider"}})
	} else if err != nil {
		return 0, err
	}
	return named, nil
}

func (s *Server) createRecord(c echo.Context) error {
	a, err := s.require(c, "record", auth.Provider, auth.Caseworker)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	in, err := records.DecodeRecordInput(body)
	if err != nil {
		return storeErr(err)
	}
	pid, err := s.supplierFor(c, a, in.ProviderID)
	if err != nil {
		return err
	}
	rec, err := s.records.CreateRecord(c.Request().Context(), auditActor(c), pid, in)
	if err != nil {
		return storeErr(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/records/%d", rec.ID))
	return c.JSON(http.StatusCreated, rec)
}

// ImportProblem is the answer to an import with rejected rows: a problem
// with one field error per bad field (rows[LINE].FIELD) and the report.
type ImportProblem struct {
	Problem
	Report records.ImportReport `json:"report"`
}

func (s *Server) importRecords(c echo.Context) error {
	a, err := s.require(c, "record", auth.Provider, auth.Caseworker)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		switch ct := c.Request().Header.Get(echo.HeaderContentType); {
		case strings.HasPrefix(ct, "text/csv"):
			format = records.FormatCSV
		case strings.HasPrefix(ct, "application/jsonl"), strings.HasPrefix(ct, "application/x-ndjson"):
			format = records.FormatJSONL
		}
	}
	if format != records.FormatCSV && format != records.FormatJSONL {
		return badParam("format", "应为 csv 或 jsonl（或使用 Content-Type text/csv、application/jsonl）",
			"must be csv or jsonl (or send Content-Type text/csv or application/jsonl)")
	}
	named, err := int64Param("provider_id", c.QueryParam("provider_id"))
	if err != nil {
		return err
	}
	pid, err := s.supplierFor(c, a, named)
	if err != nil {
		return err
	}
	rep, err := s.records.Import(c.Request().Context(), auditActor(c), pid, format, c.Request().Body)
	if errors.Is(err, records.ErrImportFormat) {
		return &Error{Status: http.StatusBadRequest, Code: "unreadable-file",
			Title:  Message{ZH: "文件无法读取", EN: "The file cannot be read"},
			Detail: Message{ZH: "文件格式有误，未导入任何数据：" + err.Error(), EN: "The file is malformed and nothing was imported: " + err.Error()}}
	}
	if err != nil {
		return err
	}
	if rep.Committed {
		return c.JSON(http.StatusCreated, rep)
	}
	lang := c.Request().Header.Get("Accept-Language")
	p := ImportProblem{Report: rep, Problem: Problem{
		Type:      "/problems/import-rejected",
		Status:    http.StatusUnprocessableEntity,
		Title:     Message{ZH: "导入被拒绝", EN: "Import rejected"}.In(lang),
		Detail:    Message{ZH: fmt.Sprintf("%d 行中有 %d 行有误，整份文件未导入", rep.Rows, len(rep.Rejected)), EN: fmt.Sprintf("%d of %d rows are invalid; nothing from the file was imported", len(rep.Rejected), rep.Rows)}.In(lang),
		Instance:  c.Request().URL.Path,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
	}}
	for i := range p.Report.Rejected {
		row := &p.Report.Rejected[i]
		for _, f := range row.Fields {
			p.Errors = append(p.Errors, FieldError{Field: fmt.Sprintf("rows[%d].%s", row.Line, f.Field), Code: f.Code, Message: Message{ZH: f.ZH, EN: f.EN}.In(lang)})
		}
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	return c.JSON(http.StatusUnprocessableEntity, p)
}

// correctRecord writes a new version of a record (更正). Only the centre's
// caseworkers correct records; others learn nothing about records they
// cannot see.
func (s *Server) correctRecord(c echo.Context) error {
	a, ok := caller(c)
	if !ok {
		return unauthenticated()
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if a.Role != auth.Caseworker {
		rec, err := s.records.Record(ctx, id)
		if err != nil && !errors.Is(err, records.ErrNotFound) {
			return err
		}
		if err != nil || !recordVisible(a, rec) {
			return s.deny(c, http.StatusNotFound, "record", strconv.FormatInt(id, 10))
		}
		return s.deny(c, http.StatusForbidden, "record", strconv.FormatInt(id, 10))
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	in, err := records.DecodeRecordInput(body)
	if err != nil {
		return storeErr(err)
	}
	rec, err := s.records.Correct(ctx, auditActor(c), id, in)
	if err != nil {
		return storeErr(err)
	}
	return c.JSON(http.StatusOK, rec)
}

// publicLookup serves 社会公开 records to anyone, by the subject's exact
// name or identifier. Persons' identity numbers are masked.
func (s *Server) publicLookup(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if n := len([]rune(q)); n < 2 || n > 100 {
		return badParam("q", "请输入主体名称或统一社会信用代码/身份证号码（2–100 字）",
			"give the subject's name or identifier (2–100 characters)")
	}
	recs, err := s.records.PublicLookup(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"records": recs})
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

package api

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/registry"
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument is the served description of the API.
func OpenAPIDocument() []byte { return openAPIDocument }

// RecordDetail is a record with its version history.
type RecordDetail = registry.RecordDetail

// ImportProblem is the answer to an import with rejected rows: a problem
// with one field error per bad field (rows[LINE].FIELD) and the report.
type ImportProblem struct {
	Problem
	Report records.ImportReport `json:"report"`
}

// readRecordInput reads a record body: clean text first (invalid UTF-8 is
// refused before encoding/json could turn it into U+FFFD), then the
// register's own decoding (prohibited data, unknown fields).
func readRecordInput(c echo.Context) (records.RecordInput, error) {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, cleantext.MaxBodyBytes+1))
	if err != nil {
		return records.RecordInput{}, refusal.Invalid(refusal.Field{Name: "body", Code: "read", Message: refusal.T("请求体未能读取完整", "the body could not be read")})
	}
	if err := cleantext.CheckRawJSON(data); err != nil {
		return records.RecordInput{}, err
	}
	in, err := records.DecodeRecordInput(data)
	var ve *records.ValidationError
	if errors.As(err, &ve) {
		fe := make([]refusal.Field, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			fe = append(fe, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
		}
		return in, refusal.Invalid(fe...)
	}
	return in, err
}

// routesRecords registers accounts, providers, subjects, records, the
// public lookup, the audit trail and the OpenAPI document.
func (s *Server) routesRecords(r *router) {
	reg := s.app.Registry
	r.op(http.MethodGet, "/openapi.json", "getOpenAPI", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
	})
	s.routesAccounts(r)

	r.op(http.MethodGet, "/providers", "listProviders", func(c echo.Context) error {
		ps, err := reg.Providers(c.Request().Context(), actor(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, ProviderList{Providers: ps})
	})
	r.op(http.MethodPost, "/providers", "createProvider", func(c echo.Context) error {
		var in records.ProviderInput
		if err := readJSON(c, &in); err != nil {
			return err
		}
		p, err := reg.CreateProvider(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, p)
	})
	r.op(http.MethodGet, "/providers/:id", "getProvider", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		p, err := reg.Provider(c.Request().Context(), actor(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	})

	r.op(http.MethodGet, "/subjects", "listSubjects", func(c echo.Context) error {
		var f registry.SubjectFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		subs, err := reg.Subjects(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, SubjectList{Subjects: subs})
	})
	r.op(http.MethodPost, "/subjects", "createSubject", func(c echo.Context) error {
		var in records.SubjectInput
		if err := readJSON(c, &in); err != nil {
			return err
		}
		sub, err := reg.CreateSubject(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, sub)
	})
	r.op(http.MethodGet, "/subjects/:id", "getSubject", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		sub, err := reg.Subject(c.Request().Context(), actor(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, sub)
	})

	r.op(http.MethodGet, "/records", "listRecords", func(c echo.Context) error {
		var f registry.RecordFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		page, err := reg.Records(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, page)
	})
	r.op(http.MethodPost, "/records", "createRecord", func(c echo.Context) error {
		in, err := readRecordInput(c)
		if err != nil {
			return err
		}
		rec, err := reg.CreateRecord(c.Request().Context(), actor(c), in)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/records/%d", rec.ID))
		return c.JSON(http.StatusCreated, rec)
	})
	r.op(http.MethodPost, "/records/import", "importRecords", s.importRecords)
	r.op(http.MethodGet, "/records/:id", "getRecord", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		rec, err := reg.Record(c.Request().Context(), actor(c), id, c.QueryParam("purpose"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, rec)
	})
	r.op(http.MethodPost, "/records/:id/corrections", "correctRecord", func(c echo.Context) error {
		id, err := pathInt(c, "id")
		if err != nil {
			return err
		}
		in, err := readRecordInput(c)
		if err != nil {
			return err
		}
		rec, err := reg.CorrectRecord(c.Request().Context(), actor(c), id, in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, rec)
	})

	r.op(http.MethodGet, "/public/records", "lookUpPublicRecords", func(c echo.Context) error {
		page, err := reg.PublicLookup(c.Request().Context(), actor(c), c.RealIP(),
			registry.PublicLookupQuery{Q: c.QueryParam("q"), Cursor: c.QueryParam("cursor")})
		if err != nil {
			return err
		}
		out := PublicRecordList{Records: page.Records}
		if page.Next != "" {
			out.Next = &page.Next
		}
		// Encoded whole, then written once with its length: streamed, a
		// page of 20 records went out as several chunks, a system call
		// each, on the busiest anonymous operation.
		body, err := json.Marshal(out)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
		return c.JSONBlob(http.StatusOK, body)
	})

	r.op(http.MethodGet, "/events", "listEvents", func(c echo.Context) error {
		var f registry.EventFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		evs, err := reg.Events(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, EventList{Events: evs})
	})
	r.op(http.MethodGet, "/query-log", "listQueryLog", func(c echo.Context) error {
		var f registry.QueryFilter
		if err := bindQuery(c, &f); err != nil {
			return err
		}
		qs, err := reg.QueryLog(c.Request().Context(), actor(c), f)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, QueryList{Queries: qs})
	})
}

// importRecords imports a CSV or JSON-lines file (?format= or the
// Content-Type): all or nothing; a refused import is answered with its
// report.
func (s *Server) importRecords(c echo.Context) error {
	var q struct {
		Format     string `query:"format"`
		ProviderID int64  `query:"provider_id"`
	}
	if err := bindQuery(c, &q); err != nil {
		return err
	}
	if q.Format == "" {
		switch ct := c.Request().Header.Get(echo.HeaderContentType); {
		case strings.HasPrefix(ct, "text/csv"):
			q.Format = records.FormatCSV
		case strings.HasPrefix(ct, "application/jsonl"), strings.HasPrefix(ct, "application/x-ndjson"):
			q.Format = records.FormatJSONL
		}
	}
	rep, err := s.app.Registry.ImportRecords(c.Request().Context(), actor(c),
		registry.Import{Format: q.Format, ProviderID: q.ProviderID, File: c.Request().Body})
	var rej *registry.ImportRejection
	if errors.As(err, &rej) {
		p := ProblemOf(rej.Refusal, c.Request().Header.Get("Accept-Language"))
		p.Instance, p.RequestID = c.Request().URL.Path, c.Response().Header().Get(echo.HeaderXRequestID)
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		return c.JSON(p.Status, ImportProblem{Problem: p, Report: rej.Report})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, rep)
}

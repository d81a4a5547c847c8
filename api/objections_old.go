package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/evidence"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/workflows"
)

// Time limits of the calls a handler makes to Temporal.
const (
	engineTimeout = 20 * time.Second // start, update
	queryTimeout  = 5 * time.Second  // live state for the detail page
)

// Bounds of a filing.
const (
	maxGrounds      = 20
	maxGroundRunes  = 500
	maxStatement    = 5000
	maxUploadFiles  = 20
	caseNoPrefix    = "YY"
	uniqueOpenIndex = "cases_one_open_objection"
)

// caseStaff may see every case; the parties see their own.
var caseRoles = []auth.Role{auth.Subject, auth.Provider, auth.Caseworker, auth.Supervisor}

var caseStatuses = []string{workflows.StatusOpen, workflows.StatusClosed, workflows.StatusWithdrawn}

// CaseSummary is a case as the projection holds it, with its next
// deadline: a row of an inbox or list.
type CaseSummary struct {
	CaseNo          string     `json:"case_no"`
	Kind            string     `json:"kind"`
	RecordID        int64      `json:"record_id"`
	SubjectID       int64      `json:"subject_id"`
	ProviderID      int64      `json:"provider_id"`
	ProfileID       string     `json:"profile_id"`
	ProfileVersion  string     `json:"profile_version"`
	Stage           string     `json:"stage"`
	Status          string     `json:"status"`
	Outcome         string     `json:"outcome,omitempty"`
	NextDueAt       *time.Time `json:"next_due_at,omitempty"`
	NextRule        string     `json:"next_rule,omitempty"`
	NextParty       string     `json:"next_party,omitempty"`
	NextExplanation string     `json:"next_explanation,omitempty"`
	OpenedAt        time.Time  `json:"opened_at"`
	AcceptedAt      *time.Time `json:"accepted_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

const caseColumns = `c.case_no, c.kind, c.record_id, c.subject_id, c.provider_id, c.profile_id, c.profile_version,
	c.stage, c.status, c.outcome, c.next_due_at, c.next_rule, coalesce(d.party, ''), coalesce(d.explanation, ''),
	c.opened_at, c.accepted_at, c.closed_at, c.updated_at
	FROM cases c LEFT JOIN LATERAL (
		SELECT party, explanation FROM case_deadlines d
		WHERE d.case_no = c.case_no AND d.state = 'pending' ORDER BY d.due_at LIMIT 1) d ON true`

func scanCase(row pgx.Row) (CaseSummary, error) {
	var cs CaseSummary
	err := row.Scan(&cs.CaseNo, &cs.Kind, &cs.RecordID, &cs.SubjectID, &cs.ProviderID, &cs.ProfileID, &cs.ProfileVersion,
		&cs.Stage, &cs.Status, &cs.Outcome, &cs.NextDueAt, &cs.NextRule, &cs.NextParty, &cs.NextExplanation,
		&cs.OpenedAt, &cs.AcceptedAt, &cs.ClosedAt, &cs.UpdatedAt)
	return cs, err
}

// caseVisible reports whether a may see the case: its own (subject), about
// a record it supplied (provider), any (centre staff).
func caseVisible(a auth.Account, cs CaseSummary) bool {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return cs.SubjectID == a.SubjectID
	case auth.Provider:
		return cs.ProviderID == a.ProviderID
	}
	return false
}

func actorOf(a auth.Account) workflows.Actor {
	return workflows.Actor{Name: a.Username, Role: string(a.Role)}
}

type upload struct {
	field string
	name  string
	data  []byte
}

// readUploads reads the "file" parts of form.
func readUploads(form *multipart.Form) ([]upload, error) {
	for k := range form.File {
		if k != evidence.FieldFile {
			return nil, invalid([]records.FieldError{{Field: k, Code: "unknown", ZH: "文件应放在 file 字段", EN: "send files as \"file\" parts"}})
		}
	}
	hs := form.File[evidence.FieldFile]
	if len(hs) > maxUploadFiles {
		return nil, invalid([]records.FieldError{{Field: evidence.FieldFile, Code: "count",
			ZH: fmt.Sprintf("一次最多上传 %d 份文件", maxUploadFiles), EN: fmt.Sprintf("at most %d files at once", maxUploadFiles)}})
	}
	out := make([]upload, 0, len(hs))
	for i, h := range hs {
		f, err := h.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, upload{field: fmt.Sprintf("%s[%d]", evidence.FieldFile, i), name: h.Filename, data: data})
	}
	return out, nil
}

// checkUploads applies the per-file checks (type sniffed from the content,
// size) to every file before anything is stored.
func checkUploads(files []upload, lim evidence.Limits) ([]upload, error) {
	var fe []Field
	for _, f := range files {
		if _, err := evidence.Check(f.name, f.data, lim); err != nil {
			e, ok := evidence.AsError(err)
			if !ok {
				return nil, err
			}
			fe = append(fe, Field{Name: f.field, Code: string(e.Code), Message: Message{ZH: e.Zh, EN: e.En}})
		}
	}
	if len(fe) > 0 {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-evidence",
			Title:  Message{ZH: "证据材料不符合要求", EN: "Evidence refused"},
			Detail: Message{ZH: "请按字段错误更换文件后重新提交，未作任何更改", EN: "Replace the files listed and resubmit; nothing was changed"},
			Fields: fe}
	}
	return files, nil
}

func evidenceErr(err error, field string) error {
	e, ok := evidence.AsError(err)
	if !ok {
		return err
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid-evidence",
		Title:  Message{ZH: "证据材料不符合要求", EN: "Evidence refused"},
		Fields: []Field{{Name: field, Code: string(e.Code), Message: Message{ZH: e.Zh, EN: e.En}}}}
}

func (s *Server) evidenceStore() *evidence.Store { return evidence.NewStore(s.Pool, evidence.Limits{}) }

func (s *Server) documentStore() *documents.Store { return documents.NewStore(s.Pool) }

// caseProfile is the policy profile a case on rec runs under: the record's
// own, or the configured default.
func (s *Server) caseProfile(rec records.Record) (*policy.Profile, error) {
	if rec.ProfileID == "" {
		return s.records.Profile(), nil
	}
	p, err := policy.Default().Get(rec.ProfileID)
	if err != nil {
		return nil, fmt.Errorf("record %d names profile %q: %w", rec.ID, rec.ProfileID, err)
	}
	return p, nil
}

// ---- lists ----

// CasePage is a page of cases.
type CasePage struct {
	Cases    []CaseSummary `json:"cases"`
	Page     int           `json:"page"`
	Limit    int           `json:"limit"`
	NextPage int           `json:"next_page,omitempty"`
}

const defaultCasePage = 50

// ---- detail ----

// CaseDeadline is a deadline of a case as stored: its rule, how it was
// counted and explained, and what became of it.
type CaseDeadline struct {
	Rule            string     `json:"rule"`
	Seq             int        `json:"seq"`
	Party           string     `json:"party"`
	StartsAt        time.Time  `json:"starts_at"`
	N               int        `json:"n"`
	Unit            string     `json:"unit"`
	ExtraWD         int        `json:"extra_wd"`
	DueDate         string     `json:"due_date"`
	DueAt           time.Time  `json:"due_at"`
	RemindAt        *time.Time `json:"remind_at,omitempty"`
	CalendarVersion string     `json:"calendar_version"`
	Provisional     bool       `json:"provisional"`
	Explanation     string     `json:"explanation"`
	Source          string     `json:"source"`
	State           string     `json:"state"` // pending | met | missed | superseded | cancelled
	SettledAt       *time.Time `json:"settled_at,omitempty"`
	Reason          string     `json:"reason,omitempty"`
}

// CaseEvent is an entry of the case's append-only event log.
type CaseEvent struct {
	Seq    int             `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Role   string          `json:"role"`
	Action string          `json:"action"`
	Reason string          `json:"reason,omitempty"`
	Data   json.RawMessage `json:"data"`
}

func (s *Server) caseDeadlines(ctx context.Context, caseNo string) ([]CaseDeadline, error) {
	rows, err := s.Pool.Query(ctx, `SELECT rule_id, seq, party, starts_at, n, unit, extra_wd, due_date, due_at, remind_at,
		calendar_version, provisional, explanation, source, state, settled_at, reason
		FROM case_deadlines WHERE case_no = $1 ORDER BY starts_at, rule_id, seq`, caseNo)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseDeadline, error) {
		var d CaseDeadline
		var due time.Time
		err := r.Scan(&d.Rule, &d.Seq, &d.Party, &d.StartsAt, &d.N, &d.Unit, &d.ExtraWD, &due, &d.DueAt, &d.RemindAt,
			&d.CalendarVersion, &d.Provisional, &d.Explanation, &d.Source, &d.State, &d.SettledAt, &d.Reason)
		d.DueDate = due.Format(time.DateOnly)
		return d, err
	})
	return nonNil(out), err
}

func (s *Server) caseEvents(ctx context.Context, caseNo string) ([]CaseEvent, error) {
	rows, err := s.Pool.Query(ctx, `SELECT seq, at, actor, role, action, reason, data FROM case_events WHERE case_no = $1 ORDER BY at, seq`, caseNo)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CaseEvent, error) {
		var e CaseEvent
		return e, r.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &e.Action, &e.Reason, &e.Data)
	})
	return nonNil(out), err
}

// documentReadable reports whether a may read a document addressed to
// recipient: centre staff all, the parties those addressed to them.
func documentReadable(a auth.Account, recipient documents.Role) bool {
	switch a.Role {
	case auth.Caseworker, auth.Supervisor:
		return true
	case auth.Subject:
		return recipient == documents.RoleSubject || recipient == documents.RolePublic
	case auth.Provider:
		return recipient == documents.RoleProvider || recipient == documents.RolePublic
	}
	return false
}

func (s *Server) readableDocuments(ctx context.Context, a auth.Account, caseNo string) ([]documents.Meta, error) {
	all, err := s.documentStore().ListDocuments(ctx, caseNo)
	if err != nil {
		return nil, err
	}
	out := make([]documents.Meta, 0, len(all))
	for _, m := range all {
		if documentReadable(a, m.Recipient) {
			out = append(out, m)
		}
	}
	return out, nil
}

// ---- documents ----

// serveDocumentList answers the documents of a case the caller may read.
func (s *Server) serveDocumentList(c echo.Context, a auth.Account, caseNo string) error {
	out, err := s.readableDocuments(c.Request().Context(), a, caseNo)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"documents": out})
}

// serveDocument serves a written notice of case caseNo as PDF (default) or
// HTML (?format=html) to the parties it is addressed to and to centre
// staff; every download is written to the audit trail. A document of
// another case, or one not addressed to the caller, is 404.
func (s *Server) serveDocument(c echo.Context, a auth.Account, caseNo string) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "pdf"
	}
	if format != "pdf" && format != "html" {
		return badParam("format", "应为 pdf 或 html", "must be pdf or html")
	}
	ctx := c.Request().Context()
	d, err := s.documentStore().GetDocument(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && d.CaseRef != caseNo) {
		return notFound()
	}
	if err != nil {
		return err
	}
	if !documentReadable(a, d.Recipient) {
		return s.deny(c, http.StatusNotFound, "document", strconv.FormatInt(id, 10))
	}
	if err := audit.Write(ctx, s.Pool, a.Actor(), audit.Event{Action: "document.read", ObjectType: "document",
		ObjectID: strconv.FormatInt(id, 10), Data: map[string]any{"case_no": caseNo, "kind": d.Kind, "format": format}}); err != nil {
		return err
	}
	if format == "html" {
		c.Response().Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:")
		return sendFileOld(c, "text/html; charset=utf-8", d.Number+".html", d.HTML)
	}
	return sendFileOld(c, "application/pdf", d.Number+".pdf", d.PDF)
}

// sendFile answers a download with its type and an attachment name.
func sendFileOld(c echo.Context, contentType, name string, data []byte) error {
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, contentType, data)
}

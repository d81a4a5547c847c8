// Package audit writes and reads the audit trail: the append-only event log
// (every change and every refused attempt: who, role, when, what, why,
// request ID) and the query log (every read of a record that is not public,
// with its purpose). Both tables refuse UPDATE, DELETE and TRUNCATE in the
// database itself and are kept at least 5 years (Nanning art. 18); see
// internal/db/migrations/00004_audit.sql.
//
// Writers take the caller's transaction, so an event is written exactly
// when the change it describes is committed.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/creditcase/creditcase/internal/reqid"
)

// DB is what the writers need: a pool, a connection or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Actor is who acts: an account, or the public (AccountID 0).
type Actor struct {
	AccountID int64  `json:"account_id,omitempty"`
	Username  string `json:"actor"`
	Role      string `json:"role"`
}

// Public is the actor of anonymous requests.
var Public = Actor{Username: "public", Role: "public"}

// System is the actor of changes made by the system itself (seeding,
// sweeps).
var System = Actor{Username: "system", Role: "system"}

// Event is one entry of the event log. Data must not hold unmasked
// personal data beyond what the change itself concerns.
type Event struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	Actor      Actor          `json:"actor"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type,omitempty"`
	ObjectID   string         `json:"object_id,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	RequestID  string         `json:"request_id,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// Actions written by the stores and the API.
const (
	ActionDenied          = "access.denied"
	ActionSessionCreated  = "session.created"
	ActionSessionEnded    = "session.ended"
	ActionTokenIssued     = "token.issued"
	ActionAccountCreated  = "account.created"
	ActionProviderCreated = "provider.created"
	ActionSubjectCreated  = "subject.created"
	ActionRecordCreated   = "record.created"
	ActionRecordCorrected = "record.corrected"
	ActionRecordsImported = "records.imported"
)

// Write appends ev, done by actor, with the request ID from ctx.
func Write(ctx context.Context, db DB, actor Actor, ev Event) error {
	data := ev.Data
	if data == nil {
		data = map[string]any{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `
		INSERT INTO audit_events (account_id, actor, role, action, object_type, object_id, reason, request_id, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		nullID(actor.AccountID), actor.Username, actor.Role, ev.Action, ev.ObjectType, ev.ObjectID, ev.Reason, reqid.From(ctx), raw)
	return err
}

// LogQueries appends one query-log row per record read by actor for
// purpose. Callers pass only the non-public records they served.
func LogQueries(ctx context.Context, db DB, actor Actor, recordIDs []int64, purpose string) error {
	if len(recordIDs) == 0 {
		return nil
	}
	_, err := db.Exec(ctx, `
		INSERT INTO query_log (account_id, actor, role, record_id, purpose, request_id)
		SELECT $1, $2, $3, r, $5, $6 FROM unnest($4::bigint[]) AS r`,
		nullID(actor.AccountID), actor.Username, actor.Role, recordIDs, purpose, reqid.From(ctx))
	return err
}

// Lookup is a public lookup to log: how it looked (Kind, e.g.
// "person_id"), what was asked (Query, masked by the caller), the subject
// it found (0 = none), the records served and the client's address.
type Lookup struct {
	Kind      string
	Query     string
	SubjectID int64
	RecordIDs []int64
	Client    string
	Purpose   string
}

// LogLookup appends one query-log row per record a lookup served, or one
// row without a record when it served none, so every lookup is on file.
func LogLookup(ctx context.Context, db DB, actor Actor, l Lookup) error {
	lookup := l.Kind + ":" + l.Query
	ids := l.RecordIDs
	if len(ids) == 0 {
		ids = []int64{0}
	}
	_, err := db.Exec(ctx, `
		INSERT INTO query_log (account_id, actor, role, record_id, subject_id, purpose, request_id, client, lookup)
		SELECT $1, $2, $3, nullif(r, 0), $5, $6, $7, $8, $9 FROM unnest($4::bigint[]) AS r`,
		nullID(actor.AccountID), actor.Username, actor.Role, ids, nullID(l.SubjectID), l.Purpose, reqid.From(ctx), l.Client, lookup)
	return err
}

// LookupLogStatement is LogLookup as a data-modifying statement for the
// caller to run inside its own query (a WITH clause), so that a lookup and
// its entry in the log are one statement, one round trip, one
// transaction: idsExpr is an SQL expression of the served record IDs
// (bigint[], empty or NULL: none) and subjectExpr one of the subject's ID
// (NULL: none found); the statement's parameters are numbered from first
// and their values are returned. l.RecordIDs and l.SubjectID are not used.
func LookupLogStatement(ctx context.Context, actor Actor, l Lookup, idsExpr, subjectExpr string, first int) (string, []any) {
	p := func(i int) string { return fmt.Sprintf("$%d", first+i) }
	sql := `INSERT INTO query_log (account_id, actor, role, record_id, subject_id, purpose, request_id, client, lookup)
		SELECT ` + p(0) + `::bigint, ` + p(1) + `, ` + p(2) + `, nullif(r, 0), ` + subjectExpr + `, ` + p(3) + `, ` + p(4) + `, ` + p(5) + `, ` + p(6) + `
		FROM unnest(CASE WHEN cardinality(` + idsExpr + `) > 0 THEN ` + idsExpr + ` ELSE '{0}'::bigint[] END) AS r`
	return sql, []any{nullID(actor.AccountID), actor.Username, actor.Role, l.Purpose, reqid.From(ctx), l.Client, l.Kind + ":" + l.Query}
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// EventFilter selects events, newest first. Zero fields select all.
type EventFilter struct {
	Action     string
	ObjectType string
	ObjectID   string
	AccountID  int64
	// Before is a keyset cursor: only events with a smaller ID.
	Before int64
	Limit  int
}

// Events lists events matching f, newest first.
func Events(ctx context.Context, db DB, f EventFilter) ([]Event, error) {
	rows, err := db.Query(ctx, `
		SELECT id, at, coalesce(account_id, 0), actor, role, action, object_type, object_id, reason, request_id, data
		FROM audit_events
		WHERE ($1 = '' OR action = $1)
		  AND ($2 = '' OR object_type = $2)
		  AND ($3 = '' OR object_id = $3)
		  AND ($4 = 0 OR account_id = $4)
		  AND ($5 = 0 OR id < $5)
		ORDER BY id DESC LIMIT $6`,
		f.Action, f.ObjectType, f.ObjectID, f.AccountID, f.Before, limit(f.Limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		err := r.Scan(&e.ID, &e.At, &e.Actor.AccountID, &e.Actor.Username, &e.Actor.Role, &e.Action,
			&e.ObjectType, &e.ObjectID, &e.Reason, &e.RequestID, &e.Data)
		return e, err
	})
}

// Query is one query-log row.
type Query struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Actor     Actor     `json:"actor"`
	RecordID  int64     `json:"record_id,omitempty"`
	Purpose   string    `json:"purpose"`
	RequestID string    `json:"request_id,omitempty"`
	// A public lookup: the subject found, the lookup (kind:masked query)
	// and the client's address.
	SubjectID int64  `json:"subject_id,omitempty"`
	Lookup    string `json:"lookup,omitempty"`
	Client    string `json:"client,omitempty"`
}

// QueryFilter selects query-log rows, newest first.
type QueryFilter struct {
	RecordID  int64
	AccountID int64
	Before    int64
	Limit     int
}

// Queries lists query-log rows matching f, newest first.
func Queries(ctx context.Context, db DB, f QueryFilter) ([]Query, error) {
	rows, err := db.Query(ctx, `
		SELECT id, at, coalesce(account_id, 0), actor, role, coalesce(record_id, 0), purpose, request_id,
			coalesce(subject_id, 0), lookup, client
		FROM query_log
		WHERE ($1 = 0 OR record_id = $1)
		  AND ($2 = 0 OR account_id = $2)
		  AND ($3 = 0 OR id < $3)
		ORDER BY id DESC LIMIT $4`,
		f.RecordID, f.AccountID, f.Before, limit(f.Limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Query, error) {
		var q Query
		err := r.Scan(&q.ID, &q.At, &q.Actor.AccountID, &q.Actor.Username, &q.Actor.Role, &q.RecordID, &q.Purpose, &q.RequestID,
			&q.SubjectID, &q.Lookup, &q.Client)
		return q, err
	})
}

// MaxPage is the largest page a list returns.
const MaxPage = 500

func limit(n int) int {
	if n <= 0 {
		return 50
	}
	if n > MaxPage {
		return MaxPage
	}
	return n
}

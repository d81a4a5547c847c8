// Package dataerror decides, in one place, whether an activity's error is
// about the data the step works on — a row that breaks a constraint, a
// value PostgreSQL cannot read, stored JSON that does not decode, a row
// the step needs that is not there — or about the infrastructure (the
// database unreachable, a serialization failure or deadlock, a timeout).
//
// Retrying a data error never helps: the same row fails the same way on
// every attempt, and the case would sit retrying for ever. Classify turns
// it into a non-retryable application error whose type says which kind of
// data error it is and whose message is safe to show and to keep in
// workflow history: it names the SQLSTATE, the constraint, table and
// column, never the offending value (an ID number or a name could be in
// it). The case workflow then puts the case before the supervisors
// (workflows: the step is escalated) instead of retrying. Infrastructure
// errors stay retryable: a database outage delays a case, it never stops
// it.
package dataerror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
)

// Types of data errors: the Type of the non-retryable application error.
const (
	// Constraint: the write breaks a constraint (SQLSTATE class 23:
	// not-null, foreign key, unique, check, exclusion).
	Constraint = "data-constraint"
	// Invalid: PostgreSQL cannot take or read a value (class 22: invalid
	// text representation, value too long, out of range, bad encoding…).
	Invalid = "data-invalid"
	// Decode: stored data does not decode into what the step reads (JSON,
	// a column scanned into the wrong type or a NULL).
	Decode = "data-decode"
	// Missing: a row the step needs is not there.
	Missing = "data-missing"
)

// Types lists every type Classify gives, for the workflows and the pages
// that explain an escalated step.
var Types = []string{Constraint, Invalid, Decode, Missing}

// IsType reports whether t is one of the types Classify gives.
func IsType(t string) bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}

// Classify returns err unchanged when it is nil, already an application
// error (an activity's own typed refusal), or an infrastructure error;
// a data error becomes a non-retryable application error of one of the
// Types with a safe message (no values, no cause attached: the cause's
// text could carry personal data into history).
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return err
	}
	typ, msg, ok := Of(err)
	if !ok {
		return err
	}
	return temporal.NewNonRetryableApplicationError(msg, typ, nil)
}

// Of classifies err: its data-error type and safe message, or ok false
// for an error that is not about the data (retry it).
func Of(err error) (typ, msg string, ok bool) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "", "", false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return ofPg(pe)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Missing, "a row the step needs does not exist", true
	}
	var syn *json.SyntaxError
	var ute *json.UnmarshalTypeError
	var scan pgx.ScanArgError
	var scanp *pgx.ScanArgError
	switch {
	case errors.As(err, &syn):
		return Decode, fmt.Sprintf("stored JSON does not decode (syntax error at offset %d)", syn.Offset), true
	case errors.As(err, &ute):
		where := ute.Field
		if where == "" {
			where = "the document"
		}
		return Decode, fmt.Sprintf("stored JSON does not decode: %s holds a %s where %s is expected", where, ute.Value, ute.Type), true
	case errors.As(err, &scan):
		return Decode, fmt.Sprintf("column %d of a stored row cannot be read", scan.ColumnIndex), true
	case errors.As(err, &scanp):
		return Decode, fmt.Sprintf("column %d of a stored row cannot be read", scanp.ColumnIndex), true
	}
	return "", "", false
}

// ofPg classifies a PostgreSQL error by its SQLSTATE: class 23 and 22 are
// data errors; everything else (40001 serialization failure, 40P01
// deadlock, 08 connection, 53 resources, 57 operator intervention, 42
// a schema not yet migrated…) is retried.
func ofPg(pe *pgconn.PgError) (string, string, bool) {
	if len(pe.Code) != 5 {
		return "", "", false
	}
	var typ string
	switch pe.Code[:2] {
	case "23":
		typ = Constraint
	case "22":
		typ = Invalid
	default:
		return "", "", false
	}
	what, ok := sqlstateWords[pe.Code]
	if !ok {
		what = "integrity constraint violation"
		if typ == Invalid {
			what = "data exception"
		}
	}
	var where []string
	if pe.ConstraintName != "" {
		where = append(where, "constraint "+pe.ConstraintName)
	}
	if pe.TableName != "" {
		where = append(where, "table "+pe.TableName)
	}
	if pe.ColumnName != "" {
		where = append(where, "column "+pe.ColumnName)
	}
	if pe.DataTypeName != "" {
		where = append(where, "type "+pe.DataTypeName)
	}
	msg := fmt.Sprintf("%s (SQLSTATE %s)", what, pe.Code)
	if len(where) > 0 {
		msg = fmt.Sprintf("%s (SQLSTATE %s: %s)", what, pe.Code, strings.Join(where, ", "))
	}
	return typ, msg, true
}

// sqlstateWords names the common data errors; their PostgreSQL messages
// quote the offending value, so they are never used.
var sqlstateWords = map[string]string{
	"23502": "a required value is missing (not-null violation)",
	"23503": "a referenced row does not exist (foreign key violation)",
	"23505": "a value that must be unique is taken (unique violation)",
	"23514": "a value breaks a check (check violation)",
	"23P01": "a value overlaps another (exclusion violation)",
	"22P02": "a value has the wrong form (invalid text representation)",
	"22001": "a value is too long (string data right truncation)",
	"22003": "a number is out of range",
	"22007": "a date or time has the wrong form",
	"22008": "a date or time is out of range",
	"22012": "division by zero",
	"22021": "a character is not valid in the encoding",
	"22P05": "a character cannot be stored (untranslatable character)",
	"22023": "a parameter value is invalid",
	"22004": "a null value is not allowed",
	"22P04": "bad copy file format",
}

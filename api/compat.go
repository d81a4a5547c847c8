package api

import (
	"net/http"

	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Message is a text in both languages the API speaks.
type Message = refusal.Text

// Field is a field error before its language is chosen.
type Field struct {
	Name    string
	Code    string
	Message Message
}

// Error is an error a handler returns to answer with a problem; it becomes
// a refusal of kind Code.
type Error struct {
	Status int
	Code   string
	Title  Message
	Detail Message
	Fields []Field
	Cause  error
}

func (e *Error) Error() string { return e.refusal().Error() }

func (e *Error) Unwrap() error { return e.refusal() }

func (e *Error) refusal() *refusal.Error {
	k := refusal.Kind(e.Code)
	if !refusal.Known(k) {
		switch e.Status {
		case http.StatusConflict:
			k = refusal.Conflict
		case http.StatusUnprocessableEntity:
			k = refusal.InvalidInput
		case http.StatusBadRequest:
			k = refusal.InvalidParameter
		case http.StatusNotFound:
			k = refusal.NotFound
		case http.StatusForbidden:
			k = refusal.Forbidden
		case http.StatusServiceUnavailable:
			k = refusal.EngineUnavailable
		default:
			k = refusal.Internal
		}
	}
	r := &refusal.Error{Kind: k, Title: e.Title, Detail: e.Detail, Cause: e.Cause}
	for _, f := range e.Fields {
		r.Fields = append(r.Fields, refusal.Field{Name: f.Name, Code: f.Code, Message: f.Message})
	}
	return r
}

func invalid(fields []records.FieldError) error {
	fe := make([]refusal.Field, 0, len(fields))
	for _, f := range fields {
		fe = append(fe, refusal.Field{Name: f.Field, Code: f.Code, Message: refusal.T(f.ZH, f.EN)})
	}
	return refusal.Invalid(fe...)
}

func badParam(name, zh, en string) error {
	return refusal.BadParam(name, "format", refusal.T(zh, en))
}

func notFound() error { return refusal.NotFoundErr() }

func unauthenticated() error { return refusal.Unauth() }

func engineUnavailable(err error) error { return refusal.Unavailable(refusal.EngineUnavailable, err) }

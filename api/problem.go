package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
)

// Problem is an RFC 9457 problem detail, the body of every error answer.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError says which input field is wrong and why, in the language the
// client asked for (Accept-Language: zh or en) with a stable code.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Message is a text in both languages the API speaks.
type Message struct{ ZH, EN string }

// In picks the language for an Accept-Language header: Chinese unless the
// client prefers English.
func (m Message) In(acceptLanguage string) string {
	if prefersEnglish(acceptLanguage) {
		return m.EN
	}
	return m.ZH
}

func prefersEnglish(h string) bool {
	for _, part := range strings.Split(h, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return false
		case strings.HasPrefix(tag, "en"):
			return true
		}
	}
	return false
}

// Error is an error a handler returns to answer with a problem.
type Error struct {
	Status int
	Code   string // becomes the problem type: /problems/<code>
	Title  Message
	Detail Message
	Fields []Field
	// Cause is logged, never sent.
	Cause error
}

// Field is a field error before its language is chosen.
type Field struct {
	Name    string
	Code    string
	Message Message
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Title.EN + ": " + e.Cause.Error()
	}
	return e.Title.EN
}

func (e *Error) Unwrap() error { return e.Cause }

// errorHandler answers every error with problem+json. Errors it does not know
// are logged with the request ID and answered with a plain 500: internal
// details never reach the client.
func errorHandler(log zerolog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		lang := c.Request().Header.Get("Accept-Language")
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		p := Problem{Instance: c.Request().URL.Path, RequestID: rid}
		var ae *Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ae):
			p.Status = ae.Status
			p.Type = "/problems/" + ae.Code
			p.Title = ae.Title.In(lang)
			p.Detail = ae.Detail.In(lang)
			for _, f := range ae.Fields {
				p.Errors = append(p.Errors, FieldError{Field: f.Name, Code: f.Code, Message: f.Message.In(lang)})
			}
			if ae.Status >= 500 {
				log.Error().Err(err).Str("request_id", rid).Str("route", c.Path()).Msg("request failed")
			}
		case errors.As(err, &he):
			p.Status = he.Code
			p.Type = "about:blank"
			p.Title = http.StatusText(he.Code)
			if he.Code >= 500 {
				log.Error().Err(err).Str("request_id", rid).Str("route", c.Path()).Msg("request failed")
			}
		default:
			log.Error().Err(err).Str("request_id", rid).Str("route", c.Path()).Msg("request failed")
			p.Status = http.StatusInternalServerError
			p.Type = "/problems/internal"
			p.Title = Message{ZH: "服务器内部错误", EN: "Internal server error"}.In(lang)
			p.Detail = Message{
				ZH: "请求未能完成，未作任何更改。请凭请求编号联系管理员。",
				EN: "The request could not be completed and nothing was changed. Quote the request ID to the operator.",
			}.In(lang)
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(p.Status)
			return
		}
		if werr := c.JSON(p.Status, p); werr != nil {
			log.Error().Err(werr).Str("request_id", rid).Msg("write problem response")
		}
	}
}

package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/caseno"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/refusal"
)

// Problem is an RFC 9457 problem detail, the body of every error answer:
// the problem type (/problems/<kind>, whose HTTP status is fixed by the
// table in package refusal and README.md), what to do or when it becomes
// possible (detail), the fields at fault and the typed details of the
// refusal.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
	// Typed details of a refusal.
	Stage         string     `json:"stage,omitempty"`
	AllowedStages []string   `json:"allowed_stages,omitempty"`
	PossibleFrom  *time.Time `json:"possible_from,omitempty"`
	WindowEnded   *time.Time `json:"window_ended,omitempty"`
	Unanswered    []string   `json:"unanswered,omitempty"`
	CaseNo        string     `json:"case_no,omitempty"`
	// CaseURL is where the case named by case_no is read (the API path).
	CaseURL string `json:"case_url,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Profile string `json:"profile,omitempty"`
	Instead string `json:"instead,omitempty"`
}

// FieldError says which input field is wrong and why, in the language the
// client asked for (Accept-Language: zh or en) with a stable code.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ProblemOf renders a refusal for a client speaking lang.
func ProblemOf(r *refusal.Error, lang string) Problem {
	p := Problem{
		Type: "/problems/" + string(r.Kind), Title: r.Title.In(lang), Status: r.Status(), Detail: r.Detail.In(lang),
		Stage: r.Stage, AllowedStages: r.AllowedStages, PossibleFrom: r.PossibleFrom, WindowEnded: r.WindowEnded,
		Unanswered: r.Unanswered, CaseNo: r.CaseNo, CaseURL: caseURL(r.CaseNo), Rule: r.Rule, Profile: r.Profile, Instead: r.Instead,
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	for _, f := range r.Fields {
		p.Errors = append(p.Errors, FieldError{Field: f.Name, Code: f.Code, Message: f.Message.In(lang)})
	}
	return p
}

// caseURL is the API path of case no ("" when no is not a case number).
func caseURL(no string) string {
	p, ok := caseno.Parse(no)
	if !ok {
		return ""
	}
	switch p.Prefix {
	case caseno.Objection:
		return "/api/v1/objections/" + no
	case caseno.Repair:
		return "/api/v1/repairs/" + no
	case caseno.Listing:
		return "/api/v1/listings/" + no
	}
	return ""
}

// errorHandler answers every error with problem+json. A refusal is
// rendered as it is; Echo's own errors (no route, method, body too large)
// become their problem types; anything else is logged with the request ID
// and answered 503 or 500 without internal details.
func errorHandler(log zerolog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		lang := c.Request().Header.Get("Accept-Language")
		rid := c.Response().Header().Get(echo.HeaderXRequestID)
		var he *echo.HTTPError
		var r *refusal.Error
		switch {
		case errors.As(err, &r):
		case errors.As(err, &he):
			r = echoRefusal(he)
		default:
			r, _ = refusal.As(faults.Refusal(err))
		}
		if r.Status() >= 500 {
			log.Error().Err(err).Str("request_id", rid).Str("route", c.Path()).Str("problem", string(r.Kind)).Msg("request failed")
		}
		if r.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(r.RetryAfter.Seconds())+1))
		}
		p := ProblemOf(r, lang)
		p.Instance, p.RequestID = c.Request().URL.Path, rid
		m := c.Request().Method
		write := m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
		if o := r.Outcome(write, c.Request().Header.Get(idempotency.Header) != "").In(lang); o != "" {
			p.Detail = strings.TrimSpace(o + " " + p.Detail)
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

// echoRefusal maps Echo's own errors to problem types.
func echoRefusal(he *echo.HTTPError) *refusal.Error {
	switch he.Code {
	case http.StatusNotFound:
		e := refusal.NotFoundErr()
		e.Detail = refusal.T("没有这个地址；接口说明见 /api/v1/openapi.json", "No such path; the API is described at /api/v1/openapi.json")
		return e
	case http.StatusMethodNotAllowed:
		return &refusal.Error{Kind: refusal.MethodNotAllowed, Title: refusal.T("不支持该请求方法", "Method not allowed"),
			Detail: refusal.T("该地址不支持此方法；接口说明见 /api/v1/openapi.json", "This path does not take this method; see /api/v1/openapi.json")}
	case http.StatusRequestEntityTooLarge:
		return &refusal.Error{Kind: refusal.TooLarge, Title: refusal.T("请求体过大", "Request body too large"),
			Detail: refusal.T("请求体超过上限，未作任何更改", "The body is larger than the limit; nothing was changed")}
	case http.StatusUnsupportedMediaType:
		return &refusal.Error{Kind: refusal.UnsupportedMedia, Title: refusal.T("不支持的请求体类型", "Unsupported media type"),
			Detail: refusal.T("请按接口说明的 Content-Type 发送请求体", "Send the body with a Content-Type the operation takes")}
	case http.StatusUnauthorized:
		return refusal.Unauth()
	case http.StatusForbidden:
		return refusal.Deny("request")
	case http.StatusBadRequest:
		return refusal.BadParam("request", "format", refusal.T("请求格式有误", "the request is malformed"))
	}
	if he.Code >= 500 {
		return refusal.Internalf(he, "echo")
	}
	return &refusal.Error{Kind: refusal.InvalidParameter, Title: refusal.T("请求有误", "Bad request")}
}

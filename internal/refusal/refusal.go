// Package refusal is how the application core says no: a typed refusal with
// a problem type (Kind), texts in Chinese and English, the fields at fault
// and structured details (the stage the case is at and the stages that
// allow the step, when a window opens or ended, the points left unanswered,
// the case already under way). Every front end renders the same refusal:
// the JSON API as RFC 9457 problem+json with the HTTP status of Status, the
// web console as an error summary.
//
// The problem-type → status table (kinds below) is written once, here, and
// once in README.md ("Problems"); a test keeps the two in step.
package refusal

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Text is a message in both languages the system speaks.
type Text struct{ ZH, EN string }

// In picks the language for an Accept-Language header: Chinese unless the
// client prefers English.
func (t Text) In(acceptLanguage string) string {
	if PrefersEnglish(acceptLanguage) {
		return t.EN
	}
	return t.ZH
}

// T builds a Text.
func T(zh, en string) Text { return Text{ZH: zh, EN: en} }

// PrefersEnglish reports whether an Accept-Language header asks for English
// before Chinese.
func PrefersEnglish(h string) bool {
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

// Kind is a problem type; the problem's "type" member is /problems/<kind>.
type Kind string

// The problem types. Each has exactly one HTTP status (Status).
const (
	// Input the caller must correct.
	InvalidInput     Kind = "invalid-input"     // a body field is wrong (named in fields)
	InvalidParameter Kind = "invalid-parameter" // a query or path parameter is wrong (named)
	InvalidEvidence  Kind = "invalid-evidence"  // an uploaded file is refused (named)
	InvalidProposal  Kind = "invalid-proposal"  // a listing proposal fails its checks (named)
	Heavier          Kind = "heavier-than-proposed"
	RepairIneligible Kind = "repair-ineligible" // a repair condition is unmet; says from when
	TooSoon          Kind = "too-soon"          // a date before a rule allows it; says the rule and from when
	ImportRejected   Kind = "import-rejected"   // rows of an import are wrong; nothing imported
	UnreadableFile   Kind = "unreadable-file"   // an import file cannot be parsed at all
	TooLarge         Kind = "too-large"         // the body exceeds the limit
	UnsupportedMedia Kind = "unsupported-media-type"
	MethodNotAllowed Kind = "method-not-allowed"

	// Access.
	Unauthenticated Kind = "unauthenticated"
	BadCredentials  Kind = "bad-credentials"
	Forbidden       Kind = "forbidden"
	CSRF            Kind = "csrf"
	NotFound        Kind = "not-found"
	RateLimited     Kind = "rate-limited"

	// The state of a case (or record) forbids the step now.
	WrongStage       Kind = "wrong-stage"           // says the stage now and the stages that allow it
	Paused           Kind = "paused"                // the case clock is paused: resume first
	WindowClosed     Kind = "window-closed"         // says when the window ended
	AlreadyExtended  Kind = "already-extended"      // the overall limit was extended once
	AlreadyRequested Kind = "already-requested"     // the one-time notice was sent
	Duplicate        Kind = "duplicate"             // the same thing was received before
	Unanswered       Kind = "unanswered"            // names the points still unanswered
	CaseFinished     Kind = "case-finished"         // nothing more can happen in the case
	WorkflowLost     Kind = "workflow-lost"         // the case is not finished but its workflow is gone; a supervisor decides
	ObjectionOpen    Kind = "objection-open"        // names the open objection case
	RepairOpen       Kind = "repair-open"           // names the open repair case
	AlreadyListed    Kind = "already-listed"        // the records are listed or proposed already
	Conflict         Kind = "conflict"              // conflicts with existing data
	NoHandover       Kind = "no-handover"           // the profile hands no disagreement to the provider; says what applies
	CaseEscalated    Kind = "case-escalated"        // a step of the case stopped on a data error and waits for a supervisor
	InProgress       Kind = "request-in-progress"   // the same request (Idempotency-Key) is still running
	LetterPreparing  Kind = "letter-being-prepared" // the letter is numbered, its PDF not made yet; Retry-After

	// Idempotency keys.
	KeyReused Kind = "idempotency-key-reused" // the key was sent with another request

	// Ours.
	Internal          Kind = "internal"           // a fault of ours
	StepFailed        Kind = "step-failed"        // the case could not carry the step out; escalated
	EngineUnavailable Kind = "engine-unavailable" // Temporal cannot be reached
	ActivityFailing   Kind = "activity-failing"   // a step of the case keeps failing; says what the worker lacks
	DatabaseUnavail   Kind = "database-unavailable"
)

// Row is one line of the problem table.
type Row struct {
	Kind    Kind
	Status  int
	Meaning string
}

// table is THE problem-type → status table (mirrored in README.md).
var table = []Row{
	{InvalidInput, http.StatusUnprocessableEntity, "a body field is wrong; `errors` names each field and why"},
	{InvalidParameter, http.StatusBadRequest, "a query or path parameter is wrong; `errors` names it"},
	{InvalidEvidence, http.StatusUnprocessableEntity, "an uploaded file is refused (type, size, count); `errors` names it"},
	{InvalidProposal, http.StatusUnprocessableEntity, "a listing proposal fails its checks; `errors` names each"},
	{Heavier, http.StatusUnprocessableEntity, "a listing decision heavier than the proposal (行政处罚法 art. 45)"},
	{RepairIneligible, http.StatusUnprocessableEntity, "a repair condition is unmet; `errors` lists them, `possible_from` the date"},
	{TooSoon, http.StatusUnprocessableEntity, "a date is earlier than a rule allows; `rule` and `profile` name it, `possible_from` the earliest day"},
	{ImportRejected, http.StatusUnprocessableEntity, "rows of an import are wrong; nothing was imported"},
	{UnreadableFile, http.StatusBadRequest, "an import file cannot be parsed"},
	{TooLarge, http.StatusRequestEntityTooLarge, "the body is larger than the operation accepts"},
	{UnsupportedMedia, http.StatusUnsupportedMediaType, "the body's Content-Type is not one the operation takes"},
	{MethodNotAllowed, http.StatusMethodNotAllowed, "the path exists but not with this method"},
	{Unauthenticated, http.StatusUnauthorized, "log in or send a valid bearer token"},
	{BadCredentials, http.StatusUnauthorized, "wrong user name or password"},
	{Forbidden, http.StatusForbidden, "the role may not take this step (see `creditcase roles`)"},
	{CSRF, http.StatusForbidden, "a cookie session must echo the CSRF token"},
	{NotFound, http.StatusNotFound, "no such object, or not visible to the caller"},
	{RateLimited, http.StatusTooManyRequests, "too many requests; Retry-After says when to try again"},
	{WrongStage, http.StatusConflict, "the case is not at a stage that allows the step; `stage` and `allowed_stages` say"},
	{Paused, http.StatusConflict, "the case clock is paused; resume it first"},
	{WindowClosed, http.StatusConflict, "the window for the step has ended; `window_ended` says when"},
	{AlreadyExtended, http.StatusConflict, "the overall limit was already extended once"},
	{AlreadyRequested, http.StatusConflict, "the one-time notice (一次性告知) was already sent"},
	{Duplicate, http.StatusConflict, "the same submission was already received"},
	{Unanswered, http.StatusConflict, "representation points are unanswered; `unanswered` names them"},
	{CaseFinished, http.StatusConflict, "the case is finished; nothing more can be done in it"},
	{WorkflowLost, http.StatusConflict, "the case is not finished (e.g. an objection in its appeal window) but its workflow is gone (terminated, failed, history lost): the step cannot be taken, nothing was changed; `detail` says whether the supervisors were told; a person decides"},
	{ObjectionOpen, http.StatusConflict, "an objection on the record is already open; `case_no` names it"},
	{RepairOpen, http.StatusConflict, "a repair application on the record is already open; `case_no` names it"},
	{AlreadyListed, http.StatusConflict, "the records are listed or under another proposal"},
	{Conflict, http.StatusConflict, "conflicts with existing data or state"},
	{NoHandover, http.StatusConflict, "the case's profile does not hand a continued disagreement to the provider; `instead` names the step that applies"},
	{CaseEscalated, http.StatusConflict, "a step of the case stopped on a data error and is escalated; `detail` names it; a supervisor retries it or closes the case (`escalated` on the case)"},
	{InProgress, http.StatusConflict, "a request with the same `Idempotency-Key` is still running; repeat it in a moment"},
	{LetterPreparing, http.StatusConflict, "the letter is numbered and dated but its PDF is still being made; `Retry-After` says when to ask again"},
	{KeyReused, http.StatusUnprocessableEntity, "the `Idempotency-Key` was sent before with a different request"},
	{Internal, http.StatusInternalServerError, "a fault of ours; quote the request ID"},
	{StepFailed, http.StatusInternalServerError, "the case could not carry out the step; it is escalated to the supervisors"},
	{EngineUnavailable, http.StatusServiceUnavailable, "the workflow engine cannot be reached; try again later"},
	{ActivityFailing, http.StatusServiceUnavailable, "a step of the case keeps failing on the worker; `detail` says which and what it lacks (a font, a calendar year…); the case goes on once fixed"},
	{DatabaseUnavail, http.StatusServiceUnavailable, "the database cannot be reached; try again later"},
}

var statusOf = func() map[Kind]int {
	m := make(map[Kind]int, len(table))
	for _, r := range table {
		m[r.Kind] = r.Status
	}
	return m
}()

// Table returns the problem table, for the README and `creditcase` help.
func Table() []Row { return append([]Row(nil), table...) }

// Status is the HTTP status of kind; an unknown kind is a 500.
func Status(k Kind) int {
	if s, ok := statusOf[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Known reports whether k is in the table.
func Known(k Kind) bool { _, ok := statusOf[k]; return ok }

// Field says which input field is wrong and why.
type Field struct {
	Name    string // the field as the client spells it: "statement", "grounds[2]", "correction.title"
	Code    string // stable: required, length, control, utf8, enum, format, unknown…
	Message Text
}

// Error is a refusal. Nothing was changed when a use case returns one
// with a status below 500. A 5xx (a fault, an unreachable engine or
// database) says nothing was changed only when Unchanged is set: otherwise
// the outcome of a write is unknown and the client is told to repeat it
// with the same Idempotency-Key.
type Error struct {
	Kind   Kind
	Title  Text
	Detail Text // what to do, or when it becomes possible
	Fields []Field

	// Typed details; zero values are left out of the problem.
	Stage         string     // the stage the case is at
	AllowedStages []string   // the stages that allow the step
	PossibleFrom  *time.Time // when the step becomes possible
	WindowEnded   *time.Time // when the window for the step ended
	Unanswered    []string   // points still to be answered
	CaseNo        string     // the case concerned (an open one, for conflicts)
	Rule          string     // the profile's rule the refusal applies
	Profile       string     // the policy profile it comes from
	Instead       string     // the step that applies instead of the refused one
	RetryAfter    time.Duration

	// Unchanged: known that nothing was changed (a 5xx before any write
	// reached the database or the engine).
	Unchanged bool

	// Cause is logged, never shown.
	Cause error
}

func (e *Error) Error() string {
	msg := string(e.Kind) + ": " + e.Title.EN
	if e.Detail.EN != "" {
		msg += ": " + e.Detail.EN
	}
	if len(e.Fields) > 0 {
		parts := make([]string, 0, len(e.Fields))
		for _, f := range e.Fields {
			parts = append(parts, f.Name+" ("+f.Code+")")
		}
		msg += " [" + strings.Join(parts, ", ") + "]"
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Cause }

// Status is the HTTP status of the refusal.
func (e *Error) Status() int { return Status(e.Kind) }

// As returns the refusal in err's chain.
func As(err error) (*Error, bool) {
	var r *Error
	ok := errors.As(err, &r)
	return r, ok
}

// Is reports whether err is a refusal of kind k.
func Is(err error, k Kind) bool {
	r, ok := As(err)
	return ok && r.Kind == k
}

// ---- constructors for the common refusals ----

var (
	nothingChanged = T("请按字段错误修改后重新提交，未作任何更改", "Correct the fields listed and resubmit; nothing was changed")
)

// Invalid refuses input, naming every field at fault (422).
func Invalid(fields ...Field) *Error {
	return &Error{Kind: InvalidInput, Title: T("输入有误", "Invalid input"), Detail: nothingChanged, Fields: fields}
}

// BadParam refuses a query or path parameter (400).
func BadParam(name, code string, msg Text) *Error {
	return &Error{Kind: InvalidParameter, Title: T("参数无效", "Invalid parameter"),
		Detail: T("请更正所列参数后重试", "Correct the parameter listed and try again"),
		Fields: []Field{{Name: name, Code: code, Message: msg}}}
}

// BadParams refuses several parameters at once (400).
func BadParams(fields ...Field) *Error {
	e := BadParam("", "", Text{})
	e.Fields = fields
	return e
}

// Required is the field error of a missing value.
func Required(name string, msg Text) Field {
	if msg == (Text{}) {
		msg = T("必填", "required")
	}
	return Field{Name: name, Code: "required", Message: msg}
}

// NotFoundErr is the 404 refusal.
func NotFoundErr() *Error {
	return &Error{Kind: NotFound, Title: T("未找到", "Not found"),
		Detail: T("没有该对象，或您无权查看", "No such object, or you may not see it")}
}

// Unauth is the 401 refusal.
func Unauth() *Error {
	return &Error{Kind: Unauthenticated, Title: T("未登录", "Not logged in"),
		Detail: T("请先登录，或提供有效的访问令牌", "Log in, or send a valid bearer token")}
}

// Deny is the 403 refusal of a role that may not take a step.
func Deny(what string) *Error {
	return &Error{Kind: Forbidden, Title: T("无权操作", "Forbidden"),
		Detail: T("您的角色无权执行此操作（"+what+"）；请由有权限的角色办理", "Your role may not do this ("+what+"); ask a role that may")}
}

// Unavailable is the 503 refusal of an unreachable engine or database.
func Unavailable(k Kind, cause error) *Error {
	what := T("流程引擎暂时无法访问", "The workflow engine cannot be reached")
	if k == DatabaseUnavail {
		what = T("数据库暂时无法访问", "The database cannot be reached")
	}
	return &Error{Kind: k, Title: what,
		Detail: T("请稍后重试；如持续出现请联系管理员", "Try again in a moment; tell the operator if it persists"), Cause: cause}
}

// Outcome is what a 5xx answer says about the request's effect: nothing
// was changed (a read, or Unchanged), or the outcome is unknown and the
// request is safe to repeat only with the same Idempotency-Key.
func (e *Error) Outcome(write, keyed bool) Text {
	switch {
	case e.Status() < 500:
		return Text{}
	case !write || e.Unchanged:
		return T("未作任何更改。", "Nothing was changed.")
	case keyed:
		return T("无法确定该请求是否已生效；请用同一 Idempotency-Key 重复该请求，这是安全的，将得到其结果。",
			"Whether the request took effect is unknown; repeat it with the same Idempotency-Key, which is safe and gets its answer.")
	}
	return T("无法确定该请求是否已生效；重复前请先查看案件，或今后随请求发送 Idempotency-Key 以便安全重试。",
		"Whether the request took effect is unknown; check the case before repeating it, or send an Idempotency-Key so that repeating is safe.")
}

// Internalf is a 500 refusal wrapping a fault of ours.
func Internalf(cause error, format string, args ...any) *Error {
	return &Error{Kind: Internal, Title: T("服务器内部错误", "Internal server error"),
		Detail: T("请求未能完成。请凭请求编号联系管理员。",
			"The request could not be completed. Quote the request ID to the operator."),
		Cause: fmt.Errorf(format+": %w", append(args, cause)...)}
}

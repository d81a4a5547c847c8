// Package documents renders the written notices and decisions the credit
// centre issues (告知书, 通知书, 核查函, 决定书) from templates to HTML and
// PDF, and stores them with their case.
//
// Each kind of document has a typed data struct (AcceptanceNotice,
// SupplementNotice, …) that says what the document needs and validates it;
// a template (templates/<kind>.html.tmpl) lays it out in the formal style of
// Chinese official documents (公文: issuing organ, title, 文号, addressee,
// body, legal basis, remedies, signature, date, seal). The HTML is produced
// by html/template, so every value is escaped; the PDF is laid out from that
// same HTML, so the two never say different things.
//
// Deadlines appear in documents as values computed elsewhere (Due: a date,
// the period in words, the calendar's explanation); this package does no
// date arithmetic.
//
// Documents contain the subject's name and identifier as the law requires;
// nothing in this package logs them, and errors name fields, not values.
//
// To add a kind: a Kind constant, a data struct implementing Data, a
// template file, and an entry in registry.
package documents

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Kind names a kind of document. The value is stored with the document and
// used in URLs; the Chinese title is Kind.Title.
type Kind string

// Kinds of the objection procedure (异议处理, DESIGN.md §2.1).
const (
	// KindAcceptance is the acceptance notice (受理通知书).
	KindAcceptance Kind = "objection_acceptance"
	// KindSupplement is the one-time notice of everything missing
	// (补正通知书, 一次性告知).
	KindSupplement Kind = "objection_supplement"
	// KindVerification is the verification request to the provider (核查函).
	KindVerification Kind = "objection_verification"
	// KindObjectionResult is the written result of an objection
	// (异议处理结果告知书).
	KindObjectionResult Kind = "objection_result"
	// KindCorrection tells the applicant the centre corrected its own error
	// (信用信息更正结果告知书).
	KindCorrection Kind = "objection_correction"
	// KindAppealDecision is the credit authority's decision on an appeal
	// (申诉决定书).
	KindAppealDecision Kind = "appeal_decision"
)

// Role is the party a document is addressed to; it decides who may
// download it.
type Role string

// Recipient roles.
const (
	RoleSubject    Role = "subject"
	RoleProvider   Role = "provider"
	RoleSupervisor Role = "supervisor"
	RoleCaseworker Role = "caseworker"
	RolePublic     Role = "public"
)

// Data is the content of one document: a typed struct per Kind.
type Data interface {
	// Kind is the kind of document the data fills.
	Kind() Kind
	// Validate reports every missing or malformed field (*ValidationError).
	Validate() error
	// header returns the fields every document shares.
	header() *Header
}

// spec describes one kind.
type spec struct {
	title     string
	recipient Role
	newData   func() Data
}

// registry lists every kind; a kind is renderable when it is here and
// its template exists (checked at start-up by parseTemplates).
var registry = map[Kind]spec{
	KindAcceptance:      {"异议申请受理通知书", RoleSubject, func() Data { return new(AcceptanceNotice) }},
	KindSupplement:      {"异议申请补正通知书", RoleSubject, func() Data { return new(SupplementNotice) }},
	KindVerification:    {"信用信息异议核查函", RoleProvider, func() Data { return new(VerificationRequest) }},
	KindObjectionResult: {"信用信息异议处理结果告知书", RoleSubject, func() Data { return new(ObjectionResult) }},
	KindCorrection:      {"信用信息更正结果告知书", RoleSubject, func() Data { return new(CorrectionNotice) }},
	KindAppealDecision:  {"信用信息异议申诉决定书", RoleSubject, func() Data { return new(AppealDecision) }},
	// Listing (列入严重失信主体名单).
	KindListingNotice:        {"列入严重失信主体名单前告知书", RoleSubject, func() Data { return new(ListingNotice) }},
	KindListingDecision:      {"列入严重失信主体名单决定书", RoleSubject, func() Data { return new(ListingDecision) }},
	KindListingRepairNotice:  {"信用修复告知书", RoleSubject, func() Data { return new(ListingRepairNotice) }},
	KindListingNotListed:     {"不予列入严重失信主体名单决定书", RoleSubject, func() Data { return new(ListingNotListed) }},
	KindListingRemoval:       {"移出严重失信主体名单决定书", RoleSubject, func() Data { return new(ListingRemoval) }},
	KindListingHearingNotice: {"听证通知书", RoleSubject, func() Data { return new(ListingHearingNotice) }},
	KindListingWithdrawn:     {"撤回列入严重失信主体名单建议告知书", RoleSubject, func() Data { return new(ListingWithdrawn) }},
	// 信用修复 (repair).
	KindRepairAcceptance: {"信用修复申请受理通知书", RoleSubject, func() Data { return new(RepairAcceptance) }},
	KindRepairSupplement: {"信用修复申请补正通知书", RoleSubject, func() Data { return new(RepairSupplement) }},
	KindRepairPublicity:  {"信用修复公示", RolePublic, func() Data { return new(RepairPublicity) }},
	KindRepairDecision:   {"信用修复决定书", RoleSubject, func() Data { return new(RepairDecision) }},
	KindRepairRefusal:    {"不予信用修复决定书", RoleSubject, func() Data { return new(RepairRefusal) }},
	// Any procedure: due dates moved by a calendar update.
	KindDeadlineCorrection: {"期限更正通知书", RoleSubject, func() Data { return new(DeadlineCorrection) }},
	// The same, to the provider, for the due dates of what it is asked.
	KindProviderDeadlineCorrection: {"期限更正通知书", RoleProvider, func() Data { return new(ProviderDeadlineCorrection) }},
}

// Kinds returns every renderable kind, in no particular order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	return out
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := registry[k]; return ok }

// Title is the document's Chinese title, e.g. "异议申请受理通知书".
func (k Kind) Title() string { return registry[k].title }

// Recipient is the role the document is addressed to.
func (k Kind) Recipient() Role { return registry[k].recipient }

// ErrUnknownKind is returned for a kind not in the registry.
var ErrUnknownKind = errors.New("documents: unknown document kind")

// NewData returns a pointer to an empty data struct for kind, for decoding
// (e.g. from JSON in an activity's input).
func NewData(kind Kind) (Data, error) {
	s, ok := registry[kind]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	return s.newData(), nil
}

// Rendered is a document ready to store and serve.
type Rendered struct {
	Kind      Kind   `json:"kind"`
	CaseRef   string `json:"case_ref"`
	Number    string `json:"number"`
	Title     string `json:"title"`
	Recipient Role   `json:"recipient"`
	HTML      []byte `json:"html"`
	PDF       []byte `json:"pdf"`
	// SHA256 is the lower-case hex SHA-256 of PDF, the document of record.
	SHA256 string `json:"sha256"`
}

// Render validates data and renders the document of the given kind to HTML
// and PDF. data must be the kind's struct (value or pointer), e.g.
// AcceptanceNotice for KindAcceptance. Rendering is deterministic: the same
// data give the same bytes, so a retried activity reproduces the same hash.
func Render(kind Kind, data any) (Rendered, error) {
	s, ok := registry[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	d, err := asData(kind, s, data)
	if err != nil {
		return Rendered{}, err
	}
	if err := d.Validate(); err != nil {
		return Rendered{}, err
	}
	h := d.header()
	html, err := renderHTML(kind, s.title, d)
	if err != nil {
		return Rendered{}, err
	}
	pdf, err := renderPDF(html, pdfInfo{title: s.title, organ: h.Organ, date: h.Date})
	if err != nil {
		return Rendered{}, err
	}
	sum := sha256.Sum256(pdf)
	return Rendered{
		Kind:      kind,
		CaseRef:   h.CaseRef,
		Number:    h.Number,
		Title:     s.title,
		Recipient: s.recipient,
		HTML:      html,
		PDF:       pdf,
		SHA256:    hex.EncodeToString(sum[:]),
	}, nil
}

// asData checks that data is kind's struct and returns it as Data.
func asData(kind Kind, s spec, data any) (Data, error) {
	want := reflect.TypeOf(s.newData()) // pointer type
	v := reflect.ValueOf(data)
	switch {
	case !v.IsValid():
	case v.Type() == want && !v.IsNil():
		return data.(Data), nil
	case v.Type() == want.Elem():
		p := reflect.New(want.Elem())
		p.Elem().Set(v)
		return p.Interface().(Data), nil
	}
	return nil, fmt.Errorf("documents: %s needs data of type %s, got %T", kind, want.Elem(), data)
}

// Request is a kind and its data as JSON: what a workflow hands to the
// rendering activity.
type Request struct {
	Kind Kind            `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// NewRequest wraps d for an activity input.
func NewRequest(d Data) (Request, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return Request{}, err
	}
	return Request{Kind: d.Kind(), Data: raw}, nil
}

// Render decodes the data strictly (unknown fields are an error) and
// renders the document.
func (r Request) Render() (Rendered, error) {
	d, err := NewData(r.Kind)
	if err != nil {
		return Rendered{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(r.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(d); err != nil {
		return Rendered{}, fmt.Errorf("documents: %s data: %w", r.Kind, err)
	}
	return Render(r.Kind, d)
}

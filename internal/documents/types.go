package documents

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Header holds what every document has: the case it belongs to, its number
// (文号), the issuing organ (发文机关, also the signature), the date it is
// issued (成文日期) and the addressee (主送, the person or organisation
// written to, as it appears in the salutation).
type Header struct {
	CaseRef   string        `json:"case_ref"`
	Number    string        `json:"number"`
	Organ     string        `json:"organ"`
	Date      calendar.Date `json:"date"`
	Addressee string        `json:"addressee"`
}

func (h *Header) header() *Header { return h }

func (h *Header) validate(v *validator) {
	v.required("case_ref", h.CaseRef)
	v.required("organ", h.Organ)
	v.date("date", h.Date)
	v.required("addressee", h.Addressee)
	if v.required("number", h.Number) && !numberPattern.MatchString(h.Number) {
		v.add("number", "must look like 通信异字〔2026〕第0001号")
	}
}

// numberPattern is the shape of a document number: an organ and kind
// prefix, the year in 〔〕 and a sequence number.
var numberPattern = regexp.MustCompile(`^\S+〔[0-9]{4}〕第?[0-9]+号$`)

// FormatNumber builds a document number: FormatNumber("通信异字", 2026, 1)
// is "通信异字〔2026〕第0001号".
func FormatNumber(prefix string, year, seq int) string {
	return fmt.Sprintf("%s〔%d〕第%04d号", prefix, year, seq)
}

// ChineseDate writes d as in official documents: "2026年11月23日".
func ChineseDate(d calendar.Date) string {
	return strconv.Itoa(d.Year) + "年" + strconv.Itoa(int(d.Month)) + "月" + strconv.Itoa(d.Day) + "日"
}

// Subject identifies the information subject (信息主体) a document is
// about. ID is printed as given: the caller decides whether the law
// requires it in full or masked (internal/ident).
type Subject struct {
	// Name is the person's or organisation's name.
	Name string `json:"name"`
	// Organisation is true for a legal person or other organisation
	// (统一社会信用代码), false for a natural person (身份证号码).
	Organisation bool   `json:"organisation"`
	ID           string `json:"id"`
}

// IDLabel names the identifier: 统一社会信用代码 or 公民身份号码.
func (s Subject) IDLabel() string {
	if s.Organisation {
		return "统一社会信用代码"
	}
	return "公民身份号码"
}

func (s Subject) validate(v *validator, field string) {
	v.required(field+".name", s.Name)
	v.required(field+".id", s.ID)
}

// Record identifies the credit record (信用信息) a case is about.
type Record struct {
	// Title is what the record says in a few words, e.g. "行政处罚信息".
	Title string `json:"title"`
	// Provider is the department that supplied it (信息提供单位).
	Provider string `json:"provider"`
	// DecisionNo is the number of the decision the record comes from.
	DecisionNo string        `json:"decision_no"`
	DecidedOn  calendar.Date `json:"decided_on"`
}

func (r Record) validate(v *validator, field string) {
	v.required(field+".title", r.Title)
	v.required(field+".provider", r.Provider)
	v.required(field+".decision_no", r.DecisionNo)
	v.date(field+".decided_on", r.DecidedOn)
}

// Due is a deadline as a document states it, computed by the calendar
// (internal/calendar) from the case's policy profile.
type Due struct {
	// Date is the last day (the period ends at 24:00 Asia/Shanghai).
	Date calendar.Date `json:"date"`
	// Period says the length in words, e.g. "5个工作日".
	Period string `json:"period"`
	// Explanation, optional, says how the date was counted (holidays
	// skipped, make-up working days counted); printed as a note.
	Explanation string `json:"explanation,omitempty"`
}

// DueOf turns a computed deadline into a Due, with the period in words.
func DueOf(d calendar.Deadline, period string) Due {
	return Due{Date: d.Due, Period: period, Explanation: d.Explanation}
}

func (d Due) validate(v *validator, field string) {
	v.date(field+".date", d.Date)
	v.required(field+".period", d.Period)
}

// Citation is a legal basis: an instrument and an article, e.g.
// {"鞍山市信用信息主体权益保护规则", "第十条"}. The instrument is written
// without book-title marks; the template adds 《》.
type Citation struct {
	Instrument string `json:"instrument"`
	Article    string `json:"article"`
}

func validateCitations(v *validator, field string, cs []Citation, atLeastOne bool) {
	if atLeastOne && len(cs) == 0 {
		v.add(field, "at least one citation is required")
	}
	for i, c := range cs {
		f := fmt.Sprintf("%s[%d]", field, i)
		v.required(f+".instrument", c.Instrument)
		v.required(f+".article", c.Article)
		if strings.ContainsAny(c.Instrument, "《》") {
			v.add(f+".instrument", "write it without 《》")
		}
	}
}

// Remedies are the ways open to a party who disagrees (救济途径). The
// periods of administrative review (60 days, 行政复议法 art. 20) and
// litigation (6 months, 行政诉讼法 art. 46) are statutory and printed by
// the templates.
type Remedies struct {
	// AppealTo is the credit authority that hears appeals (申诉), e.g.
	// "南通市发展和改革委员会"; empty in an appeal decision.
	AppealTo string `json:"appeal_to,omitempty"`
	// AppealWithin, optional, is the appeal window in words, e.g.
	// "15个工作日".
	AppealWithin string `json:"appeal_within,omitempty"`
	// ReviewOrgan is where administrative review is applied for, e.g.
	// "南通市人民政府".
	ReviewOrgan string `json:"review_organ"`
	// Court, optional, is the people's court; empty prints
	// "有管辖权的人民法院".
	Court string `json:"court,omitempty"`
}

func (r Remedies) validate(v *validator, field string, appeal bool) {
	if appeal {
		v.required(field+".appeal_to", r.AppealTo)
	}
	v.required(field+".review_organ", r.ReviewOrgan)
}

// Contact is the person to contact about the document (联系人), optional.
type Contact struct {
	Person  string `json:"person,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Address string `json:"address,omitempty"`
}

// FieldError is one problem with one field; Field is the JSON path
// (e.g. "record.provider", "basis[0].article").
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError lists every problem found in a document's data. It names
// fields, never their values.
type ValidationError struct {
	Kind   Kind
	Fields []FieldError
}

// Error lists the fields.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "documents: %s (%s) data are invalid:", e.Kind.Title(), e.Kind)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s: %s", f.Field, f.Reason)
	}
	return b.String()
}

// validator collects field errors.
type validator struct {
	kind   Kind
	fields []FieldError
}

func (v *validator) add(field, reason string) {
	v.fields = append(v.fields, FieldError{Field: field, Reason: reason})
}

// required reports whether s is present, recording an error when not.
func (v *validator) required(field, s string) bool {
	if strings.TrimSpace(s) == "" {
		v.add(field, "required")
		return false
	}
	return true
}

func (v *validator) date(field string, d calendar.Date) {
	switch {
	case d.IsZero():
		v.add(field, "required")
	case !d.Valid():
		v.add(field, "not a valid date")
	}
}

func (v *validator) list(field string, items []string) {
	if len(items) == 0 {
		v.add(field, "at least one item is required")
	}
	for i, s := range items {
		v.required(fmt.Sprintf("%s[%d]", field, i), s)
	}
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Kind: v.kind, Fields: v.fields}
}

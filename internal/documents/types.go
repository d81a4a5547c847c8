package documents

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Header holds what every document has: the case it belongs to, its number
// (文号), the issuing organ (发文机关, also the signature), the text of its
// seal (印章), the date it is issued (成文日期) and the addressee (主送, the
// person or organisation written to, as it appears in the salutation).
type Header struct {
	CaseRef   string        `json:"case_ref"`
	Number    string        `json:"number"`
	Organ     string        `json:"organ"`
	Seal      string        `json:"seal"`
	Date      calendar.Date `json:"date"`
	Addressee string        `json:"addressee"`
}

func (h *Header) header() *Header { return h }

func (h *Header) validate(v *validator) {
	v.required("case_ref", h.CaseRef)
	v.required("organ", h.Organ)
	v.required("seal", h.Seal)
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
	// From says from when it is counted, in words, e.g. "收到异议申请之日"
	// (optional).
	From string `json:"from,omitempty"`
	// Explanation, optional, says in Chinese how the date was counted
	// (holidays skipped, make-up working days counted); printed as a note.
	Explanation string `json:"explanation,omitempty"`
	// Basis cites what sets the period's length; empty when no instrument
	// sets it and the letter states it as the centre's own time limit.
	Basis []Citation `json:"basis,omitempty"`
}

func (d Due) validate(v *validator, field string) {
	v.date(field+".date", d.Date)
	v.required(field+".period", d.Period)
	validateCitations(v, field+".basis", d.Basis, false)
}

// Citation is a legal basis: an instrument and an article, and where it
// matters the paragraph and item, e.g. {"南通市公共信用信息管理办法",
// "", "第三十二条", "第一款", ""}. The instrument is written without
// book-title marks; the template adds 《》 and, when given, the issuing
// number in （）.
type Citation struct {
	Instrument string `json:"instrument"`
	Number     string `json:"number,omitempty"`
	Article    string `json:"article"`
	Paragraph  string `json:"paragraph,omitempty"`
	Item       string `json:"item,omitempty"`
}

// String writes the citation: 《南通市公共信用信息管理办法》第三十二条第一款.
func (c Citation) String() string {
	s := "《" + c.Instrument + "》"
	if c.Number != "" {
		s += "（" + c.Number + "）"
	}
	return s + c.Article + c.Paragraph + c.Item
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

// Remedies are the ways open to a party who disagrees (救济途径), as the
// case's policy profile grants them for the kind of letter; each carries
// its time limit in words and what it rests on. A letter prints those
// present, in the order appeal, transfer, review, litigation.
type Remedies struct {
	// Appeal (申诉) to the credit authority.
	Appeal *Appeal `json:"appeal,omitempty"`
	// Transfer: an applicant who still disagrees has the objection handed
	// to the provider (鞍山 第十条).
	Transfer *Transfer `json:"transfer,omitempty"`
	// Review (行政复议) and Litigation (行政诉讼).
	Review     *Review     `json:"review,omitempty"`
	Litigation *Litigation `json:"litigation,omitempty"`
}

// Appeal is the appeal (申诉): to whom, within how long of receipt
// ("60日"), on what basis, and whether its decision may in turn be
// reviewed or litigated.
type Appeal struct {
	To         string     `json:"to"`
	Within     string     `json:"within"`
	Basis      []Citation `json:"basis"`
	ThenReview bool       `json:"then_review,omitempty"`
}

// Transfer is the hand-over to the provider of an objection the applicant
// still disputes.
type Transfer struct {
	// Within is the window in which the applicant says so (the profile's
	// objection.appeal_window).
	Within string     `json:"within"`
	Basis  []Citation `json:"basis"`
}

// Review is administrative review (行政复议): the organ and the window.
type Review struct {
	Organ  string     `json:"organ"`
	Within string     `json:"within"`
	Basis  []Citation `json:"basis,omitempty"`
}

// Litigation is the administrative action (行政诉讼): the court ("" =
// 有管辖权的人民法院) and the window.
type Litigation struct {
	Court  string     `json:"court,omitempty"`
	Within string     `json:"within"`
	Basis  []Citation `json:"basis,omitempty"`
}

// Any reports whether any remedy is given.
func (r Remedies) Any() bool {
	return r.Appeal != nil || r.Transfer != nil || r.Review != nil || r.Litigation != nil
}

func (r Remedies) validate(v *validator, field string, appeal bool) {
	if a := r.Appeal; a != nil {
		if !appeal {
			v.add(field+".appeal", "this document offers no appeal")
		}
		v.required(field+".appeal.to", a.To)
		v.required(field+".appeal.within", a.Within)
		validateCitations(v, field+".appeal.basis", a.Basis, true)
	}
	if t := r.Transfer; t != nil {
		v.required(field+".transfer.within", t.Within)
		validateCitations(v, field+".transfer.basis", t.Basis, true)
	}
	if rv := r.Review; rv != nil {
		v.required(field+".review.organ", rv.Organ)
		v.required(field+".review.within", rv.Within)
		validateCitations(v, field+".review.basis", rv.Basis, false)
	}
	if l := r.Litigation; l != nil {
		v.required(field+".litigation.within", l.Within)
		validateCitations(v, field+".litigation.basis", l.Basis, false)
	}
}

// Contact is how to reach the issuing organ about the document: a person
// (联系人), telephone, address and postcode, each optional.
type Contact struct {
	Person   string `json:"person,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Address  string `json:"address,omitempty"`
	Postcode string `json:"postcode,omitempty"`
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

// date checks d: present, valid, and not before 2000 (an unset time
// read as a date prints as "1年1月1日").
func (v *validator) date(field string, d calendar.Date) {
	switch {
	case d.IsZero():
		v.add(field, "required")
	case !d.Valid():
		v.add(field, "not a valid date")
	case d.Year < 2000:
		v.add(field, "before 2000: a date the case does not have")
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

// Package repair decides whether a negative credit record may be repaired
// (信用修复, DESIGN.md §2.3.1; Nantong art. 34; NDRC Order No. 36). The
// check is a pure function of the facts, so that the dry run the console
// offers (GET /records/{id}/repair-eligibility) and the check at filing
// (an activity of the repair workflow) give the same answer for the same
// facts, with every failed condition explained.
//
// "Same kind" (同类失信行为, Nantong art. 34(二)): another negative record of
// the same subject with the same dishonesty category (失信行为类别, the
// provider's code for the behaviour, e.g. 虚假宣传 or 拖欠工资), whoever
// supplied it. Where the record applied for or the other record has no
// category, the kind cannot be told from the behaviour and the old
// presumption is used: the same provider (信息提供单位), the department
// that found it; the condition then says that it presumed. A record of the
// same kind counts as a repeat when its decision falls after the record
// applied for and within the year before the application; the condition is
// met again one year after the latest repeat.
//
// Every unmet condition carries its own date where time cures it (the
// shortest period, a repeat growing old); Result.From is the day from which
// all of them are met, given only when every unmet condition has a date.
package repair

import (
	"fmt"
	"strings"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
)

// Condition codes, stable for clients.
const (
	CondNegative      = "negative_record"        // only negative records are repaired
	CondInUse         = "in_disclosure_period"   // still disclosed / in use
	CondShortest      = "shortest_period_passed" // 最短公示期已满
	CondNoRepeat      = "no_repeat_same_kind"    // 一年内无同类失信行为
	CondCommitment    = "credit_commitment"      // 信用承诺书
	CondCorrection    = "correction_evidence"    // 已纠正失信行为、履行法定义务的证明
	RepeatWindowYears = 1
)

// Record is what the check needs to know about the record applied for.
type Record struct {
	ID            int64
	ProviderID    int64
	Category      string // basic | positive | negative | other
	Dishonesty    string // dishonesty category (失信行为类别); "" unknown
	Severity      string // minor | general | serious
	Status        string
	DecidedOn     calendar.Date
	DisclosureEnd *calendar.Date
}

// Other is another negative record of the same subject.
type Other struct {
	ID         int64
	ProviderID int64
	Dishonesty string
	DecidedOn  calendar.Date
	Title      string
}

// Facts are everything the decision rests on. Documents is false in the dry
// run, where the commitment and the evidence are not uploaded yet: those
// conditions are then reported as required, not as failed.
type Facts struct {
	Record Record
	Others []Other
	// CorrectedOn is the day the applicant says the behaviour was corrected
	// (纠正之日, Nantong art. 34(二): 自纠正之日起1年内未再发生同类失信行为),
	// checked by the provider with the evidence; nil when not stated: the
	// record's decision stands in and the last year is looked at.
	CorrectedOn *calendar.Date
	Today       calendar.Date
	Documents   bool
	Commitment  bool
	Evidence    int
}

// Condition is one condition with its result, in both languages.
type Condition struct {
	Code string `json:"code"`
	Met  bool   `json:"met"`
	// Pending marks a document condition in the dry run: it must be met
	// by the application, it is not a failure yet.
	Pending bool `json:"pending,omitempty"`
	// From is the day from which the condition is met, when waiting cures
	// it; nil when it is met or when no date can be given.
	From *calendar.Date `json:"met_from,omitempty"`
	// Presumed marks a same-kind check that fell back to the provider for
	// want of a dishonesty category.
	Presumed bool   `json:"presumed,omitempty"`
	ZH       string `json:"zh"`
	EN       string `json:"en"`
}

// Result is the answer: eligible or not, every condition, and when only
// too early, the date from which the subject may apply.
type Result struct {
	Eligible   bool           `json:"eligible"`
	Conditions []Condition    `json:"conditions"`
	Failed     []string       `json:"failed,omitempty"`
	From       *calendar.Date `json:"eligible_from,omitempty"`
	// PeriodRule and PeriodExplanation say how the shortest period was
	// counted.
	PeriodRule        string `json:"period_rule,omitempty"`
	PeriodExplanation string `json:"period_explanation,omitempty"`
	// OnlyEarly is true when the shortest period is the only condition
	// not met.
	OnlyEarly bool `json:"only_early"`
}

// InUseStatuses are the record statuses in which a record is still used
// and may be repaired: being disclosed, with or without a correction.
var InUseStatuses = []string{"active", "corrected"}

// MinPeriodRule names the profile period that must pass before a record of
// severity may be repaired.
func MinPeriodRule(severity string) string {
	switch severity {
	case "serious":
		return policy.RepairMinPeriodSerious
	case "minor":
		return policy.RepairMinPeriodMinor
	default:
		return policy.RepairMinPeriodGeneral
	}
}

// Check decides eligibility from the facts, the profile and the calendar.
func Check(f Facts, prof *policy.Profile, cal *calendar.Calendar) (Result, error) {
	var r Result
	add := func(c Condition) {
		r.Conditions = append(r.Conditions, c)
		if !c.Met && !c.Pending {
			r.Failed = append(r.Failed, c.Code)
		}
	}
	rec := f.Record
	negative := rec.Category == "negative"
	add(Condition{Code: CondNegative, Met: negative,
		ZH: "修复对象须为失信（负面）信息", EN: "only negative records can be repaired"})

	inUse := false
	for _, s := range InUseStatuses {
		inUse = inUse || rec.Status == s
	}
	if rec.DisclosureEnd != nil && rec.DisclosureEnd.Before(f.Today) {
		inUse = false
	}
	c := Condition{Code: CondInUse, Met: inUse,
		ZH: "该信息仍在公示（使用）期内", EN: "the record is still in its disclosure period"}
	if !inUse {
		c.ZH = fmt.Sprintf("该信息已不在公示（使用）期内（状态：%s），无需修复", rec.Status)
		c.EN = fmt.Sprintf("the record is no longer disclosed (status %s): nothing to repair", rec.Status)
	}
	add(c)

	rule := MinPeriodRule(rec.Severity)
	r.PeriodRule = rule
	period, err := prof.Period(rule)
	if err != nil {
		return r, err
	}
	early := false
	if period.Length == 0 {
		add(Condition{Code: CondShortest, Met: true,
			ZH: "轻微失信信息履行义务后即可申请修复", EN: "minor records may be repaired once the obligation is met"})
	} else {
		d, err := cal.Add(rec.DecidedOn, period.Length, period.Unit, calendar.Options{Region: prof.Region, Provisional: true})
		if err != nil {
			return r, err
		}
		from := d.Nominal.AddDays(1)
		r.PeriodExplanation = fmt.Sprintf("%s + %d %s（%s）: last day %s; may apply from %s",
			rec.DecidedOn, period.Length, period.Unit, period.Source, d.Nominal, from)
		early = f.Today.Before(from)
		c := Condition{Code: CondShortest, Met: !early,
			ZH: fmt.Sprintf("最短公示期（自决定之日起%s）已满", words(period)),
			EN: fmt.Sprintf("the shortest disclosure period (%d %s from the decision) has passed", period.Length, period.Unit)}
		if early {
			c.From = &from
			c.ZH = fmt.Sprintf("最短公示期（自决定之日%s起%s）未满，自%s起可申请", rec.DecidedOn, words(period), from)
			c.EN = fmt.Sprintf("the shortest disclosure period (%d %s from %s) has not passed; apply from %s", period.Length, period.Unit, rec.DecidedOn, from)
		}
		add(c)
	}

	add(sameKind(f, rec))
	add(Condition{Code: CondCommitment, Met: f.Documents && f.Commitment, Pending: !f.Documents,
		ZH: "须提交本人（单位）签署的信用承诺书", EN: "a signed credit commitment (信用承诺书) is required"})
	add(Condition{Code: CondCorrection, Met: f.Documents && f.Evidence > 0, Pending: !f.Documents,
		ZH: "须提交已纠正失信行为、履行法定义务的证明材料", EN: "evidence that the behaviour is corrected and the obligations met is required"})

	r.Eligible = len(r.Failed) == 0
	r.OnlyEarly = early && len(r.Failed) == 1
	r.From = allMetFrom(r.Conditions)
	return r, nil
}

// allMetFrom is the latest date among the unmet conditions, when each of
// them has one: from then on every condition is met.
func allMetFrom(cs []Condition) *calendar.Date {
	var from *calendar.Date
	for _, c := range cs {
		if c.Met || c.Pending {
			continue
		}
		if c.From == nil {
			return nil
		}
		if from == nil || c.From.After(*from) {
			d := *c.From
			from = &d
		}
	}
	return from
}

// sameKind checks that no dishonesty of the same kind followed the record:
// within a year of the day it was corrected when the applicant states it
// (Nantong art. 34(二)), else within the last year after its decision; by
// dishonesty category, or by provider where a category is missing (and
// then it says so).
func sameKind(f Facts, rec Record) Condition {
	from, until := rec.DecidedOn, f.Today
	since := addYears(f.Today, -RepeatWindowYears)
	corrected := f.CorrectedOn != nil && !f.CorrectedOn.Before(rec.DecidedOn) && !f.CorrectedOn.After(f.Today)
	if corrected {
		from, since = *f.CorrectedOn, *f.CorrectedOn
		if end := addYears(from, RepeatWindowYears); end.Before(until) {
			until = end
		}
	}
	var repeats []string
	var latest calendar.Date
	presumed := false
	for _, o := range f.Others {
		if o.ID == rec.ID || !o.DecidedOn.After(from) || o.DecidedOn.Before(since) || o.DecidedOn.After(until) {
			continue
		}
		switch {
		case rec.Dishonesty != "" && o.Dishonesty != "":
			if o.Dishonesty != rec.Dishonesty {
				continue
			}
			repeats = append(repeats, fmt.Sprintf("%s（%s，%s）", o.Title, o.Dishonesty, o.DecidedOn))
		case o.ProviderID == rec.ProviderID:
			presumed = true
			repeats = append(repeats, fmt.Sprintf("%s（同一信息提供单位，%s）", o.Title, o.DecidedOn))
		default:
			continue
		}
		if o.DecidedOn.After(latest) {
			latest = o.DecidedOn
		}
	}
	c := Condition{Code: CondNoRepeat, Met: len(repeats) == 0, Presumed: presumed,
		ZH: "近一年内无同类失信行为", EN: "no negative record of the same kind in the last year"}
	if corrected {
		c.ZH = fmt.Sprintf("自纠正之日（%s）起一年内无同类失信行为", from)
		c.EN = fmt.Sprintf("no negative record of the same kind within a year of the correction (%s)", from)
	}
	if rec.Dishonesty != "" {
		c.ZH = strings.Replace(c.ZH, "同类失信行为", "同类（"+rec.Dishonesty+"）失信行为", 1)
		c.EN = strings.Replace(c.EN, "the same kind", "the same kind ("+rec.Dishonesty+")", 1)
	} else {
		c.Presumed = true
		c.ZH += "（该信息未登记失信行为类别，按同一信息提供单位的失信信息认定同类）"
		c.EN += " (the record has no dishonesty category: records of the same provider count as the same kind)"
	}
	if len(repeats) > 0 {
		met := addYears(latest, RepeatWindowYears).AddDays(1)
		c.From = &met
		c.ZH = fmt.Sprintf("近一年内（%s以来）存在同类失信行为：%s；自%s起满一年", since, strings.Join(repeats, "；"), met)
		c.EN = fmt.Sprintf("%d negative record(s) of the same kind since %s; met from %s", len(repeats), since, met)
		if corrected {
			c.ZH = fmt.Sprintf("自纠正之日（%s）起一年内再次发生同类失信行为：%s；自%s起满一年", from, strings.Join(repeats, "；"), met)
			c.EN = fmt.Sprintf("%d negative record(s) of the same kind within a year of the correction (%s); met from %s", len(repeats), from, met)
		}
		if presumed {
			c.ZH += "（未登记失信行为类别的，按同一信息提供单位认定同类）"
			c.EN += " (where a category is missing, the same provider counts as the same kind)"
		}
	}
	return c
}

// Reasons lists the failed conditions in Chinese, for a written refusal.
func (r Result) Reasons() []string {
	var out []string
	for _, c := range r.Conditions {
		if !c.Met && !c.Pending {
			out = append(out, c.ZH)
		}
	}
	return out
}

func words(p policy.Period) string {
	switch p.Unit {
	case calendar.Months:
		return fmt.Sprintf("%d个月", p.Length)
	case calendar.Years:
		return fmt.Sprintf("%d年", p.Length)
	case calendar.WorkingDays:
		return fmt.Sprintf("%d个工作日", p.Length)
	}
	return fmt.Sprintf("%d日", p.Length)
}

// addYears moves d by n years (29 February becomes 28 February).
func addYears(d calendar.Date, n int) calendar.Date {
	y := d.Year + n
	day := d.Day
	if d.Month == 2 && day == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		day = 28
	}
	return calendar.NewDate(y, d.Month, day)
}

// Package letters composes the written notices of a case (internal/
// documents) from what the case's policy profile says and what the case
// is at the moment the letter is issued: the centre that signs it, the
// legal basis each letter states, the remedies it offers with their time
// limits, every date and deadline from the case's state, and the number
// series it is numbered in. It does no I/O: the document activity reads
// names and records from PostgreSQL, takes the dates and deadlines the
// workflow hands it, allocates the number and calls Compose.
package letters

import (
	"errors"
	"fmt"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// Case is what a letter may say about its case at issue time.
type Case struct {
	// Ref is the case number.
	Ref     string
	Profile *policy.Profile
	Subject documents.Subject
	// Record is the record of an objection or repair; Records those of a
	// listing.
	Record  documents.Record
	Records []documents.Record
	// Dates are the case's dates at issue time, as the workflow holds them.
	Dates Dates
	// Deadlines are the case's deadlines at issue time, in the order
	// computed (later entries of a rule supersede earlier ones).
	Deadlines []Deadline
	// Listing is the proposal behind a listing letter.
	Listing *Listing
	// Suspended: the record under objection is withheld from public query
	// while labelled (the profile's labelled-record setting, as applied).
	Suspended bool
}

// Dates are the moments a letter may state; zero when the case has not
// reached them.
type Dates struct {
	Received      time.Time // the (first) application received
	Accepted      time.Time // accepted as complete
	Corrected     time.Time // the centre corrected its own error
	Appealed      time.Time // the appeal lodged
	Served        time.Time // a pre-listing notice served
	Listed        time.Time // the listing decided
	RemovalDue    calendar.Date
	Removed       time.Time
	PublicityFrom time.Time
	PublicityTo   calendar.Date // the last day of the publicity period
}

// Deadline is a computed deadline of the case.
type Deadline struct {
	Rule  string
	Seq   int
	Start time.Time
	// N is the rule's length, Extra the working days added by pauses and
	// extensions.
	N, Extra int
	Unit     calendar.Unit
	Due      calendar.Date
	// Explanation is how it was counted, in Chinese (wording.Explain).
	Explanation string
	// Provisional: counted before the year's holiday schedule was published.
	Provisional bool
}

// Listing is a listing proposal as letters state it.
type Listing struct {
	Reasons    string
	LegalBasis []string
	Measures   []string
	Joint      bool
	Period     string
}

// Issue is the letter to compose: its kind, number and date, and what only
// the workflow knows (facts, lists, the correction in words).
type Issue struct {
	Kind       documents.Kind
	Number     string
	Date       calendar.Date
	Facts      map[string]string
	Lists      map[string][]string
	Correction string
}

// ErrNoDeadline is returned when a letter states a deadline the case has
// not computed.
var ErrNoDeadline = errors.New("letters: the case has no such deadline")

// latest returns the last computed deadline of rule.
func (c Case) latest(rule string) (Deadline, bool) {
	for i := len(c.Deadlines) - 1; i >= 0; i-- {
		if c.Deadlines[i].Rule == rule {
			return c.Deadlines[i], true
		}
	}
	return Deadline{}, false
}

// series are the number series' middles, by kind: the centre's prefix +
// the kind's + 字, e.g. 通信 + 异受 + 字. The appeal decision is numbered by
// the credit authority.
var series = map[documents.Kind]string{
	documents.KindAcceptance:           "异受",
	documents.KindSupplement:           "异补",
	documents.KindVerification:         "异核",
	documents.KindObjectionResult:      "异",
	documents.KindCorrection:           "更",
	documents.KindAppealDecision:       "申",
	documents.KindListingNotice:        "列告",
	documents.KindListingDecision:      "列决",
	documents.KindListingRepairNotice:  "列修",
	documents.KindListingNotListed:     "列不",
	documents.KindListingRemoval:       "列移",
	documents.KindListingHearingNotice: "列听",
	documents.KindListingWithdrawn:     "列撤",
	documents.KindRepairAcceptance:     "修受",
	documents.KindRepairSupplement:     "修补",
	documents.KindRepairPublicity:      "修公",
	documents.KindRepairDecision:       "修",
	documents.KindRepairRefusal:        "修不",
	documents.KindDeadlineCorrection:   "期更",
	// The provider's correction shares the series: one register of
	// deadline corrections, whoever they are addressed to.
	documents.KindProviderDeadlineCorrection: "期更",
}

// Series is the number series of kind under profile p, e.g. 通信异受字.
func Series(p *policy.Profile, kind documents.Kind) (string, error) {
	mid, ok := series[kind]
	if !ok {
		return "", fmt.Errorf("%w %q", documents.ErrUnknownKind, kind)
	}
	prefix := p.Centre.NumberPrefix
	if kind == documents.KindAppealDecision {
		prefix = p.Centre.Authority.NumberPrefix
	}
	return prefix + mid + "字", nil
}

// header is the letter's head: the centre (the authority for an appeal
// decision) signs it, with its seal.
func header(c Case, is Issue) documents.Header {
	h := documents.Header{CaseRef: c.Ref, Number: is.Number, Organ: c.Profile.Centre.Name, Seal: c.Profile.Centre.Seal,
		Date: is.Date, Addressee: c.Subject.Name}
	if is.Kind == documents.KindAppealDecision {
		h.Organ, h.Seal = c.Profile.Centre.Authority.Name, c.Profile.Centre.Authority.Seal
	}
	return h
}

func contact(p *policy.Profile) documents.Contact {
	return documents.Contact{Phone: p.Centre.Telephone, Address: p.Centre.Address, Postcode: p.Centre.Postcode}
}

// cite turns the profile's citations into a letter's, keeping those that
// apply to the letter's subject.
func cite(cs []policy.Citation, s documents.Subject) []documents.Citation {
	var out []documents.Citation
	for _, c := range policy.CitationsFor(cs, s.Organisation) {
		d := documents.Citation{Instrument: c.Instrument, Article: c.Article, Paragraph: c.Paragraph, Item: c.Item}
		if in, ok := policy.LookupInstrument(c.Instrument); ok {
			d.Number = in.Number
		}
		out = append(out, d)
	}
	return out
}

// basis is what letter kind (variant) cites under the case's profile.
func basis(c Case, kind documents.Kind, variant string) []documents.Citation {
	return cite(c.Profile.Letter(string(kind), variant).Basis, c.Subject)
}

// ruleCite is what sets rule's length.
func ruleCite(c Case, rule string) []documents.Citation {
	r, err := c.Profile.Rule(rule)
	if err != nil {
		return nil
	}
	return cite(r.Cite, c.Subject)
}

// period writes rule's length: "10个工作日", "60日", "6个月".
func period(c Case, rule string) string {
	r, err := c.Profile.Rule(rule)
	if err != nil {
		return ""
	}
	return wording.Period(r.Length, r.Unit, wording.ZH)
}

// fromRequestServed is when a limit counted from the service of the
// centre's request runs, as that request (核查函) says it.
const fromRequestServed = "收到本函之日"

// from says, in words, from when a deadline of rule runs.
func from(c Case, d Deadline) string {
	r, err := c.Profile.Rule(d.Rule)
	if err != nil {
		return ""
	}
	switch r.StartsOn {
	case "objection.received":
		if !c.Dates.Received.IsZero() && calendar.DateOf(d.Start) != calendar.DateOf(c.Dates.Received) {
			return "收到齐全的补正材料之日"
		}
		return "收到异议申请之日"
	case "objection.accepted", "repair.accepted":
		return "受理之日"
	case "repair.received":
		return "收到修复申请之日"
	case "provider.request_served":
		return fromRequestServed
	case "repair.publicity_started":
		return "公示之日"
	case "listing.notice_served":
		return "本告知书送达之日"
	}
	return ""
}

// due turns deadline rule of the case into a letter's Due.
func due(c Case, rule string) (documents.Due, error) {
	d, ok := c.latest(rule)
	if !ok {
		return documents.Due{}, fmt.Errorf("%w: %s of case %s", ErrNoDeadline, rule, c.Ref)
	}
	return dueOf(c, d), nil
}

// dueOf turns deadline d of the case into a letter's Due.
func dueOf(c Case, d Deadline) documents.Due {
	rule := d.Rule
	n := d.N + d.Extra
	if d.Unit != calendar.WorkingDays {
		n = d.N
	}
	return documents.Due{Date: d.Due, Period: wording.Period(n, d.Unit, wording.ZH), From: from(c, d),
		Explanation: d.Explanation, Basis: ruleCite(c, rule)}
}

// remedies are the remedies letter kind (variant) offers under the profile.
func remedies(c Case, kind documents.Kind, variant string) documents.Remedies {
	p := c.Profile
	var r documents.Remedies
	for _, name := range p.Letter(string(kind), variant).Remedies {
		switch name {
		case policy.RemedyAppeal:
			then := false
			for _, x := range p.Letter(string(documents.KindAppealDecision), "").Remedies {
				then = then || x == policy.RemedyReview || x == policy.RemedyLitigation
			}
			r.Appeal = &documents.Appeal{To: p.Centre.Authority.Name, Within: period(c, policy.ObjectionAppealWindow),
				Basis: cite(p.Remedies.Appeal.Cite, c.Subject), ThenReview: then}
		case policy.RemedyTransfer:
			r.Transfer = &documents.Transfer{Within: period(c, policy.ObjectionAppealWindow), Basis: cite(p.Remedies.Transfer.Cite, c.Subject)}
		case policy.RemedyReview:
			r.Review = &documents.Review{Organ: p.Remedies.Review.Organ, Within: period(c, policy.ObjectionReviewWindow),
				Basis: ruleCite(c, policy.ObjectionReviewWindow)}
		case policy.RemedyLitigation:
			r.Litigation = &documents.Litigation{Court: p.Remedies.Litigation.Court, Within: period(c, policy.ObjectionLitigationWindow),
				Basis: ruleCite(c, policy.ObjectionLitigationWindow)}
		}
	}
	return r
}

// onLapse says what happens when the provider does not reply in time, as
// the profile's lapse actions say.
func onLapse(c Case) string {
	r, err := c.Profile.Rule(policy.ObjectionProviderReply)
	if err != nil {
		return ""
	}
	s := ""
	for _, a := range r.OnLapse {
		switch a {
		case policy.LapseEscalate:
			s = "本中心将报告信用管理部门督办"
		case policy.LapseSuspendPublicQuery:
			if s != "" {
				s += "，并"
			} else {
				s = "本中心将"
			}
			s += "停止向社会提供该信息的查询"
		}
	}
	return s
}

// date is the Asia/Shanghai date of t (zero stays zero, and is refused by
// the document's validation).
func date(t time.Time) calendar.Date {
	if t.IsZero() {
		return calendar.Date{}
	}
	return calendar.DateOf(t)
}

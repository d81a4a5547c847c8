package letters

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/wording"
)

// Moved writes a deadline moved by a calendar update for a deadline
// correction's list "moved": the rule, the superseded seq and the new one.
func Moved(rule string, oldSeq, newSeq int) string {
	return rule + "#" + strconv.Itoa(oldSeq) + "#" + strconv.Itoa(newSeq)
}

// bySeq returns deadline seq of rule.
func (c Case) bySeq(rule string, seq int) (Deadline, bool) {
	for _, d := range c.Deadlines {
		if d.Rule == rule && d.Seq == seq {
			return d, true
		}
	}
	return Deadline{}, false
}

// correction composes a deadline correction notice (期限更正通知书): each
// deadline of list "moved" with its old date and the new one, the calendar
// revision (fact "revision") and the notices it brought (list "notices").
func correction(c Case, is Issue, h documents.Header, ct documents.Contact) (documents.Data, error) {
	rev, err := strconv.ParseInt(is.Facts["revision"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("letters: deadline correction of case %s: revision %q", c.Ref, is.Facts["revision"])
	}
	d := &documents.DeadlineCorrection{Header: h, Subject: c.Subject, Matter: matter(c, is.Facts["case_kind"]),
		Revision: rev, Notices: is.Lists["notices"], Contact: ct}
	items, err := correctedItems(c, is.Lists["moved"], "信息提供单位收到核查函之日")
	if err != nil {
		return nil, err
	}
	d.Items = items
	return d, nil
}

// providerCorrection composes the deadline correction notice addressed to
// the provider (期限更正通知书 to 信息提供单位): its deadlines of list
// "moved", each with what it asks of the provider, the old date and the
// new one; the calendar revision and its notices, as for the subject.
func providerCorrection(c Case, is Issue, h documents.Header, ct documents.Contact) (documents.Data, error) {
	rev, err := strconv.ParseInt(is.Facts["revision"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("letters: provider deadline correction of case %s: revision %q", c.Ref, is.Facts["revision"])
	}
	application := "信用信息异议申请"
	if is.Facts["case_kind"] == "repair" {
		application = "信用修复申请"
	}
	d := &documents.ProviderDeadlineCorrection{Header: h, Subject: c.Subject, Record: c.Record, ReceivedOn: date(c.Dates.Received),
		Application: application, Revision: rev, Notices: is.Lists["notices"], Contact: ct}
	if d.Items, err = correctedItems(c, is.Lists["moved"], "收到核查函之日"); err != nil {
		return nil, err
	}
	return d, nil
}

// correctedItems are the deadlines of moved (Moved: rule#old#new), old and
// new, in the reader's words. A limit counted from the receipt of the
// request sent with it ("收到本函之日" in that letter) is said to run from
// served: this letter is another.
func correctedItems(c Case, moved []string, served string) ([]documents.CorrectedDue, error) {
	var items []documents.CorrectedDue
	for _, m := range moved {
		parts := strings.Split(m, "#")
		if len(parts) != 3 {
			return nil, fmt.Errorf("letters: moved deadline %q: want rule#old#new", m)
		}
		oldSeq, err1 := strconv.Atoi(parts[1])
		newSeq, err2 := strconv.Atoi(parts[2])
		old, ok1 := c.bySeq(parts[0], oldSeq)
		now, ok2 := c.bySeq(parts[0], newSeq)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: %s of case %s", ErrNoDeadline, m, c.Ref)
		}
		rule := now.Rule
		if c.Profile != nil {
			// The window after an objection's reply, in the words of what
			// follows it under the case's profile (no appeal under Anshan).
			rule = wording.RuleUnder(now.Rule, c.Profile.ResultRoute())
		}
		due := dueOf(c, now)
		if due.From == fromRequestServed {
			due.From = served
		}
		items = append(items, documents.CorrectedDue{Name: wording.RuleName(rule, wording.ZH), Ask: wording.Ask(rule, wording.ZH),
			Old: old.Due, OldProvisional: old.Provisional, New: due})
	}
	return items, nil
}

// matter names the case in words for the subject: its application, or
// the listing.
func matter(c Case, kind string) string {
	you := "你"
	if c.Subject.Organisation {
		you = "你单位"
	}
	received := ""
	if !c.Dates.Received.IsZero() {
		received = "于" + documents.ChineseDate(date(c.Dates.Received))
	}
	switch kind {
	case "repair":
		return you + received + "提出的信用修复申请"
	case "listing":
		return "关于将" + you + "列入严重失信主体名单一案"
	}
	return you + received + "提出的信用信息异议申请"
}

package wording

import (
	"strconv"

	"github.com/creditcase/creditcase/internal/calendar"
)

// The inbox messages. Each names the case, says what is asked of the
// reader and by when, and how that date was counted.

// Due is a deadline as a message states it.
type Due struct {
	Rule string
	Date calendar.Date
	// Explanation is Explain's text in the message's language ("" = none).
	Explanation string
}

func counted(d Due, lang Lang) string {
	if d.Explanation == "" {
		return ""
	}
	if lang == EN {
		return " How the date is counted: " + d.Explanation + "."
	}
	return "期限计算：" + d.Explanation + "。"
}

// Reminder: the party must act before the deadline runs out.
func Reminder(kind, caseNo string, d Due, lang Lang) string {
	if lang == EN {
		return CaseLabel(kind, caseNo, EN) + ": please " + Ask(d.Rule, EN) + " by " + DueAt(d.Date, EN) +
			" (" + RuleName(d.Rule, EN) + ", ending soon)." + counted(d, EN)
	}
	return CaseLabel(kind, caseNo, ZH) + "：请于" + DueAt(d.Date, ZH) + "前" + Ask(d.Rule, ZH) +
		"（" + RuleName(d.Rule, ZH) + "即将届满）。" + counted(d, ZH)
}

// Lapsed: the deadline ran out and the party must act at once.
func Lapsed(kind, caseNo string, d Due, lang Lang) string {
	if lang == EN {
		return CaseLabel(kind, caseNo, EN) + ": the " + RuleName(d.Rule, EN) + " ended at " + DueAt(d.Date, EN) +
			". Please " + Ask(d.Rule, EN) + " at once."
	}
	return CaseLabel(kind, caseNo, ZH) + "：" + RuleName(d.Rule, ZH) + "已于" + DueAt(d.Date, ZH) + "届满，请立即" + Ask(d.Rule, ZH) + "。"
}

// Escalated tells the credit authority that party missed a deadline.
func Escalated(kind, caseNo, party, provider string, d Due, lang Lang) string {
	if lang == EN {
		return CaseLabel(kind, caseNo, EN) + ": " + Party(party, provider, EN) + " did not " + Ask(d.Rule, EN) +
			" within the " + RuleName(d.Rule, EN) + ", which ended at " + DueAt(d.Date, EN) +
			". The case is escalated to you: please see that it is done."
	}
	return CaseLabel(kind, caseNo, ZH) + "：" + Party(party, provider, ZH) + "未在" + RuleName(d.Rule, ZH) + "内" + Ask(d.Rule, ZH) +
		"（已于" + DueAt(d.Date, ZH) + "届满），现报请督办。"
}

// LetterIssued tells the addressee a letter was issued to it; when the
// letter asks something by a date, the message says what and by when.
func LetterIssued(kind, caseNo, title, number string, due *Due, lang Lang) string {
	if lang == EN {
		s := CaseLabel(kind, caseNo, EN) + ": the centre issued to you the letter 《" + title + "》 (" + number + "), to read and download under the case."
		if due != nil {
			s += " It asks you to " + Ask(due.Rule, EN) + " by " + DueAt(due.Date, EN) + "." + counted(*due, EN)
		}
		return s
	}
	s := CaseLabel(kind, caseNo, ZH) + "：本中心已向你方发出《" + title + "》（" + number + "），请在案件文书中查阅、下载。"
	if due != nil {
		s += "请于" + DueAt(due.Date, ZH) + "前" + Ask(due.Rule, ZH) + "。" + counted(*due, ZH)
	}
	return s
}

// Asked tells a party a step is asked of it, by a deadline (due) or, when
// the regulation sets none, without (due nil): what is the rule's ask or,
// without a rule, the text given.
func Asked(kind, caseNo, what string, due *Due, lang Lang) string {
	if lang == EN {
		s := CaseLabel(kind, caseNo, EN) + ": please " + what
		if due != nil {
			s += " by " + DueAt(due.Date, EN) + "." + counted(*due, EN)
		} else {
			s += "."
		}
		return s
	}
	s := CaseLabel(kind, caseNo, ZH) + "：请"
	if due != nil {
		s += "于" + DueAt(due.Date, ZH) + "前"
	}
	s += what + "。"
	if due != nil {
		s += counted(*due, ZH)
	}
	return s
}

// Told tells a party of an event that asks nothing of it.
func Told(kind, caseNo, what string, lang Lang) string {
	if lang == EN {
		return CaseLabel(kind, caseNo, EN) + ": " + what
	}
	return CaseLabel(kind, caseNo, ZH) + "：" + what
}

// Corrected tells a party that a calendar update moved a due date of the
// case: the limit, the old date, the new one and why.
func Corrected(kind, caseNo, rule string, old, now calendar.Date, provisional bool, rev int64, lang Lang) string {
	if lang == EN {
		s := CaseLabel(kind, caseNo, EN) + ": the " + RuleName(rule, EN) + " now ends at " + DueAt(now, EN) +
			", not on " + DateEN(old) + ": the working-day calendar was updated"
		if rev > 0 {
			s += " (revision " + strconv.FormatInt(rev, 10) + ")"
		}
		s += "."
		if provisional {
			s += " The date is still an estimate on the statutory holidays; it will be counted again once the State Council publishes the schedule."
		}
		return s
	}
	s := CaseLabel(kind, caseNo, ZH) + "：因工作日历更新"
	if rev > 0 {
		s += "（第" + strconv.FormatInt(rev, 10) + "次修订）"
	}
	s += "，" + RuleName(rule, ZH) + "的届满日由" + Date(old) + "更正为" + DueAt(now, ZH) + "。"
	if provisional {
		s += calendar.ProvisionalNote + "。"
	}
	return s
}

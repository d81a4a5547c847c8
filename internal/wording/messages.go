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

// Why is the reason a time limit moved, in both languages.
type Why struct{ ZH, EN string }

// PauseKind is why a case clock stands still: the kind of pause (an
// expert test or appraisal, a review) and the caseworker's reason.
func PauseKind(kind, reason string) Why {
	w := Why{ZH: "复核", EN: "a review"}
	if kind == "expert_test" {
		w = Why{ZH: "检验鉴定", EN: "an expert test or appraisal"}
	}
	if reason != "" {
		w.ZH += "（" + reason + "）"
		w.EN += " (" + reason + ")"
	}
	return w
}

// Paused tells a party that the case clock stands still from a date:
// the days it stands still do not count, and the new dates will follow.
// Told adds the case.
func Paused(from calendar.Date, why Why, lang Lang) string {
	if lang == EN {
		return "the case clock stands still from " + DateEN(from) + " for " + why.EN +
			". The days it stands still do not count towards any time limit of the case; when it runs again every time limit is lengthened accordingly and you will be told the new dates."
	}
	return "因" + why.ZH + "，本案自" + Date(from) + "起中止计时。中止期间不计入本案各项期限；恢复计时后各项期限相应顺延，届时另行告知新的届满日。"
}

// ResumedWhy is why limits moved when a paused clock runs again.
func ResumedWhy(from, to calendar.Date) Why {
	return Why{
		ZH: "本案自" + Date(from) + "起中止计时、于" + Date(to) + "恢复计时，中止期间不计入期限",
		EN: "the case clock stood still from " + DateEN(from) + " until " + DateEN(to) + ", and those days do not count",
	}
}

// ExtendedWhy is why a limit moved when the head of the centre approved
// an extension, with the reason given.
func ExtendedWhy(reason string) Why {
	return Why{ZH: "负责人批准延长办理期限（" + reason + "）", EN: "the head of the centre approved an extension (" + reason + ")"}
}

// Lengthened tells a party that a due date of the case moved later: the
// limit, the old date, the new one and why.
func Lengthened(kind, caseNo, rule string, old, now calendar.Date, why Why, lang Lang) string {
	if lang == EN {
		return CaseLabel(kind, caseNo, EN) + ": the " + RuleName(rule, EN) + " now ends at " + DueAt(now, EN) +
			", not on " + DateEN(old) + ": " + why.EN + "."
	}
	return CaseLabel(kind, caseNo, ZH) + "：因" + why.ZH + "，" + RuleName(rule, ZH) + "的届满日由" + Date(old) + "顺延至" + DueAt(now, ZH) + "。"
}

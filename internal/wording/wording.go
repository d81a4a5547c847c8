// Package wording writes what people read about deadlines and cases in
// their language: dates as Chinese documents write them, the explanation
// of how a deadline was counted ("自2026年11月30日起算10个工作日（不含当
// 日），其间无法定节假日和调休；截止于2026年12月14日（星期一）24时"), the
// names of the deadline rules and of what each asks of whom, and the
// messages of the inbox. It is pure (no I/O), so workflows, activities,
// letters and the API can all use it.
package wording

import (
	"strconv"
	"strings"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Lang is the reader's language.
type Lang string

// Languages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// ParseLang picks the language of an Accept-Language header: English when
// English is preferred to Chinese, else Chinese (the default).
func ParseLang(accept string) Lang {
	for _, part := range strings.Split(accept, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return ZH
		case strings.HasPrefix(tag, "en"):
			return EN
		}
	}
	return ZH
}

// Date writes d as Chinese documents do: "2026年12月14日".
func Date(d calendar.Date) string {
	return strconv.Itoa(d.Year) + "年" + strconv.Itoa(int(d.Month)) + "月" + strconv.Itoa(d.Day) + "日"
}

var weekdaysZH = [7]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// DateWeekday writes "2026年12月14日（星期一）".
func DateWeekday(d calendar.Date) string {
	return Date(d) + "（" + weekdaysZH[d.Weekday()] + "）"
}

// DateEN writes "Monday 14 December 2026".
func DateEN(d calendar.Date) string {
	return d.Weekday().String() + " " + strconv.Itoa(d.Day) + " " + d.Month.String() + " " + strconv.Itoa(d.Year)
}

// DueAt writes the end of a deadline, "2026年12月14日（星期一）24时" or
// "24:00 on Monday 14 December 2026 (Beijing time)".
func DueAt(d calendar.Date, lang Lang) string {
	if lang == EN {
		return "24:00 on " + DateEN(d) + " (Beijing time)"
	}
	return DateWeekday(d) + "24时"
}

// DateOfTime is the Asia/Shanghai date of t written for lang.
func DateOfTime(t time.Time, lang Lang) string {
	d := calendar.DateOf(t)
	if lang == EN {
		return strconv.Itoa(d.Day) + " " + d.Month.String() + " " + strconv.Itoa(d.Year)
	}
	return Date(d)
}

// span writes a run of days: "2026年10月1日至8日", "2026年12月31日至2027年1月1日".
func span(from, to calendar.Date, lang Lang) string {
	if lang == EN {
		f := strconv.Itoa(from.Day) + " " + from.Month.String()[:3]
		if from == to {
			return f + " " + strconv.Itoa(from.Year)
		}
		if from.Year != to.Year {
			f += " " + strconv.Itoa(from.Year)
		}
		return f + "–" + strconv.Itoa(to.Day) + " " + to.Month.String()[:3] + " " + strconv.Itoa(to.Year)
	}
	if from == to {
		return Date(from)
	}
	switch {
	case from.Year != to.Year:
		return Date(from) + "至" + Date(to)
	case from.Month != to.Month:
		return Date(from) + "至" + strconv.Itoa(int(to.Month)) + "月" + strconv.Itoa(to.Day) + "日"
	}
	return Date(from) + "至" + strconv.Itoa(to.Day) + "日"
}

// regionNames names the calendar overlays.
var regionNames = map[string][2]string{
	"guangxi": {"广西壮族自治区", "Guangxi"},
}

func regionName(r string, lang Lang) string {
	if n, ok := regionNames[r]; ok {
		if lang == EN {
			return n[1]
		}
		return n[0]
	}
	return r
}

// Period writes a length: "10个工作日", "60日", "6个月", "1年".
func Period(n int, unit calendar.Unit, lang Lang) string {
	s := strconv.Itoa(n)
	if lang == EN {
		switch unit {
		case calendar.WorkingDays:
			return s + plural(n, " working day")
		case calendar.CalendarDays:
			return s + plural(n, " day")
		case calendar.Months:
			return s + plural(n, " month")
		}
		return s + plural(n, " year")
	}
	switch unit {
	case calendar.WorkingDays:
		return s + "个工作日"
	case calendar.CalendarDays:
		return s + "日"
	case calendar.Months:
		return s + "个月"
	}
	return s + "年"
}

func plural(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// Explain says how deadline d was counted, for a reader of lang. extra is
// the part of d.N added by clock pauses and extensions (0 when none); the
// rest is the rule's own length.
func Explain(d calendar.Deadline, extra int, lang Lang) string {
	if lang == EN {
		return explainEN(d, extra)
	}
	var b strings.Builder
	b.WriteString("自" + Date(d.Start) + "起算")
	if extra > 0 && d.Unit == calendar.WorkingDays {
		b.WriteString(Period(d.N-extra, d.Unit, ZH) + "，另加暂停计时和延长的" + Period(extra, d.Unit, ZH) + "，共" + Period(d.N, d.Unit, ZH))
	} else {
		b.WriteString(Period(d.N, d.Unit, ZH))
	}
	b.WriteString("（不含当日）")
	if d.Unit == calendar.WorkingDays {
		var parts []string
		for _, s := range d.Skipped {
			p := span(s.From, s.To, ZH) + s.Name + "放假"
			if s.Region != "" {
				p += "（" + regionName(s.Region, ZH)
				if s.Reported {
					p += "，日期据公开报道，尚待核实"
				}
				p += "）"
			}
			parts = append(parts, p)
		}
		for _, m := range d.MakeUpDays {
			p := DateWeekday(m.Date) + "调休上班，计为工作日"
			if m.Region != "" {
				p += "（" + regionName(m.Region, ZH) + "）"
			}
			parts = append(parts, p)
		}
		if len(parts) == 0 {
			b.WriteString("，其间无法定节假日和调休")
		} else {
			b.WriteString("，其间" + strings.Join(parts, "，"))
		}
	} else {
		b.WriteString("，期间最后一日为" + DateWeekday(d.Nominal))
		if d.Due != d.Nominal {
			b.WriteString("，适逢")
			var parts []string
			for _, s := range d.Skipped {
				parts = append(parts, span(s.From, s.To, ZH)+s.Name+"放假")
			}
			if len(parts) == 0 {
				parts = append(parts, "休息日")
			}
			b.WriteString(strings.Join(parts, "，") + "，顺延至其后第一个工作日")
		}
	}
	b.WriteString("；截止于" + DueAt(d.Due, ZH))
	if d.Provisional {
		years := make([]string, len(d.UnpublishedYears))
		for i, y := range d.UnpublishedYears {
			years[i] = strconv.Itoa(y) + "年"
		}
		b.WriteString("。" + strings.Join(years, "、") + "节假日安排尚未公布，暂按法定节假日估算，国务院公布安排后重新计算")
	}
	return b.String()
}

func explainEN(d calendar.Deadline, extra int) string {
	var b strings.Builder
	if extra > 0 && d.Unit == calendar.WorkingDays {
		b.WriteString(Period(d.N-extra, d.Unit, EN) + " plus " + Period(extra, d.Unit, EN) + " of pause or extension")
	} else {
		b.WriteString(Period(d.N, d.Unit, EN))
	}
	b.WriteString(" from " + DateEN(d.Start) + " (that day not counted)")
	if d.Unit == calendar.WorkingDays {
		var parts []string
		for _, s := range d.Skipped {
			p := span(s.From, s.To, EN) + " off (" + s.Name
			if s.Region != "" {
				p += ", " + regionName(s.Region, EN)
				if s.Reported {
					p += ", dates from press reports, unconfirmed"
				}
			}
			parts = append(parts, p+")")
		}
		for _, m := range d.MakeUpDays {
			p := DateEN(m.Date) + " is a make-up working day and counts"
			if m.Region != "" {
				p += " (" + regionName(m.Region, EN) + ")"
			}
			parts = append(parts, p)
		}
		if len(parts) == 0 {
			b.WriteString("; no public holiday or make-up working day in between")
		} else {
			b.WriteString("; " + strings.Join(parts, "; "))
		}
	} else {
		b.WriteString("; the last day is " + DateEN(d.Nominal))
		if d.Due != d.Nominal {
			b.WriteString(", a day off, so the period runs to the next working day")
		}
	}
	b.WriteString("; ends at " + DueAt(d.Due, EN))
	if d.Provisional {
		years := make([]string, len(d.UnpublishedYears))
		for i, y := range d.UnpublishedYears {
			years[i] = strconv.Itoa(y)
		}
		b.WriteString(". The holiday schedule of " + strings.Join(years, ", ") + " is not published yet: estimated from the statutory holidays, recomputed when the State Council publishes it")
	}
	return b.String()
}

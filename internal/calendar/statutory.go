package calendar

import (
	"sort"
	"time"
)

// ProvisionalNote is what every provisional deadline says wherever it is
// shown (API, board, letters): the period was counted on the statutory
// holidays alone and is recomputed once the State Council publishes the
// year's schedule.
const ProvisionalNote = "暂按法定节假日估算，国务院公布安排后重新计算"

// lunarHolidays are the dates of the lunar and solar-term statutory
// holidays (全国年节及纪念日放假办法 art. 2) that no data file gives for an
// unpublished year: 春节 (正月初一; 除夕 is the day before), 清明 (the solar
// term), 端午 (五月初五) and 中秋 (八月十五). Computed with
// github.com/6tail/lunar-go 1.4.7 and checked, for the published years,
// against the State Council notices (TestStatutoryDaysOffInPublishedYears).
var lunarHolidays = map[int][4]string{
	2020: {"2020-01-25", "2020-04-04", "2020-06-25", "2020-10-01"},
	2021: {"2021-02-12", "2021-04-04", "2021-06-14", "2021-09-21"},
	2022: {"2022-02-01", "2022-04-05", "2022-06-03", "2022-09-10"},
	2023: {"2023-01-22", "2023-04-05", "2023-06-22", "2023-09-29"},
	2024: {"2024-02-10", "2024-04-04", "2024-06-10", "2024-09-17"},
	2025: {"2025-01-29", "2025-04-04", "2025-05-31", "2025-10-06"},
	2026: {"2026-02-17", "2026-04-05", "2026-06-19", "2026-09-25"},
	2027: {"2027-02-06", "2027-04-05", "2027-06-09", "2027-09-15"},
	2028: {"2028-01-26", "2028-04-04", "2028-05-28", "2028-10-03"},
	2029: {"2029-02-13", "2029-04-04", "2029-06-16", "2029-09-22"},
	2030: {"2030-02-03", "2030-04-05", "2030-06-05", "2030-09-12"},
	2031: {"2031-01-23", "2031-04-05", "2031-06-24", "2031-10-01"},
	2032: {"2032-02-11", "2032-04-04", "2032-06-12", "2032-09-19"},
	2033: {"2033-01-31", "2033-04-04", "2033-06-01", "2033-09-08"},
	2034: {"2034-02-19", "2034-04-05", "2034-06-20", "2034-09-27"},
	2035: {"2035-02-08", "2035-04-05", "2035-06-10", "2035-09-16"},
}

// estimatorRules names the rules provisional years are counted by; it is
// part of every calendar version, so a deadline estimated under older rules
// is told apart.
const estimatorRules = "办法2024 art.2+art.6"

// revision2024 is the first year under the 2024 revision of the 办法
// (国务院令第795号, in force 2025-01-01): 除夕 and 5月2日 became holidays.
const revision2024 = 2025

// statutoryDays returns the days of year y on which all citizens have a
// holiday under the 办法 as it stands for y (art. 2): 元旦, 春节 (除夕 to 初三
// from 2025, 初一 to 初三 before), 清明, 劳动节 (1–2 May from 2025, 1 May
// before), 端午, 中秋 and 国庆 (1–3 Oct). The lunar days are known for the
// years of lunarHolidays; for other years only the fixed-date days are
// returned. Days are sorted and unique (中秋 may fall on 国庆).
func statutoryDays(y int) []dayEntry {
	var days []dayEntry
	add := func(d Date, name, note string) {
		days = append(days, dayEntry{Date: d, Kind: kindOff, Name: name, Note: note})
	}
	add(Date{y, time.January, 1}, "元旦", "")
	add(Date{y, time.May, 1}, "劳动节", "")
	if y >= revision2024 {
		add(Date{y, time.May, 2}, "劳动节", "")
	}
	for i := 1; i <= 3; i++ {
		add(Date{y, time.October, i}, "国庆节", "")
	}
	if l, ok := lunarHolidays[y]; ok {
		cny := MustParseDate(l[0])
		if y >= revision2024 {
			add(cny.AddDays(-1), "春节", "农历除夕")
		}
		for i := 0; i < 3; i++ {
			add(cny.AddDays(i), "春节", "")
		}
		add(MustParseDate(l[1]), "清明节", "")
		add(MustParseDate(l[2]), "端午节", "")
		add(MustParseDate(l[3]), "中秋节", "")
	}
	return mergeDays(days)
}

// mergeDays sorts days and keeps the first entry of each date.
func mergeDays(days []dayEntry) []dayEntry {
	sort.SliceStable(days, func(i, j int) bool { return days[i].Date.Before(days[j].Date) })
	out := days[:0]
	for _, d := range days {
		if n := len(out); n > 0 && out[n-1].Date == d.Date {
			continue
		}
		out = append(out, d)
	}
	return out
}

// makeUpDaysOff returns the 补假 of 全国年节及纪念日放假办法 art. 6 for the
// statutory days of one year: "全体公民放假的假日，如果适逢星期六、星期日，
// 应当在工作日补假". Each statutory day on a Saturday or Sunday gives one
// day off on the first working day after its holiday (a Monday to Friday
// that is neither a statutory day nor already a 补假), in date order. The
// State Council's notice may arrange them otherwise (and add 调休), which is
// why the result stays provisional.
func makeUpDaysOff(statutory []dayEntry) []dayEntry {
	isStatutory := map[Date]bool{}
	for _, d := range statutory {
		isStatutory[d.Date] = true
	}
	taken := map[Date]bool{}
	var out []dayEntry
	for i := 0; i < len(statutory); {
		// A holiday: consecutive statutory days of the same name.
		j := i
		for j+1 < len(statutory) && statutory[j+1].Name == statutory[i].Name && statutory[j+1].Date == statutory[j].Date.AddDays(1) {
			j++
		}
		owed := 0
		for k := i; k <= j; k++ {
			if wd := statutory[k].Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
				owed++
			}
		}
		for d := statutory[j].Date.AddDays(1); owed > 0; d = d.AddDays(1) {
			wd := d.Weekday()
			if wd == time.Saturday || wd == time.Sunday || isStatutory[d] || taken[d] {
				continue
			}
			taken[d] = true
			owed--
			out = append(out, dayEntry{Date: d, Kind: kindOff, Name: statutory[i].Name + "补假",
				Note: "全国年节及纪念日放假办法 art. 6: a holiday on a Saturday or Sunday is made up on a working day"})
		}
		i = j + 1
	}
	return out
}

// provisionalDaysOff returns what an unpublished national year y counts as
// days off: the statutory days (from the law and lunarHolidays, plus any
// provisional_days of its data file) and, with makeUp, their 补假.
func provisionalDaysOff(y int, nat *yearFile, makeUp bool) []dayEntry {
	days := statutoryDays(y)
	if nat != nil {
		days = append(days, nat.ProvisionalDays...)
	}
	days = mergeDays(days)
	if makeUp {
		days = append(days, makeUpDaysOff(days)...)
	}
	return days
}

package calendar

import "strconv"

var weekdayShort = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// explain fills d.Explanation, d.Skipped and d.MakeUpDays. s is the start
// index, nominal the last day before any art. 203 extension, due the last
// day. It walks only the days of the period, so its cost grows with the
// period, not with the data.
func (t *table) explain(d *Deadline, s, nominal, due int) {
	b := make([]byte, 0, 160)
	b = d.Start.appendTo(b)
	b = append(b, " + "...)
	b = strconv.AppendInt(b, int64(d.N), 10)
	switch d.Unit {
	case WorkingDays:
		if d.N == 1 {
			b = append(b, " working day (start day not counted): "...)
		} else {
			b = append(b, " working days (start day not counted): "...)
		}
		n0 := len(b)
		b = t.walk(d, b, s+1, due, true)
		if len(b) == n0 {
			b = append(b, "no holiday or 调休 day in between"...)
		}
	default:
		switch d.Unit {
		case CalendarDays:
			b = append(b, " calendar days = "...)
		case Months:
			b = append(b, " months = "...)
		case Years:
			b = append(b, " years = "...)
		}
		b = appendDay(b, d.Nominal)
		if due != nominal {
			b = append(b, ", not a working day, so the period ends on the next working day (民法典 art. 203): "...)
			n0 := len(b)
			b = t.walk(d, b, nominal, due-1, false)
			if len(b) == n0 {
				b = append(b, "weekend skipped"...)
			}
		}
	}
	b = append(b, "; due "...)
	b = appendDay(b, d.Due)
	b = append(b, " 24:00 Asia/Shanghai"...)
	if d.Provisional {
		b = append(b, "; PROVISIONAL ("...)
		b = append(b, ProvisionalNote...)
		b = append(b, "): no published schedule for "...)
		for i, y := range d.UnpublishedYears {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendInt(b, int64(y), 10)
			if t.unpublishedRegion[y-MinYear] {
				b = append(b, " ("...)
				b = append(b, t.region...)
				b = append(b, ')')
			}
		}
		b = append(b, ", counted on weekends, the statutory days and their 补假 (全国年节及纪念日放假办法 arts. 2, 6); recomputed when published"...)
	}
	d.Explanation = string(b)
}

// walk appends the named runs of days off and the make-up days of day
// indexes [from, to] to b and to d.
func (t *table) walk(d *Deadline, b []byte, from, to int, makeUps bool) []byte {
	for i := from; i <= to; i++ {
		li := t.labels[i]
		if li == 0 {
			continue
		}
		l := &t.labelTab[li]
		if !l.off {
			if !makeUps || !t.working(i) {
				continue
			}
			day := t.date(i)
			d.MakeUpDays = append(d.MakeUpDays, MakeUpDay{Date: day, Name: l.name, Region: l.region})
			b = sep(b)
			b = appendDay(b, day)
			b = append(b, " 调休上班 counted"...)
			if l.region != "" {
				b = append(b, " ("...)
				b = append(b, l.region...)
				b = append(b, ')')
			}
			continue
		}
		j := i
		for j < to && t.labels[j+1] == li {
			j++
		}
		from, until := t.date(i), t.date(j)
		d.Skipped = append(d.Skipped, Span{From: from, To: until, Name: l.name, Region: l.region, Reported: l.reported})
		b = sep(b)
		b = from.appendTo(b)
		if j > i {
			b = append(b, ".."...)
			if until.Year == from.Year {
				b = until.appendMonthDay(b)
			} else {
				b = until.appendTo(b)
			}
		}
		b = append(b, ' ')
		b = append(b, l.name...)
		b = append(b, " off"...)
		if l.region != "" {
			b = append(b, " ("...)
			b = append(b, l.region...)
			if l.reported {
				b = append(b, ", dates from secondary reports, unverified"...)
			}
			b = append(b, ')')
		}
		i = j
	}
	return b
}

// sep appends "; " unless b ends the lead-in (": ").
func sep(b []byte) []byte {
	if n := len(b); n >= 2 && b[n-2] == ':' && b[n-1] == ' ' {
		return b
	}
	return append(b, "; "...)
}

// appendDay appends "2025-10-14 Tue".
func appendDay(b []byte, d Date) []byte {
	b = d.appendTo(b)
	b = append(b, ' ')
	return append(b, weekdayShort[d.Weekday()]...)
}

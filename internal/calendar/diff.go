package calendar

import "sort"

// DayChange is one day that counts differently after a change of the data:
// as a working day or not, or under another name.
type DayChange struct {
	Date Date `json:"date"`
	// Region is "" for the national schedule, else the overlay's name.
	Region string `json:"region,omitempty"`
	// Before and After describe the day: "working day", "off: 春节",
	// "working day: 春节 调休上班", "off: weekend".
	Before string `json:"before"`
	After  string `json:"after"`
	// Working tells whether the day's status changed (a deadline running
	// over it may move); false for a renamed day.
	Working bool `json:"working_changed"`
}

// YearChange is a year whose status changed (e.g. unpublished → published).
type YearChange struct {
	Year   int    `json:"year"`
	Region string `json:"region,omitempty"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Changes is what a new calendar changes against the one it replaces.
type Changes struct {
	Years []YearChange `json:"years"`
	Days  []DayChange  `json:"days"`
}

// Empty reports whether nothing counts differently.
func (c Changes) Empty() bool { return len(c.Years) == 0 && len(c.Days) == 0 }

// WorkingDates returns the dates whose working status changed in any table,
// sorted and unique.
func (c Changes) WorkingDates() []Date {
	seen := map[Date]bool{}
	var out []Date
	for _, d := range c.Days {
		if d.Working && !seen[d.Date] {
			seen[d.Date] = true
			out = append(out, d.Date)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// Diff compares next with prev, table by table (the national schedule and
// every region of either), day by day, with provisional years as they are
// estimated: a provisional year that becomes published shows every day the
// notice counts differently from the estimate.
func Diff(prev, next *Calendar) Changes {
	var ch Changes
	regions := map[string]bool{}
	for r := range prev.tables {
		regions[r] = true
	}
	for r := range next.tables {
		regions[r] = true
	}
	for _, r := range sortedKeys(regions) {
		a, b := prev.tables[r], next.tables[r]
		// A region added or removed is compared with the national schedule.
		if a == nil {
			a = prev.tables[""]
		}
		if b == nil {
			b = next.tables[""]
		}
		for y := MinYear; y <= MaxYear; y++ {
			if a.published[y-MinYear] != b.published[y-MinYear] {
				ch.Years = append(ch.Years, YearChange{Year: y, Region: r, Before: statusWord(a.published[y-MinYear]), After: statusWord(b.published[y-MinYear])})
			}
		}
		for i := range a.labels {
			wa, wb := a.working(i), b.working(i)
			la, lb := a.describe(i), b.describe(i)
			if wa == wb && la == lb {
				continue
			}
			ch.Days = append(ch.Days, DayChange{Date: a.date(i), Region: r, Before: la, After: lb, Working: wa != wb})
		}
	}
	return ch
}

func statusWord(published bool) string {
	if published {
		return StatusPublished
	}
	return "provisional"
}

// describe says what day index i is, for people.
func (t *table) describe(i int) string {
	work := t.working(i)
	var l label
	if li := t.labels[i]; li != 0 {
		l = t.labelTab[li]
	}
	switch {
	case work && l.name == "":
		return "working day"
	case work:
		return "working day: " + l.name + " 调休上班"
	case l.name == "":
		return "off: weekend"
	}
	return "off: " + l.name
}

package calendar

import (
	"fmt"
	"time"

	// The tz database is embedded so that Asia/Shanghai loads on hosts
	// (containers, Windows) without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Shanghai is the Asia/Shanghai location (China Standard Time, UTC+8, no
// daylight saving since 1991). Every legal date in this system is a date in
// this zone, whatever the process time zone is.
var Shanghai = mustLoadShanghai()

func mustLoadShanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// Unreachable: time/tzdata is linked in.
		panic("calendar: cannot load Asia/Shanghai: " + err.Error())
	}
	return loc
}

// Date is a civil date (公历日期) without time of day or zone. The zero
// value is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d. It does not normalise: use ParseDate or
// Valid to check user input.
func NewDate(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// DateOf returns the date of the instant t in Asia/Shanghai — never the UTC
// date and never the date in the process time zone. 2025-01-24T17:00:00Z is
// 2025-01-25 in Shanghai.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Shanghai).Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("calendar: invalid date %q: want YYYY-MM-DD", s)
	}
	y, ok1 := atoi(s[0:4])
	m, ok2 := atoi(s[5:7])
	d, ok3 := atoi(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("calendar: invalid date %q: want YYYY-MM-DD", s)
	}
	dt := Date{Year: y, Month: time.Month(m), Day: d}
	if !dt.Valid() {
		return Date{}, fmt.Errorf("calendar: invalid date %q: no such day", s)
	}
	return dt, nil
}

// MustParseDate is ParseDate for constants in tests and tables; it panics on
// a malformed date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Valid reports whether d names a real day of the proleptic Gregorian
// calendar with a year in 1..9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as "2006-01-02".
func (d Date) String() string { return string(d.appendTo(make([]byte, 0, 10))) }

func (d Date) appendTo(b []byte) []byte {
	y := d.Year
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append(b, byte('0'+int(d.Month)/10), byte('0'+int(d.Month)%10), '-')
	return append(b, byte('0'+d.Day/10), byte('0'+d.Day%10))
}

// appendMonthDay appends "01-02".
func (d Date) appendMonthDay(b []byte) []byte {
	b = append(b, byte('0'+int(d.Month)/10), byte('0'+int(d.Month)%10), '-')
	return append(b, byte('0'+d.Day/10), byte('0'+d.Day%10))
}

// MarshalText implements encoding.TextMarshaler ("2006-01-02"), so a Date is
// a JSON string.
func (d Date) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("calendar: cannot marshal invalid date %04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	return d.appendTo(make([]byte, 0, 10)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return weekdayOf(d.dayNumber()) }

// AddDays returns d plus n calendar days (n may be negative).
func (d Date) AddDays(n int) Date { return fromDayNumber(d.dayNumber() + n) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	a, b := d.dayNumber(), e.dayNumber()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.dayNumber() < e.dayNumber() }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.dayNumber() > e.dayNumber() }

// Start returns 00:00 of d in Asia/Shanghai.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Shanghai) }

// End returns 24:00 of d in Asia/Shanghai, expressed as 00:00 of the next day:
// the moment a deadline falling on d expires (民法典 art. 203). An act is in
// time when it happens before End.
func (d Date) End() time.Time { return d.AddDays(1).Start() }

// dayNumber returns the number of days since 1970-01-01 (days-from-civil,
// H. Hinnant's algorithm): pure integer arithmetic, no time zones.
func (d Date) dayNumber() int {
	y := d.Year
	m := int(d.Month)
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d.Day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func fromDayNumber(z int) Date {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{Year: y, Month: time.Month(m), Day: d}
}

func weekdayOf(dn int) time.Weekday {
	// 1970-01-01 was a Thursday.
	w := (dn + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// addMonths implements 民法典 art. 202: a period in months or years ends on
// the corresponding day of the last month; without one (31 Jan + 1 month),
// on the last day of that month.
func addMonths(d Date, months int) Date {
	t := int(d.Month) - 1 + months
	y := d.Year + floorDiv(t, 12)
	m := time.Month(t - floorDiv(t, 12)*12 + 1)
	day := d.Day
	if n := daysIn(y, m); day > n {
		day = n
	}
	return Date{Year: y, Month: m, Day: day}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

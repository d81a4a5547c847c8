// Package caseno is the one case-number scheme of the three procedures:
//
//	YY-2026-000123   objection (异议)
//	LB-2026-000123   listing proposal (列入严重失信主体名单)
//	XF-2026-000123   credit repair application (信用修复)
//
// PREFIX-YEAR-SEQUENCE, the year in Asia/Shanghai, the sequence six digits
// or more from the procedure's database sequence. Numbers given before the
// scheme (YY2026-000123, XF2026-000123) stay valid: they are kept as they
// were issued and resolved from either spelling.
package caseno

import (
	"fmt"
	"regexp"
	"strconv"
)

// Prefixes of the procedures.
const (
	Objection = "YY"
	Listing   = "LB"
	Repair    = "XF"
)

// Format is the number of the seq-th case of prefix's procedure in year.
func Format(prefix string, year int, seq int64) string {
	return fmt.Sprintf("%s-%04d-%06d", prefix, year, seq)
}

var pattern = regexp.MustCompile(`^(YY|LB|XF)-?([0-9]{4})-([0-9]{6,12})$`)

// Parts are the pieces of a case number.
type Parts struct {
	Prefix string
	Year   int
	Seq    int64
}

// Parse reads a case number in the current or the earlier spelling.
func Parse(s string) (Parts, bool) {
	m := pattern.FindStringSubmatch(s)
	if m == nil {
		return Parts{}, false
	}
	year, _ := strconv.Atoi(m[2])
	seq, err := strconv.ParseInt(m[3], 10, 64)
	if err != nil {
		return Parts{}, false
	}
	return Parts{Prefix: m[1], Year: year, Seq: seq}, true
}

// Valid reports whether s is a case number (either spelling).
func Valid(s string) bool { _, ok := Parse(s); return ok }

// Spellings are the numbers a case given as s may be stored under: the
// current spelling and the earlier one (without the dash after the prefix).
func Spellings(s string) []string {
	p, ok := Parse(s)
	if !ok {
		return []string{s}
	}
	_, digits := splitLast(s)
	return []string{
		fmt.Sprintf("%s-%04d-%s", p.Prefix, p.Year, digits),
		fmt.Sprintf("%s%04d-%s", p.Prefix, p.Year, digits),
	}
}

func splitLast(s string) (string, string) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '-' {
			return s[:i], s[i+1:]
		}
	}
	return "", s
}

package records

import (
	"fmt"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/ident"
)

// DisclosurePeriodRule names the policy period (披露期限) that governs a
// record, or "" when the record has no fixed disclosure end (basic,
// positive and other records are disclosed until changed).
//
// The lengths are the policy profile's (Nantong art. 30: general 1 year,
// serious 3 years; national defaults for personal negative records,
// 5 years, and warnings, 3 months). How a record maps to a period is
// decided here, in one place:
//   - minor (轻微失信, e.g. a warning): disclosure.minor;
//   - a natural person's general or serious negative record:
//     disclosure.personal_negative (the longest period wins);
//   - an organisation's: disclosure.general or disclosure.serious.
func DisclosurePeriodRule(kind ident.Kind, category, severity string) string {
	if category != Negative {
		return ""
	}
	switch {
	case severity == Minor:
		return "disclosure.minor"
	case kind == ident.Person:
		return "disclosure.personal_negative"
	case severity == Serious:
		return "disclosure.serious"
	default:
		return "disclosure.general"
	}
}

// disclosureEnd is the last day of disclosure: the day corresponding to the
// decision date at the end of the period (民法典 art. 202; the decision day
// itself is not counted, art. 201). The art. 203 extension to a working day
// concerns the time to perform an act and is not applied to disclosure.
func (s *Store) disclosureEnd(rule string, decided calendar.Date) (calendar.Date, error) {
	p, err := s.profile.Period(rule)
	if err != nil {
		return calendar.Date{}, err
	}
	if p.Length < 1 {
		return calendar.Date{}, fmt.Errorf("period %s of profile %s has length %d", rule, s.profile.ID, p.Length)
	}
	// Provisional: the nominal end does not depend on holiday schedules,
	// which are not published years ahead.
	d, err := s.cal.Add(decided, p.Length, p.Unit, calendar.Options{Region: s.profile.Region, Provisional: true})
	if err != nil {
		return calendar.Date{}, err
	}
	return d.Nominal, nil
}

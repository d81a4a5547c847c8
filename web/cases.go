package web

import (
	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
)

// deadlineView is a deadline as every page shows it: what it is, who must
// act, the due date, the working days left (negative: overdue), the
// explanation on demand and whether it is provisional.
type deadlineView struct {
	casework.Deadline
	RuleKey  string // catalogue key of the rule's name ("" when unknown)
	PartyKey string
	DaysLeft int
	HasDays  bool
	Light    string // red | yellow | green (pending only)
}

// deadline prepares d for a page: the working days from today to the due
// date are counted on the case profile's calendar.
func (c *Console) deadline(d casework.Deadline, profileID string) deadlineView {
	v := deadlineView{Deadline: d}
	if known("rule." + d.Rule) {
		v.RuleKey = "rule." + d.Rule
	}
	v.PartyKey = partyKey(d.Party)
	if d.State != "pending" {
		return v
	}
	opt := calendar.Options{Provisional: d.Provisional}
	if prof, err := policy.Default().Get(profileID); err == nil {
		opt.Region = prof.Region
	}
	due, err := calendar.ParseDate(d.DueDate)
	if err != nil {
		return v
	}
	n, err := c.cal.WorkingDaysBetween(calendar.DateOf(c.Now()), due, opt)
	if err != nil {
		return v
	}
	v.DaysLeft, v.HasDays = n, true
	switch {
	case n < 0 || (n == 0 && c.Now().After(d.DueAt)):
		v.Light = "red"
	case n <= 1:
		v.Light = "yellow"
	default:
		v.Light = "green"
	}
	return v
}

func partyKey(party string) string {
	switch party {
	case activities.PartyCentre, activities.PartySubject, activities.PartySupervisor:
		return "party." + party
	case "":
		return ""
	}
	return "party.provider"
}

func (c *Console) deadlines(ds []casework.Deadline, profileID string) []deadlineView {
	out := make([]deadlineView, 0, len(ds))
	for _, d := range ds {
		out = append(out, c.deadline(d, profileID))
	}
	return out
}

// pendingFirst is the pending deadlines (soonest first) then the settled.
func pendingFirst(ds []deadlineView) (pending, settled []deadlineView) {
	for _, d := range ds {
		if d.State == "pending" {
			pending = append(pending, d)
		} else {
			settled = append(settled, d)
		}
	}
	for i := 1; i < len(pending); i++ {
		for j := i; j > 0 && pending[j].DueAt.Before(pending[j-1].DueAt); j-- {
			pending[j], pending[j-1] = pending[j-1], pending[j]
		}
	}
	return pending, settled
}

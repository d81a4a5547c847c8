package rules

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/calendar"
)

// YearStatus is one year of the national calendar for the operator:
// published (the State Council's notice is in), provisional (counted on
// the statutory days and their 补假, flagged), or missing (no data file:
// provisional too, on the law alone).
type YearStatus struct {
	Year   int    `json:"year"`
	Status string `json:"status"` // published | provisional | missing
	Source string `json:"source,omitempty"`
}

// RecomputeRun is a recompute run after a calendar revision.
type RecomputeRun struct {
	Revision   int64     `json:"revision"`
	Reason     string    `json:"reason"`
	ImportedBy string    `json:"imported_by"`
	ImportedAt time.Time `json:"imported_at"`
	State      string    `json:"state"` // running | done | not started
	Cases      int       `json:"cases"`
	Done       int       `json:"done"`
	Moved      int       `json:"deadlines_moved"`
}

// Status is the operator's view of the calendar.
type Status struct {
	Today    calendar.Date     `json:"today"`
	Revision int64             `json:"revision"`
	Versions map[string]string `json:"versions"`
	Years    []YearStatus      `json:"years"`
	// OpenCasesProvisional and DeadlinesProvisional count the open cases
	// and their pending deadlines that run into a year not published.
	OpenCasesProvisional int `json:"open_cases_provisional"`
	DeadlinesProvisional int `json:"deadlines_provisional"`
	// ProvisionalFrom is the first start date from which a deadline of the
	// longest working-day rule of the profiles runs into the first year not
	// published (zero when every year ahead is published).
	ProvisionalFrom calendar.Date `json:"provisional_from,omitzero"`
	LongestRule     string        `json:"longest_rule,omitempty"`
	// Warning is set from 1 November while next year's schedule is missing.
	Warning    string         `json:"warning,omitempty"`
	Recomputes []RecomputeRun `json:"recomputes"`
}

// Status reads the operator's view as of now.
func (r *Rules) Status(ctx context.Context, now time.Time) (Status, error) {
	today := calendar.DateOf(now)
	cal, err := r.Calendar(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Today: today, Versions: cal.Versions(), Warning: cal.NextYearWarning(today), Recomputes: []RecomputeRun{}}
	if st.Revision, err = r.Head(ctx); err != nil {
		return Status{}, err
	}
	years, err := cal.Years("")
	if err != nil {
		return Status{}, err
	}
	known := map[int]calendar.YearInfo{}
	for _, y := range years {
		known[y.Year] = y
	}
	firstOpen := 0
	for y := today.Year - 1; y <= today.Year+2; y++ {
		ys := YearStatus{Year: y, Status: "missing"}
		if info, ok := known[y]; ok {
			ys.Status = "provisional"
			if info.Status == calendar.StatusPublished {
				ys.Status = calendar.StatusPublished
			}
			if len(info.Sources) > 0 {
				ys.Source = info.Sources[0].Title
			}
		}
		if ys.Status != calendar.StatusPublished && firstOpen == 0 && y >= today.Year {
			firstOpen = y
		}
		st.Years = append(st.Years, ys)
	}
	// From which start date the longest working-day rule runs into it.
	if firstOpen > 0 {
		longest := 0
		for _, p := range r.Policies().Profiles() {
			for _, rule := range p.Rules {
				if rule.Unit == calendar.WorkingDays && rule.Length > longest {
					longest, st.LongestRule = rule.Length, p.ID+"/"+rule.ID
				}
			}
		}
		last := calendar.NewDate(firstOpen-1, time.December, 31)
		for {
			ok, err := cal.IsWorkingDay(last, calendar.Options{Provisional: true})
			if err != nil || ok {
				break
			}
			last = last.AddDays(-1)
		}
		if longest > 0 {
			if from, err := cal.SubtractWorkingDays(last, longest-1, calendar.Options{Provisional: true}); err == nil {
				st.ProvisionalFrom = from
			}
		}
	}
	if r.pool == nil {
		return st, nil
	}
	if err := r.pool.QueryRow(ctx, `SELECT count(DISTINCT case_no), count(*) FROM case_deadlines
		WHERE state = 'pending' AND case_open AND provisional`).Scan(&st.OpenCasesProvisional, &st.DeadlinesProvisional); err != nil {
		return Status{}, fmt.Errorf("provisional deadlines: %w", err)
	}
	rows, err := r.pool.Query(ctx, `SELECT r.rev, r.reason, r.actor, r.created_at, coalesce(x.state, 'not started'),
			(SELECT count(*) FROM calendar_recompute_cases c WHERE c.rev = r.rev),
			(SELECT count(*) FROM calendar_recompute_cases c JOIN cases k USING (case_no)
			  WHERE c.rev = r.rev AND (c.done_at IS NOT NULL OR k.status <> 'open')),
			(SELECT coalesce(sum(moved), 0) FROM calendar_recompute_cases c WHERE c.rev = r.rev)
		FROM calendar_revisions r LEFT JOIN calendar_recomputes x ON x.rev = r.rev
		WHERE r.rev > 1 ORDER BY r.rev DESC LIMIT 10`)
	if err != nil {
		return Status{}, err
	}
	runs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RecomputeRun])
	if err != nil {
		return Status{}, err
	}
	st.Recomputes = append(st.Recomputes, runs...)
	return st, nil
}

package supervision

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Report computes the provider performance report (信息提供单位履职情况,
// the periodic report of Nantong art. 40): for every provider, and for
// every rule within it, how many of its deadlines that fell due in the
// period were met on time.
//
// A deadline counts in the period of its due date (Asia/Shanghai). It is
// on time when it was settled met no later than its due time; late when it
// was met after it (a reply after the lapse); missed when it lapsed and
// stayed so. Superseded (recomputed) and cancelled deadlines are left out,
// as are deadlines still pending.
type Report struct{ Pool *pgxpool.Pool }

// Performance is one line of the report. Rule is "" on a provider's total.
type Performance struct {
	ProviderID   int64   `json:"provider_id"`
	ProviderName string  `json:"provider_name"`
	Rule         string  `json:"rule,omitempty"`
	Total        int     `json:"total"`
	OnTime       int     `json:"on_time"`
	Late         int     `json:"late"`
	Missed       int     `json:"missed"`
	OnTimeRate   float64 `json:"on_time_rate"` // OnTime / Total, 0–1, four decimals
}

// ProviderTotal is a provider's total with its per-rule lines.
type ProviderTotal struct {
	Performance
	Rules []Performance `json:"rules"`
}

// ProviderReport is the report over [From, To] (dates, both included).
type ProviderReport struct {
	From      string          `json:"from"`
	To        string          `json:"to"`
	Providers []ProviderTotal `json:"providers"`
}

// Providers computes the report for due dates from..to (inclusive).
func (r *Report) Providers(ctx context.Context, from, to calendar.Date) (ProviderReport, error) {
	if to.Before(from) {
		return ProviderReport{}, &ErrInvalid{Field: "to", ZH: "结束日期不得早于开始日期", EN: "to must not be before from"}
	}
	// Summed from provider_report_tally (migration 00099): the deadlines
	// per due time, provider and rule, counted on time, late and missed as
	// above by a trigger on case_deadlines.
	rows, err := r.Pool.Query(ctx, `
		SELECT t.provider_id, coalesce(p.name, ''), t.rule_id, t.on_time, t.late, t.missed
		FROM (
			SELECT substr(d.party, 10)::bigint AS provider_id, d.rule_id,
				sum(d.on_time)::bigint AS on_time, sum(d.late)::bigint AS late, sum(d.missed)::bigint AS missed
			FROM provider_report_tally d
			WHERE d.due_at > $1 AND d.due_at <= $2
			GROUP BY 1, 2
		) t LEFT JOIN providers p ON p.id = t.provider_id
		ORDER BY t.provider_id, t.rule_id`,
		// due_at is 24:00 of the due date: due dates from..to are the
		// instants in (from 00:00, to+1 00:00].
		from.Start(), to.End())
	if err != nil {
		return ProviderReport{}, err
	}
	lines, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Performance, error) {
		var p Performance
		err := row.Scan(&p.ProviderID, &p.ProviderName, &p.Rule, &p.OnTime, &p.Late, &p.Missed)
		p.Total = p.OnTime + p.Late + p.Missed
		p.OnTimeRate = rate(p.OnTime, p.Total)
		return p, err
	})
	if err != nil {
		return ProviderReport{}, err
	}
	out := ProviderReport{From: from.String(), To: to.String(), Providers: []ProviderTotal{}}
	for _, l := range lines {
		n := len(out.Providers)
		if n == 0 || out.Providers[n-1].ProviderID != l.ProviderID {
			out.Providers = append(out.Providers, ProviderTotal{Performance: Performance{ProviderID: l.ProviderID, ProviderName: l.ProviderName}})
			n++
		}
		t := &out.Providers[n-1]
		t.OnTime += l.OnTime
		t.Late += l.Late
		t.Missed += l.Missed
		t.Total += l.Total
		t.OnTimeRate = rate(t.OnTime, t.Total)
		t.Rules = append(t.Rules, l)
	}
	return out, nil
}

func rate(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n*10000/total) / 10000
}

// WriteCSV writes the report as CSV (UTF-8 with a byte-order mark, so that
// spreadsheet programs read the Chinese names): one line per provider total
// (rule "*") followed by its rules.
func (p ProviderReport) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"from", "to", "provider_id", "provider_name", "rule", "total", "on_time", "late", "missed", "on_time_rate"})
	line := func(l Performance, rule string) {
		_ = cw.Write([]string{p.From, p.To, strconv.FormatInt(l.ProviderID, 10), csvText(l.ProviderName), csvText(rule),
			strconv.Itoa(l.Total), strconv.Itoa(l.OnTime), strconv.Itoa(l.Late), strconv.Itoa(l.Missed),
			strconv.FormatFloat(l.OnTimeRate, 'f', 4, 64)})
	}
	for _, t := range p.Providers {
		line(t.Performance, "*")
		for _, r := range t.Rules {
			line(r, r.Rule)
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText makes a text cell of the CSV inert in a spreadsheet: a cell that
// begins with =, +, -, @, a tab or a carriage return is read by Excel,
// WPS and LibreOffice as a formula (a provider named "=HYPERLINK(…)" or
// "=cmd|' /C calc'!A0" would run on the supervisor's machine), so such a
// cell is written with a leading apostrophe, which those programs show as
// text and do not display.
func csvText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

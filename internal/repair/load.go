package repair

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Querier is what Load reads with: a pool or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrNoRecord is returned by Load for a record that does not exist.
var ErrNoRecord = errors.New("repair: no such record")

// Subject names the subject of the record, for authorisation and the
// workflow's case reference.
type Subject struct {
	SubjectID  int64
	ProviderID int64
}

// Load reads the facts about record id as they stand on today: the record
// and the subject's other negative records. Documents stay unknown (the dry
// run); the caller fills them at filing.
func Load(ctx context.Context, q Querier, id int64, today calendar.Date) (Facts, Subject, error) {
	var f Facts
	var s Subject
	var decided time.Time
	var end *time.Time
	var severity *string
	err := q.QueryRow(ctx, `SELECT subject_id, provider_id, category, severity, dishonesty_category, status, decided_on, disclosure_end
		FROM records WHERE id = $1`, id).Scan(&s.SubjectID, &s.ProviderID, &f.Record.Category, &severity, &f.Record.Dishonesty, &f.Record.Status, &decided, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, s, ErrNoRecord
	}
	if err != nil {
		return f, s, err
	}
	f.Record.ID, f.Record.ProviderID, f.Today = id, s.ProviderID, today
	f.Record.DecidedOn = dateOf(decided)
	if severity != nil {
		f.Record.Severity = *severity
	}
	if end != nil {
		d := dateOf(*end)
		f.Record.DisclosureEnd = &d
	}
	rows, err := q.Query(ctx, `SELECT id, provider_id, dishonesty_category, decided_on, title FROM records
		WHERE subject_id = $1 AND category = 'negative' AND id <> $2 ORDER BY decided_on`, s.SubjectID, id)
	if err != nil {
		return f, s, err
	}
	f.Others, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Other, error) {
		var o Other
		var d time.Time
		err := r.Scan(&o.ID, &o.ProviderID, &o.Dishonesty, &d, &o.Title)
		o.DecidedOn = dateOf(d)
		return o, err
	})
	return f, s, err
}

// Documents fills the document conditions from the evidence filed with
// application caseNo: the commitment must be one of its files, and at least
// one further file must show the correction.
func Documents(ctx context.Context, q Querier, f Facts, caseNo string, commitment int64, evidence []int64) (Facts, error) {
	f.Documents = true
	rows, err := q.Query(ctx, `SELECT id FROM evidence WHERE case_ref = $1`, caseNo)
	if err != nil {
		return f, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return f, err
	}
	filed := map[int64]bool{}
	for _, id := range ids {
		filed[id] = true
	}
	f.Commitment = commitment > 0 && filed[commitment]
	f.Evidence = 0
	for _, id := range evidence {
		if id != commitment && filed[id] {
			f.Evidence++
		}
	}
	return f, nil
}

// SubjectFacts are the facts of one of a subject's negative records, with
// the policy profile the record is kept under ("" = the default).
type SubjectFacts struct {
	Facts
	Profile string
}

// LoadSubject reads, in one query, the facts of every negative record of
// subject as they stand on today: each record with all the others as its
// "others" — the same facts Load reads one record at a time, for a page
// that answers for all of a subject's records at once.
func LoadSubject(ctx context.Context, q Querier, subject int64, today calendar.Date) ([]SubjectFacts, error) {
	rows, err := q.Query(ctx, `SELECT id, provider_id, severity, dishonesty_category, status, decided_on, disclosure_end, title, profile_id
		FROM records WHERE subject_id = $1 AND category = 'negative' ORDER BY decided_on, id`, subject)
	if err != nil {
		return nil, err
	}
	type row struct {
		rec     Record
		title   string
		profile string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		var decided time.Time
		var end *time.Time
		var severity, profile *string
		err := r.Scan(&x.rec.ID, &x.rec.ProviderID, &severity, &x.rec.Dishonesty, &x.rec.Status, &decided, &end, &x.title, &profile)
		x.rec.Category, x.rec.DecidedOn = "negative", dateOf(decided)
		if severity != nil {
			x.rec.Severity = *severity
		}
		if profile != nil {
			x.profile = *profile
		}
		if end != nil {
			d := dateOf(*end)
			x.rec.DisclosureEnd = &d
		}
		return x, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]SubjectFacts, 0, len(all))
	for _, x := range all {
		f := SubjectFacts{Facts: Facts{Record: x.rec, Today: today}, Profile: x.profile}
		for _, o := range all {
			if o.rec.ID != x.rec.ID {
				f.Others = append(f.Others, Other{ID: o.rec.ID, ProviderID: o.rec.ProviderID, Dishonesty: o.rec.Dishonesty,
					DecidedOn: o.rec.DecidedOn, Title: o.title})
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func dateOf(t time.Time) calendar.Date { return calendar.NewDate(t.Year(), t.Month(), t.Day()) }

package supervision

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/db"
)

// Inbox reads the in-app notices (notifications table) of a party. Notices
// are addressed to a party, not to one account: every account of the party
// sees them, and reading one marks it read for the party.
type Inbox struct{ Pool *pgxpool.Pool }

// InboxOwner is whose inbox: a party (centre, supervisor, provider:<id>),
// or a subject — party "subject" on the cases of SubjectID.
type InboxOwner struct {
	Party     string
	SubjectID int64
}

// Notification is one notice.
type Notification struct {
	ID      int64  `json:"id"`
	CaseNo  string `json:"case_no"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// MessageEN is the same message in English ("" when there is none).
	MessageEN string     `json:"message_en,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// InboxFilter selects notices, newest first.
type InboxFilter struct {
	Unread bool
	Before int64
	Limit  int
}

func (o InboxOwner) where(args *[]any) string {
	arg := func(v any) string { *args = append(*args, v); return "$" + strconv.Itoa(len(*args)) }
	if o.Party == "subject" {
		return "n.party = 'subject' AND n.case_no IN (SELECT case_no FROM cases WHERE subject_id = " + arg(o.SubjectID) + ")"
	}
	return "n.party = " + arg(o.Party)
}

// List returns the owner's notices.
func (i *Inbox) List(ctx context.Context, o InboxOwner, f InboxFilter) ([]Notification, error) {
	var args []any
	q := `SELECT n.id, n.case_no, n.kind, n.message, n.message_en, n.created_at, n.read_at FROM notifications n WHERE ` + o.where(&args)
	if f.Unread {
		q += " AND n.read_at IS NULL"
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		q += " AND n.id < $" + strconv.Itoa(len(args))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, min(limit, MaxPage))
	q += " ORDER BY n.id DESC LIMIT $" + strconv.Itoa(len(args))
	rows, err := i.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) {
		var n Notification
		err := r.Scan(&n.ID, &n.CaseNo, &n.Kind, &n.Message, &n.MessageEN, &n.CreatedAt, &n.ReadAt)
		return n, err
	})
}

// MarkRead marks notice id read (once: the first reading time stays). A
// notice of another owner is ErrNotFound.
func (i *Inbox) MarkRead(ctx context.Context, o InboxOwner, id int64) (Notification, error) {
	args := []any{id}
	var n Notification
	err := i.Pool.QueryRow(ctx, `UPDATE notifications n SET read_at = coalesce(n.read_at, now())
		WHERE n.id = $1 AND `+o.where(&args)+` RETURNING n.id, n.case_no, n.kind, n.message, n.message_en, n.created_at, n.read_at`, args...).
		Scan(&n.ID, &n.CaseNo, &n.Kind, &n.Message, &n.MessageEN, &n.CreatedAt, &n.ReadAt)
	if db.IsNoRows(err) {
		return n, ErrNotFound
	}
	return n, err
}

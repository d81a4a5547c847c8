package relay

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
)

// Store reads the outbox for the API: the pull feed, the deliveries, and a
// supervisor's re-send.
type Store struct{ Pool *pgxpool.Pool }

// Cursor is a position in the pull feed: the writing transaction and the
// event id of the last event read. Its text form is "<txid>-<id>".
type Cursor struct {
	TxID uint64
	ID   int64
}

// String is the cursor's text form; the zero cursor is "0-0".
func (c Cursor) String() string { return fmt.Sprintf("%d-%d", c.TxID, c.ID) }

// ErrBadCursor is returned by ParseCursor.
var ErrBadCursor = errors.New("cursor: want the next_cursor of a previous page, like 1234-56")

// ParseCursor reads a cursor ("" is the start of the feed).
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	tx, id, ok := strings.Cut(s, "-")
	if !ok {
		return Cursor{}, ErrBadCursor
	}
	t, err1 := strconv.ParseUint(tx, 10, 64)
	i, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || i < 0 {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{TxID: t, ID: i}, nil
}

// FeedPage is one page of the pull feed.
type FeedPage struct {
	Events []Envelope `json:"events"`
	// NextCursor is where the next page starts; it equals the request's
	// cursor when nothing new was committed.
	NextCursor string `json:"next_cursor"`
	More       bool   `json:"more"`
}

// FeedLimit bounds a page of the feed.
const FeedLimit = 500

// Feed returns the events after cursor, oldest first, at most limit;
// providerID > 0 keeps the events about that provider's records. Only
// events of transactions older than every running one are served, so an
// event committed late is never behind a cursor already handed out.
func (s Store) Feed(ctx context.Context, after Cursor, limit int, providerID int64) (FeedPage, error) {
	if limit <= 0 || limit > FeedLimit {
		limit = FeedLimit
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT o.txid::text::bigint, o.id, o.event, o.dedup_key, o.created_at, o.stream, o.record_id, o.record_version, o.case_no, o.payload
		FROM record_outbox o
		WHERE (o.txid, o.id) > ($1::text::xid8, $2)
		  AND o.txid < pg_snapshot_xmin(pg_current_snapshot())
		  AND ($4 = 0 OR o.provider_id = $4)
		ORDER BY o.txid, o.id
		LIMIT $3`, strconv.FormatUint(after.TxID, 10), after.ID, limit+1, providerID)
	if err != nil {
		return FeedPage{}, err
	}
	defer rows.Close()
	page := FeedPage{Events: []Envelope{}, NextCursor: after.String()}
	for rows.Next() {
		var e Envelope
		var c Cursor
		if err := rows.Scan(&c.TxID, &e.ID, &e.Type, &e.IdempotencyKey, &e.OccurredAt, &e.Stream, &e.RecordID, &e.RecordVersion, &e.CaseNo, &e.Data); err != nil {
			return FeedPage{}, err
		}
		c.ID = e.ID
		if len(page.Events) == limit {
			page.More = true
			break
		}
		page.Events = append(page.Events, e)
		page.NextCursor = c.String()
	}
	return page, rows.Err()
}

// Delivery is one event's delivery to one subscriber, as supervisors see it.
type Delivery struct {
	EventID       int64      `json:"event_id"`
	Event         string     `json:"event"`
	Title         string     `json:"title"`
	Stream        string     `json:"stream"`
	CaseNo        string     `json:"case_no,omitempty"`
	RecordID      *int64     `json:"record_id,omitempty"`
	RecordVersion *int       `json:"record_version,omitempty"`
	Subscriber    string     `json:"subscriber"`
	SubscriberNm  string     `json:"subscriber_name"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	MaxAttempts   int        `json:"max_attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastStatus    *int       `json:"last_status,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	DeadAt        *time.Time `json:"dead_at,omitempty"`
	ResentBy      string     `json:"resent_by,omitempty"`
	ResentAt      *time.Time `json:"resent_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateDead      = "dead"
)

// DeliveryFilter selects deliveries: by state, by case, or both.
type DeliveryFilter struct {
	State  string
	CaseNo string
	Limit  int
}

const deliveryColumns = `o.id, o.event, o.stream, o.case_no, o.record_id, o.record_version, d.subscriber_id, s.name, d.state,
	d.attempts, s.max_attempts, d.next_attempt_at, d.last_status, d.last_error, d.delivered_at, d.dead_at, d.resent_by,
	d.resent_at, d.created_at`

func scanDelivery(row pgx.CollectableRow) (Delivery, error) {
	var d Delivery
	var next time.Time
	err := row.Scan(&d.EventID, &d.Event, &d.Stream, &d.CaseNo, &d.RecordID, &d.RecordVersion, &d.Subscriber, &d.SubscriberNm,
		&d.State, &d.Attempts, &d.MaxAttempts, &next, &d.LastStatus, &d.LastError, &d.DeliveredAt, &d.DeadAt, &d.ResentBy,
		&d.ResentAt, &d.CreatedAt)
	if d.State == StatePending {
		d.NextAttemptAt = &next
	}
	d.Title = EventTitle(d.Event)
	return d, err
}

// Deliveries lists deliveries: dead ones newest first (the board), those
// of a case in event order.
func (s Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var q string
	var args []any
	switch {
	case f.CaseNo != "":
		q = `SELECT ` + deliveryColumns + ` FROM record_outbox o JOIN event_deliveries d ON d.event_id = o.id
			JOIN event_subscribers s ON s.id = d.subscriber_id
			WHERE o.case_no = $1 AND ($2 = '' OR d.state = $2) ORDER BY o.id, d.subscriber_id LIMIT $3`
		args = []any{f.CaseNo, f.State, f.Limit}
	case f.State == StateDead:
		q = `SELECT ` + deliveryColumns + ` FROM event_deliveries d JOIN record_outbox o ON o.id = d.event_id
			JOIN event_subscribers s ON s.id = d.subscriber_id
			WHERE d.state = 'dead' ORDER BY d.dead_at DESC, d.event_id DESC LIMIT $1`
		args = []any{f.Limit}
	default:
		q = `SELECT ` + deliveryColumns + ` FROM event_deliveries d JOIN record_outbox o ON o.id = d.event_id
			JOIN event_subscribers s ON s.id = d.subscriber_id
			WHERE ($1 = '' OR d.state = $1) ORDER BY d.event_id DESC, d.subscriber_id LIMIT $2`
		args = []any{f.State, f.Limit}
	}
	rows, err := s.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanDelivery)
}

// DeadCount is how many deliveries are dead (the board's counter).
func (s Store) DeadCount(ctx context.Context) (int, error) {
	var n int
	err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM event_deliveries WHERE state = 'dead'`).Scan(&n)
	return n, err
}

// Refusals of a re-send.
var (
	ErrNoDelivery = errors.New("no such delivery")
	ErrNotDead    = errors.New("only a dead delivery can be re-sent")
)

// Resend puts a dead delivery back in the queue for a full new round of
// attempts, and says so in the audit trail. A delivery that is not dead is
// refused with ErrNotDead (nothing changes).
func (s Store) Resend(ctx context.Context, actor audit.Actor, subscriber string, eventID int64, reason string) (Delivery, error) {
	var out Delivery
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var state string
		var attempts int
		err := tx.QueryRow(ctx, `SELECT state, attempts FROM event_deliveries WHERE subscriber_id = $1 AND event_id = $2 FOR UPDATE`,
			subscriber, eventID).Scan(&state, &attempts)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoDelivery
		}
		if err != nil {
			return err
		}
		if state != StateDead {
			return ErrNotDead
		}
		// The attempt count restarts; the attempts made stay in
		// event_delivery_attempts.
		if _, err := tx.Exec(ctx, `UPDATE event_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(),
			lease_until = NULL, dead_at = NULL, resent_by = $3, resent_at = now()
			WHERE subscriber_id = $1 AND event_id = $2`, subscriber, eventID, actor.Username); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(eventID, 10)); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, actor, audit.Event{Action: "delivery.resent", ObjectType: "event_delivery",
			ObjectID: fmt.Sprintf("%s/%d", subscriber, eventID), Reason: reason,
			Data: map[string]any{"attempts_before": attempts}}); err != nil {
			return err
		}
		// The delivery as this re-send left it: read inside the transaction,
		// before the relay (woken by the notification at commit) moves it on.
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM event_deliveries d JOIN record_outbox o ON o.id = d.event_id
			JOIN event_subscribers s ON s.id = d.subscriber_id WHERE d.subscriber_id = $1 AND d.event_id = $2`, subscriber, eventID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanDelivery)
		return err
	})
	if err != nil {
		return Delivery{}, err
	}
	return out, nil
}

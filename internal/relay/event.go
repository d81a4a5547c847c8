// Package relay delivers the results of the procedures downstream (issue
// 19.1; Anshan art. 13, Nantong art. 35, Nanning art. 21: a corrected or
// repaired record reaches everyone who received the old version).
//
// The changes that downstream users must learn write an event into
// record_outbox in their own transaction (Enqueue; corrections by trigger on
// record_versions). A trigger fans each event out to the deployment's
// subscribers (event_deliveries) and wakes the relay. The relay, running in
// every worker process, claims due deliveries with a lease, posts them as
// signed JSON (HMAC-SHA256, Idempotency-Key) or e-mails them, and on failure
// retries with exponential back-off until the subscriber's limit, after
// which the delivery is dead: the supervisors see it on their board and on
// the case, and may re-send it. Deliveries of one stream (one record, one
// listing) go to a subscriber one at a time in order: a later version never
// overtakes an earlier one, not even a dead one.
//
// Systems that poll read the same events from the pull feed (Feed), keyset
// on (transaction id, event id), which never skips a row committed late.
package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Event types a subscriber receives.
const (
	// RecordCorrected: a new version of a record (更正); data is the
	// corrected record. Written by trigger on record_versions.
	RecordCorrected = "record.corrected"
	// RecordRepaired: an approved credit repair (信用修复); disclosure and
	// sharing stop, measures based on the record end.
	RecordRepaired = "record.repaired"
	// ListingDecided: a listing proposal was decided (listed or not).
	ListingDecided = "listing.decided"
	// ListingRemoved: a listed entry left the list (expired, repaired,
	// revoked, by decision).
	ListingRemoved = "listing.removed"
	// ObjectionClosed: an objection case reached its outcome (corrected,
	// upheld, deleted, withdrawn, or changed on appeal).
	ObjectionClosed = "objection.closed"
	// ObjectionHandedOver: an applicant still disagrees after the
	// provider's verification and the centre hands the case to the
	// provider (Anshan art. 10); data carries the applicant's words.
	ObjectionHandedOver = "objection.handed_over"
)

// EventTypes lists every event type, in the order the README gives them.
var EventTypes = []string{RecordCorrected, RecordRepaired, ListingDecided, ListingRemoved, ObjectionClosed, ObjectionHandedOver}

// NotifyChannel is the PostgreSQL channel a new event is announced on.
const NotifyChannel = "creditcase_outbox"

// Event is one row to write into the outbox.
type Event struct {
	Type string
	// DedupKey makes the write idempotent and is the Idempotency-Key the
	// subscribers see: a retried activity writes the event once.
	DedupKey string
	// Stream orders events: RecordStream or ListingStream.
	Stream        string
	RecordID      int64 // 0 for events about a listing
	RecordVersion int   // the record's version after the change (0: none)
	CaseNo        string
	ProviderID    int64
	Data          any
}

// RecordStream is the stream of the events about record id.
func RecordStream(id int64) string { return fmt.Sprintf("record:%d", id) }

// ListingStream is the stream of the events about a listing proposal.
func ListingStream(proposalNo string) string { return "listing:" + proposalNo }

// Enqueue writes e into the outbox inside tx, once per DedupKey. Call it in
// the transaction of the change the event announces, after the row that
// orders its stream (the record, the listing) is locked, so that events of
// one stream are numbered in the order they commit.
func Enqueue(ctx context.Context, tx pgx.Tx, e Event) error {
	if e.Type == "" || e.DedupKey == "" || e.Stream == "" {
		return fmt.Errorf("relay: event without type, dedup key or stream")
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("relay: event %s: %w", e.DedupKey, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO record_outbox (record_id, event, dedup_key, payload, stream, record_version, case_no, provider_id)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (dedup_key) DO NOTHING`,
		nullID(e.RecordID), e.Type, e.DedupKey, data, e.Stream, nullInt(e.RecordVersion), e.CaseNo, nullID(e.ProviderID))
	if err != nil {
		return fmt.Errorf("relay: enqueue %s: %w", e.DedupKey, err)
	}
	return nil
}

// SetCaseNo tells the correction trigger which case writes the next record
// version in tx (a transaction-local setting).
func SetCaseNo(ctx context.Context, tx pgx.Tx, caseNo string) error {
	_, err := tx.Exec(ctx, `SELECT set_config('creditcase.case_no', $1, true)`, caseNo)
	return err
}

// Envelope is the JSON body every subscriber receives (and the pull feed
// returns): the event, its place in its stream, and its data.
type Envelope struct {
	ID             int64           `json:"id"`
	Type           string          `json:"type"`
	IdempotencyKey string          `json:"idempotency_key"`
	OccurredAt     time.Time       `json:"occurred_at"`
	Stream         string          `json:"stream"`
	RecordID       *int64          `json:"record_id,omitempty"`
	RecordVersion  *int            `json:"record_version,omitempty"`
	CaseNo         string          `json:"case_no,omitempty"`
	Data           json.RawMessage `json:"data"`
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

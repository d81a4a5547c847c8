package relay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/notify"
)

// Headers of a webhook delivery.
const (
	HeaderEvent          = "X-Creditcase-Event"
	HeaderDelivery       = "X-Creditcase-Delivery" // the attempt number, from 1
	HeaderTimestamp      = "X-Creditcase-Timestamp"
	HeaderSignature      = "X-Creditcase-Signature" // "sha256=" + hex HMAC
	HeaderIdempotencyKey = "Idempotency-Key"
)

// Sign is the signature of a webhook body sent at timestamp (Unix
// seconds): hex HMAC-SHA256 under the subscriber's secret of
// "<timestamp>.<body>". Receivers compute the same and compare in constant
// time, and refuse timestamps far from their clock (replays).
func Sign(secret []byte, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against the body and the timestamp
// header, and that the timestamp lies within tolerance of now.
func Verify(secret []byte, timestampHeader, signatureHeader string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestampHeader, 10, 64)
	if err != nil {
		return errors.New("relay: bad timestamp header")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("relay: timestamp outside tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signatureHeader)) {
		return errors.New("relay: signature mismatch")
	}
	return nil
}

// Relay delivers due deliveries. Run it in every worker process; replicas
// share the work through leases.
type Relay struct {
	Pool   *pgxpool.Pool
	Config Config
	// SMTP sends the e-mail subscribers' notices (required when one is
	// configured).
	SMTP *notify.SMTPConfig
	Log  zerolog.Logger
	// Batch is how many deliveries one round claims (default 16); Lease how
	// long a claimed delivery stays reserved (default 2 min); Poll the
	// longest sleep between rounds when no notification comes (default
	// 15 s); Timeout bounds one HTTP or SMTP exchange (default 15 s).
	Batch   int
	Lease   time.Duration
	Poll    time.Duration
	Timeout time.Duration

	clients map[string]*http.Client
	subs    map[string]Subscriber
}

func (r *Relay) init() error {
	if r.Batch <= 0 {
		r.Batch = 16
	}
	if r.Lease <= 0 {
		r.Lease = 2 * time.Minute
	}
	if r.Poll <= 0 {
		r.Poll = 15 * time.Second
	}
	if r.Timeout <= 0 {
		r.Timeout = 15 * time.Second
	}
	r.clients = map[string]*http.Client{}
	r.subs = map[string]Subscriber{}
	for _, s := range r.Config.Subscribers {
		r.subs[s.ID] = s
		switch s.Kind {
		case KindWebhook:
			r.clients[s.ID] = &http.Client{
				Timeout:   r.Timeout,
				Transport: &http.Transport{TLSClientConfig: s.tlsConfig(), Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4},
				// A redirect could carry the signed body elsewhere.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}
		case KindEmail:
			if r.SMTP == nil {
				return fmt.Errorf("relay: subscriber %s receives e-mail but SMTP_ADDR is not set", s.ID)
			}
		}
	}
	return nil
}

// Run delivers until ctx ends, then lets the deliveries in flight finish
// (within Timeout) and returns. It wakes on every new event (LISTEN) and at
// least every Poll.
func (r *Relay) Run(ctx context.Context) error {
	if err := r.init(); err != nil {
		return err
	}
	if len(r.subs) == 0 {
		<-ctx.Done()
		return nil
	}
	conn, err := r.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("relay: listen: %w", err)
	}
	r.Log.Info().Int("subscribers", len(r.subs)).Msg("relay started")
	for ctx.Err() == nil {
		n, wait, err := r.Round(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.Error().Err(err).Msg("relay round failed")
			wait = time.Second
		}
		if n >= r.Batch {
			continue
		}
		if wait <= 0 || wait > r.Poll {
			wait = r.Poll
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		_, werr := conn.Conn().WaitForNotification(wctx)
		cancel()
		if werr != nil && ctx.Err() == nil && !errors.Is(werr, context.DeadlineExceeded) {
			return fmt.Errorf("relay: wait: %w", werr)
		}
	}
	// Release the LISTEN connection clean for the pool.
	_, _ = conn.Exec(context.WithoutCancel(ctx), "UNLISTEN *")
	r.Log.Info().Msg("relay stopped")
	return nil
}

// claimed is a delivery this process holds the lease of.
type claimed struct {
	sub      Subscriber
	eventID  int64
	attempt  int
	envelope Envelope
}

// Round claims the due deliveries (at most Batch, at most one per stream
// and subscriber), delivers them and records the results. It returns how
// many it delivered or failed and how long until the next one is due.
func (r *Relay) Round(ctx context.Context) (int, time.Duration, error) {
	if r.subs == nil {
		if err := r.init(); err != nil {
			return 0, 0, err
		}
	}
	ids := make([]string, 0, len(r.subs))
	for id := range r.subs {
		ids = append(ids, id)
	}
	rows, err := r.Pool.Query(ctx, `
		WITH due AS (
			SELECT d.subscriber_id, d.event_id FROM event_deliveries d
			WHERE d.state = 'pending' AND d.next_attempt_at <= now()
			  AND (d.lease_until IS NULL OR d.lease_until < now())
			  AND d.subscriber_id = ANY($1)
			  AND NOT EXISTS (SELECT 1 FROM event_deliveries e
			                  WHERE e.subscriber_id = d.subscriber_id AND e.stream = d.stream
			                    AND e.event_id < d.event_id AND e.state <> 'delivered')
			ORDER BY d.next_attempt_at, d.event_id
			LIMIT $2
			FOR UPDATE OF d SKIP LOCKED)
		UPDATE event_deliveries d SET lease_until = now() + make_interval(secs => $3), attempts = d.attempts + 1
		FROM due, record_outbox o
		WHERE d.subscriber_id = due.subscriber_id AND d.event_id = due.event_id AND o.id = d.event_id
		RETURNING d.subscriber_id, d.event_id, d.attempts, o.event, o.dedup_key, o.created_at, o.stream,
			o.record_id, o.record_version, o.case_no, o.payload`,
		ids, r.Batch, r.Lease.Seconds())
	if err != nil {
		return 0, 0, fmt.Errorf("claim: %w", err)
	}
	var work []claimed
	for rows.Next() {
		var c claimed
		var sub string
		e := &c.envelope
		if err := rows.Scan(&sub, &c.eventID, &c.attempt, &e.Type, &e.IdempotencyKey, &e.OccurredAt, &e.Stream,
			&e.RecordID, &e.RecordVersion, &e.CaseNo, &e.Data); err != nil {
			rows.Close()
			return 0, 0, err
		}
		e.ID, c.sub = c.eventID, r.subs[sub]
		work = append(work, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("claim: %w", err)
	}
	// Deliveries in flight finish even when ctx ends (a stop waits for them).
	dctx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range work {
		wg.Go(func() {
			start := time.Now()
			status, derr := r.deliver(dctx, c)
			if err := r.record(dctx, c, status, derr, time.Since(start)); err != nil {
				// The lease runs out and the delivery is claimed again.
				r.Log.Error().Err(err).Str("subscriber", c.sub.ID).Int64("event_id", c.eventID).Msg("relay: result not recorded")
			}
		})
	}
	wg.Wait()
	var next *time.Time
	err = r.Pool.QueryRow(ctx, `SELECT min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) FROM event_deliveries
		WHERE state = 'pending' AND subscriber_id = ANY($1)`, ids).Scan(&next)
	if err != nil {
		return len(work), 0, err
	}
	var wait time.Duration
	if next != nil {
		wait = max(time.Until(*next), 10*time.Millisecond)
	}
	return len(work), wait, nil
}

// deliver makes one attempt; status is the HTTP status (0 for e-mail or no
// answer).
func (r *Relay) deliver(ctx context.Context, c claimed) (int, error) {
	body, err := json.Marshal(c.envelope)
	if err != nil {
		return 0, err
	}
	switch c.sub.Kind {
	case KindWebhook:
		return r.post(ctx, c, body)
	case KindEmail:
		return 0, r.mail(c, body)
	}
	return 0, fmt.Errorf("unknown subscriber kind %q", c.sub.Kind)
}

func (r *Relay) post(ctx context.Context, c claimed, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sub.Endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "creditcase-relay/1")
	req.Header.Set(HeaderEvent, c.envelope.Type)
	req.Header.Set(HeaderDelivery, strconv.Itoa(c.attempt))
	req.Header.Set(HeaderIdempotencyKey, c.envelope.IdempotencyKey)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(c.sub.Secret, ts, body))
	resp, err := r.clients[c.sub.ID].Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
	}
	return resp.StatusCode, nil
}

// mail sends the e-mail notice of an event: a short text in Chinese and
// the envelope as JSON. The Message-ID carries the idempotency key.
func (r *Relay) mail(c claimed, body []byte) error {
	cfg := r.SMTP
	var text strings.Builder
	e := c.envelope
	fmt.Fprintf(&text, "%s\n\n事件：%s\n", EventTitle(e.Type), e.Type)
	if e.RecordID != nil {
		fmt.Fprintf(&text, "信用信息编号：%d", *e.RecordID)
		if e.RecordVersion != nil {
			fmt.Fprintf(&text, "（第%d版）", *e.RecordVersion)
		}
		text.WriteString("\n")
	}
	if e.CaseNo != "" {
		fmt.Fprintf(&text, "案件编号：%s\n", e.CaseNo)
	}
	fmt.Fprintf(&text, "发生时间：%s\n幂等键：%s\n\n", e.OccurredAt.In(shanghai).Format("2006-01-02 15:04:05"), e.IdempotencyKey)
	text.Write(body)
	text.WriteString("\n")
	var msg strings.Builder
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\n", cfg.From, c.sub.Endpoint)
	fmt.Fprintf(&msg, "Subject: =?UTF-8?B?%s?=\r\n", base64.StdEncoding.EncodeToString([]byte(EventTitle(e.Type)+" "+e.Stream)))
	fmt.Fprintf(&msg, "Date: %s\r\nMessage-ID: <%s@creditcase>\r\n", time.Now().Format(time.RFC1123Z),
		strings.NewReplacer("/", ".", " ", "_", ":", ".").Replace(e.IdempotencyKey))
	msg.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b := base64.StdEncoding.EncodeToString([]byte(text.String()))
	for len(b) > 76 {
		msg.WriteString(b[:76] + "\r\n")
		b = b[76:]
	}
	msg.WriteString(b + "\r\n")
	var auth smtp.Auth
	if cfg.Username != "" {
		host, _, _ := net.SplitHostPort(cfg.Addr)
		auth = smtp.PlainAuth("", cfg.Username, cfg.Password, host)
	}
	return smtp.SendMail(cfg.Addr, auth, cfg.From, []string{c.sub.Endpoint}, []byte(msg.String()))
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// EventTitle names an event type in Chinese, for e-mails and lists.
func EventTitle(t string) string {
	switch t {
	case RecordCorrected:
		return "信用信息已更正"
	case RecordRepaired:
		return "信用信息已修复"
	case ListingDecided:
		return "严重失信主体名单列入决定"
	case ListingRemoved:
		return "已移出严重失信主体名单"
	case ObjectionClosed:
		return "异议处理已办结"
	case ObjectionHandedOver:
		return "异议移交信息提供单位处理"
	}
	return t
}

// record stores the attempt and moves the delivery on: delivered, due
// again after the back-off, or dead at the subscriber's limit.
func (r *Relay) record(ctx context.Context, c claimed, status int, derr error, took time.Duration) error {
	errText := ""
	if derr != nil {
		errText = derr.Error()
		if len(errText) > 500 {
			errText = errText[:500]
		}
	}
	return pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO event_delivery_attempts (event_id, subscriber_id, attempt, status, error, duration_ms)
			VALUES ($1,$2,$3,$4,$5,$6)`,
			c.eventID, c.sub.ID, c.attempt, nullStatus(status), errText, took.Milliseconds()); err != nil {
			return err
		}
		log := r.Log.With().Str("subscriber", c.sub.ID).Int64("event_id", c.eventID).Str("event", c.envelope.Type).
			Int("attempt", c.attempt).Logger()
		if derr == nil {
			if _, err := tx.Exec(ctx, `UPDATE event_deliveries SET state = 'delivered', delivered_at = now(), lease_until = NULL,
				last_status = $3, last_error = '' WHERE subscriber_id = $1 AND event_id = $2 AND state = 'pending'`,
				c.sub.ID, c.eventID, nullStatus(status)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE record_outbox o SET delivered_at = now() WHERE o.id = $1 AND o.delivered_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = o.id AND d.state <> 'delivered')`, c.eventID)
			if err == nil {
				log.Debug().Msg("event delivered")
			}
			return err
		}
		if c.attempt >= c.sub.MaxAttempts {
			_, err := tx.Exec(ctx, `UPDATE event_deliveries SET state = 'dead', dead_at = now(), lease_until = NULL,
				last_status = $3, last_error = $4 WHERE subscriber_id = $1 AND event_id = $2 AND state = 'pending'`,
				c.sub.ID, c.eventID, nullStatus(status), errText)
			if err == nil {
				log.Warn().Str("error", errText).Msg("event delivery dead after the retry limit")
			}
			return err
		}
		wait := r.Config.Backoff(c.attempt)
		_, err := tx.Exec(ctx, `UPDATE event_deliveries SET next_attempt_at = now() + make_interval(secs => $3), lease_until = NULL,
			last_status = $4, last_error = $5 WHERE subscriber_id = $1 AND event_id = $2 AND state = 'pending'`,
			c.sub.ID, c.eventID, wait.Seconds(), nullStatus(status), errText)
		if err == nil {
			log.Info().Str("error", errText).Dur("retry_in", wait).Msg("event delivery failed; will retry")
		}
		return err
	})
}

func nullStatus(s int) any {
	if s == 0 {
		return nil
	}
	return s
}

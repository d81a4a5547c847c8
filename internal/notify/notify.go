// Package notify delivers notices (reminders, lapses, replies, decisions,
// escalations) to the parties of a case through one interface: the in-app
// inbox in PostgreSQL, which every party reads and which is the record of
// what was sent; an SMTP sender configured by environment; a log sender for
// development that masks personal data; and a fan-out over them.
package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/ident"
)

// Notice is one message to a party of a case, in Chinese (Message) and in
// English (MessageEN, optional: the inbox shows the reader's language).
// DedupKey makes delivery idempotent: a retried activity sends the same
// key again.
type Notice struct {
	CaseNo    string `json:"case_no"`
	Party     string `json:"party"` // centre, subject, supervisor, provider:<id>
	Kind      string `json:"kind"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en,omitempty"`
	DedupKey  string `json:"dedup_key"`
}

// Notifier delivers a notice.
type Notifier interface {
	Send(ctx context.Context, n Notice) error
}

// Inbox stores notices in the notifications table, once per dedup key.
type Inbox struct{ Pool *pgxpool.Pool }

// Send stores n unless a notice with its dedup key exists.
func (i Inbox) Send(ctx context.Context, n Notice) error {
	_, err := i.Deliver(ctx, n)
	return err
}

// Deliver stores n and reports whether it was new.
func (i Inbox) Deliver(ctx context.Context, n Notice) (bool, error) {
	if n.DedupKey == "" || n.Party == "" {
		return false, errors.New("notify: notice without dedup key or party")
	}
	tag, err := i.Pool.Exec(ctx, `INSERT INTO notifications (dedup_key, case_no, party, kind, message, message_en)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (dedup_key) DO NOTHING`, n.DedupKey, n.CaseNo, n.Party, n.Kind, n.Message, n.MessageEN)
	if err != nil {
		return false, fmt.Errorf("notify %s: %w", n.DedupKey, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Fanout stores every notice in the inbox and, the first time only, passes
// it on to the external senders (e-mail, log). The inbox is the record of
// service and its error is returned, so the activity retries; external
// senders are best effort: their errors are logged, never retried, so a
// retried activity does not send the same e-mail twice.
type Fanout struct {
	Inbox    Inbox
	External []Notifier
	Log      zerolog.Logger
}

// Send delivers n.
func (f Fanout) Send(ctx context.Context, n Notice) error {
	fresh, err := f.Inbox.Deliver(ctx, n)
	if err != nil || !fresh {
		return err
	}
	for _, s := range f.External {
		if err := s.Send(ctx, n); err != nil {
			f.Log.Warn().Err(err).Str("dedup_key", n.DedupKey).Str("party", n.Party).Msg("notice not delivered by an external sender")
		}
	}
	return nil
}

// Log writes notices to a log, with identity numbers, credit codes, phone
// numbers and e-mail addresses masked.
type Log struct{ Log zerolog.Logger }

// Send logs n.
func (l Log) Send(_ context.Context, n Notice) error {
	l.Log.Info().Str("case_no", n.CaseNo).Str("party", n.Party).Str("kind", n.Kind).
		Str("dedup_key", n.DedupKey).Str("message", Mask(n.Message)).Msg("notice")
	return nil
}

// Mask hides personal data in free text: citizen identity numbers (valid
// GB 11643 numbers; credit codes are public and stay), 11-digit mobile
// numbers and e-mail addresses.
func Mask(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i := 0; i < len(r); {
		j := i
		for j < len(r) && isIdentRune(r[j]) {
			j++
		}
		if j > i {
			tok := string(r[i:j])
			switch {
			case j-i == 18 && ident.CheckIDNumber(tok) == nil:
				b.WriteString(ident.MaskIDNumber(tok))
			case j-i == 11 && allDigits(tok) && tok[0] == '1':
				b.WriteString(tok[:3] + "****" + tok[7:])
			default:
				b.WriteString(tok)
			}
			i = j
			continue
		}
		b.WriteRune(r[i])
		i++
	}
	return maskEmails(b.String())
}

func isIdentRune(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == 'x'
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func maskEmails(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '，' || r == ',' || r == '；' || r == '（' || r == '）' })
	for _, f := range fields {
		if at := strings.IndexByte(f, '@'); at > 0 && strings.Contains(f[at:], ".") {
			s = strings.ReplaceAll(s, f, f[:1]+"***"+f[at:])
		}
	}
	return s
}

// SMTPConfig configures the e-mail sender. Every field comes from the
// environment (FromEnv): SMTP_ADDR (host:port; empty = no e-mail),
// SMTP_FROM, SMTP_USERNAME and SMTP_PASSWORD (PLAIN auth, optional),
// SMTP_TO_CENTRE and SMTP_TO_SUPERVISOR (the mailboxes of the centre and
// the credit authority). A subject's address is its contact e-mail.
type SMTPConfig struct {
	Addr       string
	From       string
	Username   string
	Password   string
	Centre     string
	Supervisor string
}

// SMTPFromEnv reads the SMTP settings; ok is false when SMTP_ADDR is unset.
func SMTPFromEnv() (cfg SMTPConfig, ok bool, err error) {
	cfg = SMTPConfig{
		Addr: os.Getenv("SMTP_ADDR"), From: os.Getenv("SMTP_FROM"),
		Username: os.Getenv("SMTP_USERNAME"), Password: os.Getenv("SMTP_PASSWORD"),
		Centre: os.Getenv("SMTP_TO_CENTRE"), Supervisor: os.Getenv("SMTP_TO_SUPERVISOR"),
	}
	if cfg.Addr == "" {
		return cfg, false, nil
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, false, fmt.Errorf("SMTP_ADDR %q: want host:port", cfg.Addr)
	}
	if cfg.From == "" {
		return cfg, false, errors.New("SMTP_FROM is required when SMTP_ADDR is set")
	}
	return cfg, true, nil
}

// SMTP sends notices by e-mail. Addresses are resolved per party: centre
// and supervisor from the configuration, a subject from its contact e-mail
// (through the case), a provider from its contact e-mail (providers.
// contact_email; none = inbox only).
type SMTP struct {
	Config SMTPConfig
	Pool   *pgxpool.Pool
	// SendMail is net/smtp.SendMail; tests replace it.
	SendMail func(addr string, a smtp.Auth, from string, to []string, msg []byte) error
	Now      func() time.Time
}

// Send e-mails n to its party's address; a party without one is skipped.
func (s SMTP) Send(ctx context.Context, n Notice) error {
	to, err := s.address(ctx, n)
	if err != nil || to == "" {
		return err
	}
	send := s.SendMail
	if send == nil {
		send = smtp.SendMail
	}
	var a smtp.Auth
	if s.Config.Username != "" {
		host, _, _ := net.SplitHostPort(s.Config.Addr)
		a = smtp.PlainAuth("", s.Config.Username, s.Config.Password, host)
	}
	return send(s.Config.Addr, a, s.Config.From, []string{to}, s.message(n, to))
}

func (s SMTP) address(ctx context.Context, n Notice) (string, error) {
	switch {
	case n.Party == "centre":
		return s.Config.Centre, nil
	case n.Party == "supervisor":
		return s.Config.Supervisor, nil
	case n.Party == "subject" && s.Pool != nil:
		var email string
		err := s.Pool.QueryRow(ctx, `SELECT s.contact_email FROM cases c JOIN subjects s ON s.id = c.subject_id
			WHERE c.case_no = $1`, n.CaseNo).Scan(&email)
		if err != nil {
			return "", fmt.Errorf("subject address for %s: %w", n.CaseNo, err)
		}
		return email, nil
	case strings.HasPrefix(n.Party, "provider:") && s.Pool != nil:
		var email string
		err := s.Pool.QueryRow(ctx, `SELECT contact_email FROM providers WHERE id = $1`, strings.TrimPrefix(n.Party, "provider:")).Scan(&email)
		if err != nil {
			return "", fmt.Errorf("provider address for %s: %w", n.Party, err)
		}
		return email, nil
	}
	return "", nil
}

func (s SMTP) message(n Notice, to string) []byte {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", s.Config.From, to)
	fmt.Fprintf(&b, "Subject: =?UTF-8?B?%s?=\r\n", b64("案件"+n.CaseNo+"："+subjectLine(n.Message)))
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s@creditcase>\r\n", now().Format(time.RFC1123Z), strings.NewReplacer("/", ".", " ", "_").Replace(n.DedupKey))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	text := n.Message + "\n"
	if n.MessageEN != "" {
		text += "\n" + n.MessageEN + "\n"
	}
	body := b64(text)
	for len(body) > 76 {
		b.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	b.WriteString(body + "\r\n")
	return []byte(b.String())
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// subjectLine is the first sentence of a message after its case label,
// shortened for an e-mail subject.
func subjectLine(msg string) string {
	if _, rest, ok := strings.Cut(msg, "："); ok {
		msg = rest
	}
	if i := strings.Index(msg, "。"); i >= 0 {
		msg = msg[:i]
	}
	if r := []rune(msg); len(r) > 40 {
		msg = string(r[:40]) + "…"
	}
	return msg
}

// FromEnv builds a worker's notifier: the inbox, plus e-mail when SMTP_ADDR
// is set (SMTPFromEnv), plus the masking log sender when dev is true.
func FromEnv(pool *pgxpool.Pool, log zerolog.Logger, dev bool) (Notifier, error) {
	f := Fanout{Inbox: Inbox{Pool: pool}, Log: log}
	cfg, ok, err := SMTPFromEnv()
	if err != nil {
		return nil, err
	}
	if ok {
		f.External = append(f.External, SMTP{Config: cfg, Pool: pool})
	}
	if dev {
		f.External = append(f.External, Log{Log: log})
	}
	return f, nil
}

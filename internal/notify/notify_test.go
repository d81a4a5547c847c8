package notify

import (
	"context"
	"encoding/base64"
	"net/smtp"
	"strings"
	"testing"
	"time"
)

func TestMask(t *testing.T) {
	cases := []struct{ in, want string }{
		// A valid identity number is masked; a credit code (public) is not.
		{"申请人 11010519491231002X 对记录有异议", "申请人 110***********002X 对记录有异议"},
		{"单位 91350100M000100Y43 逾期", "单位 91350100M000100Y43 逾期"},
		{"联系电话 13812345678。", "联系电话 138****5678。"},
		{"邮箱 zhang.san@example.com 已通知", "邮箱 z***@example.com 已通知"},
		{"案件 N2026-000123 的期限 objection.provider_reply 已逾期", "案件 N2026-000123 的期限 objection.provider_reply 已逾期"},
	}
	for _, c := range cases {
		if got := Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

type sent struct {
	addr, from string
	to         []string
	msg        string
}

func TestSMTPSendsToThePartysAddress(t *testing.T) {
	var got []sent
	s := SMTP{
		Config: SMTPConfig{Addr: "mail.example.org:25", From: "centre@example.org", Centre: "desk@example.org", Supervisor: "sup@example.org"},
		SendMail: func(addr string, _ smtp.Auth, from string, to []string, msg []byte) error {
			got = append(got, sent{addr, from, to, string(msg)})
			return nil
		},
		Now: func() time.Time { return time.Date(2026, 2, 13, 9, 0, 0, 0, time.UTC) },
	}
	ctx := context.Background()
	if err := s.Send(ctx, Notice{CaseNo: "N1", Party: "supervisor", Kind: "escalation", Message: "案件 N1 已逾期", DedupKey: "N1/r/1/escalation"}); err != nil {
		t.Fatal(err)
	}
	// A provider has no mailbox: nothing is sent, no error.
	if err := s.Send(ctx, Notice{CaseNo: "N1", Party: "provider:3", Kind: "reminder", Message: "m", DedupKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].addr != "mail.example.org:25" || got[0].from != "centre@example.org" || got[0].to[0] != "sup@example.org" {
		t.Fatalf("sent %+v", got)
	}
	msg := got[0].msg
	head, body, ok := strings.Cut(msg, "\r\n\r\n")
	if !ok || !strings.Contains(head, "To: sup@example.org\r\n") || !strings.Contains(head, "charset=UTF-8") ||
		!strings.Contains(head, "Subject: =?UTF-8?B?") || !strings.Contains(head, "Date: Fri, 13 Feb 2026 09:00:00 +0000") {
		t.Fatalf("headers:\n%s", head)
	}
	text, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil || string(text) != "案件 N1 已逾期\n" {
		t.Errorf("body %q (%v)", text, err)
	}
}

func TestSMTPFromEnv(t *testing.T) {
	t.Setenv("SMTP_ADDR", "")
	if _, ok, err := SMTPFromEnv(); ok || err != nil {
		t.Errorf("unset: ok=%v err=%v", ok, err)
	}
	t.Setenv("SMTP_ADDR", "mail.example.org")
	if _, _, err := SMTPFromEnv(); err == nil {
		t.Error("address without port accepted")
	}
	t.Setenv("SMTP_ADDR", "mail.example.org:587")
	t.Setenv("SMTP_FROM", "")
	if _, _, err := SMTPFromEnv(); err == nil {
		t.Error("missing SMTP_FROM accepted")
	}
	t.Setenv("SMTP_FROM", "centre@example.org")
	t.Setenv("SMTP_TO_SUPERVISOR", "sup@example.org")
	cfg, ok, err := SMTPFromEnv()
	if !ok || err != nil || cfg.Supervisor != "sup@example.org" {
		t.Errorf("cfg %+v ok=%v err=%v", cfg, ok, err)
	}
}

func TestInboxRefusesANoticeWithoutKey(t *testing.T) {
	if _, err := (Inbox{}).Deliver(context.Background(), Notice{Party: "centre"}); err == nil {
		t.Error("notice without dedup key accepted")
	}
}

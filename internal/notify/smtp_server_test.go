package notify_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/internal/notify"
	"github.com/creditcase/creditcase/internal/testenv"
)

// The sender speaks SMTP with a real server (go-smtp, in process): the
// message arrives whole, to the party's mailbox, decodable as sent.
func TestSMTPOnARealServer(t *testing.T) {
	srv := testenv.StartSMTP(t)
	s := notify.SMTP{Config: notify.SMTPConfig{Addr: srv.Addr, From: "centre@example.org", Centre: "desk@example.org"}}
	n := notify.Notice{CaseNo: "YY2026-000001", Party: "centre", Kind: "reminder", Message: "期限 objection.centre_check 将于 2026-02-13 届满", DedupKey: "YY2026-000001/objection.centre_check/1/remind"}
	if err := s.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	// A refusing server is an error the caller sees (the fan-out logs it).
	srv.Fail(1)
	if err := s.Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("refused message: %v", err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].From != "centre@example.org" || len(msgs[0].To) != 1 || msgs[0].To[0] != "desk@example.org" {
		t.Fatalf("server got %+v", msgs)
	}
	head, body, _ := strings.Cut(string(msgs[0].Data), "\r\n\r\n")
	if !strings.Contains(head, "Message-ID: <YY2026-000001.objection.centre_check.1.remind@creditcase>") {
		t.Errorf("headers:\n%s", head)
	}
	text, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(strings.TrimSpace(body), "\r\n", ""))
	if err != nil || string(text) != n.Message+"\n" {
		t.Errorf("body %q (%v)", text, err)
	}
}

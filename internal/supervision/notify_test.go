package supervision_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/notify"
)

type recorder struct {
	sent []notify.Notice
	err  error
}

func (r *recorder) Send(_ context.Context, n notify.Notice) error {
	r.sent = append(r.sent, n)
	return r.err
}

// The activities deliver through the fan-out: the inbox once per dedup key,
// the external senders only the first time, and an e-mail failure does not
// fail (and so retry) the activity.
func TestNotifierFanOutFromTheActivities(t *testing.T) {
	f := newFixture(t)
	no := f.newCase(caseSpec{})
	mail, broken := &recorder{}, &recorder{err: errors.New("smtp down")}
	fan := notify.Fanout{Inbox: notify.Inbox{Pool: testPool}, External: []notify.Notifier{broken, mail}, Log: zerolog.Nop()}
	cases := &activities.Cases{Pool: testPool, Notifier: fan}
	n := activities.Notice{CaseNo: no, Party: "subject", Kind: "reply", Message: "书面答复已送达", DedupKey: no + "/reply"}
	for range 2 { // a retried activity
		if err := cases.Notify(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	if c := count(t, `SELECT count(*) FROM notifications WHERE case_no = $1`, no); c != 1 {
		t.Errorf("%d inbox rows; want 1", c)
	}
	if len(mail.sent) != 1 || len(broken.sent) != 1 || mail.sent[0].Message != n.Message {
		t.Errorf("external sends: mail %v, broken %v; want one each", mail.sent, broken.sent)
	}
	// Escalate notifies the supervisors through the same path.
	esc := activities.Escalation{CaseNo: no, Rule: "r", Seq: 1, Party: "centre", Since: sh(2026, 3, 2, 0)}
	for range 2 {
		if err := cases.Escalate(context.Background(), esc); err != nil {
			t.Fatal(err)
		}
	}
	if len(mail.sent) != 2 || mail.sent[1].Party != "supervisor" || mail.sent[1].DedupKey != fmt.Sprintf("%s/r/1/escalation", no) {
		t.Errorf("after escalation, mail %+v", mail.sent)
	}
}

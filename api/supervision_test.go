package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
)

var supSeq atomic.Int64

// supCase makes an open repair case (kind repair, so it never meets the
// one-open-objection rule other tests rely on) for subjectID and providerID.
func supCase(t *testing.T, subjectID, providerID int64) string {
	t.Helper()
	no := fmt.Sprintf("SUP-%d-%d", time.Now().UnixNano()%1_000_000, supSeq.Add(1))
	_, err := testPool.Exec(context.Background(), `INSERT INTO cases (case_no, kind, workflow_id, record_id, subject_id, provider_id,
			profile_id, profile_version, stage, status, opened_at)
		VALUES ($1, 'repair', $2, $3, $4, $5, 'nantong', 'test', 'provider_opinion', 'open', now())`,
		no, "test:"+no, demo.RecordIDs[0], subjectID, providerID)
	if err != nil {
		t.Fatal(err)
	}
	return no
}

func accountIDs(t *testing.T, username string) (id, providerID, subjectID int64) {
	t.Helper()
	err := testPool.QueryRow(context.Background(), `SELECT id, coalesce(provider_id, 0), coalesce(subject_id, 0) FROM accounts WHERE username = $1`, username).
		Scan(&id, &providerID, &subjectID)
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestSupervisionRoutesAuthorisation(t *testing.T) {
	anonymous(t).expect(http.StatusUnauthorized, http.MethodGet, "/api/v1/board", nil)
	as(t, "subject").expect(http.StatusForbidden, http.MethodGet, "/api/v1/board", nil)
	as(t, "provider").expect(http.StatusForbidden, http.MethodGet, "/api/v1/escalations", nil)
	as(t, "caseworker").expect(http.StatusOK, http.MethodGet, "/api/v1/board", nil)
	as(t, "supervisor").expect(http.StatusOK, http.MethodGet, "/api/v1/board?light=red&sort=-due", nil)
	as(t, "caseworker").expect(http.StatusForbidden, http.MethodGet, "/api/v1/reports/provider-performance", nil)
	as(t, "caseworker").expect(http.StatusForbidden, http.MethodPost, "/api/v1/escalations/1/acknowledge", nil)
	as(t, "admin").expect(http.StatusForbidden, http.MethodGet, "/api/v1/inbox", nil)

	var p problem
	as(t, "supervisor").expect(http.StatusBadRequest, http.MethodGet, "/api/v1/board?light=blue", nil).decode(t, &p)
	if !p.hasField("light", "") {
		t.Errorf("bad light: %+v", p)
	}
	as(t, "supervisor").expect(http.StatusBadRequest, http.MethodGet, "/api/v1/board?sort=name", nil)
	as(t, "supervisor").expect(http.StatusBadRequest, http.MethodGet, "/api/v1/board?provider=x", nil)
	as(t, "supervisor").expect(http.StatusBadRequest, http.MethodGet, "/api/v1/reports/provider-performance?from=2026-13-01", nil)
	as(t, "supervisor").expect(http.StatusBadRequest, http.MethodGet, "/api/v1/reports/provider-performance?format=xml", nil)
}

func TestBoardAndEscalationsOverHTTP(t *testing.T) {
	ctx := context.Background()
	_, provID, _ := accountIDs(t, "provider")
	_, _, subjID := accountIDs(t, "subject")
	cwID, _, _ := accountIDs(t, "caseworker")
	no := supCase(t, subjID, provID)
	party := fmt.Sprintf("provider:%d", provID)
	due := calendar.DateOf(time.Now()).AddDays(60)
	_, err := testPool.Exec(ctx, `INSERT INTO case_deadlines (case_no, rule_id, seq, party, starts_at, start_date, n, unit,
			due_date, due_at, calendar_version, explanation)
		VALUES ($1, 'repair.provider_opinion', 1, $2, now(), current_date, 3, 'wd', $3, $4, 'test', 'test')`,
		no, party, due.Start(), due.End())
	if err != nil {
		t.Fatal(err)
	}
	var board struct {
		Items []struct {
			CaseNo  string `json:"case_no"`
			Light   string `json:"light"`
			Party   string `json:"party"`
			DueDate string `json:"due_date"`
		} `json:"items"`
	}
	as(t, "caseworker").expect(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/board?provider=%d&kind=repair&light=green", provID), nil).decode(t, &board)
	found := false
	for _, it := range board.Items {
		found = found || (it.CaseNo == no && it.Light == "green" && it.Party == party && it.DueDate == due.String())
	}
	if !found {
		t.Errorf("board misses %s: %+v", no, board.Items)
	}

	var escID int64
	if err := testPool.QueryRow(ctx, `INSERT INTO escalations (case_no, rule_id, seq, party, since) VALUES ($1, 'repair.provider_opinion', 1, $2, now()) RETURNING id`,
		no, party).Scan(&escID); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Escalations []struct {
			ID      int64  `json:"id"`
			State   string `json:"state"`
			Profile string `json:"profile"`
		} `json:"escalations"`
	}
	as(t, "supervisor").expect(http.StatusOK, http.MethodGet, "/api/v1/escalations?case_no="+no, nil).decode(t, &list)
	if len(list.Escalations) != 1 || list.Escalations[0].ID != escID || list.Escalations[0].State != "open" || list.Escalations[0].Profile != "nantong" {
		t.Fatalf("escalations %+v", list)
	}
	sup := as(t, "supervisor")
	path := fmt.Sprintf("/api/v1/escalations/%d/", escID)
	sup.expect(http.StatusOK, http.MethodPost, path+"acknowledge", nil)
	sup.expect(http.StatusConflict, http.MethodPost, path+"acknowledge", nil)
	var p problem
	sup.expect(http.StatusUnprocessableEntity, http.MethodPost, path+"reassign", map[string]any{"assign_to": demoAccount(t, "supervisor")}).decode(t, &p)
	if !p.hasField("assign_to", "") {
		t.Errorf("reassign to a supervisor: %+v", p)
	}
	sup.expect(http.StatusUnprocessableEntity, http.MethodPost, path+"reassign", map[string]any{"assign_to": cwID, "unknown": 1})
	sup.expect(http.StatusOK, http.MethodPost, path+"reassign", map[string]any{"assign_to": cwID, "note": "请跟进"})
	sup.expect(http.StatusUnprocessableEntity, http.MethodPost, path+"order-correction", map[string]any{})
	var res struct {
		Escalation struct {
			State      string `json:"state"`
			AssignedTo int64  `json:"assigned_to"`
		} `json:"escalation"`
		EventSeq int `json:"event_seq"`
	}
	sup.expect(http.StatusOK, http.MethodPost, path+"order-correction", map[string]any{"note": "三个工作日内出具意见"}).decode(t, &res)
	if res.Escalation.State != "resolved" || res.Escalation.AssignedTo != cwID || res.EventSeq < 1_000_000_000 {
		t.Errorf("after order-correction %+v", res)
	}
	sup.expect(http.StatusNotFound, http.MethodPost, "/api/v1/escalations/999999999/acknowledge", nil)
	if n := count(t, `SELECT count(*) FROM case_events WHERE case_no = $1 AND action LIKE 'escalation.%'`, no); n != 3 {
		t.Errorf("%d escalation events; want 3", n)
	}
	// state=all lists it; the default (open) no longer does.
	as(t, "supervisor").expect(http.StatusOK, http.MethodGet, "/api/v1/escalations?case_no="+no, nil).decode(t, &list)
	if len(list.Escalations) != 0 {
		t.Errorf("open escalations after resolution: %+v", list)
	}
	as(t, "supervisor").expect(http.StatusOK, http.MethodGet, "/api/v1/escalations?state=all&case_no="+no, nil).decode(t, &list)
	if len(list.Escalations) != 1 || list.Escalations[0].State != "resolved" {
		t.Errorf("all escalations: %+v", list)
	}

	// The provider was told of the order, in its inbox.
	var inbox struct {
		Notifications []struct {
			ID     int64      `json:"id"`
			CaseNo string     `json:"case_no"`
			Kind   string     `json:"kind"`
			ReadAt *time.Time `json:"read_at"`
		} `json:"notifications"`
	}
	as(t, "provider").expect(http.StatusOK, http.MethodGet, "/api/v1/inbox?unread=true", nil).decode(t, &inbox)
	var noticeID int64
	for _, n := range inbox.Notifications {
		if n.CaseNo == no && n.Kind == "escalation.order-correction" {
			noticeID = n.ID
		}
	}
	if noticeID == 0 {
		t.Fatalf("provider inbox misses the order: %+v", inbox)
	}
	// Nobody else can read it or mark it read.
	as(t, "subject").expect(http.StatusNotFound, http.MethodPost, fmt.Sprintf("/api/v1/inbox/%d/read", noticeID), nil)
	as(t, "caseworker").expect(http.StatusNotFound, http.MethodPost, fmt.Sprintf("/api/v1/inbox/%d/read", noticeID), nil)
	as(t, "provider").expect(http.StatusOK, http.MethodPost, fmt.Sprintf("/api/v1/inbox/%d/read", noticeID), nil)
	as(t, "provider").expect(http.StatusOK, http.MethodGet, "/api/v1/inbox?unread=true", nil).decode(t, &inbox)
	for _, n := range inbox.Notifications {
		if n.ID == noticeID {
			t.Error("a read notice is still listed as unread")
		}
	}
	// The caseworkers (centre) were told of the reassignment.
	as(t, "caseworker").expect(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil).decode(t, &inbox)
	found = false
	for _, n := range inbox.Notifications {
		found = found || (n.CaseNo == no && n.Kind == "escalation.reassign")
	}
	if !found {
		t.Errorf("centre inbox misses the reassignment: %+v", inbox)
	}
}

func demoAccount(t *testing.T, username string) int64 {
	id, _, _ := accountIDs(t, username)
	return id
}

// A subject reads the notices of its own cases only.
func TestInboxOfASubject(t *testing.T) {
	ctx := context.Background()
	_, provID, _ := accountIDs(t, "provider")
	_, _, subjID := accountIDs(t, "subject")
	var other int64
	if err := testPool.QueryRow(ctx, `SELECT id FROM subjects WHERE id <> $1 ORDER BY id LIMIT 1`, subjID).Scan(&other); err != nil {
		t.Fatal(err)
	}
	mine := supCase(t, subjID, provID)
	theirs := supCase(t, other, provID)
	for _, c := range []string{mine, theirs} {
		if _, err := testPool.Exec(ctx, `INSERT INTO notifications (dedup_key, case_no, party, kind, message) VALUES ($1, $2, 'subject', 'reply', '书面答复已送达')`,
			"test/"+c, c); err != nil {
			t.Fatal(err)
		}
	}
	var inbox struct {
		Notifications []struct {
			CaseNo string `json:"case_no"`
		} `json:"notifications"`
	}
	as(t, "subject").expect(http.StatusOK, http.MethodGet, "/api/v1/inbox?limit=500", nil).decode(t, &inbox)
	var got []string
	for _, n := range inbox.Notifications {
		got = append(got, n.CaseNo)
	}
	if s := strings.Join(got, ","); !strings.Contains(s, mine) || strings.Contains(s, theirs) {
		t.Errorf("subject inbox %v; want %s and not %s", got, mine, theirs)
	}
}

func TestProviderPerformanceReportOverHTTP(t *testing.T) {
	_, provID, _ := accountIDs(t, "provider")
	_, _, subjID := accountIDs(t, "subject")
	no := supCase(t, subjID, provID)
	party := fmt.Sprintf("provider:%d", provID)
	ctx := context.Background()
	for i, st := range []string{"met", "missed"} {
		d := calendar.MustParseDate("2031-03-10").AddDays(i)
		if _, err := testPool.Exec(ctx, `INSERT INTO case_deadlines (case_no, rule_id, seq, party, starts_at, start_date, n, unit,
				due_date, due_at, calendar_version, explanation, state, settled_at)
			VALUES ($1, 'repair.provider_opinion', $2, $3, now(), current_date, 3, 'wd', $4, $5, 'test', 'test', $6, $7)`,
			no, i+1, party, d.Start(), d.End(), st, d.Start()); err != nil {
			t.Fatal(err)
		}
	}
	var rep struct {
		Providers []struct {
			ProviderID int64   `json:"provider_id"`
			Total      int     `json:"total"`
			OnTime     int     `json:"on_time"`
			Rate       float64 `json:"on_time_rate"`
		} `json:"providers"`
	}
	as(t, "supervisor").expect(http.StatusOK, http.MethodGet, "/api/v1/reports/provider-performance?from=2031-03-01&to=2031-03-31", nil).decode(t, &rep)
	if len(rep.Providers) != 1 || rep.Providers[0].ProviderID != provID || rep.Providers[0].Total != 2 || rep.Providers[0].OnTime != 1 || rep.Providers[0].Rate != 0.5 {
		t.Errorf("report %+v", rep)
	}
	r := as(t, "supervisor").expect(http.StatusOK, http.MethodGet, "/api/v1/reports/provider-performance?from=2031-03-01&to=2031-03-31&format=csv", nil)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	body := strings.TrimPrefix(string(r.Body), "\ufeff")
	if !strings.HasPrefix(body, "from,to,provider_id") || !strings.Contains(body, fmt.Sprintf("2031-03-01,2031-03-31,%d,", provID)) ||
		!strings.Contains(body, ",*,2,1,0,1,0.5000") {
		t.Errorf("CSV:\n%s", body)
	}
}

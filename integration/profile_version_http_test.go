package integration

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/application"
	"github.com/creditcase/creditcase/internal/casework"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// replicaWithPolicies starts another API process on the same database and
// engine whose POLICY_DIR holds the given profile files, as a host started
// after a profile change would. It stops with the test.
func replicaWithPolicies(t *testing.T, files map[string]string) (string, *rules.Rules) {
	t.Helper()
	dir := t.TempDir()
	for name, doc := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	local, err := rules.LoadLocal(rules.Dirs{Policy: dir})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := rules.Open(context.Background(), sys.Pool, local, zerolog.Nop(), "replica with a changed profile")
	if err != nil {
		t.Fatal(err)
	}
	app := application.New(application.Deps{Pool: sys.Pool, Temporal: sys.Temporal, Logger: zerolog.Nop(), Rules: rl})
	srv := httptest.NewServer(api.New(api.Deps{App: app, Logger: zerolog.Nop(), Registry: prometheus.NewRegistry()}))
	t.Cleanup(srv.Close)
	return srv.URL, rl
}

// deadlinesOf returns the pending deadlines of rule in d.
func deadlinesOf(d casework.ObjectionDetail, rule string) []casework.Deadline {
	var out []casework.Deadline
	for _, x := range d.Deadlines {
		if x.Rule == rule && x.State == "pending" {
			out = append(out, x)
		}
	}
	return out
}

// Issue 11.2: a running case keeps the profile version it opened with. The
// profile changes between two cases (a replica started under the new
// version files one; the worker still has the old one loaded): each case's
// deadlines, from filing through the steps taken later on any replica,
// follow its own version — the new case's 7 and 8 working days, the old
// case's 3 and 5 — and the case says which version it runs under.
func TestCaseKeepsItsProfileVersionAfterAChange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	old, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(old.Document())
	for from, to := range map[string]string{
		"- id: objection.centre_check\n  length: 3\n":   "- id: objection.centre_check\n  length: 7\n",
		"- id: objection.provider_reply\n  length: 5\n": "- id: objection.provider_reply\n  length: 8\n",
		// What letters and the API cite is the rule's cite, not its
		// internal note: the new version cites the article as a whole.
		"    paragraph: 第二款\n    quote: 信息提供单位应在5个工作日内完成核实工作\n": "    quote: 信息提供单位应在5个工作日内完成核实工作\n",
	} {
		if !strings.Contains(doc, from) {
			t.Fatalf("the %s profile no longer has %q", old.ID, from)
		}
		doc = strings.Replace(doc, from, to, 1)
	}
	changed, rl := replicaWithPolicies(t, map[string]string{old.ID + ".yaml": doc})
	cur, _ := rl.Policies().Get(old.ID)
	if cur.Version == old.Version {
		t.Fatalf("the changed profile kept version %s", old.Version)
	}

	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	rows, err := sys.Pool.Query(ctx, `SELECT r.id FROM records r WHERE r.subject_id = $1 AND r.profile_id IN ('', $2)
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.record_id = r.id AND c.status = 'open') ORDER BY r.id DESC LIMIT 2`,
		subject.account.SubjectID, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	var recordIDs []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		recordIDs = append(recordIDs, id)
	}
	if rows.Err() != nil || len(recordIDs) < 2 {
		t.Fatalf("records of the subject without an open objection: %v, %v", recordIDs, rows.Err())
	}
	// The case under the new version is filed on the changed replica, the
	// one under the old version on the stack's API (and worker) that loaded
	// the old profile.
	type tc struct {
		at           string
		version      string
		check, reply int
		replySource  string
		caseNo       string
	}
	cases := []*tc{
		{at: changed, version: cur.Version, check: 7, reply: 8, replySource: "《南通市公共信用信息管理办法》第三十二条"},
		{at: baseURL(), version: old.Version, check: 3, reply: 5, replySource: "《南通市公共信用信息管理办法》第三十二条第二款"},
	}
	for i, c := range cases {
		var filed casework.FiledObjection
		subject.at(c.at).do(http.StatusCreated, http.MethodPost, "/api/v1/objections",
			map[string]any{"record_id": recordIDs[i], "grounds": []string{"记录有误"}, "statement": "请核查"}, &filed)
		c.caseNo = filed.Case.CaseNo
		no := c.caseNo
		t.Cleanup(func() {
			_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(no), "", "test over")
		})
	}

	for _, c := range cases {
		base := "/api/v1/objections/" + c.caseNo
		var d casework.ObjectionDetail
		waitFor(t, 60*time.Second, func() bool {
			cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
			return len(deadlinesOf(d, policy.ObjectionCentreCheck)) == 1
		})
		if d.Case.ProfileVersion != c.version {
			t.Errorf("%s: profile version %q, want %q", c.caseNo, d.Case.ProfileVersion, c.version)
		}
		if cc := deadlinesOf(d, policy.ObjectionCentreCheck)[0]; cc.N != c.check {
			t.Errorf("%s (version %s): centre check of %d working days (%s), want %d", c.caseNo, c.version, cc.N, cc.Explanation, c.check)
		}
		// Later steps, on the other replica from the one the case was filed
		// on: still the case's own version.
		other := changed
		if c.at == changed {
			other = baseURL()
		}
		var st workflows.ObjectionState
		cw.at(other).do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
		cw.at(other).do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", map[string]string{"note": "请核实"}, &st)
		if st.Stage != workflows.StageProviderVerification {
			t.Fatalf("%s after forward: %s", c.caseNo, st.Stage)
		}
		waitFor(t, 60*time.Second, func() bool {
			cw.do(http.StatusOK, http.MethodGet, base, nil, &d)
			return len(deadlinesOf(d, policy.ObjectionProviderReply)) == 1
		})
		pr := deadlinesOf(d, policy.ObjectionProviderReply)[0]
		if pr.N != c.reply || pr.Source != c.replySource {
			t.Errorf("%s (version %s): provider reply of %d working days citing %q; want %d citing %q",
				c.caseNo, c.version, pr.N, pr.Source, c.reply, c.replySource)
		}
		var stored string
		if err := sys.Pool.QueryRow(ctx, `SELECT profile_version FROM cases WHERE case_no = $1`, c.caseNo).Scan(&stored); err != nil || stored != c.version {
			t.Errorf("%s: cases.profile_version %q (%v), want %q", c.caseNo, stored, err, c.version)
		}
	}
}

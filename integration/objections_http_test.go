package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/supervision"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// apiUser is a logged-in API user (bearer token).
type apiUser struct {
	t       *testing.T
	token   string
	account auth.Account
	// base is the API replica called ("" = the stack's).
	base string
	// key is sent as the Idempotency-Key of every request ("" = none).
	key string
}

// keyedAs returns c sending key as the Idempotency-Key.
func (c *apiUser) keyedAs(key string) *apiUser {
	k := *c
	k.key = key
	return &k
}

// logIn logs username in through the API and returns its bearer client.
func logIn(t *testing.T, username, password string) *apiUser {
	t.Helper()
	var lr api.LoginResponse
	resp := call(t, baseURL(), http.MethodPost, "/api/v1/auth/login",
		api.LoginRequest{Username: username, Password: password, Kind: auth.KindBearer, Label: "integration"}, &lr)
	if resp.StatusCode != http.StatusOK || lr.Token == "" {
		t.Fatalf("log-in %s: %d", username, resp.StatusCode)
	}
	return &apiUser{t: t, token: lr.Token, account: lr.Account}
}

// response is an answer with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *apiUser) send(method, path, contentType string, body io.Reader) response {
	c.t.Helper()
	base := baseURL()
	if c.base != "" {
		base = c.base
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept-Language", "en")
	if c.key != "" {
		req.Header.Set("Idempotency-Key", c.key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// do sends body as JSON and wants status; the answer is decoded into out.
func (c *apiUser) do(want int, method, path string, body, out any) response {
	c.t.Helper()
	var r io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r, ct = bytes.NewReader(b), "application/json"
	}
	resp := c.send(method, path, ct, r)
	if resp.status != want {
		c.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, c.account.Username, resp.status, want, resp.body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.body, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, resp.body, err)
		}
	}
	return resp
}

// multipart sends fields and files (name → content) as multipart/form-data.
func (c *apiUser) multipart(want int, path string, fields url.Values, files map[string][]byte, out any) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	for name, data := range files {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	resp := c.send(http.MethodPost, path, w.FormDataContentType(), &buf)
	if resp.status != want {
		c.t.Fatalf("POST %s as %s: status %d, want %d: %s", path, c.account.Username, resp.status, want, resp.body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.body, out); err != nil {
			c.t.Fatalf("POST %s: decode %s: %v", path, resp.body, err)
		}
	}
}

// problemType reads the type of a problem+json answer.
func problemOf(t *testing.T, r response) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want problem+json: %s", ct, r.body)
	}
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// evidencePDF is a small, complete PDF that passes the content checks.
func evidencePDF(note string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + note + "\n" +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

// The objection procedure through HTTP on the real worker: the subject files
// with evidence, the caseworker accepts and forwards, the provider replies
// with a correction, the caseworker decides corrected; the record gets a new
// version and the written result downloads as a PDF for the subject and for
// no other subject. A second objection on the same record is refused (409)
// and an action in the wrong stage is refused (409, naming the stage). The subject appeals and
// the supervisors decide; the finished case still shows its live state.
func TestObjectionThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	provider := logIn(t, "provider", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)
	admin := logIn(t, "admin", seed.DemoPassword)

	// Another subject, with an account of its own.
	var otherID int64
	for _, id := range demo.SubjectIDs {
		if id != subject.account.SubjectID {
			otherID = id
			break
		}
	}
	// Accounts made through the API need a password the policy accepts.
	const otherPassword = "Harbour lights 17 over Lingnan"
	b, err := json.Marshal(auth.NewAccount{Username: "subject-other", DisplayName: "另一信息主体",
		Password: otherPassword, Role: auth.Subject, SubjectID: otherID})
	if err != nil {
		t.Fatal(err)
	}
	// 422 when an earlier run in this stack created it already.
	if r := admin.send(http.MethodPost, "/api/v1/accounts", "application/json", bytes.NewReader(b)); r.status != http.StatusCreated &&
		!(r.status == http.StatusUnprocessableEntity && strings.Contains(string(r.body), `"taken"`)) {
		t.Fatalf("create the other subject's account: %d %s", r.status, r.body)
	}
	other := logIn(t, "subject-other", otherPassword)

	// The subject's record from the demo provider: 守合同重信用企业.
	var page struct {
		Records []struct {
			ID         int64  `json:"id"`
			ProviderID int64  `json:"provider_id"`
			DecisionNo string `json:"decision_no"`
			Content    string `json:"content"`
		} `json:"records"`
	}
	subject.do(http.StatusOK, http.MethodGet, "/api/v1/records", nil, &page)
	i := slices.IndexFunc(page.Records, func(r struct {
		ID         int64  `json:"id"`
		ProviderID int64  `json:"provider_id"`
		DecisionNo string `json:"decision_no"`
		Content    string `json:"content"`
	}) bool {
		return r.DecisionNo == "苏市监〔2024〕55号"
	})
	if i < 0 {
		t.Fatalf("demo record not among the subject's records: %+v", page.Records)
	}
	rec := page.Records[i]
	if rec.ProviderID != provider.account.ProviderID {
		t.Fatalf("record provider %d, provider account bound to %d", rec.ProviderID, provider.account.ProviderID)
	}

	// 1. The subject files, with a piece of evidence.
	var filed api.FiledObjection
	subject.multipart(http.StatusCreated, "/api/v1/objections", url.Values{
		"record_id": {fmt.Sprint(rec.ID)},
		"grounds":   {"荣誉年度记载错误", "应为 2025 年度"},
		"statement": {"该荣誉为 2025 年度授予，请予更正"},
	}, map[string][]byte{"荣誉证书.pdf": evidencePDF("certificate")}, &filed)
	caseNo := filed.Case.CaseNo
	if !strings.HasPrefix(caseNo, fmt.Sprintf("YY-%d-", time.Now().Year())) || filed.Case.Stage != workflows.StageAcceptance ||
		filed.Case.Status != workflows.StatusOpen || len(filed.Evidence) != 1 || filed.Evidence[0].ContentType != "application/pdf" {
		t.Fatalf("filed: %+v", filed)
	}
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(caseNo), "", "test over")
	})
	base := "/api/v1/objections/" + caseNo

	// 2. A second objection on the same record is refused while the first is open.
	dup := subject.send(http.MethodPost, "/api/v1/objections", "application/json",
		strings.NewReader(fmt.Sprintf(`{"record_id": %d, "grounds": ["重复"], "statement": "再次提出"}`, rec.ID)))
	if p := problemOf(t, dup); dup.status != http.StatusConflict || p.Type != "/problems/objection-open" || p.CaseNo != caseNo ||
		p.CaseURL != base || !strings.Contains(p.Detail, caseNo) {
		t.Fatalf("second objection: %d %s, want 409 naming %s and %s", dup.status, dup.body, caseNo, base)
	}

	// 3. Deciding before the case is accepted is refused (409: the case's
	// state forbids it now), naming the stage now and the stages that
	// allow it, as typed details.
	wrong := caseworker.send(http.MethodPost, base+"/decide", "application/json",
		strings.NewReader(`{"outcome": "upheld", "reasons": "太早"}`))
	if p := problemOf(t, wrong); wrong.status != http.StatusConflict || p.Type != "/problems/wrong-stage" ||
		p.Stage != workflows.StageAcceptance || !slices.Equal(p.AllowedStages, []string{workflows.StageDeciding}) || p.Detail == "" {
		t.Fatalf("decide at acceptance: %d %s", wrong.status, wrong.body)
	}
	// An action without its required field names the field.
	var bad api.Problem
	resp := caseworker.send(http.MethodPost, base+"/request-supplement", "application/json", strings.NewReader(`{"missing": []}`))
	if err := json.Unmarshal(resp.body, &bad); err != nil || resp.status != http.StatusUnprocessableEntity ||
		len(bad.Errors) != 1 || bad.Errors[0].Field != "missing" {
		t.Fatalf("request-supplement without items: %d %s", resp.status, resp.body)
	}
	// Another subject cannot file on this record, and learns no more than
	// about a record that does not exist.
	var notOwn, noSuch api.Problem
	other.do(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: rec.ID, Grounds: []string{"不是我的记录"}, Statement: "试图提出异议"}, &notOwn)
	other.do(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: 1 << 40, Grounds: []string{"不存在的记录"}, Statement: "试图提出异议"}, &noSuch)
	if notOwn.Type != noSuch.Type || len(notOwn.Errors) != 1 || notOwn.Errors[0] != noSuch.Errors[0] {
		t.Fatalf("another's record answered differently from a missing one: %+v vs %+v", notOwn, noSuch)
	}
	// The provider may not accept; another subject does not learn the case exists.
	provider.do(http.StatusForbidden, http.MethodPost, base+"/accept", nil, nil)
	other.do(http.StatusNotFound, http.MethodGet, base, nil, nil)
	other.do(http.StatusNotFound, http.MethodPost, base+"/withdraw", map[string]string{"reason": "x"}, nil)

	// 4. The caseworker accepts and forwards to the provider.
	var st workflows.ObjectionState
	caseworker.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	if st.Stage != workflows.StageCentreCheck {
		t.Fatalf("after accept: %s", st.Stage)
	}
	caseworker.do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", map[string]string{"note": "请核实授予年度"}, &st)
	if st.Stage != workflows.StageProviderVerification {
		t.Fatalf("after forward: %s", st.Stage)
	}

	// 5. The provider finds the request in its inbox and replies with evidence and a correction.
	var inbox api.CasePage
	provider.do(http.StatusOK, http.MethodGet, "/api/v1/objections?stage="+workflows.StageProviderVerification, nil, &inbox)
	if !slices.ContainsFunc(inbox.Cases, func(c api.CaseSummary) bool { return c.CaseNo == caseNo }) {
		t.Fatalf("provider inbox lacks %s: %+v", caseNo, inbox.Cases)
	}
	var uploaded struct {
		Evidence []struct {
			Name string `json:"name"`
		} `json:"evidence"`
	}
	provider.multipart(http.StatusCreated, base+"/evidence", nil, map[string][]byte{"原始决定.pdf": evidencePDF("decision")}, &uploaded)
	if len(uploaded.Evidence) != 1 {
		t.Fatalf("provider upload: %+v", uploaded)
	}
	corrected := "2025 年度江苏省守合同重信用企业"
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-reply", workflows.ProviderReplyInput{
		Finding: workflows.FindingErrorFound, Reasons: "经核对原始文件，授予年度应为 2025 年度",
		Correction: map[string]any{"content": corrected}, Evidence: []string{uploaded.Evidence[0].Name},
	}, &st)
	if st.Stage != workflows.StageDeciding || st.Finding != workflows.FindingErrorFound {
		t.Fatalf("after provider reply: %s/%s", st.Stage, st.Finding)
	}

	// 6. The caseworker decides: corrected.
	caseworker.do(http.StatusOK, http.MethodPost, base+"/decide", workflows.DecisionInput{
		Outcome: workflows.OutcomeCorrected, Reasons: "经信息提供单位核实，予以更正"}, &st)
	if st.Stage != workflows.StageClosed || st.Outcome != workflows.OutcomeCorrected {
		t.Fatalf("after decision: %s/%s", st.Stage, st.Outcome)
	}

	// 7. The record is corrected as a new version, the old one kept.
	var detail struct {
		Content  string `json:"content"`
		Status   string `json:"status"`
		Version  int    `json:"version"`
		Versions []struct {
			Version int `json:"version"`
		} `json:"versions"`
	}
	subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d", rec.ID), nil, &detail)
	if detail.Content != corrected || detail.Status != "corrected" || detail.Version != 2 || len(detail.Versions) != 2 {
		t.Fatalf("record after decision: %+v", detail)
	}

	// 8. The case page: live state, every deadline explained with its state, events.
	var cp api.ObjectionDetail
	subject.do(http.StatusOK, http.MethodGet, base, nil, &cp)
	if cp.Live == nil || cp.Live.Stage != workflows.StageClosed || cp.Case.Outcome != workflows.OutcomeCorrected {
		t.Fatalf("case page: live %+v, case %+v", cp.Live, cp.Case)
	}
	states := map[string]string{}
	for _, d := range cp.Deadlines {
		if d.Explanation == "" || d.DueAt.IsZero() {
			t.Errorf("deadline %s#%d without due time or explanation", d.Rule, d.Seq)
		}
		states[d.Rule] = d.State
	}
	for rule, want := range map[string]string{policy.ObjectionCentreCheck: "met", policy.ObjectionProviderReply: "met",
		policy.ObjectionApplicantNotify: "met", policy.ObjectionOverall: "met", policy.ObjectionAppealWindow: "pending"} {
		if states[rule] != want {
			t.Errorf("deadline %s: %q, want %q (all: %v)", rule, states[rule], want, states)
		}
	}
	var actions []string
	for _, e := range cp.Events {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"objection.filed", "objection.accepted", "objection.forwarded", "objection.provider_replied", "objection.decided", "objection.closed"} {
		if !slices.Contains(actions, want) {
			t.Errorf("event %s missing: %v", want, actions)
		}
	}
	if len(cp.Evidence) != 2 {
		t.Errorf("evidence on file: %d, want the subject's and the provider's", len(cp.Evidence))
	}

	// 9. The written result downloads as a PDF for the subject, not for another subject.
	var docs struct {
		Documents []struct {
			ID        int64  `json:"id"`
			Kind      string `json:"kind"`
			Recipient string `json:"recipient"`
		} `json:"documents"`
	}
	lettersReady(t, path.Base(base))
	subject.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	var resultID int64
	for _, d := range docs.Documents {
		if d.Recipient != "subject" {
			t.Errorf("subject sees document %s addressed to %s", d.Kind, d.Recipient)
		}
		if d.Kind == "objection_result" {
			resultID = d.ID
		}
	}
	if resultID == 0 {
		t.Fatalf("no result among the subject's documents: %+v", docs.Documents)
	}
	pdf := subject.send(http.MethodGet, fmt.Sprintf("%s/documents/%d", base, resultID), "", nil)
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.body, []byte("%PDF-")) {
		t.Fatalf("result PDF: %d %q %.20q", pdf.status, pdf.header.Get("Content-Type"), pdf.body)
	}
	html := subject.send(http.MethodGet, fmt.Sprintf("%s/documents/%d?format=html", base, resultID), "", nil)
	if html.status != http.StatusOK || !strings.HasPrefix(html.header.Get("Content-Type"), "text/html") || !strings.Contains(string(html.body), caseNo) {
		t.Fatalf("result HTML: %d %q", html.status, html.header.Get("Content-Type"))
	}
	if r := other.send(http.MethodGet, fmt.Sprintf("%s/documents/%d", base, resultID), "", nil); r.status != http.StatusNotFound {
		t.Fatalf("another subject downloads the result: %d", r.status)
	}

	// 10. Lists: the subject's own cases; the supervisors see every case.
	var mine api.CasePage
	subject.do(http.StatusOK, http.MethodGet, "/api/v1/objections?mine", nil, &mine)
	if !slices.ContainsFunc(mine.Cases, func(c api.CaseSummary) bool { return c.CaseNo == caseNo }) {
		t.Fatalf("subject's list lacks %s", caseNo)
	}
	var others api.CasePage
	other.do(http.StatusOK, http.MethodGet, "/api/v1/objections?mine", nil, &others)
	if slices.ContainsFunc(others.Cases, func(c api.CaseSummary) bool { return c.CaseNo == caseNo }) {
		t.Fatalf("another subject lists %s", caseNo)
	}
	var all api.CasePage
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/objections?status=closed", nil, &all)
	if !slices.ContainsFunc(all.Cases, func(c api.CaseSummary) bool { return c.CaseNo == caseNo }) {
		t.Fatalf("supervisor's list lacks %s", caseNo)
	}

	// 11. The subject appeals; the supervisors find it among the appeals and decide.
	subject.do(http.StatusOK, http.MethodPost, base+"/appeal", workflows.AppealInput{Grounds: "更正后的授予年度仍有误"}, &st)
	var appeals api.CasePage
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/objections?stage=appeal", nil, &appeals)
	if !slices.ContainsFunc(appeals.Cases, func(c api.CaseSummary) bool { return c.CaseNo == caseNo }) {
		t.Fatalf("appeals lack %s", caseNo)
	}
	caseworker.do(http.StatusForbidden, http.MethodPost, base+"/decide-appeal", workflows.AppealDecisionInput{Decision: "upheld", Reasons: "x"}, nil)
	supervisor.do(http.StatusOK, http.MethodPost, base+"/decide-appeal", workflows.AppealDecisionInput{Decision: workflows.AppealUpheld, Reasons: "原处理结果并无不当"}, &st)
	if st.Stage != workflows.StageFinished || st.AppealOutcome != workflows.AppealUpheld {
		t.Fatalf("after appeal decision: %s/%s", st.Stage, st.AppealOutcome)
	}

	// 12. The finished case still shows its live state; nothing more can be done.
	var fin api.ObjectionDetail
	subject.do(http.StatusOK, http.MethodGet, base, nil, &fin)
	if fin.Live == nil || fin.Live.Stage != workflows.StageFinished {
		t.Fatalf("finished case: live %+v", fin.Live)
	}
	if !slices.ContainsFunc(fin.Documents, func(d documents.Meta) bool { return d.Kind == documents.KindAppealDecision }) {
		t.Errorf("no appeal decision among the subject's documents: %+v", fin.Documents)
	}
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ObjectionWorkflowID(caseNo), filepath.Join("..", "workflows", "testdata", "histories", "objection_appealed.json"))
	}
	wd := subject.send(http.MethodPost, base+"/withdraw", "application/json", strings.NewReader(`{"reason": "不再需要"}`))
	if wd.status != http.StatusConflict {
		t.Fatalf("withdraw a finished case: %d %s", wd.status, wd.body)
	}

	// 13. Once the case is over, a new objection on the record may be filed again.
	var again api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: rec.ID, Grounds: []string{"更正后仍有误"}, Statement: "更正后的年度仍需核实"}, &again)
	if again.Case.CaseNo == caseNo {
		t.Fatalf("new filing reused %s", caseNo)
	}
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(again.Case.CaseNo), "", "test over")
	})
}

// The other paths through HTTP: one-time notice of what is missing and the
// subject's supplement with evidence; clock pause, resume and the one
// head-approved extension; the centre's own error corrected at once. Each
// refusal names its reason.
func TestObjectionSupplementPauseOwnErrorThroughHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	caseworker := logIn(t, "caseworker", seed.DemoPassword)
	supervisor := logIn(t, "supervisor", seed.DemoPassword)

	var recordID int64
	if err := sys.Pool.QueryRow(ctx, `SELECT id FROM records WHERE subject_id = $1 AND decision_no = $2`,
		subject.account.SubjectID, "通市监登字〔2015〕101号").Scan(&recordID); err != nil {
		t.Fatal(err)
	}
	var filed api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", api.FileObjectionRequest{
		RecordID: recordID, Grounds: []string{"注册资本记载错误"}, Statement: "注册资本应为 800 万元"}, &filed)
	caseNo := filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(caseNo), "", "test over")
	})
	base := "/api/v1/objections/" + caseNo
	expect := func(who *apiUser, path string, body any, status int, problem string) {
		t.Helper()
		var b io.Reader = strings.NewReader("")
		if body != nil {
			data, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.NewReader(data)
		}
		r := who.send(http.MethodPost, base+path, "application/json", b)
		if r.status != status || problemOf(t, r).Type != problem {
			t.Fatalf("POST %s: %d %s, want %d %s", path, r.status, r.body, status, problem)
		}
	}
	var st workflows.ObjectionState

	// One-time notice of what is missing; the subject supplements with evidence.
	caseworker.do(http.StatusOK, http.MethodPost, base+"/request-supplement", workflows.SupplementRequest{Missing: []string{"验资报告", "营业执照副本"}}, &st)
	if st.Stage != workflows.StageAwaitingSupplement || len(st.Missing) != 2 {
		t.Fatalf("after request-supplement: %+v", st)
	}
	expect(subject, "/supplement", workflows.SupplementInput{Statement: "补交材料", Evidence: []string{"未上传.pdf"}}, http.StatusUnprocessableEntity, "/problems/invalid-input")
	var up struct {
		Evidence []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"evidence"`
	}
	subject.multipart(http.StatusCreated, base+"/evidence", nil, map[string][]byte{"验资报告.pdf": evidencePDF("capital")}, &up)
	subject.do(http.StatusOK, http.MethodPost, base+"/supplement", workflows.SupplementInput{Statement: "补交验资报告", Evidence: []string{up.Evidence[0].Name}}, &st)
	if st.Stage != workflows.StageAcceptance {
		t.Fatalf("after supplement: %s", st.Stage)
	}
	ev := subject.send(http.MethodGet, fmt.Sprintf("%s/evidence/%d", base, up.Evidence[0].ID), "", nil)
	if ev.status != http.StatusOK || ev.header.Get("Content-Type") != "application/pdf" || !bytes.Equal(ev.body, evidencePDF("capital")) {
		t.Fatalf("evidence download: %d %q", ev.status, ev.header.Get("Content-Type"))
	}

	// Accepted; the clock paused for a review, resumed, extended once.
	caseworker.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	caseworker.do(http.StatusOK, http.MethodPost, base+"/pause", workflows.PauseInput{Kind: "review", Reason: "复核原始登记档案", Approver: "王主任"}, &st)
	if !st.Paused {
		t.Fatal("not paused")
	}
	expect(caseworker, "/forward-to-provider", nil, http.StatusConflict, "/problems/paused")
	expect(caseworker, "/pause", workflows.PauseInput{Kind: "lunch", Reason: "x", Approver: "y"}, http.StatusConflict, "/problems/paused")
	caseworker.do(http.StatusOK, http.MethodPost, base+"/resume", workflows.ResumeInput{Reason: "复核完毕"}, &st)
	caseworker.do(http.StatusOK, http.MethodPost, base+"/extend", workflows.ExtendInput{Reason: "案情复杂", Approver: "王主任"}, &st)
	expect(caseworker, "/extend", workflows.ExtendInput{Reason: "再次延长", Approver: "王主任"}, http.StatusConflict, "/problems/already-extended")
	// The subject was told of both in its inbox: the clock standing still
	// and why, then the overall limit's new date and why.
	var inbox struct {
		Notifications []supervision.Notification `json:"notifications"`
	}
	subject.do(http.StatusOK, http.MethodGet, "/api/v1/inbox", nil, &inbox)
	told := map[string]bool{}
	for _, n := range inbox.Notifications {
		switch {
		case n.CaseNo == caseNo && n.Kind == "case.paused" && strings.Contains(n.Message, "因复核（复核原始登记档案），本案自") && strings.Contains(n.Message, "起中止计时"):
			told["paused"] = true
		case n.CaseNo == caseNo && n.Kind == "deadline.lengthened" && strings.Contains(n.Message, "因负责人批准延长办理期限（案情复杂），异议处理期限的届满日由"):
			told["extended"] = true
		}
	}
	if !told["paused"] || !told["extended"] {
		t.Errorf("the subject was not told of the pause and the extension (%v): %+v", told, inbox.Notifications)
	}

	// The centre's own error: a correction naming a field records do not have is refused first.
	var bad api.Problem
	r := caseworker.send(http.MethodPost, base+"/decide-own-error", "application/json",
		strings.NewReader(`{"reason": "录入错误", "correction": {"capital": "800 万元"}}`))
	if err := json.Unmarshal(r.body, &bad); err != nil || r.status != http.StatusUnprocessableEntity || len(bad.Errors) != 1 || bad.Errors[0].Field != "correction.capital" {
		t.Fatalf("correction of an unknown field: %d %s", r.status, r.body)
	}
	caseworker.do(http.StatusOK, http.MethodPost, base+"/decide-own-error", workflows.OwnErrorInput{
		Reason: "本机构录入错误", Correction: map[string]any{"content": "成立于 2015 年，注册资本 800 万元"}}, &st)
	if st.Stage != workflows.StageClosed || st.Outcome != workflows.OutcomeCorrected {
		t.Fatalf("after own error: %s/%s", st.Stage, st.Outcome)
	}

	// Closed with a written correction notice; withdrawing is no longer possible.
	var cp api.ObjectionDetail
	subject.do(http.StatusOK, http.MethodGet, base, nil, &cp)
	if cp.Live == nil || cp.Live.Stage != workflows.StageClosed {
		t.Fatalf("closed case: live %+v", cp.Live)
	}
	kinds := map[string]bool{}
	for _, d := range cp.Documents {
		kinds[string(d.Kind)] = true
	}
	for _, k := range []string{"objection_acceptance", "objection_supplement", "objection_correction"} {
		if !kinds[k] {
			t.Errorf("document %s missing: %v", k, kinds)
		}
	}
	var moved bool
	for _, d := range cp.Deadlines {
		moved = moved || d.State == "superseded"
	}
	if !moved {
		t.Error("no deadline superseded by the pause or the extension")
	}
	expect(subject, "/withdraw", map[string]string{"reason": "不再需要"}, http.StatusConflict, "/problems/wrong-stage")

	// Escalations are the supervisors' and caseworkers', not the subjects'.
	supervisor.do(http.StatusOK, http.MethodGet, "/api/v1/escalations?state=all", nil, nil)
	subject.do(http.StatusForbidden, http.MethodGet, "/api/v1/escalations", nil, nil)
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, workflows.ObjectionWorkflowID(caseNo), filepath.Join("..", "workflows", "testdata", "histories", "objection_own_error_clock_notices.json"))
	}
}

// Concurrent filings on one record: the registration transaction and the
// unique index let exactly one through; the others are told which case is
// open.
func TestConcurrentObjectionsOnOneRecordOpenOneCase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	var recordID int64
	if err := sys.Pool.QueryRow(ctx, `SELECT id FROM records WHERE subject_id = $1 AND decision_no = $2`,
		subject.account.SubjectID, "通税信〔2025〕7号").Scan(&recordID); err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(api.FileObjectionRequest{RecordID: recordID, Grounds: []string{"纳税信用等级有误"}, Statement: "应为 A 级"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	answers := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = subject.send(http.MethodPost, "/api/v1/objections", "application/json", bytes.NewReader(body))
		}()
	}
	wg.Wait()
	var created []api.FiledObjection
	conflicts := 0
	for _, a := range answers {
		switch a.status {
		case http.StatusCreated:
			var f api.FiledObjection
			if err := json.Unmarshal(a.body, &f); err != nil {
				t.Fatal(err)
			}
			created = append(created, f)
		case http.StatusConflict:
			conflicts++
		default:
			t.Errorf("concurrent filing: %d %s", a.status, a.body)
		}
	}
	for _, f := range created {
		t.Cleanup(func() {
			_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(f.Case.CaseNo), "", "test over")
		})
	}
	if len(created) != 1 || conflicts != n-1 {
		t.Fatalf("%d created, %d refused; want 1 and %d", len(created), conflicts, n-1)
	}
	for _, a := range answers {
		if a.status == http.StatusConflict && !strings.Contains(string(a.body), created[0].Case.CaseNo) {
			t.Errorf("refusal does not name the open case %s: %s", created[0].Case.CaseNo, a.body)
		}
	}
	var open int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE record_id = $1 AND status = 'open'`, recordID).Scan(&open); err != nil {
		t.Fatal(err)
	}
	if open != 1 {
		t.Fatalf("%d open cases on the record", open)
	}
}

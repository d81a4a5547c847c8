package integration

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// Objection grounds as the profile's regulation lists them (issue 19.7):
// a code the profile does not know is refused naming it; the grounds chosen
// and "other" with the applicant's words reach the verification letter in
// the regulation's own words, with the article.
func TestObjectionGroundsFromTheRegulation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	_, _, rec := relayProvider(t, ctx, subject.account.SubjectID)

	bad := map[string]any{"record_id": rec.ID, "ground_codes": []string{"error_omission"}, "grounds": []string{"x"}, "statement": "金额有误"}
	if p := problemOf(t, subject.do(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/objections", bad, nil)); len(p.Errors) != 1 ||
		p.Errors[0].Field != "ground_codes[0]" || !strings.Contains(p.Errors[0].Message, "inconsistent_with_facts") {
		t.Fatalf("an Anshan ground under the nantong profile: %+v", p)
	}
	var filed api.FiledObjection
	subject.do(http.StatusCreated, http.MethodPost, "/api/v1/objections", map[string]any{"record_id": rec.ID,
		"ground_codes": []string{"inconsistent_with_facts", "other"}, "grounds": []string{"处罚决定已被撤销"}, "statement": "金额与决定书不符"}, &filed)
	base := "/api/v1/objections/" + filed.Case.CaseNo
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ObjectionWorkflowID(filed.Case.CaseNo), "", "test over")
	})
	var st workflows.ObjectionState
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", nil, &st)
	cw.do(http.StatusOK, http.MethodPost, base+"/forward-to-provider", map[string]any{}, &st)
	var docs struct {
		Documents []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"documents"`
	}
	lettersReady(t, path.Base(base))
	cw.do(http.StatusOK, http.MethodGet, base+"/documents", nil, &docs)
	var letter int64
	for _, d := range docs.Documents {
		if d.Kind == "objection_verification" {
			letter = d.ID
		}
	}
	if letter == 0 {
		t.Fatalf("no verification letter: %+v", docs.Documents)
	}
	html := cw.send(http.MethodGet, fmt.Sprintf("%s/documents/%d?format=html", base, letter), "", nil)
	for _, want := range []string{"信息主体的公共信用信息与事实不符，存在记载错误或者遗漏的", "第三十一条第一项", "其他：处罚决定已被撤销"} {
		if !strings.Contains(string(html.body), want) {
			t.Errorf("verification letter lacks %q", want)
		}
	}
}

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/repair"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// "Same kind" by behaviour on the real stack (issue 19.3): a provider
// supplies, through HTTP, two negative records of one subject in different
// dishonesty categories (虚假宣传, then 拖欠工资 within the year); each is
// repairable, and the earlier one is filed and accepted for repair. A third
// record without a category is judged by the provider presumption, which
// the answer states.
func TestTwoCategoriesFromOneProviderBothRepairable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	code := fmt.Sprintf("it-kind-%d", time.Now().UnixNano()%1_000_000_000)
	var providerID int64
	if err := sys.Pool.QueryRow(ctx, `INSERT INTO providers (code, name) VALUES ($1, '南通市市场监督管理局') RETURNING id`, code).Scan(&providerID); err != nil {
		t.Fatal(err)
	}
	user := "p" + code[len(code)-9:]
	if _, err := auth.New(sys.Pool, 4).CreateAccount(ctx, audit.System, auth.NewAccount{Username: user, DisplayName: "市监局信用科",
		Role: auth.Provider, ProviderID: providerID, Password: seed.DemoPassword}); err != nil {
		t.Fatal(err)
	}
	provider := logIn(t, user, seed.DemoPassword)
	today := calendar.DateOf(time.Now())
	supply := func(category, title string, daysAgo int) records.Record {
		t.Helper()
		var rec records.Record
		provider.do(http.StatusCreated, http.MethodPost, "/api/v1/records", records.RecordInput{
			SubjectID: subject.account.SubjectID, Category: records.Negative, Severity: records.General, Disclosure: records.Public,
			DishonestyCategory: category, Title: title, DecisionNo: fmt.Sprintf("通市监罚〔IT〕%d号", time.Now().UnixNano()),
			DecidedOn: today.AddDays(-daysAgo).String(),
		}, &rec)
		if rec.DishonestyCategory != category {
			t.Fatalf("record kept category %q, want %q", rec.DishonestyCategory, category)
		}
		return rec
	}
	advertising := supply("虚假宣传", "发布虚假广告", 200)
	wages := supply("拖欠工资", "拖欠员工工资", 100)

	noRepeat := func(el api.RepairEligibility) repair.Condition {
		for _, c := range el.Conditions {
			if c.Code == repair.CondNoRepeat {
				return c
			}
		}
		t.Fatalf("no %s condition in %+v", repair.CondNoRepeat, el)
		return repair.Condition{}
	}
	for _, rec := range []records.Record{advertising, wages} {
		var el api.RepairEligibility
		subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility", rec.ID), nil, &el)
		c := noRepeat(el)
		if !el.Eligible || !el.CanApply || !c.Met || c.Presumed || !strings.Contains(c.ZH, rec.DishonestyCategory) {
			t.Fatalf("record %d (%s): eligible %v, same-kind condition %+v", rec.ID, rec.DishonestyCategory, el.Eligible, c)
		}
	}
	// The earlier record is filed: the workflow's own check agrees.
	r := subject.apply(advertising.ID, true, 1)
	if r.status != http.StatusCreated {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	var filed api.FiledRepair
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.RepairWorkflowID(filed.Case.CaseNo), "", "test over")
	})
	var st workflows.RepairState
	cw.do(http.StatusOK, http.MethodPost, "/api/v1/repairs/"+filed.Case.CaseNo+"/accept", map[string]any{}, &st)
	if !st.Eligibility.Eligible || st.Stage != workflows.StageProviderOpinion {
		t.Fatalf("filed repair: eligible %v, stage %s", st.Eligibility.Eligible, st.Stage)
	}

	// A record without a category: the same provider counts as the same
	// kind, and the answer says it presumed; its date is a year after the
	// later record.
	plain := supply("", "其他违法行为", 150)
	var el api.RepairEligibility
	subject.do(http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/records/%d/repair-eligibility", plain.ID), nil, &el)
	c := noRepeat(el)
	wantFrom := today.AddDays(-100)
	wantFrom = calendar.NewDate(wantFrom.Year+1, wantFrom.Month, wantFrom.Day).AddDays(1)
	if el.Eligible || c.Met || !c.Presumed || !strings.Contains(c.ZH, "按同一信息提供单位认定同类") || c.From == nil || *c.From != wantFrom {
		t.Fatalf("uncategorised record: eligible %v, condition %+v (want met from %s)", el.Eligible, c, wantFrom)
	}
}

package casework

import (
	"context"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/workflows"
)

// The stages in words, as refusals (and the staff pages) name them for a
// case's own profile: an appeal (申诉) only where the profile's regulation
// grants one; under Anshan (art. 10) the window after the reply is the
// time to say one still disagrees; an appeal refused there says what
// applies instead. The appeal is offered only where it can be taken.
func TestStageWordsAndOfferedRemediesFollowTheProfile(t *testing.T) {
	s := &Service{d: Deps{Policies: policy.Default()}}
	stages := map[string]bool{workflows.StageFinished: true}
	for _, ss := range []map[string][]string{workflows.ObjectionStages, workflows.RepairStages, workflows.ListingStages} {
		for _, st := range ss {
			for _, x := range st {
				stages[x] = true
			}
		}
	}
	for _, p := range policy.Default().Profiles() {
		route := s.ResultRoute(context.Background(), p.ID, "")
		if route != p.ResultRoute() || route == "" {
			t.Fatalf("%s: route %q", p.ID, route)
		}
		for st := range stages {
			if st == workflows.StageAppeal && route != policy.ResultAppeal {
				continue // only an appeal opens it
			}
			n := StageNameUnder(st, route)
			if (strings.Contains(n.ZH, "申诉") || strings.Contains(n.EN, "appeal")) && route != policy.ResultAppeal {
				t.Errorf("%s (%s) stage %s: %s / %s names an appeal", p.ID, route, st, n.ZH, n.EN)
			}
		}
		cs := CaseSummary{CaseNo: "YY-2026-000001", Stage: workflows.StageClosed, ProfileID: p.ID}
		st := Step{Name: "withdraw", Update: workflows.ObjectionWithdraw}
		err := temporal.NewApplicationErrorWithOptions("not read", workflows.RefusedWrongStage, temporal.ApplicationErrorOptions{
			Details: []any{workflows.Refusal{Stage: workflows.StageClosed, AllowedStages: []string{workflows.StageAcceptance}, Profile: p.ID}}})
		r := refusalOf(t, s.refused(context.Background(), objections, cs, st, err))
		if strings.Contains(r.Detail.ZH, "申诉") != (route == policy.ResultAppeal) {
			t.Errorf("%s (%s): refusal at the closed stage: %s", p.ID, route, r.Detail.ZH)
		}

		// The steps offered to the subject at the closed stage of a result
		// the provider verified.
		offered := map[string]bool{}
		for _, a := range s.withoutHandOver(context.Background(), objections.actions(permission.As(auth.Account{ID: 2, Role: auth.Subject}), workflows.StageClosed, false), cs, workflows.FindingAccurate) {
			offered[a.Name] = true
		}
		if offered[workflows.ObjectionAppeal] != p.HasAppeal() || offered[workflows.ObjectionHandOver] != p.Settings.DisagreementHandover.Value {
			t.Errorf("%s: offered at the closed stage %v", p.ID, offered)
		}
	}
	anshan := CaseSummary{CaseNo: "YY-2026-000002", Stage: workflows.StageClosed, ProfileID: "anshan"}
	err := temporal.NewApplicationErrorWithOptions("not read", workflows.RefusedWrongStage, temporal.ApplicationErrorOptions{
		Details: []any{workflows.Refusal{Action: workflows.ObjectionAppeal, Stage: workflows.StageClosed, Profile: "anshan", Instead: workflows.ObjectionHandOver}}})
	r := refusalOf(t, s.refused(context.Background(), objections, anshan, Step{Name: "appeal", Update: workflows.ObjectionAppeal}, err))
	if r.Instead != workflows.ObjectionHandOver || !strings.Contains(r.Detail.ZH, "不设申诉") || !strings.Contains(r.Detail.ZH, "移交信息提供单位") ||
		!strings.Contains(r.Detail.EN, "grant no appeal") {
		t.Errorf("an appeal under anshan: %+v", r)
	}
}

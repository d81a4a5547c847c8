package workflows

import (
	"slices"
	"testing"
	"time"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
)

// overallDues lists the objection.overall deadlines as "start due state".
func overallDues(st ObjectionState) []string {
	var out []string
	for _, d := range st.Deadlines {
		if d.Rule == policy.ObjectionOverall {
			out = append(out, d.Start.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")+" "+d.Due.String()+" "+d.State)
		}
	}
	return out
}

// Nantong art. 32 counts the 10 working days from receipt: an objection
// accepted 2 working days after it arrived keeps its limit counted from
// receipt; Nanning art. 20 counts from acceptance.
func TestObjectionLimitCountsFromReceiptWhereTheRegulationSaysSo(t *testing.T) {
	for _, tt := range []struct {
		profile string
		want    string
	}{
		{"nantong", "2026-11-23 2026-12-07 met"}, // Monday 11-23 + 10 WD
		{"nanning", "2026-11-25 2026-12-09 met"}, // accepted Wednesday 11-25 + 10 WD
	} {
		t.Run(tt.profile, func(t *testing.T) {
			h := newHarness(t, sh(2026, 11, 23, 9))
			h.at(sh(2026, 11, 25, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
			h.at(sh(2026, 11, 26, 10), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
			h.at(sh(2026, 11, 30, 10), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
			h.at(sh(2026, 12, 1, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持"}, false)
			st := h.run(input(tt.profile, sh(2026, 11, 23, 9)))
			if got := overallDues(st); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("overall limit %v; want [%s]", got, tt.want)
			}
		})
	}
}

// After a one-time notice (一次性告知) the limit counted from receipt runs
// again from receipt of the complete materials.
func TestObjectionLimitRunsAgainFromTheCompleteMaterials(t *testing.T) {
	h := newHarness(t, sh(2026, 11, 23, 9))
	h.at(sh(2026, 11, 24, 10), ObjectionRequestSupplement, SupplementRequest{By: caseworker, Missing: []string{"身份证明"}}, false)
	h.at(sh(2026, 11, 30, 10), ObjectionSupplement, SupplementInput{By: subject, Statement: "补交身份证明"}, false)
	h.at(sh(2026, 12, 1, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2026, 12, 2, 10), ObjectionWithdraw, WithdrawInput{By: subject, Reason: "撤回"}, false)
	st := h.run(input("nantong", sh(2026, 11, 23, 9)))
	want := []string{"2026-11-23 2026-12-07 cancelled", "2026-11-30 2026-12-14 cancelled"}
	if got := overallDues(st); !slices.Equal(got, want) {
		t.Errorf("overall limit %v; want %v", got, want)
	}
}

// Timer path: a Nantong objection nobody handles lapses 10 working days
// after receipt, however late it is accepted, and is escalated then.
func TestObjectionLimitFromReceiptLapsesOnTime(t *testing.T) {
	h := newHarness(t, sh(2026, 11, 23, 9))
	h.at(sh(2026, 12, 10, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2026, 12, 10, 11), ObjectionWithdraw, WithdrawInput{By: subject, Reason: "撤回"}, false)
	st := h.run(input("nantong", sh(2026, 11, 23, 9)))
	var overall *activities.Escalation
	for i, e := range h.escalations {
		if e.Rule == policy.ObjectionOverall {
			overall = &h.escalations[i]
		}
	}
	if overall == nil || !overall.Since.Equal(sh(2026, 12, 8, 0)) {
		t.Fatalf("escalations %+v; want objection.overall escalated at 2026-12-08 00:00 (24:00 of 12-07)", h.escalations)
	}
	if got := overallDues(st); !slices.Equal(got, []string{"2026-11-23 2026-12-07 missed"}) {
		t.Errorf("overall limit %v", got)
	}
}

// unverifiable_deleted decides whether "deleted" is an outcome: a Nantong
// case cannot end deleted (art. 32 keeps a verified record), an Anshan one
// can (art. 11).
func TestObjectionDeletedOnlyWhereTheProfileAllows(t *testing.T) {
	for _, tt := range []struct {
		profile string
		refused bool
		outcome string
	}{
		{"nantong", true, OutcomeUpheld},
		{"anshan", false, OutcomeDeleted},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			h := newHarness(t, sh(2026, 11, 23, 9))
			h.at(sh(2026, 11, 23, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
			h.at(sh(2026, 11, 23, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
			h.at(sh(2026, 11, 25, 10), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingUnverifiable, Reasons: "无法核实"}, false)
			h.at(sh(2026, 11, 26, 10), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeDeleted, Reasons: "无法核实，予以删除"}, tt.refused)
			if tt.refused {
				h.at(sh(2026, 11, 26, 11), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持原信息"}, false)
			}
			st := h.run(input(tt.profile, sh(2026, 11, 23, 9)))
			if st.Outcome != tt.outcome {
				t.Errorf("outcome %s; want %s", st.Outcome, tt.outcome)
			}
			for _, o := range h.outcomes {
				if o.Outcome == OutcomeDeleted && tt.refused {
					t.Errorf("record deleted under %s", tt.profile)
				}
			}
		})
	}
}

// An appeal (申诉) exists where the regulation grants it (Nantong art. 33):
// elsewhere the written reply ends the case, with no appeal window.
func TestObjectionWithoutAppealEndsWithTheReply(t *testing.T) {
	h := newHarness(t, sh(2026, 11, 23, 9))
	h.at(sh(2026, 11, 23, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2026, 11, 24, 10), ObjectionDecideOwnError, OwnErrorInput{By: caseworker, Reason: "录入错误",
		Correction: map[string]any{"title": "更正后的标题"}}, false)
	st := h.run(input("nanning", sh(2026, 11, 23, 9)))
	if st.Stage != StageFinished || st.Status != StatusClosed || st.Outcome != OutcomeCorrected {
		t.Fatalf("state %s/%s/%s", st.Stage, st.Status, st.Outcome)
	}
	if d := deadlineOf(st, policy.ObjectionAppealWindow); d.Rule != "" {
		t.Errorf("appeal window opened: %+v", d)
	}
	if !slices.Contains(h.documents, string(documents.KindCorrection)) {
		t.Errorf("documents %v", h.documents)
	}
	if now := h.env.Now(); now.After(sh(2026, 11, 25, 0)) {
		t.Errorf("the case ran until %s; it ends with the reply", now)
	}
}

// Anshan grants no appeal but hands a continued disagreement to the
// provider (art. 10): the reply opens the window for that, an appeal in it
// is refused for the profile naming the hand-over instead, and a case
// nobody hands over ends when the window lapses.
func TestObjectionWindowForTheHandOverOnlyWhereNoAppeal(t *testing.T) {
	h := newHarness(t, sh(2026, 11, 23, 9))
	h.at(sh(2026, 11, 23, 10), ObjectionAccept, AcceptInput{By: caseworker}, false)
	h.at(sh(2026, 11, 23, 11), ObjectionForwardToProvider, ForwardInput{By: caseworker}, false)
	h.at(sh(2026, 11, 24, 9), ObjectionProviderReply, ProviderReplyInput{By: provider, Finding: FindingAccurate, Reasons: "核实无误"}, false)
	h.at(sh(2026, 11, 24, 11), ObjectionDecide, DecisionInput{By: caseworker, Outcome: OutcomeUpheld, Reasons: "维持"}, false)
	refusedAt(t, h.env, sh(2026, 11, 30, 9), ObjectionAppeal, AppealInput{By: subject, Grounds: "不服"}, RefusedWrongStage,
		func(d Refusal) bool { return d.Profile == "anshan" && d.Instead == ObjectionHandOver })
	in := input("anshan", sh(2026, 11, 23, 9))
	in.DisagreementHandover = true
	st := h.run(in)
	if st.Stage != StageFinished || st.Outcome != OutcomeUpheld || st.Appeal != "" {
		t.Fatalf("state %s/%s appeal %q", st.Stage, st.Outcome, st.Appeal)
	}
	d := deadlineOf(st, policy.ObjectionAppealWindow)
	if d.Rule == "" || d.State == activities.DeadlinePending || d.Due.String() != "2027-01-25" {
		t.Errorf("window %+v; want it over on 2027-01-25 (60 days from the reply, the 23rd a Saturday)", d)
	}
}

package wording

import (
	"strings"
	"testing"
	"unicode"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
)

func add(t *testing.T, start string, n int, unit calendar.Unit, region string) calendar.Deadline {
	t.Helper()
	d, err := calendar.Default().Add(calendar.MustParseDate(start), n, unit, calendar.Options{Region: region, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestExplainInChinese(t *testing.T) {
	for _, tt := range []struct {
		name           string
		start          string
		n              int
		unit           calendar.Unit
		region         string
		extra          int
		want, wantNot  string
		wantProvisonal bool
	}{
		// The issue's own example.
		{name: "no holiday", start: "2026-11-30", n: 10, unit: calendar.WorkingDays,
			want: "自2026年11月30日起算10个工作日（不含当日），其间无法定节假日和调休；截止于2026年12月14日（星期一）24时"},
		{name: "national day and a make-up day", start: "2025-09-28", n: 5, unit: calendar.WorkingDays,
			want: "自2025年9月28日起算5个工作日（不含当日），其间2025年10月1日至8日国庆节、中秋节放假，2025年10月11日（星期六）调休上班，计为工作日；截止于2025年10月11日（星期六）24时"},
		{name: "guangxi overlay", start: "2025-03-28", n: 5, unit: calendar.WorkingDays, region: "guangxi",
			want: "2025年3月31日至4月1日壮族三月三放假（广西壮族自治区）"},
		{name: "pause added", start: "2026-11-30", n: 13, unit: calendar.WorkingDays, extra: 3,
			want: "自2026年11月30日起算10个工作日，另加暂停计时和延长的3个工作日，共13个工作日（不含当日）"},
		{name: "calendar days ending on a day off", start: "2026-08-02", n: 60, unit: calendar.CalendarDays,
			want: "自2026年8月2日起算60日（不含当日），期间最后一日为2026年10月1日（星期四），适逢2026年10月1日至7日国庆节放假，顺延至其后第一个工作日；截止于2026年10月8日（星期四）24时"},
		{name: "months", start: "2026-06-01", n: 6, unit: calendar.Months, want: "自2026年6月1日起算6个月（不含当日），期间最后一日为2026年12月1日（星期二）；截止于2026年12月1日（星期二）24时"},
		{name: "provisional", start: "2026-12-28", n: 10, unit: calendar.WorkingDays, want: "2027年节假日安排尚未公布，暂按法定节假日估算，国务院公布安排后重新计算", wantProvisonal: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := add(t, tt.start, tt.n, tt.unit, tt.region)
			if d.Provisional != tt.wantProvisonal {
				t.Fatalf("provisional = %v", d.Provisional)
			}
			got := Explain(d, tt.extra, ZH)
			if !strings.Contains(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			for _, r := range got {
				if r < unicode.MaxASCII && unicode.IsLetter(r) {
					t.Errorf("Latin letter in %s", got)
					break
				}
			}
			en := Explain(d, tt.extra, EN)
			if !strings.Contains(en, "ends at 24:00 on") || strings.Contains(en, "年") && !strings.Contains(en, "(") {
				t.Errorf("English: %s", en)
			}
		})
	}
}

func TestEveryRuleHasWording(t *testing.T) {
	for _, id := range policy.RuleIDs() {
		if !KnownRule(id) || RuleName(id, ZH) == id || Ask(id, ZH) == "" || Ask(id, EN) == "" {
			t.Errorf("rule %s has no wording", id)
		}
	}
}

func TestMessagesNameCaseAskAndDate(t *testing.T) {
	d := add(t, "2026-11-30", 5, calendar.WorkingDays, "")
	due := Due{Rule: "objection.provider_reply", Date: d.Due, Explanation: Explain(d, 0, ZH)}
	for name, msg := range map[string]string{
		"reminder": Reminder("objection", "YY-2026-000123", due, ZH),
		"letter":   LetterIssued("objection", "YY-2026-000123", "信用信息异议核查函", "通信异核字〔2026〕第0007号", &due, ZH),
		"asked":    Asked("objection", "YY-2026-000123", Ask(due.Rule, ZH), &due, ZH),
	} {
		for _, want := range []string{"异议处理案件YY-2026-000123", "2026年12月7日（星期一）24时前", "核查异议信息并将核查结果书面回复本中心", "期限计算：自2026年11月30日起算5个工作日"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %s\nlacks %s", name, msg, want)
			}
		}
		if strings.Contains(msg, "objection.") {
			t.Errorf("%s names a rule id: %s", name, msg)
		}
	}
	esc := Escalated("objection", "YY-2026-000123", "provider:3", "南通市税务局", due, ZH)
	if esc != "异议处理案件YY-2026-000123：信息提供单位南通市税务局未在信息提供单位核查回复期限内核查异议信息并将核查结果书面回复本中心（已于2026年12月7日（星期一）24时届满），现报请督办。" {
		t.Errorf("escalation: %s", esc)
	}
	if en := Reminder("objection", "YY-2026-000123", Due{Rule: due.Rule, Date: d.Due}, EN); en != "Objection case YY-2026-000123: please verify the record under objection and reply to the centre in writing by 24:00 on Monday 7 December 2026 (Beijing time) (provider's verification, ending soon)." {
		t.Errorf("English reminder: %s", en)
	}
}

func TestParseLang(t *testing.T) {
	for h, want := range map[string]Lang{"": ZH, "en": EN, "en-GB,en;q=0.9": EN, "zh-CN,zh;q=0.9,en;q=0.8": ZH, "fr, en;q=0.5": EN, "de": ZH} {
		if got := ParseLang(h); got != want {
			t.Errorf("%q = %s", h, got)
		}
	}
}

// The words of every rule of every profile, as a case under it reads them
// (RuleUnder its result route): an appeal (申诉) is named only where the
// profile's regulation grants one; under a profile that hands a continued
// disagreement to the provider the window after the reply is the window to
// say so.
func TestRuleWordsFollowTheProfilesRemedy(t *testing.T) {
	for _, p := range policy.Default().Profiles() {
		route := p.ResultRoute()
		for _, r := range p.Rules {
			key := RuleUnder(r.ID, route)
			zh := RuleName(key, ZH) + Ask(key, ZH) + Corrected("objection", "YY-2026-000001", key, calendar.NewDate(2026, 12, 1), calendar.NewDate(2026, 12, 2), false, 1, ZH)
			en := RuleName(key, EN) + Ask(key, EN) + Corrected("objection", "YY-2026-000001", key, calendar.NewDate(2026, 12, 1), calendar.NewDate(2026, 12, 2), false, 1, EN)
			appeal := strings.Contains(zh, "申诉") || strings.Contains(strings.ToLower(en), "appeal")
			if appeal && route != policy.ResultAppeal {
				t.Errorf("%s (%s) %s: %s / %s names an appeal the regulation does not grant", p.ID, route, r.ID, zh, en)
			}
			if r.ID == policy.ObjectionAppealWindow {
				switch route {
				case policy.ResultAppeal:
					if !appeal {
						t.Errorf("%s %s: %s / %s; want the appeal", p.ID, r.ID, zh, en)
					}
				case policy.ResultHandover:
					if !strings.Contains(zh, "仍有异议") || !strings.Contains(zh, "移交") || !strings.Contains(en, "still disagree") {
						t.Errorf("%s %s: %s / %s; want the hand-over", p.ID, r.ID, zh, en)
					}
				}
			}
		}
	}
	if RuleUnder(policy.ObjectionAppealWindow, policy.ResultAppeal) != policy.ObjectionAppealWindow ||
		RuleUnder(policy.ObjectionCentreCheck, policy.ResultHandover) != policy.ObjectionCentreCheck {
		t.Error("RuleUnder changes a rule the route does not change")
	}
}

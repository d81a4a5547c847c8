package letters

import (
	"strings"
	"testing"

	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
)

// A deadline correction notice that moves the window after an objection's
// written reply names it as the case's profile does: the appeal window
// (申诉) under Nantong, the time to say one still disagrees under Anshan,
// whose regulation grants no appeal (art. 10: 移交信息提供主体处理).
func TestCorrectionNamesTheResultWindowOfTheProfile(t *testing.T) {
	for id, want := range map[string]string{"nantong": "申诉", "anshan": "仍有异议提出期限"} {
		p, err := policy.Default().Get(id)
		if err != nil {
			t.Fatal(err)
		}
		c := fixedCase(t, p, documents.KindDeadlineCorrection)
		old := deadline(t, p, policy.ObjectionAppealWindow, at("2026-12-01 10:00"))
		old.Seq = 1
		now := old
		now.Seq, now.Due = 2, old.Due.AddDays(1)
		c.Deadlines = append(c.Deadlines, old, now)
		is := fixedIssue(documents.KindDeadlineCorrection, "", "1")
		is.Lists["moved"] = []string{Moved(policy.ObjectionAppealWindow, 1, 2)}
		data, err := correction(c, is, documents.Header{}, documents.Contact{})
		if err != nil {
			t.Fatal(err)
		}
		items := data.(*documents.DeadlineCorrection).Items
		if len(items) != 1 || !strings.Contains(items[0].Name, want) {
			t.Errorf("%s: corrected %+v; want %q", id, items, want)
		}
		if id == "anshan" && strings.Contains(items[0].Name, "申诉") {
			t.Errorf("anshan: %q names an appeal", items[0].Name)
		}
	}
}

// The provider's correction notice of a repair names the repair
// application and the provider's opinion — what it is asked, its old and
// new date — and only the dates it was given; the subject's name and the
// record come from the case, the addressee is the provider.
func TestProviderCorrectionOfARepair(t *testing.T) {
	p, err := policy.Default().Get("nantong")
	if err != nil {
		t.Fatal(err)
	}
	c := fixedCase(t, p, documents.KindRepairAcceptance)
	old := deadline(t, p, policy.RepairProviderOpinion, at("2026-11-25 10:00"))
	old.Seq = 1
	now := old
	now.Seq, now.Due = 2, old.Due.AddDays(1)
	c.Deadlines = append(c.Deadlines, old, now)
	is := fixedIssue(documents.KindProviderDeadlineCorrection, "", "通信期更字〔2026〕第0009号")
	is.Facts["case_kind"] = "repair"
	is.Lists["moved"] = []string{Moved(policy.RepairProviderOpinion, 1, 2)}
	data, err := Compose(c, is)
	if err != nil {
		t.Fatal(err)
	}
	d := data.(*documents.ProviderDeadlineCorrection)
	if d.Addressee != c.Record.Provider || d.Application != "信用修复申请" {
		t.Errorf("addressed to %q about %q; want the provider %q and the repair application", d.Addressee, d.Application, c.Record.Provider)
	}
	if len(d.Items) != 1 || d.Items[0].Name != "信用修复意见期限" || !strings.Contains(d.Items[0].Ask, "信用修复意见") ||
		d.Items[0].Old != old.Due || d.Items[0].New.Date != now.Due || d.Items[0].New.From != "受理之日" {
		t.Errorf("items %+v; want the repair opinion %s → %s, counted from acceptance", d.Items, old.Due, now.Due)
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
	if _, err := documents.Render(documents.KindProviderDeadlineCorrection, d); err != nil {
		t.Error(err)
	}
}

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

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/internal/seed"
)

// posted is what a form's post answered in the browser.
type posted struct {
	Status int    `json:"status"`
	URL    string `json:"url"`
	Text   string `json:"text"`
}

// postTwice posts the form of the button sel from the page as it is, twice
// at once (a double submit: the same key, the same fields), then a third
// time with field set to value (the same key, other fields).
func (b *tab) postTwice(sel, field, value string) (first, second, changed posted) {
	b.t.Helper()
	js := fmt.Sprintf(`(async () => {
		const btn = document.querySelector(%q);
		const send = fd => fetch(btn.form.action, {method: 'POST', body: fd}).then(async r => ({status: r.status, url: r.url, text: await r.text()}));
		const [a, b] = await Promise.all([send(new FormData(btn.form, btn)), send(new FormData(btn.form, btn))]);
		const fd = new FormData(btn.form, btn);
		fd.set(%q, %q);
		return [a, b, await send(fd)];
	})()`, sel, field, value)
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]posted](js, chromedp.EvalAwaitPromise))
	if err != nil || len(res) != 3 {
		b.t.Fatalf("posting the form of %s: %v", sel, err)
	}
	return res[0], res[1], res[2]
}

var formKey = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// Every form of the console carries an Idempotency-Key drawn when it is
// rendered (issue 12.2): a double submit of the objection filing files one
// case and both posts land on its page; a caseworker's acceptance posted
// twice is done once (one event); the same key with other fields answers
// 422 and changes nothing.
func TestConsoleFormsAreIdempotent(t *testing.T) {
	ctx := context.Background()
	rec := consoleRecord(t, "未按期报送年度统计报表（幂等）")
	b := logInTab(t, "subject", seed.DemoPassword)
	b.open(fmt.Sprintf("/my/records/%d/objection", rec.ID))
	b.do("choose grounds", chromedp.Click(chromedp.CSS("#grounds-0"), chromedp.NodeVisible))
	b.fill("#statement", "统计报表已按期报送，附回执。")
	keysOf := func() []string {
		keys, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('main form[method=post]')].map(f => (f.querySelector('input[name=_idempotency_key]') || {}).value || '')`))
		if err != nil || len(keys) < 1 {
			t.Fatalf("forms of %s: %v, %v", b.path(), keys, err)
		}
		return keys
	}
	keys := keysOf()
	b.submit("main form button[type=submit]")
	b.wantText("提交前请核对")
	keys = append(keys, keysOf()...)
	seen := map[string]bool{}
	for _, k := range keys {
		if !formKey.MatchString(k) || seen[k] {
			t.Errorf("form keys %q: each form needs its own random key", keys)
		}
		seen[k] = true
	}

	one, two, changed := b.postTwice("#submit-objection", "statement", "另一份陈述")
	if one.Status != 200 || two.Status != 200 || one.URL != two.URL || !strings.Contains(one.URL, "/my/cases/") || !strings.Contains(one.URL, "done=filed") {
		t.Fatalf("a double submit of the filing: %d %s / %d %s", one.Status, one.URL, two.Status, two.URL)
	}
	u, err := url.Parse(one.URL)
	if err != nil {
		t.Fatal(err)
	}
	no := strings.TrimPrefix(u.Path, "/my/cases/")
	var n int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE record_id = $1`, rec.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d cases filed on the record (%v); want 1", n, err)
	}
	if changed.Status != 422 || !strings.Contains(changed.Text, "这张表单已经提交过") || !strings.Contains(changed.Text, "未作任何更改") {
		t.Errorf("the same key with another statement: %d %.300s", changed.Status, changed.Text)
	}
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE record_id = $1`, rec.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d cases on the record after the changed post (%v); want 1", n, err)
	}
	// The refusal as the reader sees it.
	page, _ := json.Marshal(changed.Text)
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.open(); document.write(`+string(page)+`); document.close(); true`)); err != nil {
		t.Fatalf("show the refusal: %v", err)
	}
	b.do("show the refusal", chromedp.WaitReady(chromedp.CSS("main")))
	b.wantText("这张表单已经提交过", "请重新打开页面")
	b.check("form-key-reused")
	b.open("/my/cases/" + no)
	b.wantText(no, "受理审查")
	b.screenshot("idempotent-filing")

	cw := logInTab(t, "caseworker", seed.DemoPassword)
	cw.waitCaseStage(no, "受理审查")
	one, two, changed = cw.postTwice("#do-accept", "_idempotency_key", "")
	if one.Status != 200 || two.Status != 200 || one.URL != two.URL {
		t.Fatalf("a double submit of the acceptance: %d %s / %d %s", one.Status, one.URL, two.Status, two.URL)
	}
	// (the third post, without a key, is an ordinary post of a step the
	// stage no longer allows: refused, nothing changed)
	if changed.Status < 400 {
		t.Errorf("an acceptance posted again without a key: %d", changed.Status)
	}
	cw.waitCaseStage(no, "工作机构核查")
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM case_events WHERE case_no = $1 AND action = 'objection.accepted'`, no).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d acceptance events (%v); want 1", n, err)
	}
}

package integration

// The console's browser tests: Debian's Chromium (`make setup` installs it)
// driven from Go with chromedp against the running stack. Every page a test
// visits is checked with axe-core (vendored under testdata/axe-core, pinned)
// for serious and critical violations, and screenshotted at 1280 and 375 px
// into ../screenshots (git-ignored; SCREENSHOT_DIR overrides it).

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

//go:embed testdata/axe-core/axe.min.js
var axeSource string

var (
	browserOnce   sync.Once
	browserAlloc  context.Context
	browserCancel context.CancelFunc = func() {}
	browserErr    error
)

// chromiumPath finds Debian's Chromium.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium on PATH: run make setup (apt-get install chromium)")
}

// allocator starts one headless Chromium for the package.
func allocator() (context.Context, error) {
	browserOnce.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			browserErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.DisableGPU,
			chromedp.Flag("lang", "zh-CN"),
			chromedp.Flag("accept-lang", "zh-CN,zh"),
			chromedp.Flag("font-render-hinting", "none"),
			chromedp.WindowSize(1280, 900),
		)
		if os.Geteuid() == 0 {
			opts = append(opts, chromedp.NoSandbox)
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelBrowser := chromedp.NewContext(alloc)
		browserAlloc, browserCancel = ctx, func() { cancelBrowser(); cancelAlloc() }
		// Start the browser now: tabs open their own browser contexts in it.
		browserErr = chromedp.Do(ctx)
	})
	return browserAlloc, browserErr
}

// closeBrowser ends the package's Chromium (TestMain calls it).
func closeBrowser() { browserCancel() }

// tab is one reader's browser: its own cookies (a new browser context), in
// Chinese unless the test switches.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	// seen counts screenshots per name, so a page visited twice keeps both.
	seen map[string]int
}

// newTab opens a fresh browser context for t.
func newTab(t *testing.T) *tab {
	t.Helper()
	alloc, err := allocator()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancel() })
	tb := &tab{t: t, ctx: ctx, base: baseURL(), seen: map[string]int{}}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "zh-CN,zh;q=0.9"}})
		return err
	})); err != nil {
		t.Fatalf("browser: %v", err)
	}
	return tb
}

// do runs steps, failing the test with what was being done.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and waits for the page.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// submit clicks sel (a submit button or link) and waits for the next page.
func (b *tab) submit(sel string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// fill types value into the field sel after clearing it.
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// text is the visible text of sel.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// mainText is the text of the page's main content.
func (b *tab) mainText() string { return b.text("main") }

// path is the current location's path and query.
func (b *tab) path() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.RequestURI()
}

// wantText fails unless the main content shows every one of want.
func (b *tab) wantText(want ...string) {
	b.t.Helper()
	got := b.mainText()
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.t.Errorf("page %s does not show %q; it shows:\n%s", b.path(), w, got)
		}
	}
}

// check runs axe-core on the page and saves its screenshots as name.
func (b *tab) check(name string) {
	b.t.Helper()
	b.axe(name)
	b.screenshot(name)
}

// axeResult is the part of axe.run's answer the test reads.
type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
}

// axe injects axe-core and fails on any serious or critical violation of
// WCAG 2.1 A/AA rules (and axe's best practices).
func (b *tab) axe(name string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		b.t.Fatalf("inject axe-core on %s: %v", name, err)
	}
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[axeResult](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']})`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe-core on %s: %v", name, err)
	}
	for _, v := range res.Violations {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var targets []string
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		b.t.Errorf("axe-core on %s (%s): %s %s — %s: %s", name, b.path(), v.Impact, v.ID, v.Help, strings.Join(targets, "; "))
	}
}

var unsafeName = regexp.MustCompile(`[^a-z0-9._-]+`)

// screenshotDir is where the pages' screenshots go.
func screenshotDir() string {
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "screenshots")
}

// screenshot saves the whole page at 1280 and at 375 px wide.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	name = unsafeName.ReplaceAllString(strings.ToLower(name), "-")
	b.seen[name]++
	if n := b.seen[name]; n > 1 {
		name = fmt.Sprintf("%s-%d", name, n)
	}
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, w := range []int64{1280, 375} {
		b.do("viewport", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: w, Height: 900, DeviceScaleFactor: 1, Mobile: w < 500})
			return err
		}))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s at %d px: %v", name, w, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("reset viewport", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
}

package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/creditcase/creditcase/api"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/seed"
)

// TestConsoleStaffAdmin: the administrator creates an account (a weak
// password refused next to the password, nothing created), disables it
// (it can no longer log in), enables it again, ends its sessions and
// tokens (a bearer it held is refused), resets its password (a weak one
// refused on its field and nothing changed; then a bearer it held is
// refused, the old password no longer logs in and the new one logs in
// through the console); adds a provider (a bad code
// refused); and imports a holiday schedule: a dry run shows the days it
// changes and stores nothing, the confirmation stores it as a new
// revision whose recompute run is listed.
func TestConsoleStaffAdmin(t *testing.T) {
	if _, err := seed.Demo(t.Context(), sys.Pool); err != nil {
		t.Fatal(err)
	}
	ad := logInTab(t, "admin", seed.DemoPassword)
	if p := ad.path(); p != "/admin/accounts" {
		t.Errorf("an administrator starts at %s, want /admin/accounts", p)
	}
	ad.wantText("账户管理", "supervisor")
	ad.check("admin-accounts")

	// a weak password: refused on its field, nothing created
	ad.fill("#new-username", "cw-admin-made")
	ad.fill("#new-display_name", "新来的经办人")
	ad.do("choose the role", chromedp.SetValue(chromedp.CSS("#new-role"), string(auth.Caseworker), chromedp.NodeVisible))
	ad.fill("#new-password", "password")
	ad.submit("#do-create-account")
	if got := ad.text("#new-password-error"); got == "" {
		t.Errorf("a weak password is not refused next to the password")
	}
	if v := ad.text(".error-summary"); v == "" {
		t.Errorf("no summary of the refusal")
	}
	ad.check("admin-accounts-refused")
	ad.fill("#new-password", staffPassword)
	ad.submit("#do-create-account")
	ad.wantText("账户 cw-admin-made 已创建", "新来的经办人")

	// disabled: it cannot log in; enabled again: it can
	id := accountID(t, "cw-admin-made")
	row := "#acc-cw-admin-made"
	ad.click(row + " summary")
	ad.fill("#a"+itoa64(id)+"-disable-reason", "调岗")
	ad.submit("#a" + itoa64(id) + "-do-disable")
	ad.wantText("账户 cw-admin-made 已停用")
	if got := ad.text(row); !strings.Contains(got, "已停用") || !strings.Contains(got, "调岗") {
		t.Errorf("disabled account row: %q", got)
	}
	var lr api.LoginResponse
	if r := call(t, baseURL(), http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Username: "cw-admin-made", Password: staffPassword, Kind: auth.KindBearer}, &lr); r.StatusCode == http.StatusOK {
		t.Errorf("a disabled account logged in")
	}
	ad.click(row + " summary")
	ad.fill("#a"+itoa64(id)+"-enable-reason", "返岗")
	ad.submit("#a" + itoa64(id) + "-do-enable")
	ad.wantText("账户 cw-admin-made 已恢复启用")

	// its tokens ended: a bearer it holds is refused
	held := logIn(t, "cw-admin-made", staffPassword)
	held.do(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil, nil)
	ad.click(row + " summary")
	ad.fill("#a"+itoa64(id)+"-revoke-reason", "设备遗失")
	ad.submit("#a" + itoa64(id) + "-do-revoke")
	ad.wantText("已注销")
	held.do(http.StatusUnauthorized, http.MethodGet, "/api/v1/auth/me", nil, nil)

	// a new password: a weak one refused on its field, nothing changed;
	// a good one ends its tokens, the old password no longer logs in and
	// the new one does, through the console's log-in form
	held = logIn(t, "cw-admin-made", staffPassword)
	reset := "#a" + itoa64(id) + "-reset"
	ad.click(row + " summary")
	ad.fill(reset+"-password", "cw-admin-made-2026")
	ad.fill(reset+"-reason", "忘记密码")
	ad.submit("#a" + itoa64(id) + "-do-reset")
	if got := ad.text(reset + "-password-error"); !strings.Contains(got, "用户名") {
		t.Errorf("a password built on the user name is not refused next to the new password: %q", got)
	}
	if got := ad.value(reset + "-password"); got != "" {
		t.Errorf("the refused password is sent back to the page: %q", got)
	}
	if got := ad.value(reset + "-reason"); got != "忘记密码" {
		t.Errorf("the reason is not kept after the refusal: %q", got)
	}
	ad.check("admin-accounts-reset-refused")
	held.do(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil, nil)
	const newPassword = "Copper kettle 93 on the shelf"
	ad.fill(reset+"-password", newPassword)
	ad.submit("#a" + itoa64(id) + "-do-reset")
	ad.wantText("账户 cw-admin-made 的密码已重置")
	held.do(http.StatusUnauthorized, http.MethodGet, "/api/v1/auth/me", nil, nil)
	if r := call(t, baseURL(), http.MethodPost, "/api/v1/auth/login", api.LoginRequest{Username: "cw-admin-made", Password: staffPassword, Kind: auth.KindBearer}, &lr); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password after the reset: %d, want 401", r.StatusCode)
	}
	cw := logInTab(t, "cw-admin-made", newPassword)
	if p := cw.path(); p != "/desk" {
		t.Errorf("logged in with the new password, the caseworker is at %s, want /desk", p)
	}

	// providers
	ad.open("/admin/providers")
	ad.wantText("南通市市场监督管理局")
	ad.fill("#name", "南通市生态环境局")
	ad.fill("#code", "Bad Code!")
	ad.submit("#do-create-provider")
	if got := ad.text(".error-summary"); got == "" {
		t.Errorf("a bad provider code is not refused")
	}
	ad.check("admin-providers-refused")
	ad.fill("#code", "nt-env-console")
	ad.submit("#do-create-provider")
	ad.wantText("信息提供单位 南通市生态环境局 已添加")
	ad.check("admin-providers")

	// the calendar: 2027 not yet published; a dry run of the notice
	ad.open("/admin/calendar")
	ad.wantText("节假日日历", "2027")
	ad.check("admin-calendar")
	before := ad.text("#calendar-status")
	ad.fill("#reason", "国务院办公厅关于2027年部分节假日安排的通知（测试）")
	file, err := filepath.Abs("../internal/rules/testdata/calendar/cn/2027.json")
	if err != nil {
		t.Fatal(err)
	}
	ad.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{file}, chromedp.NodeReady))
	ad.submit("#do-dry-run")
	ad.wantText("试导入结果（尚未生效）", "元旦")
	if got := ad.text("#calendar-status"); got != before {
		t.Errorf("a dry run changed the calendar: %q → %q", before, got)
	}
	ad.check("admin-calendar-dry-run")
	ad.open("/admin/calendar")
	if got := ad.text("#calendar-status"); got != before {
		t.Errorf("a dry run changed the calendar: %q → %q", before, got)
	}
	// again, confirmed: a new revision with its recompute run
	admin := logIn(t, "admin", seed.DemoPassword)
	t.Cleanup(func() { restoreEmbedded2027(t, admin) })
	ad.fill("#reason", "国务院办公厅关于2027年部分节假日安排的通知（测试）")
	ad.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{file}, chromedp.NodeReady))
	ad.submit("#do-dry-run")
	ad.submit("#do-confirm-import")
	ad.wantText("日历已导入", "国务院办公厅关于2027年部分节假日安排的通知（测试）")
	if got := ad.text("#calendar-status"); got == before {
		t.Errorf("the import did not change the calendar's revision: %q", got)
	}
	ad.check("admin-calendar-imported")
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// value is the value of the form field sel as the page holds it.
func (b *tab) value(sel string) string {
	b.t.Helper()
	js, _ := json.Marshal(sel)
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s).value`, js)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

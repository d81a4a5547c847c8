package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/seed"
)

// oidcIDClaim is the claim the identity platform puts the identifier in.
const oidcIDClaim = "id_card_no"

// platformUser is a person or organisation as the identity platform knows
// it: its ID tokens carry the identifier in oidcIDClaim.
type platformUser struct {
	sub, id string
}

func (u platformUser) ID() string { return u.sub }

func (u platformUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.sub, oidcIDClaim: u.id})
}

type platformClaims struct {
	*mockoidc.IDTokenClaims
	IDCardNo string `json:"id_card_no"`
}

func (u platformUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return platformClaims{IDTokenClaims: base, IDCardNo: u.id}, nil
}

// tamper, when set, makes the platform's next token answer carry an ID
// token whose identifier was swapped after signing.
var tamper atomic.Pointer[string]

func startIdentityPlatform() (*mockoidc.MockOIDC, error) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, err
	}
	if err := m.AddMiddleware(tamperingMiddleware); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return m, m.Start(ln, nil)
}

// tamperingMiddleware rewrites the ID token of a token answer when the test
// asks for it: the payload is changed, the signature kept.
func tamperingMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		swap := tamper.Load()
		if r.URL.Path != mockoidc.TokenEndpoint || swap == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
			if tok, ok := body["id_token"].(string); ok {
				parts := strings.Split(tok, ".")
				if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil && len(parts) == 3 {
					var claims map[string]any
					if json.Unmarshal(payload, &claims) == nil {
						claims[oidcIDClaim] = *swap
						b, _ := json.Marshal(claims)
						parts[1] = base64.RawURLEncoding.EncodeToString(b)
						body["id_token"] = strings.Join(parts, ".")
						tamper.Store(nil)
					}
				}
			}
		}
		out, _ := json.Marshal(body)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	})
}

func personID(t *testing.T, body string) string {
	t.Helper()
	c, err := ident.IDNumberCheckDigit(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

var chineseDate = regexp.MustCompile(`\d{4}年\d{1,2}月\d{1,2}日`)

// TestConsolePublicLookup: a member of the public looks a subject up,
// is told what is wrong with a too-short query, reads the records (masked,
// with dates in Chinese), and switches to English.
func TestConsolePublicLookup(t *testing.T) {
	ctx := context.Background()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	b := newTab(t)
	b.open("/")
	b.wantText("公共信用信息服务", "信用记录查询", "登录办事")
	b.check("home")

	b.open("/public/records")
	b.check("public-records")
	b.fill("#q", "南")
	b.submit("form[role=search] button")
	if got := b.text(".error-summary"); !strings.Contains(got, "请输入主体名称") {
		t.Errorf("error summary shows %q", got)
	}
	if href, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(".error-summary a"), "href")); err != nil || href.Value != "#q" {
		t.Errorf("error summary link = %+v, %v; want #q", href, err)
	}
	b.check("public-records-refused")

	b.fill("#q", "南通恒达建材有限公司")
	b.submit("form[role=search] button")
	b.wantText("找到", "虚假宣传行政处罚", "91320600", "公开截止")
	if !chineseDate.MatchString(b.mainText()) {
		t.Errorf("no date written as 2026年12月14日 on %s", b.path())
	}
	b.check("public-records-found")

	// a person's identity number is masked
	b.fill("#q", "李娜")
	b.submit("form[role=search] button")
	if txt := b.mainText(); strings.Contains(txt, personID(t, "32061119900701002")) || !strings.Contains(txt, "320***********") || !strings.Contains(txt, "优秀志愿者") {
		t.Errorf("person's identifier not masked:\n%s", txt)
	}

	// the language switch shows the same page in English and keeps the query
	b.submit(".header-tools a[lang=en]")
	if !strings.Contains(b.path(), "q=") {
		t.Errorf("the switch lost the query: %s", b.path())
	}
	b.wantText("Look up credit records", "Disclosed until")
	if lang, _ := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); lang.Value != "en" {
		t.Errorf("html lang = %q", lang.Value)
	}
	b.check("public-records-en")
	b.submit(".header-tools a[lang=zh-CN]")
	b.wantText("信用记录查询")
}

// TestConsolePublicLookupPages: a name held by more subjects and records
// than a page shows: the visitor reads 20, follows 下一页 by keyboard to
// the next 20 and the last 7, the total shown on the last page, every
// record once; the first page is one link away; an altered page link is
// refused with the query kept.
func TestConsolePublicLookupPages(t *testing.T) {
	ctx := context.Background()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("翻页测试%d有限公司", time.Now().UnixNano()%1_000_000)
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO subjects (kind, ident, name)
		SELECT 'organisation', '91320600PG' || lpad((($2::bigint * 100 + g) % 100000000)::text, 8, '0'), $1 FROM generate_series(1, 47) g`,
		name, time.Now().UnixNano()%1_000_000); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.Pool.Exec(ctx, `INSERT INTO records (subject_id, provider_id, category, severity, disclosure, title, content, decision_no, decided_on)
		SELECT s.id, (SELECT id FROM providers ORDER BY id LIMIT 1), 'negative', 'general', 'public',
			'翻页记录 ' || row_number() OVER (ORDER BY s.id), '逾期未履行', 'PG-' || s.id, current_date - 10
		FROM subjects s WHERE s.name = $1`, name); err != nil {
		t.Fatal(err)
	}
	b := newTab(t)
	b.open("/public/records?q=" + url.QueryEscape(name))
	seen := map[string]bool{}
	read := func(want int) {
		t.Helper()
		titles, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('section.record h3')].map(h => h.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(titles) != want {
			t.Fatalf("%s shows %d records, want %d", b.path(), len(titles), want)
		}
		for _, ti := range titles {
			if seen[ti] {
				t.Fatalf("%s shows %s again", b.path(), ti)
			}
			seen[ti] = true
		}
	}
	read(20)
	b.wantText("第 1–20 条（还有更多记录）", "下一页")
	if b.offered("a[href*='cursor']:not(#next-page)")["a[href*='cursor']:not(#next-page)"] {
		t.Error("the first page links to a first page")
	}
	b.check("public-records-page1")
	// By keyboard: focus the link, press Enter.
	next := func() {
		t.Helper()
		if _, err := chromedp.RunResponse(b.ctx, chromedp.Focus(chromedp.CSS("#next-page")), chromedp.KeyEvent("\r")); err != nil {
			t.Fatalf("Enter on 下一页: %v", err)
		}
	}
	next()
	read(20)
	b.wantText("第 21–40 条（还有更多记录）", "回到第一页")
	if v := b.value("#q"); v != name {
		t.Errorf("the search box on page 2 holds %q, want %q", v, name)
	}
	b.check("public-records-page2")
	next()
	read(7)
	b.wantText("第 41–47 条，共 47 条", "回到第一页")
	if b.offered("#next-page")["#next-page"] {
		t.Error("the last page offers a next page")
	}
	if len(seen) != 47 {
		t.Errorf("read %d records over three pages, want 47", len(seen))
	}
	b.check("public-records-last")
	last := b.path()
	b.submit("nav.pager a")
	seen = map[string]bool{}
	read(20)
	b.wantText("第 1–20 条（还有更多记录）")

	// An altered page link: refused (400), the query kept, search again.
	i := strings.Index(last, "cursor=") + len("cursor=") + 3
	bad := []byte(last)
	bad[i] ^= 1
	b.open(string(bad))
	b.wantText("翻页链接无效或已被改动，请重新查询。")
	if v := b.value("#q"); v != name {
		t.Errorf("the search box after a refused link holds %q, want %q", v, name)
	}
	b.check("public-records-bad-cursor")
}

// TestConsoleLogInOut: log-in with the API's session, the same session
// serving the JSON API, 403 and 404 as HTML pages, and log-out.
func TestConsoleLogInOut(t *testing.T) {
	ctx := context.Background()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	b := newTab(t)
	b.open("/my")
	if p := b.path(); p != "/login?next=%2Fmy" {
		t.Fatalf("anonymous /my went to %s, want the log-in page", p)
	}
	b.check("login")

	b.fill("#username", "subject")
	b.fill("#password", "wrong-password")
	b.submit("main form button[type=submit]")
	b.wantText("用户名或密码错误")
	b.check("login-refused")

	b.fill("#username", "subject")
	b.fill("#password", seed.DemoPassword)
	b.submit("main form button[type=submit]")
	if p := b.path(); p != "/my" {
		t.Fatalf("after log-in at %s, want /my", p)
	}
	b.wantText("我的办事", "南通恒达建材有限公司")
	b.check("my-home")

	// one session: the page's cookie answers the JSON API too
	me, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](
		`fetch('/api/v1/auth/me').then(r => r.json())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if acc, _ := me["account"].(map[string]any); acc["username"] != "subject" || me["via"] != "session" {
		t.Errorf("/api/v1/auth/me from the console's session = %v", me)
	}

	b.open("/no-such-page")
	b.wantText("未找到该页面")
	b.check("error-404")

	b.submit(".header-tools button")
	if p := b.path(); p != "/login?out=1" {
		t.Errorf("after log-out at %s", p)
	}
	b.wantText("您已退出登录")
	b.open("/my")
	if p := b.path(); !strings.HasPrefix(p, "/login") {
		t.Errorf("after log-out /my answered %s", p)
	}
	// the API's session ended too
	st, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`fetch('/api/v1/auth/me').then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || st != http.StatusUnauthorized {
		t.Errorf("API after log-out: %d, %v", st, err)
	}

	// a caseworker may not open the subject's office: 403, as HTML
	b.open("/login")
	b.fill("#username", "caseworker")
	b.fill("#password", seed.DemoPassword)
	b.submit("main form button[type=submit]")
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Navigate(b.base+"/my"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || !strings.HasPrefix(resp.MimeType, "text/html") {
		t.Errorf("caseworker on /my: %d %s", resp.Status, resp.MimeType)
	}
	b.wantText("无权访问")
	b.check("error-403")
}

// TestConsoleOIDCSignIn: subjects sign in through the identity platform;
// the verified identifier maps to the subject; an unknown identifier, a bad
// check character and a tampered token are refused and logged.
func TestConsoleOIDCSignIn(t *testing.T) {
	ctx := context.Background()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	zhangWei := personID(t, "32060219850312001")
	var accountsBefore int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM subjects`).Scan(&accountsBefore); err != nil {
		t.Fatal(err)
	}

	signIn := func(b *tab, u platformUser) {
		t.Helper()
		idp.QueueUser(u)
		b.open("/login")
		b.submit("#oidc-login")
	}
	denials := func() int {
		var n int
		if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'access.denied' AND object_type = 'oidc-sign-in'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	b := newTab(t)
	signIn(b, platformUser{sub: "platform-zw", id: strings.ToLower(zhangWei)})
	b.wantText("张伟", "统一身份认证")
	b.check("oidc-signed-in")
	b.submit("#continue")
	if p := b.path(); p != "/my" {
		t.Fatalf("after sign-in at %s", p)
	}
	b.wantText("张伟")
	// a second sign-in finds the same account
	var n int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM accounts a JOIN subjects s ON s.id = a.subject_id WHERE s.ident = $1`, zhangWei).Scan(&n); err != nil || n != 1 {
		t.Fatalf("accounts of the subject: %d, %v", n, err)
	}

	before := denials()
	unknown := newTab(t)
	signIn(unknown, platformUser{sub: "platform-x", id: personID(t, "11010519491231002")})
	unknown.wantText("没有与您的证件号码对应的信用主体")
	unknown.check("oidc-refused-unknown")
	if p := unknown.path(); !strings.HasPrefix(p, "/login/oidc/callback") {
		t.Errorf("refused sign-in at %s", p)
	}
	var subjectsAfter int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM subjects`).Scan(&subjectsAfter); err != nil || subjectsAfter != accountsBefore {
		t.Errorf("subjects %d → %d: a refused sign-in created one", accountsBefore, subjectsAfter)
	}

	badCheck := newTab(t)
	signIn(badCheck, platformUser{sub: "platform-y", id: "320602198503120010"})
	badCheck.wantText("校验位不符")

	tampered := newTab(t)
	swap := zhangWei
	tamper.Store(&swap)
	signIn(tampered, platformUser{sub: "platform-z", id: personID(t, "11010519491231002")})
	tampered.wantText("身份凭证无效")
	tampered.open("/my")
	if p := tampered.path(); !strings.HasPrefix(p, "/login") {
		t.Errorf("a tampered token opened a session: /my answered %s", p)
	}
	if got := denials() - before; got != 3 {
		t.Errorf("%d refused sign-ins logged, want 3", got)
	}
	var bad []byte
	if err := sys.Pool.QueryRow(ctx, `SELECT data::text FROM audit_events WHERE object_type = 'oidc-sign-in' ORDER BY id DESC LIMIT 1`).Scan(&bad); err == nil {
		if bytes.Contains(bad, []byte(zhangWei)) {
			t.Errorf("an identity number reached the audit trail unmasked: %s", bad)
		}
	}
}

// TestConsolePublicRepairObjection: a member of the public reads the repair
// notices in publicity, objects to one (refused first, naming each field),
// gets a receipt and reads the answer's status with it; and reads the
// serious-dishonesty list.
func TestConsolePublicRepairObjection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	_, rec, provider := repairFixture(t, ctx, 200)
	subject := logIn(t, "subject", seed.DemoPassword)
	cw := logIn(t, "caseworker", seed.DemoPassword)
	r := subject.apply(rec.ID, true, 1)
	if r.status != http.StatusCreated {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	var filed struct {
		Case struct {
			CaseNo string `json:"case_no"`
		} `json:"case"`
	}
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	no := filed.Case.CaseNo
	base := "/api/v1/repairs/" + no
	cw.do(http.StatusOK, http.MethodPost, base+"/accept", map[string]any{}, nil)
	provider.do(http.StatusOK, http.MethodPost, base+"/provider-opinion", map[string]any{"agree": true, "reasons": "已缴清税款及罚款"}, nil)
	cw.do(http.StatusOK, http.MethodPost, base+"/publish", map[string]any{}, nil)

	b := newTab(t)
	b.open("/public/repair-notices")
	b.wantText("信用修复公示", no, "南通恒达建材有限公司", "欠缴税款行政处罚", "至")
	b.check("public-repair-notices")
	b.submit(fmt.Sprintf(`a[href="/public/repair-notices/%s/objection"]`, no))
	b.wantText("对修复公示提出异议", "欠缴税款行政处罚")
	b.check("public-repair-objection")

	b.submit("#submit-public-objection")
	summary := b.text(".error-summary")
	for _, want := range []string{"姓名", "电话", "异议理由"} {
		if !strings.Contains(summary, want) {
			t.Errorf("refused public objection: summary %q lacks %q", summary, want)
		}
	}
	b.check("public-repair-objection-refused")

	b.fill("#name", "王某某")
	b.fill("#contact", "0513-85550000")
	b.fill("#grounds", "该企业在公示期间仍有同类欠税行为，尚未整改完毕。")
	b.submit("#submit-public-objection")
	receipt := strings.TrimSpace(b.text("#receipt-no"))
	if len(receipt) != 32 {
		t.Fatalf("receipt %q", receipt)
	}
	b.wantText("异议已收到", "已收到，正在核实", no)
	b.check("public-receipt-new")

	b.open("/public/receipts?receipt=" + strings.Repeat("0", 32))
	b.wantText("没有找到该回执编号")
	b.check("public-receipt-unknown")

	b.open("/public/listings")
	b.wantText("严重失信主体名单")
	b.check("public-listings")
}

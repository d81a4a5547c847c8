package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/creditcase/creditcase/internal/ident"
)

func TestSessionCookieAndCSRF(t *testing.T) {
	r := anonymous(t).expect(http.StatusOK, "POST", "/api/v1/auth/login",
		map[string]string{"username": "provider", "password": passwordOf("provider")})
	var session, csrf *http.Cookie
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		switch ck.Name {
		case "cc_session":
			session = ck
		case "_csrf":
			csrf = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie: %+v", session)
	}
	if csrf == nil || csrf.HttpOnly {
		t.Fatalf("CSRF cookie must be readable by the console: %+v", csrf)
	}
	var lr struct {
		CSRFToken string `json:"csrf_token"`
		Token     string `json:"token"`
	}
	r.decode(t, &lr)
	if lr.CSRFToken != csrf.Value || lr.Token != "" {
		t.Fatalf("login body: %+v", lr)
	}

	c := &client{t: t, cookies: []*http.Cookie{session, csrf}}
	c.expect(http.StatusOK, "GET", "/api/v1/auth/me", nil)
	// An unsafe request riding on the cookie alone is refused and writes nothing.
	before := count(t, `SELECT count(*) FROM records`)
	body := newRecord(subjectIdent(t, orgB))
	c.expect(http.StatusForbidden, "POST", "/api/v1/records", body) // no token at all
	c.csrf = "forged"
	c.expect(http.StatusForbidden, "POST", "/api/v1/records", body)
	if got := count(t, `SELECT count(*) FROM records`); got != before {
		t.Fatal("a request failing the CSRF check wrote a record")
	}
	c.csrf = lr.CSRFToken
	c.expect(http.StatusCreated, "POST", "/api/v1/records", body)

	c.expect(http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)
	c.expect(http.StatusUnauthorized, "GET", "/api/v1/auth/me", nil)
}

func TestLoginRefusals(t *testing.T) {
	anon := anonymous(t)
	anon.expect(http.StatusUnauthorized, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "wrong-password"})
	anon.expect(http.StatusUnauthorized, "POST", "/api/v1/auth/login", map[string]string{"username": "nobody", "password": "wrong-password"})
	anon.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "x", "kind": "magic"})
	n := count(t, `SELECT count(*) FROM auth_tokens WHERE account_id = (SELECT id FROM accounts WHERE username = 'admin') AND kind = 'session'`)
	if n != 0 {
		t.Fatalf("failed log-ins opened %d sessions", n)
	}
}

func TestBearerTokenIsStoredHashed(t *testing.T) {
	c := as(t, "supervisor")
	var me struct {
		Account struct{ Role string } `json:"account"`
		Via     string                `json:"via"`
	}
	c.expect(http.StatusOK, "GET", "/api/v1/auth/me", nil).decode(t, &me)
	if me.Account.Role != "supervisor" || me.Via != "bearer" {
		t.Fatalf("me: %+v", me)
	}
	if n := count(t, `SELECT count(*) FROM auth_tokens WHERE encode(digest, 'escape') LIKE '%' || $1 || '%'`, c.bearer[:16]); n != 0 {
		t.Fatal("token stored in clear")
	}
	// Bearer requests need no CSRF token: they carry no ambient credential.
	check, err := ident.IDNumberCheckDigit("32060219900101001")
	if err != nil {
		t.Fatal(err)
	}
	as(t, "caseworker").expect(http.StatusCreated, "POST", "/api/v1/subjects",
		map[string]any{"kind": "person", "ident": "32060219900101001" + string(check), "name": "钱七"})
}

func TestAccountsAndProvidersAreAdmins(t *testing.T) {
	admin := as(t, "admin")
	admin.expect(http.StatusOK, "GET", "/api/v1/accounts", nil)
	for _, user := range []string{"caseworker", "supervisor", "provider", "subject"} {
		as(t, user).expect(http.StatusForbidden, "GET", "/api/v1/accounts", nil)
		as(t, user).expect(http.StatusForbidden, "POST", "/api/v1/providers", map[string]string{"code": "x-" + user, "name": "X"})
		as(t, user).expect(http.StatusForbidden, "POST", "/api/v1/accounts",
			map[string]any{"username": "evil-" + user, "display_name": "E", "password": "long-enough-pw", "role": "admin"})
	}
	if n := count(t, `SELECT count(*) FROM accounts WHERE username LIKE 'evil-%'`); n != 0 {
		t.Fatal("denied account creation wrote an account")
	}
	var p struct{ ID int64 }
	admin.expect(http.StatusCreated, "POST", "/api/v1/providers", map[string]string{"code": "nt-court", "name": "南通市中级人民法院"}).decode(t, &p)
	// A provider account must be bound to a provider.
	var pr problem
	admin.expect(http.StatusUnprocessableEntity, "POST", "/api/v1/accounts",
		map[string]any{"username": "court-clerk", "display_name": "法院", "password": "long-enough-pw", "role": "provider"}).decode(t, &pr)
	if !pr.hasField("provider_id", "required") {
		t.Fatalf("unbound provider account: %+v", pr)
	}
	admin.expect(http.StatusCreated, "POST", "/api/v1/accounts",
		map[string]any{"username": "court-clerk", "display_name": "法院", "password": "long-enough-pw", "role": "provider", "provider_id": p.ID})
	extraPasswords.Store("court-clerk", "long-enough-pw")
	if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'account.created' AND data->>'username' = 'court-clerk'`); n != 1 {
		t.Fatalf("account.created events: %d", n)
	}
	// The new provider sees none of the others' records.
	var page pageJSON
	as(t, "court-clerk").expect(http.StatusOK, "GET", "/api/v1/records", nil).decode(t, &page)
	if len(page.Records) != 0 {
		t.Fatalf("new provider sees %d records", len(page.Records))
	}
	as(t, "court-clerk").expect(http.StatusOK, "GET", "/api/v1/providers", nil)
}

// An administrator resets a caseworker's password through the API: the
// policy's refusal names the field and why and changes nothing; others may
// not; the reset ends the account's tokens, the old password is refused and
// the new one logs in; a retry with the same Idempotency-Key gets the same
// answer without a second reset.
func TestAdminResetsAccountPassword(t *testing.T) {
	admin := as(t, "admin")
	const old, fresh = "tea-kettle-violin-74", "Copper kettle 93 on the shelf"
	var acc struct{ ID int64 }
	admin.expect(http.StatusCreated, http.MethodPost, "/api/v1/accounts",
		map[string]any{"username": "reset-clerk", "display_name": "复核员", "password": old, "role": "caseworker"}).decode(t, &acc)
	logIn := func(pw string) response {
		return anonymous(t).do(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "reset-clerk", "password": pw, "kind": "bearer"})
	}
	var lr struct{ Token string }
	if r := logIn(old); r.Status != http.StatusOK {
		t.Fatalf("log-in: %d %s", r.Status, r.Body)
	} else {
		r.decode(t, &lr)
	}
	clerk := &client{t: t, bearer: lr.Token}
	path := fmt.Sprintf("/api/v1/accounts/%d/reset-password", acc.ID)

	for _, user := range []string{"caseworker", "supervisor"} {
		as(t, user).expect(http.StatusForbidden, http.MethodPost, path, map[string]string{"password": fresh, "reason": "x"})
	}
	var pr problem
	admin.expect(http.StatusUnprocessableEntity, http.MethodPost, path, map[string]string{"password": "reset-clerk-2026", "reason": ""}).decode(t, &pr)
	if !pr.hasField("password", "context") || !pr.hasField("reason", "required") || len(pr.Errors) != 2 {
		t.Fatalf("weak password without a reason: %+v", pr)
	}
	clerk.expect(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil) // nothing changed
	var me struct {
		Account struct{ ID int64 } `json:"account"`
	}
	admin.expect(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil).decode(t, &me)
	admin.expect(http.StatusConflict, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/reset-password", me.Account.ID),
		map[string]string{"password": fresh, "reason": "mine"})
	admin.expect(http.StatusNotFound, http.MethodPost, "/api/v1/accounts/999999999/reset-password", map[string]string{"password": fresh, "reason": "who"})

	key := []string{"Idempotency-Key", "reset-clerk-0001"}
	var out struct {
		Account struct{ Username string } `json:"account"`
		Revoked int64                     `json:"revoked"`
	}
	first := admin.expect(http.StatusOK, http.MethodPost, path, map[string]string{"password": fresh, "reason": "forgot it"}, key...)
	first.decode(t, &out)
	if out.Account.Username != "reset-clerk" || out.Revoked != 1 {
		t.Fatalf("reset: %s", first.Body)
	}
	again := admin.expect(http.StatusOK, http.MethodPost, path, map[string]string{"password": fresh, "reason": "forgot it"}, key...)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
		t.Fatalf("retry: %v %s", again.Header, again.Body)
	}
	if n := count(t, `SELECT count(*) FROM audit_events WHERE action = 'account.password_reset' AND object_id = $1`, fmt.Sprint(acc.ID)); n != 1 {
		t.Fatalf("account.password_reset events: %d, want 1", n)
	}
	clerk.expect(http.StatusUnauthorized, http.MethodGet, "/api/v1/auth/me", nil)
	if r := logIn(old); r.Status != http.StatusUnauthorized {
		t.Fatalf("old password after the reset: %d %s", r.Status, r.Body)
	}
	if r := logIn(fresh); r.Status != http.StatusOK {
		t.Fatalf("new password: %d %s", r.Status, r.Body)
	}
}

package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/records"
)

// OIDCConfig is the sign-in through the province's government identity
// platform (统一身份认证), an OpenID Connect provider. Subjects get no
// passwords from the centre: the platform verifies who they are and its ID
// token carries their identity number (公民身份号码) or unified social
// credit code (统一社会信用代码) in IDClaim.
type OIDCConfig struct {
	Issuer       string // OIDC_ISSUER
	ClientID     string // OIDC_CLIENT_ID
	ClientSecret string // OIDC_CLIENT_SECRET
	// RedirectURL is the console's callback as registered with the
	// platform: https://…/login/oidc/callback (OIDC_REDIRECT_URL). Unset,
	// it is built from the request's scheme and host.
	RedirectURL string
	// IDClaim names the ID token's claim holding the identifier
	// (OIDC_ID_CLAIM, default "id_number").
	IDClaim string
	// Scopes besides openid (OIDC_SCOPES, space-separated).
	Scopes []string
}

// OIDCConfigFromEnv reads the OIDC_* variables; none set means no sign-in
// through the platform.
func OIDCConfigFromEnv() OIDCConfig {
	c := OIDCConfig{
		Issuer: os.Getenv("OIDC_ISSUER"), ClientID: os.Getenv("OIDC_CLIENT_ID"), ClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
		RedirectURL: os.Getenv("OIDC_REDIRECT_URL"), IDClaim: os.Getenv("OIDC_ID_CLAIM"),
	}
	if s := strings.TrimSpace(os.Getenv("OIDC_SCOPES")); s != "" {
		c.Scopes = strings.Fields(s)
	}
	return c
}

// Enabled reports whether any OIDC setting is given.
func (c OIDCConfig) Enabled() bool {
	return c.Issuer != "" || c.ClientID != "" || c.RedirectURL != ""
}

// oidcClient is the console's side of the platform: discovery is lazy, so
// the console starts while the platform is unreachable and sign-in
// answers when it is back.
type oidcClient struct {
	cfg OIDCConfig
}

func newOIDCClient(cfg OIDCConfig) (*oidcClient, error) {
	var missing []string
	for name, v := range map[string]string{"OIDC_ISSUER": cfg.Issuer, "OIDC_CLIENT_ID": cfg.ClientID} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("web: OIDC sign-in needs %s", strings.Join(missing, ", "))
	}
	if cfg.IDClaim == "" {
		cfg.IDClaim = "id_number"
	}
	return &oidcClient{cfg: cfg}, nil
}

// provider discovers the platform (a small GET per sign-in step, so a
// rotated key set or moved endpoint is picked up without a restart).
func (o *oidcClient) provider(ctx context.Context, r *http.Request, scheme string) (*oidc.Provider, *oauth2.Config, error) {
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, nil, err
	}
	redirect := o.cfg.RedirectURL
	if redirect == "" {
		redirect = scheme + "://" + r.Host + "/login/oidc/callback"
	}
	oc := &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: redirect,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, o.cfg.Scopes...)}
	return p, oc, nil
}

// oidcCookie carries state, nonce, PKCE verifier and the page to return
// to across the round trip through the platform. It is HttpOnly and lives
// ten minutes; SameSite=Lax so that the platform's redirect back brings it.
const oidcCookie = "cc_oidc"

func (c *Console) oidcStart(ctx echo.Context, p *page) error {
	if c.oidc == nil {
		return errNotFound
	}
	rctx, cancel := context.WithTimeout(ctx.Request().Context(), 10*time.Second)
	defer cancel()
	_, oc, err := c.oidc.provider(rctx, ctx.Request(), ctx.Scheme())
	if err != nil {
		c.Logger.Error().Err(err).Msg("OIDC discovery failed")
		return c.render(ctx, p, http.StatusBadGateway, "login", loginView{OIDC: true, OIDCError: "oidc.unavailable", Next: "/"})
	}
	state, nonce, verifier := newToken(), newToken(), oauth2.GenerateVerifier()
	next := localPath(ctx.QueryParam("next"))
	ctx.SetCookie(&http.Cookie{Name: oidcCookie, Value: strings.Join([]string{state, nonce, verifier, next}, "|"), Path: "/login/oidc",
		MaxAge: 600, HttpOnly: true, Secure: ctx.Scheme() == "https", SameSite: http.SameSiteLaxMode})
	return ctx.Redirect(http.StatusFound, oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
}

// oidcRefusal is why a sign-in is refused: a catalogue key and what the
// log says.
type oidcRefusal struct {
	key string
	log string
}

func (e *oidcRefusal) Error() string { return e.log }

// oidcCallback completes the sign-in: the code is exchanged for tokens,
// the ID token's signature, issuer, audience, expiry and nonce are
// verified, and the identifier claim — its check character verified — is
// mapped to the subject it names. Nothing is created but the session (and,
// on a subject's first sign-in, its account bound to that subject); an
// identifier the centre holds no subject for is refused and logged.
func (c *Console) oidcCallback(ctx echo.Context, p *page) error {
	if c.oidc == nil {
		return errNotFound
	}
	clear := &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	ck, err := ctx.Cookie(oidcCookie)
	ctx.SetCookie(clear)
	var parts []string
	if err == nil {
		parts = strings.SplitN(ck.Value, "|", 4)
	}
	var a auth.Account
	if len(parts) != 4 {
		err = &oidcRefusal{"oidc.expired", "no sign-in in progress (cookie missing)"}
	} else {
		a, err = c.oidcVerify(ctx, parts[0], parts[1], parts[2])
	}
	var r *oidcRefusal
	if errors.As(err, &r) {
		c.Logger.Warn().Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).Str("reason", r.log).Msg("OIDC sign-in refused")
		if aerr := audit.Write(ctx.Request().Context(), c.Pool, audit.Public, audit.Event{Action: audit.ActionDenied, ObjectType: "oidc-sign-in",
			Data: map[string]any{"reason": r.log, "via": "console"}}); aerr != nil {
			c.Logger.Error().Err(aerr).Msg("cannot write access.denied event")
		}
		return c.render(ctx, p, http.StatusForbidden, "login", loginView{OIDC: true, OIDCError: r.key, Next: "/"})
	}
	if err != nil {
		return err
	}
	tok, err := c.auth.OpenSession(ctx.Request().Context(), a, "oidc")
	if err != nil {
		return err
	}
	if err := c.startSession(ctx, tok); err != nil {
		return err
	}
	next := parts[3]
	if next == "/" {
		next = homeOf(a)
	}
	// The platform's redirect is a cross-site navigation: a SameSite=Strict
	// session cookie set now is sent from the next same-site navigation on,
	// so the reader continues from a page of ours rather than a redirect.
	p.Account = &a
	return c.render(ctx, p, http.StatusOK, "signed-in", signedInView{Next: localPath(next), Name: a.DisplayName})
}

type signedInView struct {
	Next string
	Name string
}

func (c *Console) oidcVerify(ctx echo.Context, state, nonce, verifier string) (auth.Account, error) {
	q := ctx.Request().URL.Query()
	if e := q.Get("error"); e != "" {
		return auth.Account{}, &oidcRefusal{"oidc.denied", "the platform answered error " + e}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return auth.Account{}, &oidcRefusal{"oidc.expired", "state does not match"}
	}
	rctx, cancel := context.WithTimeout(ctx.Request().Context(), 15*time.Second)
	defer cancel()
	prov, oc, err := c.oidc.provider(rctx, ctx.Request(), ctx.Scheme())
	if err != nil {
		return auth.Account{}, &oidcRefusal{"oidc.unavailable", "discovery failed: " + err.Error()}
	}
	tok, err := oc.Exchange(rctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return auth.Account{}, &oidcRefusal{"oidc.unavailable", "code exchange failed: " + err.Error()}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return auth.Account{}, &oidcRefusal{"oidc.invalid", "no id_token in the token response"}
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: c.oidc.cfg.ClientID, Now: c.Now}).Verify(rctx, raw)
	if err != nil {
		return auth.Account{}, &oidcRefusal{"oidc.invalid", "ID token refused: " + err.Error()}
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return auth.Account{}, &oidcRefusal{"oidc.invalid", "nonce does not match"}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return auth.Account{}, &oidcRefusal{"oidc.invalid", "claims unreadable: " + err.Error()}
	}
	v, _ := claims[c.oidc.cfg.IDClaim].(string)
	id := ident.Normalize(v)
	kind, ok := identKind(id)
	if !ok {
		return auth.Account{}, &oidcRefusal{"oidc.badident", fmt.Sprintf("claim %s is not a valid identity number or credit code", c.oidc.cfg.IDClaim)}
	}
	sub, err := c.records.SubjectByIdent(rctx, id)
	if errors.Is(err, records.ErrNotFound) {
		return auth.Account{}, &oidcRefusal{"oidc.unknown", "no subject with identifier " + ident.Mask(kind, id) + " (platform subject " + hashed(idt.Subject) + ")"}
	}
	if err != nil {
		return auth.Account{}, err
	}
	return c.auth.SubjectAccount(rctx, sub.ID, sub.Name)
}

// identKind tells which identifier id is, its check character verified.
func identKind(id string) (ident.Kind, bool) {
	if ident.Check(ident.Person, id) == nil {
		return ident.Person, true
	}
	if ident.Check(ident.Organisation, id) == nil {
		return ident.Organisation, true
	}
	return "", false
}

// hashed shortens an opaque identifier for logs.
func hashed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/refusal"
)

// keyField is the hidden field of every form of the console that carries
// its Idempotency-Key: drawn when the form is rendered (the "csrf" partial
// writes it beside the CSRF token), so a double submit or a browser's
// re-POST after a lost answer sends the same key, and a form rendered anew
// (after a refusal, on the next page) a new one.
const keyField = "_idempotency_key"

// newKey is a fresh key for a form: 128 random bits.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func init() { funcs["formkey"] = newKey }

// unkeyed are the posts that change no case or record: the log-in (its
// answer sets the session cookie, which is never kept) and the log-out.
var unkeyed = map[string]bool{"/login": true, "/logout": true}

// keyWait is how long a repeat waits for the first post with its key to
// finish before it is told to try again (409, Retry-After).
const keyWait = 30 * time.Second

// idempotent runs a form post under the form's key with the API's
// mechanism (internal/idempotency): the first answer below 500 is kept and
// given again to the same post with the same key — the same page, or the
// same redirect to it — so a step is done once; the same key with other
// fields is refused (422 key-reused) and nothing is changed; a 5xx keeps
// nothing, so the repeat runs again and the use case finds what the first
// run did (a filing by the key, a step by the update ID derived from it).
// A repeat sent while the first still runs waits for its answer. Posts
// without a key run as they are. It runs after the CSRF check: a key
// never stands for a forged post.
func (c *Console) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		req := ctx.Request()
		if req.Method != http.MethodPost || unkeyed[ctx.Path()] {
			return next(ctx)
		}
		key := ctx.FormValue(keyField)
		if key == "" {
			return next(ctx)
		}
		p := ctx.Get(ctxPage).(*page)
		if !idempotency.Pattern.MatchString(key) {
			return c.fail(ctx, p, refusal.BadParam(keyField, "format",
				refusal.T("表单的幂等键格式不正确：请重新打开页面后再提交", "the form's key is malformed: open the page again and resubmit")))
		}
		hash, err := formHash(req)
		if err != nil {
			return c.fail(ctx, p, err)
		}
		k := idempotency.Key{Owner: "client:" + ctx.RealIP(), Key: key}
		if p.Account != nil {
			k.Owner = fmt.Sprintf("account:%d", p.Account.ID)
		}
		store := c.App.Idempotency
		first, err := c.beginKey(ctx, store, k, req.URL.Path, hash)
		if err != nil {
			return c.fail(ctx, p, err)
		}
		if first != nil {
			return replay(ctx, *first)
		}
		stop := store.Hold(req.Context(), k)
		defer stop()
		ctx.SetRequest(req.WithContext(idempotency.With(req.Context(), k)))
		rec := &teeWriter{ResponseWriter: ctx.Response().Writer}
		ctx.Response().Writer = rec
		if err := next(ctx); err != nil {
			ctx.Error(err) // rendered here, so that the page is kept too
		}
		status := ctx.Response().Status
		if status >= 500 || !ctx.Response().Committed {
			if err := store.Release(req.Context(), k); err != nil {
				c.Logger.Warn().Err(err).Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).Msg("console: form key not released")
			}
			return nil
		}
		ans := idempotency.Answer{Status: status, ContentType: ctx.Response().Header().Get(echo.HeaderContentType), Body: rec.buf.Bytes()}
		if status >= 300 && status < 400 {
			// A redirect is kept as where it sends the reader.
			ans.ContentType, ans.Body = redirectAnswer, []byte(ctx.Response().Header().Get(echo.HeaderLocation))
		}
		if err := store.Finish(req.Context(), k, ans); err != nil {
			c.Logger.Warn().Err(err).Str("request_id", ctx.Response().Header().Get(echo.HeaderXRequestID)).Msg("console: form answer not kept")
		}
		return nil
	}
}

// redirectAnswer marks a kept answer that is a redirect: its body is the
// address.
const redirectAnswer = "redirect"

// beginKey claims k for this post; a repeat of a post still running waits
// (up to keyWait) for its answer, which it then gives again.
func (c *Console) beginKey(ctx echo.Context, store *idempotency.Store, k idempotency.Key, path string, hash []byte) (*idempotency.Answer, error) {
	rc := ctx.Request().Context()
	until := time.Now().Add(keyWait)
	for {
		first, err := store.Begin(rc, k, http.MethodPost, path, hash)
		r, refused := refusal.As(err)
		if !refused || r.Kind != refusal.InProgress || time.Now().After(until) {
			return first, err
		}
		select {
		case <-rc.Done():
			return nil, rc.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// replay gives a kept answer again.
func replay(ctx echo.Context, a idempotency.Answer) error {
	ctx.Response().Header().Set("Idempotent-Replayed", "true")
	if a.ContentType == redirectAnswer {
		return ctx.Redirect(a.Status, string(a.Body))
	}
	return ctx.Blob(a.Status, a.ContentType, a.Body)
}

// formHash is what makes two posts of a form the same: every field but
// the CSRF token (the key itself included), in name order, each value in
// order, and every file's field, name and content.
func formHash(r *http.Request) ([]byte, error) {
	if err := r.ParseMultipartForm(32 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil, err
	}
	h := sha256.New()
	names := make([]string, 0, len(r.PostForm))
	for n := range r.PostForm {
		if n != csrfField {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "field %q %d\n", n, len(r.PostForm[n]))
		for _, v := range r.PostForm[n] {
			fmt.Fprintf(h, "%d %s\n", len(v), v)
		}
	}
	if r.MultipartForm != nil {
		fields := make([]string, 0, len(r.MultipartForm.File))
		for n := range r.MultipartForm.File {
			fields = append(fields, n)
		}
		sort.Strings(fields)
		for _, n := range fields {
			for _, fh := range r.MultipartForm.File[n] {
				f, err := fh.Open()
				if err != nil {
					return nil, err
				}
				sum := sha256.New()
				_, err = io.Copy(sum, f)
				f.Close()
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(h, "file %q %q %d %x\n", n, fh.Filename, fh.Size, sum.Sum(nil))
			}
		}
	}
	return h.Sum([]byte("form:")), nil
}

// teeWriter keeps a copy of what is written.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

package api

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/creditcase/creditcase/internal/idempotency"
	"github.com/creditcase/creditcase/internal/refusal"
)

// ReplayedHeader marks an answer given again for a repeated Idempotency-Key.
const ReplayedHeader = "Idempotent-Replayed"

// idempotent runs a state-changing operation under the request's
// Idempotency-Key (package idempotency): the first answer below 500 is
// kept and given again to the same request with the same key; the same
// key with another request is refused (422); a 5xx keeps nothing, so the
// repeat runs again (and the core finds what the first run did). Requests
// without the header run as they are.
func (s *Server) idempotent(c echo.Context, h echo.HandlerFunc) error {
	key := c.Request().Header.Get(idempotency.Header)
	if key == "" {
		return h(c)
	}
	if !idempotency.Pattern.MatchString(key) {
		return refusal.BadParam(idempotency.Header, "format",
			refusal.T("应为 8–128 个字母、数字或 . _ : - 字符（如 UUID）", "must be 8–128 letters, digits, '.', '_', ':' or '-' (a UUID fits)"))
	}
	req := c.Request()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return err // over the body limit: Echo's 413
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	a := actor(c)
	k := idempotency.Key{Owner: "client:" + c.RealIP(), Key: key}
	if a.LoggedIn() {
		k.Owner = fmt.Sprintf("account:%d", a.Account.ID)
	}
	path := req.URL.Path
	if req.URL.RawQuery != "" {
		path += "?" + req.URL.RawQuery
	}
	store := s.app.Idempotency
	first, err := store.Begin(req.Context(), k, req.Method, path, requestHash(req.Header.Get(echo.HeaderContentType), body))
	if err != nil {
		return err
	}
	if first != nil {
		c.Response().Header().Set(ReplayedHeader, "true")
		return c.Blob(first.Status, first.ContentType, first.Body)
	}
	stop := store.Hold(req.Context(), k)
	defer stop()
	c.SetRequest(req.WithContext(idempotency.With(req.Context(), k)))
	rec := &teeWriter{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	if err := h(c); err != nil {
		c.Error(err) // rendered here, so that the problem is kept too
	}
	status := c.Response().Status
	if status >= 500 || !c.Response().Committed {
		if err := store.Release(req.Context(), k); err != nil {
			s.Logger.Warn().Err(err).Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).Msg("idempotency key not released")
		}
		return nil
	}
	ans := idempotency.Answer{Status: status, ContentType: c.Response().Header().Get(echo.HeaderContentType), Body: rec.buf.Bytes()}
	if err := store.Finish(req.Context(), k, ans); err != nil {
		s.Logger.Warn().Err(err).Str("request_id", c.Response().Header().Get(echo.HeaderXRequestID)).Msg("idempotency answer not kept")
	}
	return nil
}

// requestHash is what makes two requests the same: the body, and for a
// multipart form its parts (names, file names, contents) rather than its
// bytes, whose boundary a client draws anew for every send.
func requestHash(contentType string, body []byte) []byte {
	h := sha256.New()
	mt, params, err := mime.ParseMediaType(contentType)
	if err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		ok := true
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				ok = false
				break
			}
			fmt.Fprintf(h, "part %q %q %q\n", p.FormName(), p.FileName(), p.Header.Get(echo.HeaderContentType))
			data, err := io.ReadAll(p)
			if err != nil {
				ok = false
				break
			}
			fmt.Fprintf(h, "%d\n", len(data))
			h.Write(data)
		}
		if ok {
			return h.Sum([]byte("multipart:"))
		}
		h.Reset()
	}
	fmt.Fprintf(h, "%s\n", mt)
	h.Write(body)
	return h.Sum(nil)
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

package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/creditcase/creditcase/api"
)

// Issue 12.2: a state-changing request sent with an Idempotency-Key is
// answered once; the same request again gets the first answer (and nothing
// is done twice), the key with another request is refused naming the
// header, a malformed key is refused, and another caller's same key is its
// own.
func TestIdempotencyKeyGivesTheFirstAnswerAgain(t *testing.T) {
	admin := as(t, "admin")
	key := fmt.Sprintf("test-%d", time.Now().UnixNano())
	code := fmt.Sprintf("idem-%d", time.Now().UnixNano()%1_000_000)
	body := map[string]string{"code": code, "name": "南通市市场监督管理局"}

	first := admin.expect(http.StatusCreated, http.MethodPost, "/api/v1/providers", body, "Idempotency-Key", key)
	if first.Header.Get(api.ReplayedHeader) != "" {
		t.Fatal("a first answer marked replayed")
	}
	again := admin.expect(http.StatusCreated, http.MethodPost, "/api/v1/providers", body, "Idempotency-Key", key)
	if !bytes.Equal(again.Body, first.Body) || again.Header.Get(api.ReplayedHeader) != "true" {
		t.Fatalf("repeat: %q %s, want the first answer %s", again.Header.Get(api.ReplayedHeader), again.Body, first.Body)
	}
	if n := count(t, `SELECT count(*) FROM providers WHERE code = $1`, code); n != 1 {
		t.Fatalf("%d providers %s, want 1", n, code)
	}

	var p problem
	admin.expect(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/providers",
		map[string]string{"code": code + "-b", "name": "另一单位"}, "Idempotency-Key", key).decode(t, &p)
	if p.Type != "/problems/idempotency-key-reused" || !p.hasField("Idempotency-Key", "reused") {
		t.Fatalf("the key with another body: %+v", p)
	}
	if n := count(t, `SELECT count(*) FROM providers WHERE code = $1`, code+"-b"); n != 0 {
		t.Fatal("a refused request was carried out")
	}

	// A refusal is an answer too: kept and given again.
	bad := map[string]string{"code": "", "name": ""}
	r1 := admin.expect(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/providers", bad, "Idempotency-Key", key+"-bad")
	r2 := admin.expect(http.StatusUnprocessableEntity, http.MethodPost, "/api/v1/providers", bad, "Idempotency-Key", key+"-bad")
	if r2.Header.Get(api.ReplayedHeader) != "true" || !bytes.Equal(r1.Body[:bytes.Index(r1.Body, []byte(`"request_id"`))],
		r2.Body[:bytes.Index(r2.Body, []byte(`"request_id"`))]) {
		t.Fatalf("a refusal repeated: %s / %s", r1.Body, r2.Body)
	}

	c := as(t, "admin")
	c.skipRequestCheck = true // the document refuses the key too
	c.expect(http.StatusBadRequest, http.MethodPost, "/api/v1/providers", body, "Idempotency-Key", "short").decode(t, &p)
	if !p.hasField("Idempotency-Key", "format") {
		t.Fatalf("a malformed key: %+v", p)
	}
}

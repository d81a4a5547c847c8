package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/relay"
)

var receivers atomic.Int64

// Receiver is a real HTTPS endpoint of a downstream subscriber: it checks
// every signature, answers 503 to the first FailFirst attempts of each
// event (and to every attempt of an event set to fail always), and keeps
// the events it accepted in the order it accepted them.
type Receiver struct {
	URL    string
	Secret []byte
	srv    *httptest.Server
	mu     sync.Mutex
	fail   int
	always map[string]bool
	tries  map[string]int
	got    []relay.Envelope
	badSig int
}

// NewReceiver starts a Receiver that closes when the test ends.
func NewReceiver(t *testing.T, failFirst int) *Receiver {
	t.Helper()
	r := &Receiver{Secret: []byte(fmt.Sprintf("receiver-%d-%d-secret", receivers.Add(1), time.Now().UnixNano())),
		fail: failFirst, always: map[string]bool{}, tries: map[string]int{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL + "/events"
	t.Cleanup(r.srv.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := relay.Verify(r.Secret, req.Header.Get(relay.HeaderTimestamp), req.Header.Get(relay.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.badSig++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	key := req.Header.Get(relay.HeaderIdempotencyKey)
	r.tries[key]++
	if r.always[key] || r.tries[key] <= r.fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var e relay.Envelope
	if err := json.Unmarshal(body, &e); err != nil || e.IdempotencyKey != key {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.got = append(r.got, e)
	w.WriteHeader(http.StatusNoContent)
}

// SetFailFirst changes how many attempts of each event are refused (a
// receiver mended: 0).
func (r *Receiver) SetFailFirst(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

// FailAlways makes every attempt of event key fail (on) or lets it pass.
func (r *Receiver) FailAlways(key string, on bool) {
	r.mu.Lock()
	r.always[key] = on
	r.mu.Unlock()
}

// Accepted returns the events accepted so far, in order.
func (r *Receiver) Accepted() []relay.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relay.Envelope(nil), r.got...)
}

// BadSignatures counts the requests refused for their signature.
func (r *Receiver) BadSignatures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.badSig
}

// Wait returns once n events were accepted, or fails t after timeout.
func (r *Receiver) Wait(t *testing.T, n int, timeout time.Duration) []relay.Envelope {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := r.Accepted()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver accepted %d events in %s, want %d", len(got), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Subscriber is the relay's configuration for this receiver, trusting its
// certificate only.
func (r *Receiver) Subscriber(id string, maxAttempts int) relay.Subscriber {
	pool := r.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return relay.Subscriber{ID: id, Name: "接收方 " + id, Kind: relay.KindWebhook, Endpoint: r.URL,
		Secret: r.Secret, MaxAttempts: maxAttempts, RootCAs: pool}
}

package casework

import (
	"sync"
	"time"
)

// Public form limits: objections a client may send at once, and one more
// every refill interval.
const (
	PublicFormBurst  = 5
	PublicFormRefill = 2 * time.Minute
)

// Limiter is a small in-memory token bucket per key (a client address):
// burst requests at once, one more per refill. Idle buckets are dropped.
type Limiter struct {
	mu       sync.Mutex
	capacity float64
	refill   time.Duration
	buckets  map[string]*bucket
	now      func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter of burst tokens refilled one per refill.
func NewLimiter(burst int, refill time.Duration) *Limiter {
	return &Limiter{capacity: float64(burst), refill: refill, buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes a token for key, or says how long until one is there.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if now.Sub(b.at) > time.Duration(l.capacity)*l.refill {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.capacity, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.capacity, b.tokens+float64(now.Sub(b.at))/float64(l.refill))
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.refill))
	}
	b.tokens--
	return true, 0
}

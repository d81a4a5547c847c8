package api

import (
	"testing"
	"time"
)

// The token bucket: a burst up to the capacity, then one request per
// refill interval, per client; the wait is said.
func TestBucketLimiterPerClient(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := newBucketLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.allow("10.0.0.1"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("10.0.0.1")
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("fourth request: allowed %v, wait %s", ok, wait)
	}
	if ok, _ := l.allow("10.0.0.2"); !ok {
		t.Fatal("another client was limited by the first one's burst")
	}
	now = now.Add(30 * time.Second)
	if ok, _ := l.allow("10.0.0.1"); ok {
		t.Fatal("allowed before a token was back")
	}
	now = now.Add(31 * time.Second)
	if ok, _ := l.allow("10.0.0.1"); !ok {
		t.Fatal("refused after a refill interval")
	}
	now = now.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow("10.0.0.1"); !ok {
			t.Fatalf("after an idle hour, request %d refused: the bucket holds at most its capacity and refills to it", i+1)
		}
	}
	if ok, _ := l.allow("10.0.0.1"); ok {
		t.Fatal("the bucket grew past its capacity while idle")
	}
}

// The public objection form names every wrong field.
func TestPublicObjectionFormValidation(t *testing.T) {
	good := PublicObjectionForm{Name: " 王五 ", Contact: "0513-12345678", Grounds: "该企业仍在违法经营，请核实"}
	if fe := good.validate(); len(fe) != 0 || good.Name != "王五" {
		t.Fatalf("valid form refused: %+v", fe)
	}
	for _, c := range []string{"wang@example.com", "+86 138 0000 0000"} {
		f := good
		f.Contact = c
		if fe := f.validate(); len(fe) != 0 {
			t.Errorf("contact %q refused: %+v", c, fe)
		}
	}
	bad := PublicObjectionForm{Name: "", Contact: "call me", Grounds: "太短"}
	fe := bad.validate()
	var fields []string
	for _, f := range fe {
		fields = append(fields, f.Field)
	}
	if len(fields) != 3 || fields[0] != "name" || fields[1] != "contact" || fields[2] != "grounds" {
		t.Fatalf("fields %v; want name, contact, grounds", fields)
	}
}

package caseno

import (
	"reflect"
	"testing"
)

// One scheme for the three procedures; numbers issued before it resolve
// from either spelling.
func TestFormatParseSpellings(t *testing.T) {
	if got := Format(Objection, 2026, 123); got != "YY-2026-000123" {
		t.Fatalf("format: %s", got)
	}
	for _, s := range []string{"YY-2026-000123", "YY2026-000123", "LB-2026-000007", "XF2026-001234", "XF-2027-1234567"} {
		if !Valid(s) {
			t.Errorf("%s not valid", s)
		}
	}
	for _, s := range []string{"", "YY-26-000123", "AB-2026-000123", "YY-2026-12", "YY-2026-000123\x00", "yy-2026-000123"} {
		if Valid(s) {
			t.Errorf("%q valid", s)
		}
	}
	want := []string{"XF-2026-001234", "XF2026-001234"}
	for _, s := range want {
		if got := Spellings(s); !reflect.DeepEqual(got, want) {
			t.Errorf("spellings of %s: %v", s, got)
		}
	}
}

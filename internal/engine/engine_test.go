package engine

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
)

// The query that shows the frontend serves the search attributes names
// every one, with a value its type accepts, in a fixed order.
func TestSearchAttributesQuery(t *testing.T) {
	got := searchAttributesQuery(map[string]enumspb.IndexedValueType{
		"CaseStage":    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"CaseDeadline": enumspb.INDEXED_VALUE_TYPE_DATETIME,
		"Count":        enumspb.INDEXED_VALUE_TYPE_INT,
		"Open":         enumspb.INDEXED_VALUE_TYPE_BOOL,
	})
	want := "CaseDeadline > '1970-01-01T00:00:00Z' AND CaseStage = '' AND Count = 0 AND Open = false"
	if got != want {
		t.Errorf("query\n got %s\nwant %s", got, want)
	}
	if q := searchAttributesQuery(nil); q != "" {
		t.Errorf("no attributes: query %q, want none", q)
	}
}

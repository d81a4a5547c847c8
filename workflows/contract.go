// Package workflows holds the durable procedures of creditcase and, beside
// each, its contract: task queue, workflow-ID helpers, update/signal/query
// names and search attributes. The API and the worker import these names, so
// nothing is spelled twice. Code here is deterministic: no I/O, no wall clock,
// no map iteration order; side effects live in package activities.
package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the queue every creditcase workflow and activity runs on.
const TaskQueue = "creditcase"

// Search attributes upserted by the case workflows. They carry no personal
// data: no names, no ID numbers, no record contents.
var (
	// CaseKind is the procedure: objection, listing, repair.
	CaseKind = temporal.NewSearchAttributeKeyKeyword("CaseKind")
	// CaseStage is the step of the procedure the case is at.
	CaseStage = temporal.NewSearchAttributeKeyKeyword("CaseStage")
	// CaseStatus is open, closed or withdrawn.
	CaseStatus = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	// CaseDeadline is the due instant of the next open deadline.
	CaseDeadline = temporal.NewSearchAttributeKeyTime("CaseDeadline")
)

// SearchAttributes lists the custom search attributes with their types, for
// registration in the namespace.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		CaseKind.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		CaseStage.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		CaseStatus.GetName():   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		CaseDeadline.GetName(): enumspb.INDEXED_VALUE_TYPE_DATETIME,
	}
}

package workflows

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/creditcase/creditcase/activities"
)

// Issue 12.1: a case workflow whose case was never filed (no row, no owed
// start: the projection writer refuses with NotFiled) ends itself — it
// frees what it holds and records it (EndUnfiled), labels nothing, writes
// no event, and completes instead of retrying or failing forever. For all
// three procedures.
func TestUnfiledCaseEndsItself(t *testing.T) {
	notFiled := func() error {
		return temporal.NewNonRetryableApplicationError("case was never filed", activities.NotFiled, nil)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		run     any
		in      any
		records []int64
	}{
		{"objection", ObjectionWorkflow, ObjectionInput{CaseNo: "YY-2026-000009", RecordID: 7, SubjectID: 3, ProviderID: 2,
			ProfileID: "nantong", ProfileVersion: "test", ReceivedAt: start}, []int64{7}},
		{"repair", RepairWorkflow, RepairInput{CaseNo: "XF-2026-000009", RecordID: 7, SubjectID: 3, ProviderID: 2,
			ProfileID: "nantong", ProfileVersion: "test", ReceivedAt: start}, []int64{7}},
		{"listing", ListingWorkflow, ListingInput{ProposalNo: "LB-2026-000009", SubjectID: 3, ProviderID: 2, ProfileID: "nantong",
			ProfileVersion: "test", RecordIDs: []int64{7, 8}, Period: ListingPeriod{Length: 1, Unit: "year"}, ProposedAt: start}, []int64{7, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := newTestEnv(&suite)
			env.SetStartTime(start)
			env.RegisterWorkflow(tc.run)
			env.RegisterActivity(cases)
			var (
				ended   []activities.Unfiled
				touched []string
			)
			env.OnActivity(cases.ProfileVersion, mockCtx, mockAny).Return("test", nil)
			env.OnActivity(cases.ValidateProposal, mockCtx, mockAny).Return(activities.ListingBounds{MinMonths: 6, MaxMonths: 36}, nil)
			env.OnActivity(cases.SaveCase, mockCtx, mockAny).Return(func(context.Context, activities.CaseRow) error { return notFiled() })
			env.OnActivity(cases.SaveListing, mockCtx, mockAny).Return(func(context.Context, activities.ListingRow) error { return notFiled() })
			env.OnActivity(cases.EndUnfiled, mockCtx, mockAny).Return(func(_ context.Context, u activities.Unfiled) error {
				ended = append(ended, u)
				return nil
			})
			env.OnActivity(cases.LabelRecord, mockCtx, mockAny).Return(func(context.Context, activities.LabelRequest) (activities.LabelResult, error) {
				touched = append(touched, "LabelRecord")
				return activities.LabelResult{}, nil
			})
			env.OnActivity(cases.RecordEvent, mockCtx, mockAny).Return(func(_ context.Context, e activities.Event) error {
				touched = append(touched, "RecordEvent:"+e.Action)
				return nil
			})
			env.ExecuteWorkflow(tc.run, tc.in)
			if !env.IsWorkflowCompleted() {
				t.Fatal("the workflow did not complete")
			}
			if err := env.GetWorkflowError(); err != nil {
				t.Fatalf("the workflow failed: %v", err)
			}
			var st struct {
				Stage   string `json:"stage"`
				Status  string `json:"status"`
				Outcome string `json:"outcome"`
			}
			if err := env.GetWorkflowResult(&st); err != nil {
				t.Fatal(err)
			}
			if st.Stage != StageFinished || st.Status != StatusClosed || st.Outcome != OutcomeUnfiled {
				t.Fatalf("state %+v, want finished/closed/unfiled", st)
			}
			if len(ended) != 1 || !slices.Equal(ended[0].RecordIDs, tc.records) || ended[0].Kind != tc.name {
				t.Fatalf("EndUnfiled calls %+v, want one for %s on records %v", ended, tc.name, tc.records)
			}
			if len(touched) != 0 {
				t.Fatalf("an unfiled case did %v", touched)
			}
		})
	}
}

package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

// listingOnWorker starts a listing of record on the real worker and takes
// it through service and waiver (with one statement, answered as adopted).
func listingOnWorker(t *testing.T, ctx context.Context, no string, subjectID, providerID, recordID int64) {
	t.Helper()
	in := workflows.ListingInput{ProposalNo: no, SubjectID: subjectID, ProviderID: providerID, ProfileID: "nantong",
		RecordIDs: []int64{recordID}, Reasons: "拒不履行法定义务", LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"},
		Measures: []string{"public_disclosure"}, Period: workflows.ListingPeriod{Length: 1, Unit: "year"},
		ProposedBy: workflows.Actor{Name: "prov.demo", Role: "provider"}, ProposedAt: time.Now()}
	owe(t, ctx, workflows.CaseKindListing, no, workflows.ListingWorkflowID(no), in)
	if _, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ListingWorkflowID(no), TaskQueue: workflows.TaskQueue,
	}, workflows.ListingWorkflow, in); err != nil {
		t.Fatal(err)
	}
	cw := workflows.Actor{Name: "cw.demo", Role: "caseworker"}
	subj := workflows.Actor{Name: "subject.demo", Role: "subject"}
	update(t, ctx, no, workflows.ListingRecordService, workflows.ServiceInput{By: cw, Method: workflows.ServicePost, ServedAt: time.Now()})
	update(t, ctx, no, workflows.ListingSubmitStatement, workflows.StatementInput{By: subj, Points: []string{"罚款已缴清"}})
	update(t, ctx, no, workflows.ListingWaive, workflows.WaiveInput{By: subj})
	update(t, ctx, no, workflows.ListingAnswer, workflows.AnswerInput{By: cw, Answers: []workflows.Answer{{PointID: "P1", Adopted: true, Reasons: "经核实已缴清"}}})
}

func update(t *testing.T, ctx context.Context, no, name string, arg any) workflows.ListingState {
	t.Helper()
	var st workflows.ListingState
	h, err := sys.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ListingWorkflowID(no), UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return st
}

// On the real worker and schema: a listing is decided not to list (the
// decision letter rendered from the projection); another is listed and then
// removed early by the repair signal, found the way the repair procedure
// finds it (by record, status listed).
func TestListingNotListedAndRemovedByRepairSignalOnRealWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	demo, err := seed.Demo(ctx, sys.Pool)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		t.Fatal(err)
	}
	providerID := demo.ProviderIDs["nt-market"]
	var subjectID int64
	for _, id := range demo.SubjectIDs {
		subjectID = max(subjectID, id)
	}
	store := records.NewStore(sys.Pool, prof, calendar.Default())
	serious := func(tag string) int64 {
		rec, err := store.CreateRecord(ctx, audit.System, providerID, records.RecordInput{
			SubjectID: subjectID, Category: records.Negative, Severity: records.Serious, Disclosure: records.Public,
			Title: "严重违法失信行为（" + tag + "）", Content: "情节严重", DecisionNo: fmt.Sprintf("通市监严〔IT〕%d号", time.Now().UnixNano()),
			DecidedOn: calendar.DateOf(time.Now()).AddDays(-5).String(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	stamp := time.Now().UnixNano() % 1_000_000
	notListed, repaired := fmt.Sprintf("LB-IT-%06d", stamp), fmt.Sprintf("LB-IT-%06d", stamp+1)
	for _, no := range []string{notListed, repaired} {
		defer func() {
			_ = sys.Temporal.TerminateWorkflow(context.Background(), workflows.ListingWorkflowID(no), "", "test over")
		}()
	}
	cw := workflows.Actor{Name: "cw.demo", Role: "caseworker"}

	rec1 := serious("一")
	listingOnWorker(t, ctx, notListed, subjectID, providerID, rec1)
	st := update(t, ctx, notListed, workflows.ListingDecide, workflows.ListingDecision{By: cw, List: false, Reasons: "当事人已履行义务"})
	if st.Outcome != workflows.OutcomeNotListed || st.Stage != workflows.StageFinished {
		t.Fatalf("not listed: %s/%s", st.Stage, st.Outcome)
	}

	rec2 := serious("二")
	listingOnWorker(t, ctx, repaired, subjectID, providerID, rec2)
	update(t, ctx, repaired, workflows.ListingDecide, workflows.ListingDecision{By: cw, List: true, Measures: []string{"public_disclosure"},
		Period: workflows.ListingPeriod{Length: 1, Unit: "year"}, Reasons: "部分采纳，仍予列入"})
	var wid string
	if err := sys.Pool.QueryRow(ctx, `SELECT l.workflow_id FROM listings l JOIN listing_records r USING (proposal_no)
		WHERE r.record_id = $1 AND l.status = 'listed'`, rec2).Scan(&wid); err != nil {
		t.Fatalf("the repair procedure's lookup: %v", err)
	}
	if wid != workflows.ListingWorkflowID(repaired) {
		t.Fatalf("lookup found %s", wid)
	}
	if err := sys.Temporal.SignalWorkflow(ctx, wid, "", workflows.SignalListingRepaired,
		workflows.ListingRepaired{RepairCaseNo: "XF-IT-1", RecordID: rec2, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := sys.Temporal.GetWorkflow(ctx, wid, "").Get(ctx, &st); err != nil {
		t.Fatal(err)
	}
	if st.RemovalReason != workflows.RemovalRepaired || st.RepairCaseNo != "XF-IT-1" {
		t.Fatalf("removed %q by %q", st.RemovalReason, st.RepairCaseNo)
	}

	rows, err := sys.Pool.Query(ctx, `SELECT l.proposal_no, l.status, l.removal_reason, d.kind, substring(d.pdf from 1 for 5) = '%PDF-', d.number
		FROM listings l JOIN case_documents d ON d.case_ref = l.proposal_no
		WHERE l.proposal_no IN ($1, $2) AND d.kind IN ('listing_not_listed', 'listing_removal')`, notListed, repaired)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var no, status, reason, kind, number string
		var pdf bool
		if err := rows.Scan(&no, &status, &reason, &kind, &pdf, &number); err != nil {
			t.Fatal(err)
		}
		got[no] = fmt.Sprintf("%s/%s/%s/%v", status, reason, kind, pdf)
		if !strings.Contains(number, "信列") {
			t.Errorf("document number %s not in the listing series", number)
		}
	}
	if got[notListed] != "not_listed//listing_not_listed/true" || got[repaired] != "removed/repaired/listing_removal/true" {
		t.Errorf("listings and their letters: %v", got)
	}
}

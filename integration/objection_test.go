package integration

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/internal/testenv"
	"github.com/creditcase/creditcase/workflows"
)

// An objection runs on the real worker against the real schema: the record
// is labelled, the provider asked, the record corrected as a new version,
// every deadline stored with its explanation, and the written notices stored
// as PDFs.
func TestObjectionOnRealWorkerCorrectsRecordAndStoresDocuments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, sys.Pool); err != nil {
		t.Fatal(err)
	}
	// The demo's general negative record 虚假宣传行政处罚, found by its
	// decision number: seeding is idempotent, and other tests may seed first.
	var recordID, subjectID, providerID int64
	if err := sys.Pool.QueryRow(ctx, `SELECT id, subject_id, provider_id FROM records WHERE decision_no = $1`,
		"通市监处罚〔2025〕12号").Scan(&recordID, &subjectID, &providerID); err != nil {
		t.Fatal(err)
	}
	caseNo := "YY-IT-0001"
	in := workflows.ObjectionInput{CaseNo: caseNo, RecordID: recordID, SubjectID: subjectID, ProviderID: providerID,
		ProfileID: "nantong", Grounds: []string{"处罚金额记载错误"}, Statement: "罚款金额应为 1 万元",
		FiledBy: workflows.Actor{Name: "subject.demo", Role: "subject"}, ReceivedAt: time.Now()}
	owe(t, ctx, workflows.CaseKindObjection, caseNo, workflows.ObjectionWorkflowID(caseNo), in)
	run, err := sys.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ObjectionWorkflowID(caseNo), TaskQueue: workflows.TaskQueue,
	}, workflows.ObjectionWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sys.Temporal.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()

	cw := workflows.Actor{Name: "cw.demo", Role: "caseworker"}
	steps := []struct {
		name string
		arg  any
	}{
		{workflows.ObjectionAccept, workflows.AcceptInput{By: cw}},
		{workflows.ObjectionForwardToProvider, workflows.ForwardInput{By: cw}},
		{workflows.ObjectionProviderReply, workflows.ProviderReplyInput{By: workflows.Actor{Name: "prov.demo", Role: "provider"},
			Finding: workflows.FindingErrorFound, Reasons: "原始决定书载明罚款 1 万元", Correction: map[string]any{"content": "罚款人民币 1 万元"}}},
		{workflows.ObjectionDecide, workflows.DecisionInput{By: cw, Outcome: workflows.OutcomeCorrected, Reasons: "经信息提供单位核实，予以更正"}},
	}
	var st workflows.ObjectionState
	for _, s := range steps {
		h, err := sys.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: run.GetID(), UpdateName: s.name, Args: []any{s.arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := h.Get(ctx, &st); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if st.Stage != workflows.StageClosed || st.Outcome != workflows.OutcomeCorrected {
		t.Fatalf("state after decision: %s/%s", st.Stage, st.Outcome)
	}
	// The decision answered once its letter was numbered; its PDF follows.
	lettersReady(t, caseNo)
	if testenv.Recording() {
		testenv.RecordHistory(t, sys.Temporal, run.GetID(), filepath.Join("..", "workflows", "testdata", "histories", "objection_corrected.json"))
	}

	var status, content string
	var version int
	if err := sys.Pool.QueryRow(ctx, `SELECT status, content, version FROM records WHERE id = $1`, recordID).Scan(&status, &content, &version); err != nil {
		t.Fatal(err)
	}
	if status != "corrected" || content != "罚款人民币 1 万元" || version != 2 {
		t.Errorf("record after correction: status %s, content %q, version %d", status, content, version)
	}
	var versions int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*) FROM record_versions WHERE record_id = $1`, recordID).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions != 2 {
		t.Errorf("record versions %d; want the original and the correction", versions)
	}
	var docs, pdfs int
	if err := sys.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE substring(pdf from 1 for 5) = '%PDF-') FROM case_documents WHERE case_ref = $1`, caseNo).Scan(&docs, &pdfs); err != nil {
		t.Fatal(err)
	}
	if docs != 3 || pdfs != 3 {
		t.Errorf("documents %d (PDF %d); want acceptance, verification letter and result", docs, pdfs)
	}
	var stage string
	var deadlines, explained int
	if err := sys.Pool.QueryRow(ctx, `SELECT c.stage, count(d.*), count(d.*) FILTER (WHERE d.explanation <> '')
		FROM cases c JOIN case_deadlines d ON d.case_no = c.case_no WHERE c.case_no = $1 GROUP BY c.stage`, caseNo).Scan(&stage, &deadlines, &explained); err != nil {
		t.Fatal(err)
	}
	if stage != workflows.StageClosed || deadlines < 6 || explained != deadlines {
		t.Errorf("projection: stage %s, %d deadlines (%d explained)", stage, deadlines, explained)
	}
}

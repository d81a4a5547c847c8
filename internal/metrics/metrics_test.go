package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"
)

// gather returns the registry's families by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// The SDK tags its handler step by step (client, then namespace, then task
// queue and worker type). Every tag present when a metric is emitted must be
// a label of its series, whatever was used first, and values must arrive.
func TestSDKHandlerExportsEveryTagAndValue(t *testing.T) {
	reg := NewRegistry()
	h, closer := NewSDKHandler(reg, zerolog.Nop())

	client := h.WithTags(map[string]string{"client_name": "temporal_go"})
	client.Counter("temporal_request").Inc(1)
	worker := client.WithTags(map[string]string{"namespace": "default", "task_queue": "creditcase", "worker_type": "ActivityWorker"})
	worker.Counter("temporal_activity_poll_no_task").Inc(3)
	worker.Gauge("temporal_worker_task_slots_available").Update(7)
	worker.Timer("temporal_activity_execution_latency").Record(30 * time.Millisecond)
	worker.Timer("temporal_activity_execution_latency").Record(300 * time.Millisecond)
	if err := closer.Close(); err != nil { // one last report
		t.Fatal(err)
	}

	fams := gather(t, reg)
	poll := fams["temporal_activity_poll_no_task_total"]
	if poll == nil || len(poll.GetMetric()) != 1 {
		t.Fatalf("temporal_activity_poll_no_task_total missing or with several series: %v", poll)
	}
	want := map[string]string{"client_name": "temporal_go", "namespace": "default", "task_queue": "creditcase", "worker_type": "ActivityWorker"}
	got := labels(poll.GetMetric()[0])
	for k, v := range want {
		if got[k] != v {
			t.Errorf("poll counter label %s = %q, want %q (labels %v)", k, got[k], v, got)
		}
	}
	if v := poll.GetMetric()[0].GetCounter().GetValue(); v != 3 {
		t.Errorf("poll counter = %v, want 3", v)
	}
	if v := fams["temporal_request_total"].GetMetric()[0].GetCounter().GetValue(); v != 1 {
		t.Errorf("temporal_request_total = %v, want 1", v)
	}
	if v := fams["temporal_worker_task_slots_available"].GetMetric()[0].GetGauge().GetValue(); v != 7 {
		t.Errorf("slots gauge = %v, want 7", v)
	}
	lat := fams["temporal_activity_execution_latency_seconds"]
	if lat == nil || lat.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("latency is not a histogram: %v", lat)
	}
	hist := lat.GetMetric()[0].GetHistogram()
	if hist.GetSampleCount() != 2 || hist.GetSampleSum() < 0.32 || hist.GetSampleSum() > 0.34 {
		t.Errorf("latency histogram count %d sum %v, want 2 and 0.33", hist.GetSampleCount(), hist.GetSampleSum())
	}
	if v := fams["creditcase_metrics_registration_errors_total"].GetMetric()[0].GetCounter().GetValue(); v != 0 {
		t.Errorf("registration errors = %v, want 0", v)
	}
}

// A name emitted with two different label sets cannot be one Prometheus
// family: the second is refused, and the refusal is logged and counted, not
// hidden, while the first keeps being exported.
func TestSDKHandlerReportsRegistrationConflicts(t *testing.T) {
	reg := NewRegistry()
	var logs bytes.Buffer
	h, closer := NewSDKHandler(reg, zerolog.New(&logs))
	h.WithTags(map[string]string{"namespace": "default"}).Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"namespace": "default", "operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(5)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	fams := gather(t, reg)
	if v := fams["creditcase_metrics_registration_errors_total"].GetMetric()[0].GetCounter().GetValue(); v != 1 {
		t.Errorf("registration errors = %v, want 1", v)
	}
	if !strings.Contains(logs.String(), "temporal_request_total") || !strings.Contains(logs.String(), `"level":"error"`) {
		t.Errorf("the conflict was not logged as an error naming the metric: %s", logs.String())
	}
	if v := fams["temporal_request_total"].GetMetric()[0].GetCounter().GetValue(); v != 2 {
		t.Errorf("first series = %v, want 2", v)
	}
}

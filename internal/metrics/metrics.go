// Package metrics is the Prometheus registry creditcase serves at /metrics:
// HTTP requests, the PostgreSQL pool, and the Temporal SDK's own metrics
// through an adapter of the SDK's metrics.Handler.
package metrics

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	sdkmetrics "go.temporal.io/sdk/client"
)

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// PoolCollector exports pgxpool statistics.
type PoolCollector struct {
	pool                              *pgxpool.Pool
	total, idle, acquired, maxConns   *prometheus.Desc
	acquireCount, acquireWait, emptyA *prometheus.Desc
}

// NewPoolCollector describes pool's statistics under creditcase_db_pool_*.
func NewPoolCollector(pool *pgxpool.Pool) *PoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("creditcase_db_pool_"+name, help, nil, nil)
	}
	return &PoolCollector{
		pool:         pool,
		total:        d("conns", "Connections in the pool."),
		idle:         d("idle_conns", "Idle connections."),
		acquired:     d("acquired_conns", "Connections in use."),
		maxConns:     d("max_conns", "Pool size limit."),
		acquireCount: d("acquires_total", "Connections acquired."),
		acquireWait:  d("acquire_wait_seconds_total", "Time spent waiting for a connection."),
		emptyA:       d("empty_acquires_total", "Acquires that had to wait for a connection."),
	}
}

func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.total, c.idle, c.acquired, c.maxConns, c.acquireCount, c.acquireWait, c.emptyA} {
		ch <- d
	}
}

func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(c.acquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(c.maxConns, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(c.acquireCount, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.acquireWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(c.emptyA, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
}

// SDKHandler adapts the Temporal SDK's metrics to Prometheus. The SDK names
// a metric and tags it; Prometheus wants a fixed label set per name, so the
// label set of a name is the tag keys of its first use, and later uses fill
// missing labels with "" and drop extra ones.
type SDKHandler struct {
	reg  prometheus.Registerer
	tags map[string]string
	vecs *vecs
}

type vecs struct {
	mu       sync.Mutex
	counters map[string]*labelled[*prometheus.CounterVec]
	gauges   map[string]*labelled[*prometheus.GaugeVec]
	timers   map[string]*labelled[*prometheus.HistogramVec]
}

type labelled[V any] struct {
	vec    V
	labels []string
}

var _ sdkmetrics.MetricsHandler = (*SDKHandler)(nil)

// NewSDKHandler registers SDK metrics on reg as they appear, prefixed temporal_.
func NewSDKHandler(reg prometheus.Registerer) *SDKHandler {
	return &SDKHandler{reg: reg, vecs: &vecs{
		counters: map[string]*labelled[*prometheus.CounterVec]{},
		gauges:   map[string]*labelled[*prometheus.GaugeVec]{},
		timers:   map[string]*labelled[*prometheus.HistogramVec]{},
	}}
}

func (h *SDKHandler) WithTags(tags map[string]string) sdkmetrics.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return &SDKHandler{reg: h.reg, tags: merged, vecs: h.vecs}
}

func (h *SDKHandler) Counter(name string) sdkmetrics.MetricsCounter {
	h.vecs.mu.Lock()
	defer h.vecs.mu.Unlock()
	l, ok := h.vecs.counters[name]
	if !ok {
		keys := sortedKeys(h.tags)
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: promName(name), Help: "Temporal SDK " + name}, keys)
		if err := h.reg.Register(v); err != nil {
			return nopMetric{}
		}
		l = &labelled[*prometheus.CounterVec]{vec: v, labels: keys}
		h.vecs.counters[name] = l
	}
	c := l.vec.WithLabelValues(values(l.labels, h.tags)...)
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

func (h *SDKHandler) Gauge(name string) sdkmetrics.MetricsGauge {
	h.vecs.mu.Lock()
	defer h.vecs.mu.Unlock()
	l, ok := h.vecs.gauges[name]
	if !ok {
		keys := sortedKeys(h.tags)
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: promName(name), Help: "Temporal SDK " + name}, keys)
		if err := h.reg.Register(v); err != nil {
			return nopMetric{}
		}
		l = &labelled[*prometheus.GaugeVec]{vec: v, labels: keys}
		h.vecs.gauges[name] = l
	}
	g := l.vec.WithLabelValues(values(l.labels, h.tags)...)
	return gaugeFunc(g.Set)
}

func (h *SDKHandler) Timer(name string) sdkmetrics.MetricsTimer {
	h.vecs.mu.Lock()
	defer h.vecs.mu.Unlock()
	l, ok := h.vecs.timers[name]
	if !ok {
		keys := sortedKeys(h.tags)
		v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: promName(name) + "_seconds", Help: "Temporal SDK " + name, Buckets: prometheus.DefBuckets}, keys)
		if err := h.reg.Register(v); err != nil {
			return nopMetric{}
		}
		l = &labelled[*prometheus.HistogramVec]{vec: v, labels: keys}
		h.vecs.timers[name] = l
	}
	o := l.vec.WithLabelValues(values(l.labels, h.tags)...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type nopMetric struct{}

func (nopMetric) Inc(int64)            {}
func (nopMetric) Update(float64)       {}
func (nopMetric) Record(time.Duration) {}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, promName(k))
	}
	sort.Strings(keys)
	return keys
}

func values(labels []string, tags map[string]string) []string {
	norm := make(map[string]string, len(tags))
	for k, v := range tags {
		norm[promName(k)] = v
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = norm[l]
	}
	return out
}

func promName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, s)
	return s
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

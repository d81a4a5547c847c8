// Package metrics is the Prometheus registry creditcase serves at /metrics:
// HTTP requests, the PostgreSQL pool, and the Temporal SDK's own metrics
// through the SDK's tally contrib handler and tally's Prometheus reporter.
package metrics

import (
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
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

// SDKReportInterval is how often the SDK's metrics, kept in tally between
// reports, are written to the Prometheus series.
const SDKReportInterval = time.Second

// NewSDKHandler returns the Temporal SDK's metrics handler (the SDK's own
// tally contrib handler, Prometheus naming: counters end in _total, timers in
// _seconds and are histograms) reporting into reg, and the Closer that stops
// reporting after one last flush.
//
// Prometheus wants one label set per metric name. A metric the SDK emits
// under a name already registered with other labels cannot be exported; that
// registration error is logged and counted in
// creditcase_metrics_registration_errors_total instead of being dropped.
func NewSDKHandler(reg prometheus.Registerer, log zerolog.Logger) (client.MetricsHandler, io.Closer) {
	regErrors := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "creditcase_metrics_registration_errors_total",
		Help: "Temporal SDK metrics that could not be registered (a name seen with two label sets); each is logged.",
	})
	reg.MustRegister(regErrors)
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       reg,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			regErrors.Inc()
			log.Error().Err(err).Msg("a Temporal SDK metric could not be registered with Prometheus; it is not exported")
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:         reporter,
		Separator:              tallyprom.DefaultSeparator,
		SanitizeOptions:        &sdktally.PrometheusSanitizeOptions,
		OmitCardinalityMetrics: true,
	}, SDKReportInterval)
	return sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), closer
}

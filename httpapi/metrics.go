package httpapi

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
)

// NewMetrics registers the node's Prometheus collectors, and the Go and
// process collectors, on reg and returns the node.Metrics that feed them.
// Wire it as: reg := prometheus.NewRegistry(); m := httpapi.NewMetrics(reg);
// n, _ := node.Open(ctx, st, node.Options{Metrics: m}); httpapi.New(n,
// httpapi.Options{Registry: reg}). Collectors already registered on reg are
// reused, so calling it twice with one registry is harmless.
//
// Metrics: allot_items_created_total{region}, allot_decisions_total{region,
// kind}, allot_decision_seconds and allot_commit_seconds (per group commit:
// the time the engine spent deciding its commands, and the store's commit),
// allot_commit_entries (log entries per group commit).
func NewMetrics(reg *prometheus.Registry) *node.Metrics {
	created := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "allot_items_created_total", Help: "Items created (committed), by region.",
	}, []string{"region"}))
	decisions := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "allot_decisions_total", Help: "Routing decisions committed, by region and kind (assigned, queued, reassigned, unroutable).",
	}, []string{"region", "kind"}))
	decide := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "allot_decision_seconds", Help: "Time the engine spent deciding the commands of one group commit.",
		Buckets: prometheus.ExponentialBuckets(1e-6, 4, 12),
	}, []string{"region"}))
	commit := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "allot_commit_seconds", Help: "Time the store took to commit one group commit (one transaction, one fsync).",
		Buckets: prometheus.ExponentialBuckets(1e-4, 2, 16),
	}, []string{"region"}))
	entries := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "allot_commit_entries", Help: "Log entries written by one group commit.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 11),
	}, []string{"region"}))
	breaches := register(reg, prometheus.NewCounter(slaBreachOpts))
	register(reg, collectors.NewGoCollector())
	register(reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &node.Metrics{
		Decided: func(region string, kind allot.DecisionKind, _ string) {
			decisions.WithLabelValues(region, string(kind)).Inc()
		},
		ItemsCreated: func(region string, n int) { created.WithLabelValues(region).Add(float64(n)) },
		SLABreach:    func(string, string) { breaches.Inc() },
		Batch: func(region string, n int, d, c time.Duration) {
			decide.WithLabelValues(region).Observe(d.Seconds())
			if n > 0 {
				commit.WithLabelValues(region).Observe(c.Seconds())
				entries.WithLabelValues(region).Observe(float64(n))
			}
		},
	}
}

var slaBreachOpts = prometheus.CounterOpts{
	Name: "allot_sla_breaches_total",
	Help: "Assignments not touched within their response SLA and taken back (by the SLA timers).",
}

// register registers c on reg, or returns the collector already there.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
			return c
		}
		panic(err)
	}
	return c
}

// apiMetrics are the collectors the API registers itself.
type apiMetrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	slaBreaches prometheus.Counter
}

func (a *API) registerMetrics(reg *prometheus.Registry) {
	a.metrics = &apiMetrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "allot_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "allot_http_request_seconds", Help: "HTTP request duration, by route pattern.",
			Buckets: prometheus.ExponentialBuckets(1e-4, 2, 16),
		}, []string{"route"})),
		// The same counter NewMetrics feeds (register reuses it), so the
		// series exists even when the node was opened without metrics.
		slaBreaches: register(reg, prometheus.NewCounter(slaBreachOpts)),
	}
	register(reg, &queueCollector{a: a})
}

// queueCollector reports each queue's depth and each region's open items at
// scrape time, from the engines.
type queueCollector struct{ a *API }

var (
	queuedDesc = prometheus.NewDesc("allot_items_queued", "Items waiting in a queue.", []string{"region", "queue"}, nil)
	openDesc   = prometheus.NewDesc("allot_items_open", "Open items (queued, assigned or working), by region.", []string{"region"}, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queuedDesc
	ch <- openDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	if c.a.n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range c.a.n.Regions() {
		var depth map[string]int
		var open int
		err := c.a.n.Read(ctx, id, func(e *engine.Engine) {
			depth = map[string]int{}
			for _, q := range e.Region().Queues {
				st, _ := e.Queue(q.ID)
				depth[q.ID] = len(st.Waiting)
			}
			open = e.OpenItems()
		})
		if err != nil {
			continue
		}
		for q, d := range depth {
			ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(d), id, q)
		}
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(open), id)
	}
}

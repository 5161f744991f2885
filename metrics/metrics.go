package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/runtime"
)

// Path is where luagate serves its metrics.
const Path = "/metrics"

// Metrics is one gateway's metrics: its Prometheus registry, its deploys
// and its stats sampler.
type Metrics struct {
	// Deploys records the changes to the solution.
	Deploys *Deploys
	handler http.Handler
	sampler *sampler

	mu      sync.Mutex // guards stop and done
	stop    chan struct{}
	done    chan struct{}
	stopped bool
}

// New returns the metrics of engine and of pushes, which may be nil for a
// server without push: luagate's families, and Go's and the process's.
func New(engine *runtime.Engine, pushes *push.Service) *Metrics {
	m := &Metrics{Deploys: &Deploys{}}
	var pushCounts func() (push.Counts, error)
	if pushes != nil {
		pushCounts = pushes.Counts
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newCollector(engine.Counters, m.Deploys, pushCounts),
	)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	m.sampler = newSampler(engine.Counters, m.Deploys)
	return m
}

// Handler serves the metrics in Prometheus's formats, without checking
// who asks.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Start samples the stats every second until Stop. Starting again, or
// after Stop, does nothing.
func (m *Metrics) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop != nil || m.stopped {
		return
	}
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go m.sampler.run(m.stop, m.done)
}

// Stop ends the sampling and waits for its goroutine. It may be called
// without Start, and again.
func (m *Metrics) Stop() {
	m.mu.Lock()
	stop, done := m.stop, m.done
	m.stop, m.stopped = nil, true
	m.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

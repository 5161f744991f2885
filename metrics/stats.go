package metrics

import (
	"math"
	"sync"
	"time"

	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/wire"
)

// Stats sampling: a sample a second, the last ten minutes of them.
const (
	SampleInterval = time.Second
	SamplesKept    = 600
)

// totals is what a sample is the difference of.
type totals struct {
	at                time.Time
	sockets           int
	in, out, failures uint64
	// durations is the histogram of every execution, all routes and event
	// types together, not cumulative.
	durations [len(runtime.DurationBuckets) + 1]uint64
}

func totalsOf(c runtime.Counters, at time.Time) totals {
	t := totals{at: at}
	for _, r := range c.Routes {
		t.sockets += r.SocketsOpen
		t.in += r.MessagesIn
		t.out += r.MessagesOut
		for typ := range r.Events {
			for res, n := range r.Events[typ] {
				if runtime.EventResult(res) != runtime.ResultOK {
					t.failures += n
				}
			}
			for i, n := range r.Durations[typ].Buckets {
				t.durations[i] += n
			}
		}
	}
	return t
}

// sampler keeps the ring of samples.
type sampler struct {
	counters func() runtime.Counters
	deploys  *Deploys

	mu   sync.Mutex // guards the fields below
	prev totals
	ring [SamplesKept]wire.StatsSample
	next int // where the next sample goes
	n    int // samples kept
}

func newSampler(counters func() runtime.Counters, deploys *Deploys) *sampler {
	return &sampler{counters: counters, deploys: deploys, prev: totalsOf(counters(), time.Now())}
}

func (s *sampler) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(SampleInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			s.sample(now)
		}
	}
}

// sample adds the sample of the time since the previous one, ending now.
func (s *sampler) sample(now time.Time) {
	cur := totalsOf(s.counters(), now)
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.prev
	s.prev = cur
	secs := cur.at.Sub(prev.at).Seconds()
	if secs <= 0 {
		return
	}
	rate := func(now, before uint64) float64 { return float64(delta(now, before)) / secs }
	var spent [len(cur.durations)]uint64
	for i := range spent {
		spent[i] = delta(cur.durations[i], prev.durations[i])
	}
	s.ring[s.next] = wire.StatsSample{
		Time:                 now.UTC().Truncate(time.Second),
		SocketsOpen:          cur.sockets,
		MessagesInPerSecond:  rate(cur.in, prev.in),
		MessagesOutPerSecond: rate(cur.out, prev.out),
		ErrorsPerSecond:      rate(cur.failures, prev.failures),
		ScriptP95MS:          quantile(0.95, spent[:]) * 1000,
	}
	s.next = (s.next + 1) % SamplesKept
	s.n = min(s.n+1, SamplesKept)
}

// delta is now-before, or 0 when a counter went down, as it does when a
// deploy removes an endpoint and its counters with it.
func delta(now, before uint64) uint64 {
	if now < before {
		return 0
	}
	return now - before
}

// quantile estimates the q quantile, in seconds, of the durations counted
// in buckets (not cumulative, the last above every bound), interpolating
// linearly within the bucket it falls in, as Prometheus's
// histogram_quantile does. It is 0 for no durations.
func quantile(q float64, buckets []uint64) float64 {
	var total uint64
	for _, n := range buckets {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	bounds := runtime.DurationBuckets
	var cum float64
	for i, n := range buckets {
		if n == 0 || cum+float64(n) < rank {
			cum += float64(n)
			continue
		}
		if i == len(bounds) {
			return bounds[len(bounds)-1]
		}
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		}
		return lower + (bounds[i]-lower)*(rank-cum)/float64(n)
	}
	return bounds[len(bounds)-1]
}

// stats returns the samples kept, oldest first, and the last deploy.
func (s *sampler) stats() wire.Stats {
	s.mu.Lock()
	out := wire.Stats{IntervalSeconds: int(math.Round(SampleInterval.Seconds())), Samples: make([]wire.StatsSample, 0, s.n)}
	for i := range s.n {
		out.Samples = append(out.Samples, s.ring[(s.next-s.n+i+SamplesKept)%SamplesKept])
	}
	s.mu.Unlock()
	_, _, _, out.LastDeploy = s.deploys.counts()
	return out
}

// Stats returns the samples of the last ten minutes, oldest first, and the
// last deploy.
func (m *Metrics) Stats() wire.Stats { return m.sampler.stats() }

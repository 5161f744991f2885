package metrics

import (
	"context"
	"math"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/luagate/luagate/runtime"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestQuantileInterpolatesWithinItsBucket(t *testing.T) {
	t.Parallel()
	n := len(runtime.DurationBuckets) + 1
	at := func(counts map[int]uint64) []uint64 {
		b := make([]uint64, n)
		for i, c := range counts {
			b[i] = c
		}
		return b
	}
	for _, c := range []struct {
		name    string
		buckets []uint64
		want    float64
	}{
		{"none", at(nil), 0},
		// 100 executions of at most 1 ms (bucket 3, above 0.5 ms): the
		// 95th is 95% of the way through it.
		{"one bucket", at(map[int]uint64{3: 100}), 0.0005 + 0.0005*0.95},
		// 90 fast and 10 in (5 ms, 10 ms]: rank 95 is the 5th of those 10.
		{"two buckets", at(map[int]uint64{0: 90, 6: 10}), 0.005 + 0.005*0.5},
		{"above every bound", at(map[int]uint64{n - 1: 3}), 2.5},
	} {
		if got := quantile(0.95, c.buckets); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: %g, want %g", c.name, got, c.want)
		}
	}
}

// counting is a counter source whose totals a test sets.
type counting struct{ c runtime.Counters }

func (s *counting) set(sockets int, in, out, failed uint64) {
	r := runtime.RouteCounters{Route: "/r", SocketsOpen: sockets, MessagesIn: in, MessagesOut: out}
	r.Events[1][runtime.ResultError] = failed
	r.Events[1][runtime.ResultOK] = in
	r.Durations[1] = runtime.Histogram{Buckets: make([]uint64, len(runtime.DurationBuckets)+1)}
	r.Durations[1].Buckets[3] = in + failed
	s.c = runtime.Counters{Routes: []runtime.RouteCounters{r}}
}

func TestSamplesAreRatesOverTheSecondOldestFirst(t *testing.T) {
	t.Parallel()
	src := &counting{}
	src.set(0, 0, 0, 0)
	s := newSampler(func() runtime.Counters { return src.c }, &Deploys{})
	start := s.prev.at
	for i := 1; i <= SamplesKept+5; i++ {
		src.set(i, uint64(10*i), uint64(20*i), uint64(i))
		s.sample(start.Add(time.Duration(i) * time.Second))
	}
	st := s.stats()
	if len(st.Samples) != SamplesKept || st.IntervalSeconds != 1 || st.LastDeploy != nil {
		t.Fatalf("%d samples, interval %d, last deploy %v", len(st.Samples), st.IntervalSeconds, st.LastDeploy)
	}
	first, last := st.Samples[0], st.Samples[SamplesKept-1]
	if first.SocketsOpen != 6 || last.SocketsOpen != SamplesKept+5 || !first.Time.Before(last.Time) {
		t.Fatalf("first %+v, last %+v: want the oldest kept first", first, last)
	}
	if last.MessagesInPerSecond != 10 || last.MessagesOutPerSecond != 20 || last.ErrorsPerSecond != 1 {
		t.Fatalf("rates %+v, want 10 in, 20 out, 1 error a second", last)
	}
	if want := (0.0005 + 0.0005*0.95) * 1000; math.Abs(last.ScriptP95MS-want) > 1e-9 {
		t.Fatalf("p95 %g ms, want %g", last.ScriptP95MS, want)
	}
	// A deploy that removed the route takes its counters away: no sample
	// goes negative.
	src.c = runtime.Counters{}
	s.sample(start.Add((SamplesKept + 6) * time.Second))
	if got := s.stats().Samples[SamplesKept-1]; got.MessagesInPerSecond != 0 || got.ErrorsPerSecond != 0 {
		t.Fatalf("after the counters went down: %+v", got)
	}
}

// Not parallel, so that the goroutines it looks at are its own.
func TestTheSamplerStopsWithItsOwner(t *testing.T) {
	e, err := runtime.New(runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := New(e, nil)
	m.Stop() // before Start: nothing to stop
	m.Start()
	m.Start()
	m.Stop()
	m.Stop()
	m.Start() // after Stop: stays stopped
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := goleak.Find(); err != nil {
		t.Fatal(err)
	}
}

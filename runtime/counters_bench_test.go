package runtime

import (
	goruntime "runtime"
	"testing"
	"time"
)

// BenchmarkCountEvent is what counting adds to each event: one clock
// reading after the execution (its start is the deadline's) and the
// additions to its route's counters, from every processor at once on one
// route, the contended case.
func BenchmarkCountEvent(b *testing.B) {
	var t routeTable
	r := t.get("/b")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		start := time.Now()
		for pb.Next() {
			r.executed(dataEvent, time.Since(start), nil)
		}
	})
}

// BenchmarkRouteSnapshot is the metrics sampler's look, every second, at a
// route of 10,000 sockets. A socket's other memory lies between them, and
// each look starts with the processor's own caches refilled with other
// data, as a second of a server's work leaves them.
func BenchmarkRouteSnapshot(b *testing.B) {
	var t routeTable
	const sockets = 10000
	other := make([][]byte, 0, sockets)
	for range sockets {
		t.join("/b", &socket{})
		other = append(other, make([]byte, 6<<10))
	}
	r := t.get("/b")
	evict := make([]byte, 8<<20)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := 0; j < len(evict); j += 64 {
			evict[j]++
		}
		b.StartTimer()
		r.snapshot()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/sockets, "ns/socket")
	goruntime.KeepAlive(other)
}

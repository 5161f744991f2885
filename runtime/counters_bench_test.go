package runtime

import (
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

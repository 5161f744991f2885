package yield

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Traffic reports a count of the work a server has served, such as the
// executions its sockets' events started: a count that moves while
// sockets are being served.
type Traffic func() uint64

// Pause is how long paced work stops for after each Slice while the
// sockets are being served. The runtime's timers wake later than asked
// for so short a sleep: on Linux a pause lasts 0.5-1 ms, so paced work
// runs a fifth to a third of the time while sockets are served.
const Pause = Slice

// staleAfter is how old the last look at the traffic may be for its
// count to tell whether the sockets are being served now: a count that
// moved since a look long ago may have moved only then.
const staleAfter = 10 * Slice

// busyFor is how long after the traffic was last seen moving paced work
// still pauses. Sockets that are served at all are served now and then:
// 400 sockets sending 4 messages a second each are an event every 600
// µs, so most Slices see none, and a deploy that ran on through those
// Slices delayed the events that came.
const busyFor = 100 * time.Millisecond

// pacer is what every Paced shares: the traffic sources PaceBy
// installed, when the last look at the traffic ended (with its pause),
// from which the next Slice counts, the count seen at it and when the
// traffic was last seen moving. It is shared rather than each Paced's
// own because what paces is a deploy, whose loops are many and short (a
// change of one endpoint of a thousand is several loops of well under a
// Slice each), and deploys run one at a time.
var pacer struct {
	mu      sync.Mutex
	sources map[*Traffic]struct{}
	looked  time.Time
	seen    uint64
	moved   time.Time
}

// pauses counts the pauses of all Paced work.
var pauses atomic.Uint64

// Pauses is how many times Paced work in this process has paused for the
// traffic: what a test of a deploy beside sockets being served, or a
// profile of one, looks at.
func Pauses() uint64 { return pauses.Load() }

// PaceBy makes Paced work give way to t's traffic until the returned
// function is called: while t has moved within busyFor, each Slice of
// that work is followed by a Pause rather than only a yield of the
// processor. A deploy calls it for its server, so that while the server's
// sockets are being served the deploy takes turns with them, and while
// they are not it runs at full speed.
func PaceBy(t Traffic) (stop func()) {
	key := &t
	pacer.mu.Lock()
	if pacer.sources == nil {
		pacer.sources = make(map[*Traffic]struct{})
	}
	pacer.sources[key] = struct{}{}
	pacer.mu.Unlock()
	return func() {
		pacer.mu.Lock()
		delete(pacer.sources, key)
		pacer.mu.Unlock()
	}
}

// Paced is a Yielder for work that should also wait for the sockets when
// they are busy (see PaceBy). Only work that holds no lock a socket may
// take can be paced: a pause holds what the work holds. The zero value is
// ready; one Paced serves one goroutine.
type Paced struct {
	steps uint32
}

// Step is called between steps of the work: once paced work has run for a
// Slice since the last look, it pauses if the traffic of PaceBy moved
// within busyFor and yields the processor otherwise. It looks at the
// clock every clockEvery steps.
func (p *Paced) Step() {
	p.steps++
	if p.steps%clockEvery != 1 {
		return
	}
	due, pause := look(time.Now())
	switch {
	case !due:
		return
	case pause:
		pauses.Add(1)
		time.Sleep(Pause)
	default:
		runtime.Gosched()
	}
	pacer.mu.Lock()
	pacer.looked = time.Now()
	pacer.mu.Unlock()
}

// look reports whether, at now, a Slice of paced work has passed since the
// last look ended, and if so reads the traffic and reports whether the
// work should pause: whether the traffic moved within busyFor. A count
// that moved since a stale look says nothing of when. The traffic during
// the pause that follows counts at the next look, as traffic the pause
// let run.
func look(now time.Time) (due, pause bool) {
	pacer.mu.Lock()
	defer pacer.mu.Unlock()
	if now.Sub(pacer.looked) < Slice {
		return false, false
	}
	if len(pacer.sources) == 0 {
		return true, false
	}
	n := served()
	if n != pacer.seen && now.Sub(pacer.looked) <= staleAfter {
		pacer.moved = now
	}
	pacer.seen = n
	return true, now.Sub(pacer.moved) <= busyFor
}

// served is the sum of the installed sources' counts. pacer.mu must be
// held.
func served() uint64 {
	var n uint64
	for t := range pacer.sources {
		n += (*t)()
	}
	return n
}

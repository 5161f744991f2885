package endpoints

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/scripts"
)

// The load of BenchmarkSocketP99DuringDeploys: sockets each sending a
// message every period (under the server's default limit of 5 a second),
// and how long each phase of a round lasts.
const (
	p99Sockets = 400
	p99Period  = 250 * time.Millisecond
	p99Phase   = 500 * time.Millisecond
	p99Settle  = 250 * time.Millisecond
)

// Phases of a round: no deploy, back-to-back deploys of a whole new
// solution, none again, back-to-back changes of one endpoint, and a
// goroutine spinning on a core as deploys keep one busy, for reference.
const (
	phaseQuiet = iota
	phaseNew
	phaseOne
	phaseSpin
	phaseCount
)

// BenchmarkSocketP99DuringDeploys times the round trips of sockets
// echoing on one endpoint of a 1,000-endpoint solution, served on
// loopback, while deploys run back to back and while none does. Each op
// is a round of four phases: quiet, new (every script changed, as
// BenchmarkDeployNew), quiet, one (one other endpoint's script changed,
// as BenchmarkDeployChangeOne). It reports each phase's p99 and the
// ratios to the quiet p99 (issue 18's goal: at most 2).
// Phases are short and alternate, so that the machine's other work
// weighs on them alike: run it with -benchtime 8x or more.
func BenchmarkSocketP99DuringDeploys(b *testing.B) {
	sol := benchSolution(1000)
	s := benchServer(b, sol)
	url := "ws" + strings.TrimPrefix(serveLoopback(b, s.HTTPServer(s)), "http") + sol.Endpoints[0].Path
	var phase atomic.Int32
	phase.Store(-1) // nothing counts until the first phase
	rec := &roundTrips{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, p99Sockets)
	for i := range conns {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = ws
	}
	b.Cleanup(func() {
		cancel()
		for _, ws := range conns {
			_ = ws.Close()
		}
		wg.Wait()
	})
	errs := make(chan error, p99Sockets)
	for i, ws := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the sockets' sends over the period.
			start := time.Now().Add(p99Period * time.Duration(i) / p99Sockets)
			if err := echoSteadily(ctx, ws, start, &phase, rec); err != nil && ctx.Err() == nil {
				errs <- err
			}
		}()
	}
	deploys := [phaseCount]int{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, p := range []int32{phaseQuiet, phaseNew, phaseQuiet, phaseOne, phaseQuiet, phaseSpin} {
			phase.Store(p)
			deploys[p] += deployFor(b, s, sol, p, i)
			// What a deploy phase leaves behind (its last collection,
			// sockets catching up) is neither phase's.
			phase.Store(-1)
			time.Sleep(p99Settle)
		}
	}
	b.StopTimer()
	phase.Store(-1)
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	quiet := rec.p99(phaseQuiet)
	b.ReportMetric(float64(quiet.Microseconds()), "p99-quiet-us")
	b.ReportMetric(float64(rec.p50(phaseQuiet).Microseconds()), "p50-quiet-us")
	for _, p := range []struct {
		phase int
		name  string
	}{{phaseNew, "new"}, {phaseOne, "one"}, {phaseSpin, "spin"}} {
		d := rec.p99(p.phase)
		b.ReportMetric(float64(d.Microseconds()), "p99-"+p.name+"-us")
		b.ReportMetric(float64(rec.p50(p.phase).Microseconds()), "p50-"+p.name+"-us")
		b.ReportMetric(d.Seconds()/quiet.Seconds(), "ratio-"+p.name)
		b.ReportMetric(float64(deploys[p.phase])/(float64(b.N)*p99Phase.Seconds()), "deploys/s-"+p.name)
	}
}

// deployFor runs back-to-back deploys of the phase's kind for p99Phase,
// or none in a quiet phase, and returns how many it made.
func deployFor(b *testing.B, s *Server, sol scripts.Solution, phase int32, round int) int {
	end := time.Now().Add(p99Phase)
	switch phase {
	case phaseQuiet:
		time.Sleep(time.Until(end))
		return 0
	case phaseSpin:
		for time.Now().Before(end) {
		}
		return 0
	}
	n := 0
	for time.Now().Before(end) {
		var err error
		n++
		switch phase {
		case phaseNew:
			next := sol.Clone()
			for j := range next.Endpoints {
				next.Endpoints[j].Script = fmt.Sprintf("-- %d %d\n%s", round, n, sol.Endpoints[j].Script)
			}
			err = s.Deploy(next)
		case phaseOne:
			one := sol.Endpoints[500]
			one.Script = "return " + strconv.Itoa(round*1_000_000+n)
			_, err = s.change(func(sol *scripts.Solution) error {
				sol.PutEndpoints(one)
				return nil
			})
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// echoSteadily sends a message on ws every p99Period from start, reads its
// echo and records the round trip under the phase it was sent in, until
// ctx ends. A round trip counts from when the message was due, so a stall
// that delays the send counts too; sends that fell a whole period behind
// are skipped rather than sent in a burst.
func echoSteadily(ctx context.Context, ws *websocket.Conn, start time.Time, phase *atomic.Int32, rec *roundTrips) error {
	due := start
	for ctx.Err() == nil {
		time.Sleep(time.Until(due))
		p := phase.Load()
		if err := ws.WriteMessage(websocket.TextMessage, []byte("ping")); err != nil {
			return err
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			return err
		}
		rec.add(p, time.Since(due))
		due = due.Add(p99Period)
		if now := time.Now(); due.Before(now) {
			due = now.Add(p99Period - now.Sub(start)%p99Period)
		}
	}
	return nil
}

// roundTrips collects round trips by phase.
type roundTrips struct {
	mu  sync.Mutex
	got [phaseCount][]time.Duration
}

func (r *roundTrips) add(phase int32, d time.Duration) {
	if phase < 0 {
		return
	}
	r.mu.Lock()
	r.got[phase] = append(r.got[phase], d)
	r.mu.Unlock()
}

func (r *roundTrips) p99(phase int) time.Duration { return r.quantile(phase, 99) }

func (r *roundTrips) p50(phase int) time.Duration { return r.quantile(phase, 50) }

// quantile is the q-th percentile of the phase's round trips.
func (r *roundTrips) quantile(phase, q int) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := slices.Clone(r.got[phase])
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)*q/100]
}

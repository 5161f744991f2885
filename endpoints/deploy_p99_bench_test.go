package endpoints

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/bench"
	"github.com/luagate/luagate/scripts"
)

// The load of BenchmarkSocketP99DuringDeploys: sockets each sending a
// message every period (under the server's default limit of 5 a second),
// and how long each phase of a round lasts.
const (
	p99Sockets = 400
	p99Rate    = 4
	p99Slot    = 250 * time.Millisecond
)

// A round's steps: no deploy, back-to-back deploys of a whole new
// solution, none again, back-to-back changes of one endpoint, none, and a
// goroutine spinning on a core as deploys keep one busy, for reference.
// Each step is two slots of its phase then one that counts for none, for
// what a deploy phase leaves behind (its last collection, sockets
// catching up).
const (
	phaseQuiet = 'q'
	phaseNew   = 'n'
	phaseOne   = 'o'
	phaseSpin  = 's'
)

var p99Steps = []byte{phaseQuiet, phaseNew, phaseQuiet, phaseOne, phaseQuiet, phaseSpin}

// BenchmarkSocketP99DuringDeploys times the round trips of sockets
// echoing on one endpoint of a 1,000-endpoint solution, served on
// loopback, while deploys run back to back and while none does. Each op
// is a round of the steps above: new is every script changed, as
// BenchmarkDeployNew; one is one other endpoint's script changed, as
// BenchmarkDeployChangeOne. It reports each phase's p99 and the ratios to
// the quiet p99 (issue 18's goal: at most 2).
//
// The clients run in a child process, as a server's clients do not share
// its collector and scheduler: in this process the deploys' garbage
// stalled them as much as the server. Phases are short and alternate, so
// that the machine's other work weighs on them alike: run it with
// -benchtime 8x or more.
func BenchmarkSocketP99DuringDeploys(b *testing.B) {
	sol := benchSolution(1000)
	s := benchServer(b, sol)
	url := "ws" + strings.TrimPrefix(serveLoopback(b, s.HTTPServer(s)), "http") + sol.Endpoints[0].Path
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var classes strings.Builder
	for _, p := range p99Steps {
		classes.Write([]byte{p, p, '-'})
	}
	step := 3 * p99Slot
	procs, err := bench.StartProcs(context.Background(), exe, bench.Config{
		URL: url, Conns: p99Sockets, Rate: p99Rate, Sources: 1,
		Duration: time.Duration(b.N*len(p99Steps)) * step,
		Slot:     p99Slot, Classes: classes.String(),
	}, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(procs.Kill)
	deploys := map[byte]int{}
	b.ResetTimer()
	if err := procs.Start(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for j, p := range p99Steps {
			at := start.Add(time.Duration(i*len(p99Steps)+j) * step)
			deploys[p] += deployFor(b, s, sol, p, i, at.Add(2*p99Slot))
			time.Sleep(time.Until(at.Add(step)))
		}
	}
	res, err := procs.Wait()
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Received != res.Sent || len(res.Errors) > 0 {
		b.Fatalf("sent %d, received %d, errors %v", res.Sent, res.Received, res.Errors)
	}
	quiet := res.Classes[string(phaseQuiet)].Quantile(0.99)
	b.ReportMetric(float64(quiet.Microseconds()), "p99-quiet-us")
	b.ReportMetric(float64(res.Classes[string(phaseQuiet)].Quantile(0.5).Microseconds()), "p50-quiet-us")
	for _, p := range []struct {
		phase byte
		name  string
	}{{phaseNew, "new"}, {phaseOne, "one"}, {phaseSpin, "spin"}} {
		h := res.Classes[string(p.phase)]
		d := h.Quantile(0.99)
		b.ReportMetric(float64(d.Microseconds()), "p99-"+p.name+"-us")
		b.ReportMetric(float64(h.Quantile(0.5).Microseconds()), "p50-"+p.name+"-us")
		b.ReportMetric(d.Seconds()/quiet.Seconds(), "ratio-"+p.name)
		b.ReportMetric(float64(deploys[p.phase])/(float64(b.N)*(2*p99Slot).Seconds()), "deploys/s-"+p.name)
	}
}

// deployFor runs back-to-back deploys of the phase's kind until end, or
// none in a quiet phase, and returns how many it made.
func deployFor(b *testing.B, s *Server, sol scripts.Solution, phase byte, round int, end time.Time) int {
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
			next := sol.DeepClone()
			for j := range next.Endpoints {
				next.Endpoints[j].Script = fmt.Sprintf("-- %d %d\n%s", round, n, sol.Endpoints[j].Script)
			}
			err = s.Deploy(next)
		case phaseOne:
			one := *sol.Endpoints[500]
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

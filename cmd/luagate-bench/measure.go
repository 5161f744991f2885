package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/luagate/luagate/bench"
)

// row is one server's measurement.
type row struct {
	Name string `json:"name"`
	*bench.Result
	// MemPerConn is the server's resident memory at the open connections
	// minus that before them, per connection; idle runs only.
	MemPerConn float64 `json:"rss_per_conn_bytes,omitempty"`
	RSS        uint64  `json:"rss_bytes,omitempty"`
	// CPU is the server process's CPU time over the load window and its
	// drain, not the connections' opening or closing, when its clients
	// are in child processes (--procs) and its pid is known.
	CPU time.Duration `json:"cpu_ns,omitempty"`
}

// measure runs the load against url. With pid and --idle, it reads the
// server's memory before connecting and once the connections have settled.
func measure(ctx context.Context, o options, name, url string, pid int) (row, error) {
	cfg := o.load
	cfg.URL = url
	memory := o.load.Idle && pid > 0
	var before uint64
	if memory {
		var err error
		if before, err = bench.RSS(pid); err != nil {
			return row{}, err
		}
	}
	// load runs the window, calling windowEnd once it and its drain are
	// over and before the connections close.
	var load func(windowEnd func() error) (*bench.Result, error)
	if o.procs > 0 {
		exe, err := os.Executable()
		if err != nil {
			return row{}, err
		}
		p, err := bench.StartProcs(ctx, exe, cfg, o.procs)
		if err != nil {
			return row{}, fmt.Errorf("%s: %w", name, err)
		}
		load = func(windowEnd func() error) (*bench.Result, error) {
			if err := p.Start(); err != nil {
				return nil, err
			}
			if err := p.WaitWindows(); err != nil {
				return nil, err
			}
			if err := windowEnd(); err != nil {
				p.Kill()
				return nil, err
			}
			return p.Wait()
		}
	} else {
		r, err := bench.NewRunner(cfg)
		if err != nil {
			return row{}, err
		}
		r.Connect(ctx)
		load = func(windowEnd func() error) (*bench.Result, error) {
			res := r.Load(ctx)
			return res, windowEnd() // not timed: this process has the clients
		}
	}
	var after uint64
	if memory {
		time.Sleep(o.settle)
		var err error
		if after, err = bench.RSS(pid); err != nil {
			return row{}, err
		}
	}
	// The window's CPU is the server's alone only when no client shares
	// its process. It ends with the window's drain: closing a round's
	// connections is work per connection, which at 10 messages each
	// would weigh as much as the messages.
	timed := pid > 0 && o.procs > 0 && !o.load.Idle
	var cpu0, cpu1 time.Duration
	if timed {
		var err error
		if cpu0, err = bench.CPUTime(pid); err != nil {
			return row{}, err
		}
	}
	res, err := load(func() error {
		if !timed {
			return nil
		}
		var err error
		cpu1, err = bench.CPUTime(pid)
		return err
	})
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", name, err)
	}
	out := row{Name: name, Result: res}
	if timed {
		out.CPU = cpu1 - cpu0
	}
	if memory && res.Established > 0 {
		out.RSS = after
		out.MemPerConn = (float64(after) - float64(before)) / float64(res.Established)
	}
	return out, nil
}

// compare measures the raw echo in this process, then luagate with the echo
// script in a process of its own; with --self-check, a second raw echo in
// luagate's place.
func compare(ctx context.Context, o options, stderr io.Writer) ([]row, []ratios, error) {
	if o.procs == 0 {
		// The raw echo runs in this process. Its clients must not: they
		// would share its scheduler, which luagate's own process does not
		// share with them, and their memory would count as the server's.
		o.procs = 1
		fmt.Fprintln(stderr, "--compare: clients run in a child process (--procs 1)")
	}
	echo, err := bench.StartEcho("127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start raw echo: %w", err)
	}
	defer echo.Close()
	raw, scripted := row{Name: "raw gorilla echo"}, row{Name: "luagate echo.lua"}
	var (
		second    server
		stopOther func()
	)
	if o.selfCheck {
		scripted.Name = "raw echo, own process"
		second, stopOther, err = startTwin()
	} else {
		second, stopOther, err = startScripted(ctx, o, echo, &raw, &scripted)
	}
	if err != nil {
		return nil, nil, err
	}
	defer stopOther()

	// Rounds alternate between the servers, so that a change in the
	// machine's load during the run weighs on both alike.
	var perRound []ratios
	for round := range o.rounds {
		var pair [2]summary
		for i, s := range []struct {
			total *row
			url   string
			pid   int
		}{{&raw, echo.URL(), os.Getpid()}, {&scripted, second.url, second.pid}} {
			r, err := measure(ctx, o, s.total.Name, s.url, s.pid)
			if err != nil {
				return nil, nil, err
			}
			s.total.add(r)
			pair[i] = summarize(r)
			if !o.json && o.rounds > 1 {
				// Each round's own figures show whether one bad round
				// (the machine busy elsewhere) weighs on the totals.
				sum := pair[i]
				fmt.Fprintf(stderr, "round %d/%d %s: received/s %.0f  p50 %.0f  p90 %.0f  p99 %.0f  max %.0f µs\n",
					round+1, o.rounds, s.total.Name, sum.ReceivedPerSec, sum.P50, sum.P90, sum.P99, sum.Max)
			}
		}
		perRound = append(perRound, compareRows(pair[0], pair[1]))
	}
	return []row{raw, scripted}, perRound, nil
}

// server is the second server of --compare: where its echo is, and its
// process.
type server struct {
	url string
	pid int
}

// startTwin starts a second raw echo in a child process, for --self-check.
func startTwin() (server, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return server{}, nil, err
	}
	twin, err := bench.StartEchoChild(exe)
	if err != nil {
		return server{}, nil, err
	}
	return server{url: twin.WSURL("/echo"), pid: twin.Pid()}, twin.Stop, nil
}

// startScripted starts luagate with the echo script, or with a relay to
// echo under --proxy, and names the rows for what they measure.
func startScripted(ctx context.Context, o options, echo *bench.EchoServer, raw, scripted *row) (server, func(), error) {
	var script []byte
	if o.proxy {
		// The same echo is the backend: what the relay adds is all
		// that differs.
		script = []byte("--#ENDPOINT WEBSOCKET /echo\n--#BACKEND " + echo.URL() + "\n")
		raw.Name, scripted.Name = "direct to the echo backend", "luagate --#BACKEND relay"
	} else {
		var err error
		if script, err = os.ReadFile(o.script); err != nil {
			return server{}, nil, fmt.Errorf("read the echo script (run from the repository, or pass --script): %w", err)
		}
	}
	bin, cleanup, err := luagateBinary(ctx, o)
	if err != nil {
		return server{}, nil, err
	}
	lg, err := bench.StartLuagate(ctx, bin, script)
	if err != nil {
		cleanup()
		return server{}, nil, err
	}
	return server{url: lg.URL("/echo"), pid: lg.Pid()}, func() { lg.Stop(); cleanup() }, nil
}

// luagateBinary is --luagate-bin, or a luagate built for the run; cleanup
// removes the build.
func luagateBinary(ctx context.Context, o options) (bin string, cleanup func(), err error) {
	if o.luagateBin != "" {
		return o.luagateBin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "luagate-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	if bin, err = bench.BuildLuagate(ctx, dir); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// add accumulates r, one of rounds sequential measurements, into total:
// messages, errors and times add up, connections are those of the worst
// round. Memory is measured in single rounds only (see parseOptions).
func (total *row) add(r row) {
	first := total.Result == nil
	if first {
		total.Result = &bench.Result{}
	}
	elapsed, established, failed := total.Elapsed+r.Elapsed, total.Established, total.Failed
	total.Merge(r.Result)
	total.Elapsed = elapsed
	total.Established, total.Failed = r.Established, r.Failed
	if !first {
		total.Established, total.Failed = min(established, r.Established), max(failed, r.Failed)
	}
	total.MemPerConn, total.RSS = r.MemPerConn, r.RSS
	total.CPU += r.CPU
}

package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/luagate/luagate/bench"
)

// options is everything one invocation is told.
type options struct {
	load       bench.Config
	url        string
	serverPid  int
	procs      int
	settle     time.Duration
	json       bool
	compare    bool
	rounds     int
	luagateBin string
	script     string
	// scriptSet says --script was given; http is --http, proxy --proxy.
	scriptSet bool
	http      bool
	proxy     bool
	// selfCheck is --self-check; luagateBinSet says --luagate-bin was given.
	selfCheck     bool
	luagateBinSet bool
	// fanout is --fanout's room size, 0 without it; senders --senders.
	fanout  int
	senders int
}

const synopsis = `Usage: luagate-bench [flags]

Open --conns WebSocket connections to --url (loopback only), send --size byte
messages at --rate per connection (0: as fast as replies come back) for
--duration, and report throughput, round-trip latency and errors. --idle sends
nothing and reports the server's memory per connection. --compare runs the
same load against a raw gorilla/websocket echo and against luagate with the
echo example, and prints both and their ratios. --http loads an http:// --url
with --conns keep-alive clients (100 unless given) sending GETs in a closed
loop; with --compare it measures a plain net/http handler and luagate's
trivial HTTP endpoint (GET /hello, or --script), each in its own process.
With --fanout N, it puts N sockets in one room and compares luagate's
Websocket.send{group=} with a raw gorilla broadcast hub built as gorilla's chat
example, --senders of the sockets sending in a closed loop: deliveries/s and
the server's CPU per delivery. With --proxy, it measures luagate relaying a --#BACKEND endpoint to that echo
instead of running a script. With --self-check, --compare measures the raw
echo against a second raw echo in a process of its own, where luagate would
run: the ratios the tool gives two equal servers on this machine.

Flags:
`

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("luagate-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, synopsis)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.url, "url", "", "ws:// URL to load (http:// with --http), on 127.0.0.0/8 (not with --compare)")
	fs.IntVar(&o.load.Conns, "conns", 1000, fmt.Sprintf("connections to open, at most %d", bench.MaxConns))
	fs.IntVar(&o.load.Size, "size", 64, "message size in bytes, at least 17")
	fs.Float64Var(&o.load.Rate, "rate", 0, "messages per second per connection; 0 sends each message when the previous reply is back")
	fs.DurationVar(&o.load.Duration, "duration", 10*time.Second, fmt.Sprintf("length of the load window, at most %s", bench.MaxDuration))
	fs.BoolVar(&o.load.Idle, "idle", false, "open the connections, send nothing, and report the server's memory per connection")
	fs.IntVar(&o.load.Sources, "sources", 8, "source addresses to spread connections over: 127.0.0.2, 127.0.0.3, ...")
	fs.IntVar(&o.serverPid, "server-pid", 0, "process id of the server, to read its memory (--idle) or its CPU time (with --procs) from /proc (not with --compare)")
	fs.IntVar(&o.procs, "procs", 0, "child processes to split the connections over, to pass one process's open-file limit; 0 keeps them in this process")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "with --idle: wait this long after connecting before reading the server's memory")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of a table")
	fs.BoolVar(&o.compare, "compare", false, "measure the raw echo and luagate in one run, and their ratios")
	fs.IntVar(&o.rounds, "rounds", 1, "with --compare: measure each server this many times, alternating, and add up the rounds (not with --idle)")
	fs.StringVar(&o.luagateBin, "luagate-bin", "", "luagate binary for --compare; empty builds ./cmd/luagate (run from the repository)")
	fs.StringVar(&o.script, "script", "testdata/examples/echo/endpoints/echo.lua", "endpoint script luagate runs in --compare; it must echo on /echo")
	fs.BoolVar(&o.http, "http", false, "load HTTP instead of WebSocket: --url is http://, --conns counts keep-alive clients (100 unless given)")
	fs.BoolVar(&o.proxy, "proxy", false, "with --compare: luagate relays a --#BACKEND endpoint without code to the raw echo, measured against connecting to the echo directly")
	fs.BoolVar(&o.selfCheck, "self-check", false, "with --compare: measure the raw echo against a second raw echo in a process of its own, instead of luagate")
	fs.IntVar(&o.fanout, "fanout", 0, "compare a fan-out to this many sockets in one room: luagate's group send against a raw gorilla broadcast hub")
	fs.IntVar(&o.senders, "senders", 1, "with --fanout: how many of the sockets send")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	conns := false
	fs.Visit(func(f *flag.Flag) {
		o.scriptSet = o.scriptSet || f.Name == "script"
		o.luagateBinSet = o.luagateBinSet || f.Name == "luagate-bin"
		conns = conns || f.Name == "conns"
	})
	if o.http && !conns {
		o.load.Conns = 100
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.compare && (o.url != "" || o.serverPid != 0):
		return o, fmt.Errorf("--compare starts its own servers: --url %q and --server-pid %d do not apply", o.url, o.serverPid)
	case !o.compare && o.url == "" && o.fanout == 0:
		return o, fmt.Errorf("--url is required without --compare")
	case o.proxy && !o.compare:
		return o, fmt.Errorf("--proxy goes with --compare")
	case o.selfCheck && (!o.compare || o.http || o.proxy || o.fanout > 0 || o.scriptSet || o.luagateBinSet):
		return o, fmt.Errorf("--self-check goes with --compare alone: it runs no luagate, so --http, --proxy, --fanout, --script and --luagate-bin do not apply")
	case o.rounds < 1:
		return o, fmt.Errorf("--rounds %d: must be at least 1", o.rounds)
	case o.rounds > 1 && o.load.Idle:
		// A later round would reuse memory the first left behind, and
		// understate what a connection costs.
		return o, fmt.Errorf("--rounds %d with --idle: memory is measured in one round only", o.rounds)
	case o.http && (o.load.Idle || o.procs != 0 || o.serverPid != 0):
		return o, fmt.Errorf("--http measures request throughput: --idle, --procs and --server-pid do not apply")
	case o.fanout < 0 || (o.fanout > 0 && (o.senders < 1 || o.senders > o.fanout)):
		return o, fmt.Errorf("--fanout %d with --senders %d: need a room of at least one socket and 1 to all of them sending", o.fanout, o.senders)
	case o.fanout > 0 && (o.http || o.proxy || o.load.Idle || o.procs != 0):
		return o, fmt.Errorf("--fanout measures a broadcast: --http, --proxy, --idle and --procs do not apply")
	case o.procs < 0:
		return o, fmt.Errorf("--procs %d: must not be negative", o.procs)
	}
	return o, nil
}

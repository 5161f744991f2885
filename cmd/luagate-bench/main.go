// Command luagate-bench loads a WebSocket server on loopback and reports
// throughput, round-trip latency and memory per connection. With --compare
// it measures, in one run, the raw gorilla/websocket echo and luagate
// running the echo example, and prints their ratios: the figures to quote,
// since absolute numbers drift on a shared machine. With --http it does the
// same for HTTP requests: a plain net/http handler against luagate's
// trivial HTTP endpoint.
//
// See BENCHMARKS.md for the measurements it makes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/luagate/luagate/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if code, ok := bench.ServeAsChild(ctx); ok {
		os.Exit(code)
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one invocation and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
		return 2
	}
	if lim, err := bench.RaiseFileLimit(); err != nil {
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
	} else if !opts.json {
		fmt.Fprintf(stderr, "open-file limit of this process: %d\n", lim)
	}
	if opts.http {
		return runHTTP(ctx, opts, stdout, stderr)
	}
	if opts.fanout > 0 {
		return runFanout(ctx, opts, stdout, stderr)
	}
	var (
		rows     []row
		perRound []ratios
	)
	if opts.compare {
		rows, perRound, err = compare(ctx, opts, stderr)
	} else {
		var r row
		r, err = measure(ctx, opts, "server", opts.url, opts.serverPid)
		rows = []row{r}
	}
	if err != nil {
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
		return 1
	}
	if err := report(stdout, opts, rows, perRound); err != nil {
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
		return 1
	}
	for _, r := range rows {
		if r.Limit != "" {
			fmt.Fprintf(stderr, "luagate-bench: %s: a system limit stopped connections: %s\n", r.Name, r.Limit)
			return 1
		}
	}
	return 0
}

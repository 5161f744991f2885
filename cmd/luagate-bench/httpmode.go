package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/luagate/luagate/bench"
)

// httpRow is one server's figures in --http mode.
type httpRow struct {
	Name string `json:"name"`
	*bench.HTTPResult
	PerSec float64 `json:"requests_per_sec"`
	P50    float64 `json:"p50_us"`
	P99    float64 `json:"p99_us"`
}

func newHTTPRow(name string, r *bench.HTTPResult) httpRow {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return httpRow{Name: name, HTTPResult: r, PerSec: r.PerSec(), P50: us(r.Latency.Quantile(0.5)), P99: us(r.Latency.Quantile(0.99))}
}

// runHTTP is --http: it loads --url, or with --compare the plain net/http
// baseline and luagate's trivial HTTP endpoint, each in a process of its
// own, alternating over --rounds.
func runHTTP(ctx context.Context, o options, stdout, stderr io.Writer) int {
	cfg := bench.HTTPConfig{URL: o.url, Clients: o.load.Conns, Duration: o.load.Duration}
	var rows []httpRow
	var perRound []float64
	var err error
	if o.compare {
		rows, perRound, err = compareHTTP(ctx, o, cfg, stderr)
	} else {
		var r *bench.HTTPResult
		if r, err = bench.LoadHTTP(ctx, cfg); err == nil {
			rows = []httpRow{newHTTPRow("server", r)}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
		return 1
	}
	if err := reportHTTP(stdout, o, cfg, rows, perRound); err != nil {
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
		return 1
	}
	return 0
}

// compareHTTP measures the baseline and luagate, and returns their totals
// and each round's ratio of requests per second.
func compareHTTP(ctx context.Context, o options, cfg bench.HTTPConfig, stderr io.Writer) ([]httpRow, []float64, error) {
	script := []byte(bench.HTTPScript)
	if o.scriptSet {
		var err error
		if script, err = os.ReadFile(o.script); err != nil {
			return nil, nil, fmt.Errorf("read the endpoint script: %w", err)
		}
	}
	plain, lg, stop, err := startPair(ctx, o, bench.StartPlainHTTP, script)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	totals := [2]*bench.HTTPResult{{}, {}}
	names := [2]string{"plain net/http", "luagate GET /hello"}
	urls := [2]string{plain.URL("/hello"), lg.HTTPURL("/hello")}
	var perRound []float64
	for round := range o.rounds {
		var rates [2]float64
		for i := range 2 {
			c := cfg
			c.URL = urls[i]
			r, err := bench.LoadHTTP(ctx, c)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", names[i], err)
			}
			totals[i].Merge(r)
			rates[i] = r.PerSec()
			if !o.json && o.rounds > 1 {
				fmt.Fprintf(stderr, "round %d/%d %s: requests/s %.0f, failed %d\n", round+1, o.rounds, names[i], rates[i], r.Failed)
			}
		}
		perRound = append(perRound, ratio(rates[0], rates[1]))
	}
	return []httpRow{newHTTPRow(names[0], totals[0]), newHTTPRow(names[1], totals[1])}, perRound, nil
}

// reportHTTP prints the rows and, for a comparison, luagate's figures over
// the baseline's: the merged ratio and the median of the rounds'.
func reportHTTP(w io.Writer, o options, cfg bench.HTTPConfig, rows []httpRow, perRound []float64) error {
	var merged, med float64
	if len(rows) == 2 {
		merged, med = ratio(rows[0].PerSec, rows[1].PerSec), median(perRound)
	}
	if o.json {
		out := map[string]any{"clients": cfg.Clients, "duration_ns": cfg.Duration, "rows": rows}
		if len(rows) == 2 {
			out["ratio"], out["round_ratios"], out["median_round_ratio"] = merged, perRound, med
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(w, "HTTP: %d keep-alive clients, closed loop, %s per round, %d rounds\n", cfg.Clients, cfg.Duration, o.rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\trequests/s\tfailed\tp50 µs\tp99 µs\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.0f\t%d\t%.0f\t%.0f\t\n", r.Name, r.PerSec, r.Failed, r.P50, r.P99)
	}
	if len(rows) == 2 {
		fmt.Fprintf(tw, "ratio\t%.2f\t\t%.2f\t%.2f\t\n", merged, ratio(rows[0].P50, rows[1].P50), ratio(rows[0].P99, rows[1].P99))
		fmt.Fprintf(tw, "median of round ratios\t%.2f\t\t\t\t\n", med)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		printErrors(w, r.Name, r.Errors)
	}
	return nil
}

// startPair starts a baseline in a child process of the tool (startBase
// with the tool's executable) and luagate with script deployed, and
// returns a function that stops both.
func startPair(ctx context.Context, o options, startBase func(exe string) (*bench.ChildServer, error), script []byte) (*bench.ChildServer, *bench.Luagate, func(), error) {
	bin, cleanup, err := luagateBinary(ctx, o)
	if err != nil {
		return nil, nil, nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	base, err := startBase(exe)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	lg, err := bench.StartLuagate(ctx, bin, script)
	if err != nil {
		base.Stop()
		cleanup()
		return nil, nil, nil, err
	}
	return base, lg, func() { lg.Stop(); base.Stop(); cleanup() }, nil
}

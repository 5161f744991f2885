package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
)

// summary is a row's figures as reported: rates per second, latencies in
// microseconds.
type summary struct {
	row
	SentPerSec     float64 `json:"sent_per_sec"`
	ReceivedPerSec float64 `json:"received_per_sec"`
	P50            float64 `json:"p50_us"`
	P90            float64 `json:"p90_us"`
	P99            float64 `json:"p99_us"`
	Max            float64 `json:"max_us"`
	// CPUPerMsg is the server's CPU time per message received back, in
	// µs; 0 when it was not measured.
	CPUPerMsg float64 `json:"cpu_us_per_msg,omitempty"`
}

func summarize(r row) summary {
	secs := r.Elapsed.Seconds()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	h := r.Latency
	var cpu float64
	if r.Received > 0 {
		cpu = us(r.CPU) / float64(r.Received)
	}
	return summary{
		CPUPerMsg:      cpu,
		row:            r,
		SentPerSec:     float64(r.Sent) / secs,
		ReceivedPerSec: float64(r.Received) / secs,
		P50:            us(h.Quantile(0.50)),
		P90:            us(h.Quantile(0.90)),
		P99:            us(h.Quantile(0.99)),
		Max:            us(h.Max),
	}
}

// ratios divides the second row's figures by the first's.
type ratios struct {
	ReceivedPerSec float64 `json:"received_per_sec"`
	P50            float64 `json:"p50"`
	P90            float64 `json:"p90"`
	P99            float64 `json:"p99"`
	Max            float64 `json:"max"`
	MemPerConn     float64 `json:"rss_per_conn,omitempty"`
	CPUPerMsg      float64 `json:"cpu_per_msg,omitempty"`
}

func ratio(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return b / a
}

func compareRows(base, x summary) ratios {
	return ratios{
		ReceivedPerSec: ratio(base.ReceivedPerSec, x.ReceivedPerSec),
		P50:            ratio(base.P50, x.P50),
		P90:            ratio(base.P90, x.P90),
		P99:            ratio(base.P99, x.P99),
		Max:            ratio(base.Max, x.Max),
		MemPerConn:     ratio(base.MemPerConn, x.MemPerConn),
		CPUPerMsg:      ratio(base.CPUPerMsg, x.CPUPerMsg),
	}
}

// medianRatios is, figure by figure, the median of the rounds' ratios.
// Rounds alternate between the servers, so each round's ratio compares
// them under the same conditions, and the median is not carried by one
// round on a busy machine the way the ratio of merged histograms is.
func medianRatios(rounds []ratios) ratios {
	median := func(field func(ratios) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = field(r)
		}
		sort.Float64s(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	return ratios{
		ReceivedPerSec: median(func(r ratios) float64 { return r.ReceivedPerSec }),
		P50:            median(func(r ratios) float64 { return r.P50 }),
		P90:            median(func(r ratios) float64 { return r.P90 }),
		P99:            median(func(r ratios) float64 { return r.P99 }),
		Max:            median(func(r ratios) float64 { return r.Max }),
		MemPerConn:     median(func(r ratios) float64 { return r.MemPerConn }),
		CPUPerMsg:      median(func(r ratios) float64 { return r.CPUPerMsg }),
	}
}

// report prints rows, and the ratio of the second to the first when there
// are two, as a table or as one JSON object. With rounds (the ratio of
// each round of a comparison) it also prints their median.
func report(w io.Writer, o options, rows []row, rounds []ratios) error {
	sums := make([]summary, len(rows))
	for i, r := range rows {
		sums[i] = summarize(r)
	}
	var rat, med *ratios
	if len(sums) == 2 {
		r := compareRows(sums[0], sums[1])
		rat = &r
	}
	if len(rounds) > 1 {
		m := medianRatios(rounds)
		med = &m
	}
	if o.json {
		out := map[string]any{"config": o.load, "rows": sums}
		if rat != nil {
			out["ratios"] = rat
		}
		if med != nil {
			out["round_ratios"] = rounds
			out["median_round_ratios"] = med
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	cfg := o.load
	fmt.Fprintf(w, "%d connections, %d-byte messages, rate %g/s per connection (0: closed loop), %s, idle %t\n",
		cfg.Conns, cfg.Size, cfg.Rate, cfg.Duration, cfg.Idle)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tconns ok\tfailed\tsent/s\treceived/s\tp50 µs\tp90 µs\tp99 µs\tmax µs\tRSS/conn B\tCPU µs/msg\t")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t\n",
			s.Name, s.Established, s.Failed, s.SentPerSec, s.ReceivedPerSec, s.P50, s.P90, s.P99, s.Max, s.MemPerConn, s.CPUPerMsg)
	}
	for _, r := range []struct {
		name string
		r    *ratios
	}{{"ratio", rat}, {"median of round ratios", med}} {
		if r.r != nil {
			fmt.Fprintf(tw, "%s\t\t\t\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
				r.name, r.r.ReceivedPerSec, r.r.P50, r.r.P90, r.r.P99, r.r.Max, r.r.MemPerConn, r.r.CPUPerMsg)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range sums {
		printErrors(w, s.Name, s.Errors)
	}
	return nil
}

// printErrors lists a server's errors by kind, one line each.
func printErrors(w io.Writer, name string, errs map[string]int) {
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "%s: %d × %s\n", name, errs[k], k)
	}
}

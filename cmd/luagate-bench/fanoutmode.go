package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/luagate/luagate/bench"
)

// fanoutRow is one server's figures in --fanout mode, over all rounds.
type fanoutRow struct {
	Name      string        `json:"name"`
	Sent      uint64        `json:"sent"`
	Delivered uint64        `json:"delivered"`
	Reached   uint64        `json:"reached"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	CPU       time.Duration `json:"cpu_ns"`
	Lost      int           `json:"lost_sockets"`
	PerSec    float64       `json:"deliveries_per_sec"`
	Complete  float64       `json:"complete"`
	// CPUPerDelivery is the server's CPU time per delivery, in µs.
	CPUPerDelivery float64 `json:"cpu_us_per_delivery"`
}

func (r *fanoutRow) add(res *bench.FanoutResult, conns int) {
	r.Sent += res.Sent
	r.Delivered += res.Delivered
	r.Reached += res.Reached
	r.Elapsed += res.Elapsed
	r.CPU += res.CPU
	r.Lost += res.Lost
	r.PerSec = float64(r.Delivered) / r.Elapsed.Seconds()
	if r.Sent > 0 {
		r.Complete = float64(r.Reached) / float64(r.Sent*uint64(conns))
	}
	if r.Delivered > 0 {
		r.CPUPerDelivery = float64(r.CPU) / float64(time.Microsecond) / float64(r.Delivered)
	}
}

// runFanout is --fanout N: the raw broadcast hub and luagate's group
// broadcast, each in a process of its own, loaded alternately over
// --rounds with N sockets in one room and --senders of them sending.
func runFanout(ctx context.Context, o options, stdout, stderr io.Writer) int {
	rows, perRound, err := compareFanout(ctx, o, stderr)
	if err == nil {
		err = reportFanout(stdout, o, rows, perRound)
	}
	if err != nil {
		fmt.Fprintf(stderr, "luagate-bench: %v\n", err)
		return 1
	}
	return 0
}

// fanoutRatios are one round's luagate figures over the raw hub's.
type fanoutRatios struct {
	PerSec         float64 `json:"deliveries_per_sec"`
	CPUPerDelivery float64 `json:"cpu_per_delivery"`
}

func compareFanout(ctx context.Context, o options, stderr io.Writer) ([2]fanoutRow, []fanoutRatios, error) {
	rows := [2]fanoutRow{{Name: "raw gorilla broadcast hub"}, {Name: "luagate Websocket.send{group=}"}}
	raw, lg, stop, err := startPair(ctx, o, bench.StartChatHub, []byte(bench.FanoutScript))
	if err != nil {
		return rows, nil, err
	}
	defer stop()
	urls := [2]string{raw.WSURL("/room"), lg.URL("/room")}
	pids := [2]int{raw.Pid(), lg.Pid()}
	var perRound []fanoutRatios
	for round := range o.rounds {
		var got [2]*bench.FanoutResult
		for i := range 2 {
			cfg := bench.FanoutConfig{URL: urls[i], Conns: o.fanout, Senders: o.senders, Size: o.load.Size, Duration: o.load.Duration}
			res, err := bench.LoadFanout(ctx, cfg, pids[i])
			if err != nil {
				return rows, nil, fmt.Errorf("%s: %w", rows[i].Name, err)
			}
			got[i] = res
			rows[i].add(res, o.fanout)
			if !o.json {
				fmt.Fprintf(stderr, "round %d/%d %s: deliveries/s %.0f, complete %.3f, lost sockets %d\n",
					round+1, o.rounds, rows[i].Name, res.PerSec(), res.Complete(o.fanout), res.Lost)
			}
		}
		perRound = append(perRound, fanoutRatios{
			PerSec:         ratio(got[0].PerSec(), got[1].PerSec()),
			CPUPerDelivery: ratio(cpuPer(got[0]), cpuPer(got[1])),
		})
	}
	return rows, perRound, nil
}

func cpuPer(r *bench.FanoutResult) float64 {
	if r.Delivered == 0 {
		return 0
	}
	return float64(r.CPU) / float64(r.Delivered)
}

func reportFanout(w io.Writer, o options, rows [2]fanoutRow, perRound []fanoutRatios) error {
	merged := fanoutRatios{
		PerSec:         ratio(rows[0].PerSec, rows[1].PerSec),
		CPUPerDelivery: ratio(rows[0].CPUPerDelivery, rows[1].CPUPerDelivery),
	}
	var rates, cpus []float64
	for _, r := range perRound {
		rates, cpus = append(rates, r.PerSec), append(cpus, r.CPUPerDelivery)
	}
	med := fanoutRatios{PerSec: median(rates), CPUPerDelivery: median(cpus)}
	if o.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"sockets": o.fanout, "senders": o.senders, "size": o.load.Size,
			"duration_ns": o.load.Duration, "rows": rows, "ratio": merged, "round_ratios": perRound, "median_round_ratio": med})
	}
	fmt.Fprintf(w, "fan-out: %d sockets in one room, %d sender(s) in a closed loop, %d-byte messages, %s per round, %d rounds\n",
		o.fanout, o.senders, o.load.Size, o.load.Duration, o.rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tdeliveries/s\tcomplete\tlost sockets\tCPU µs/delivery\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.0f\t%.3f\t%d\t%.2f\t\n", r.Name, r.PerSec, r.Complete, r.Lost, r.CPUPerDelivery)
	}
	fmt.Fprintf(tw, "ratio\t%.2f\t\t\t%.2f\t\n", merged.PerSec, merged.CPUPerDelivery)
	fmt.Fprintf(tw, "median of round ratios\t%.2f\t\t\t%.2f\t\n", med.PerSec, med.CPUPerDelivery)
	return tw.Flush()
}

// median is the median of xs, 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sorted := append([]float64(nil), xs...)
	sort.Float64s(sorted)
	if n := len(sorted); n%2 == 0 {
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return sorted[len(sorted)/2]
}

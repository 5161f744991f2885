package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestMedianOfRoundRatiosIsNotCarriedByOneRound gives one round of three a
// p99 ratio of 9, as a round on a busy machine can: the median keeps to the
// other two, and both the table and the JSON report it.
func TestMedianOfRoundRatiosIsNotCarriedByOneRound(t *testing.T) {
	rounds := []ratios{{P99: 1.2, P50: 1.1}, {P99: 9, P50: 1.3}, {P99: 1.4, P50: 1.2}}
	if m := medianRatios(rounds); m.P99 != 1.4 || m.P50 != 1.2 {
		t.Fatalf("median of 3 rounds: p99 %v p50 %v, want 1.4 and 1.2", m.P99, m.P50)
	}
	if m := medianRatios(rounds[:2]); m.P99 != 5.1 {
		t.Fatalf("median of 2 rounds: p99 %v, want their mean 5.1", m.P99)
	}

	var table bytes.Buffer
	if err := report(&table, options{}, nil, rounds); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "median of round ratios") || !strings.Contains(table.String(), "1.40") {
		t.Fatalf("table lacks the median row:\n%s", table.String())
	}
	var out bytes.Buffer
	if err := report(&out, options{json: true}, nil, rounds); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Median ratios   `json:"median_round_ratios"`
		Rounds []ratios `json:"round_ratios"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Median.P99 != 1.4 || len(got.Rounds) != 3 {
		t.Fatalf("JSON: median p99 %v, %d rounds; want 1.4 and 3", got.Median.P99, len(got.Rounds))
	}
}

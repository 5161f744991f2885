package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestEveryValueFallsInABucketWithinTwoPercent(t *testing.T) {
	values := []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1}
	for range 10000 {
		values = append(values, rand.Uint64N(1<<50))
	}
	for _, v := range values {
		i := bucket(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucket(%d) = %d, outside [0, %d)", v, i, numBuckets)
		}
		high := bucketHigh(i)
		if high < v || (i > 0 && bucketHigh(i-1) >= v) {
			t.Fatalf("value %d in bucket %d whose range ends at %d (previous %d)", v, i, high, bucketHigh(i-1))
		}
		if float64(high-v) > float64(v)/subBuckets+1 {
			t.Fatalf("value %d reported as %d: more than 1/%d off", v, high, subBuckets)
		}
	}
}

func TestQuantilesOfAUniformSpread(t *testing.T) {
	var a, b Histogram
	for i := 1; i <= 10000; i++ {
		h := &a
		if i%2 == 0 {
			h = &b
		}
		h.Record(time.Duration(i) * time.Microsecond)
	}
	a.Merge(&b)
	if a.N != 10000 || a.Max != 10000*time.Microsecond {
		t.Fatalf("merged: %d samples, max %s", a.N, a.Max)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5000 * time.Microsecond}, {0.9, 9000 * time.Microsecond}, {0.99, 9900 * time.Microsecond}, {1, 10000 * time.Microsecond}} {
		got := a.Quantile(tc.q)
		if got < tc.want || float64(got-tc.want) > float64(tc.want)*0.02 {
			t.Errorf("quantile %g = %s, want %s within 2%% above", tc.q, got, tc.want)
		}
	}
	var empty Histogram
	if empty.Quantile(0.99) != 0 {
		t.Error("an empty histogram has no quantiles")
	}
}

package lgtesting

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// WaitLimit is how long Eventually and the clients' reads wait: long
// enough for a loaded 2-core machine, short enough to fail a hung test.
const WaitLimit = 10 * time.Second

// pollInterval is how often Eventually looks.
const pollInterval = 5 * time.Millisecond

// Eventually polls cond until it holds, failing the test after WaitLimit.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", WaitLimit, what)
		}
		time.Sleep(pollInterval)
	}
}

// LogBuffer collects log output written from many goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

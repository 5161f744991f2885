package lgtesting

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/luagate/luagate/bench"
)

// Main runs a package's tests and fails the package if any left a
// goroutine behind: every socket's reader and writer, every watchdog and
// every server must be gone once its gateway has stopped. Call it from
// TestMain. A test binary started as a load tool's child (see
// bench.ServeAsChild) serves that instead, so that a benchmark can run its
// clients in a process of their own.
func Main(m *testing.M) {
	if code, ok := bench.ServeAsChild(context.Background()); ok {
		os.Exit(code)
	}
	code := m.Run()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines leaked: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

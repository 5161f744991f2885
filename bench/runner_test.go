package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestMain lets StartProcs run this test binary as its children.
func TestMain(m *testing.M) {
	if code, ok := ServeAsChild(context.Background()); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func startEcho(t *testing.T) *EchoServer {
	t.Helper()
	e, err := StartEcho("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	r, err := NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Connect(context.Background())
	return r.Load(context.Background())
}

func TestClosedLoopEchoGetsEveryReplyBack(t *testing.T) {
	e := startEcho(t)
	res := run(t, Config{URL: e.URL(), Conns: 20, Duration: time.Second, Sources: 3})
	if res.Established != 20 || res.Failed != 0 || len(res.Errors) != 0 {
		t.Fatalf("established %d, failed %d, errors %v", res.Established, res.Failed, res.Errors)
	}
	if res.Sent == 0 || res.Received != res.Sent || res.Latency.N != res.Received {
		t.Fatalf("sent %d, received %d, latency samples %d", res.Sent, res.Received, res.Latency.N)
	}
	if p50 := res.Latency.Quantile(0.5); p50 <= 0 || p50 > res.Latency.Max {
		t.Fatalf("p50 %s, max %s", p50, res.Latency.Max)
	}
}

func TestRatedConnectionsSendAtTheirRate(t *testing.T) {
	e := startEcho(t)
	res := run(t, Config{URL: e.URL(), Conns: 10, Rate: 20, Duration: time.Second})
	// 10 connections × 20/s × 1s, give or take a tick each: never more,
	// as the rate holds them back; fewer on a busy machine, whose senders
	// may wake late, so only some must have gone.
	if res.Sent < 20 || res.Sent > 220 {
		t.Fatalf("sent %d messages, want at most about 200", res.Sent)
	}
}

func TestIdleConnectionsSendNothing(t *testing.T) {
	e := startEcho(t)
	res := run(t, Config{URL: e.URL(), Conns: 10, Idle: true, Duration: 200 * time.Millisecond})
	if res.Established != 10 || res.Sent != 0 {
		t.Fatalf("established %d, sent %d", res.Established, res.Sent)
	}
}

func TestChildProcessesShareTheLoad(t *testing.T) {
	e := startEcho(t)
	p, err := StartProcs(context.Background(), os.Args[0], Config{URL: e.URL(), Conns: 21, Duration: 500 * time.Millisecond}, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Load()
	if err != nil {
		t.Fatal(err)
	}
	if res.Established != 21 || res.Received == 0 || res.Latency.N != res.Received {
		t.Fatalf("established %d, received %d, latency samples %d", res.Established, res.Received, res.Latency.N)
	}
}

// A server's CPU over a window must not count the teardown of its
// connections: the children keep them open until Wait.
func TestChildProcessesKeepTheirConnectionsUntilTheWindowIsRead(t *testing.T) {
	var open atomic.Int64
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		open.Add(1)
		defer open.Add(-1)
		defer ws.Close()
		Echo(ws)
	}))
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/echo"
	p, err := StartProcs(context.Background(), os.Args[0], Config{URL: url, Conns: 9, Duration: 200 * time.Millisecond}, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitWindows(); err != nil {
		t.Fatal(err)
	}
	if n := open.Load(); n != 9 {
		t.Fatalf("%d connections open when the windows ended, want all 9", n)
	}
	res, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Established != 9 || res.Received == 0 {
		t.Fatalf("established %d, received %d", res.Established, res.Received)
	}
	deadline := time.Now().Add(10 * time.Second)
	for open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open after Wait", open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRefusedServerIsCountedNotFatal(t *testing.T) {
	e := startEcho(t)
	url := e.URL()
	e.Close()
	res := run(t, Config{URL: url, Conns: 3, Duration: 10 * time.Millisecond})
	dialErrors := 0
	for kind, n := range res.Errors {
		if strings.HasPrefix(kind, "dial: ") {
			dialErrors += n
		}
	}
	if res.Established != 0 || res.Failed != 3 || dialErrors != 3 {
		t.Fatalf("established %d, failed %d, errors %v", res.Established, res.Failed, res.Errors)
	}
}

func TestLoadOnlyTargetsLoopback(t *testing.T) {
	for _, url := range []string{"ws://10.0.0.1:80/", "ws://example.com/", "http://127.0.0.1/", "ws://[::1]:80/"} {
		if _, err := NewRunner(Config{URL: url}); err == nil || !strings.Contains(err.Error(), url) {
			t.Errorf("%s: got %v, want a refusal naming it", url, err)
		}
	}
	if _, err := NewRunner(Config{URL: "ws://127.0.0.1:1/", Conns: MaxConns + 1}); err == nil {
		t.Error("more than MaxConns connections accepted")
	}
}

func TestStampRoundTrips(t *testing.T) {
	msg := []byte(strings.Repeat("x", 64))
	msg[stampLen-1] = ' '
	for _, d := range []time.Duration{0, 1, 123456789, 1<<62 + 5} {
		stamp(msg, d)
		if got, ok := parseStamp(msg); !ok || got != d {
			t.Fatalf("stamp %d read back as %d, %t", d, got, ok)
		}
	}
	if _, ok := parseStamp([]byte("connected to /echo as 0123456789abcdef")); ok {
		t.Fatal("a greeting was read as a reply")
	}
}

// TestSlotsSortRoundTripsIntoClasses runs a rated load in two child
// processes with its window cut into slots of classes a, none and b: each
// class gets the round trips of its slots, about a third of them, and
// the merged result has both children's.
func TestSlotsSortRoundTripsIntoClasses(t *testing.T) {
	e := startEcho(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{URL: e.URL(), Conns: 10, Rate: 50, Duration: 1200 * time.Millisecond,
		Slot: 100 * time.Millisecond, Classes: "a-b"}
	p, err := StartProcs(context.Background(), exe, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Load()
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Classes["a"], res.Classes["b"]
	if len(res.Classes) != 2 || a == nil || b == nil {
		t.Fatalf("classes %v, want a and b", res.Classes)
	}
	total := res.Latency.N
	for _, h := range []*Histogram{a, b} {
		if h.N < total/5 || h.N > total/2 {
			t.Fatalf("a class has %d of %d round trips, want about a third", h.N, total)
		}
	}
	if a.N+b.N >= total {
		t.Fatalf("a %d + b %d of %d: the unclassed slots counted", a.N, b.N, total)
	}
}

func TestSlotWithoutClassesIsRefused(t *testing.T) {
	if _, err := NewRunner(Config{URL: "ws://127.0.0.1:1/", Slot: time.Second}); err == nil || !strings.Contains(err.Error(), "needs classes") {
		t.Fatalf("err = %v", err)
	}
}

package endpoints

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/storage"
)

// openServer starts a server on the database in dir, as the binary does,
// and returns it with the function that stops it.
func openServer(b testing.TB, dir string) (*Server, func()) {
	b.Helper()
	return openServerWith(b, dir, runtime.Config{})
}

// openServerWith is openServer with the engine's configuration cfg.
func openServerWith(b testing.TB, dir string, cfg runtime.Config) (*Server, func()) {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Logger = logger
	engine, err := runtime.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	store, err := storage.Open(filepath.Join(dir, "luagate.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Engine: engine, Store: store, AdminToken: "t", Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	return s, func() {
		store.Close()
		_ = engine.Shutdown(context.Background())
	}
}

// benchServer starts a server on a fresh database, deploys sol and stops
// the server when the benchmark ends.
func benchServer(b *testing.B, sol scripts.Solution) *Server {
	b.Helper()
	s, stop := openServer(b, b.TempDir())
	b.Cleanup(stop)
	if err := s.Deploy(sol); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRouteLookup finds the endpoint of an upgrade request among 40.
func BenchmarkRouteLookup(b *testing.B) {
	var sol scripts.Solution
	for i := range 20 {
		sol.Endpoints = append(sol.Endpoints,
			&scripts.Endpoint{Path: fmt.Sprintf("/app%d/{room}/{user}", i), Script: "return nil"},
			&scripts.Endpoint{Path: fmt.Sprintf("/static%d", i), Script: "return nil"})
	}
	s := benchServer(b, sol)
	b.ReportAllocs()
	for b.Loop() {
		if h, _, _ := s.routes.Load().Lookup(http.MethodGet, "/app13/lobby/ann"); h == nil {
			b.Fatal("no route")
		}
	}
}

// benchSolution has n endpoints: static paths, parameter paths and paths
// under shared prefixes, the shapes a router has to tell apart.
func benchSolution(n int) scripts.Solution {
	const script = `if websocketInfo.type == "data" then return websocketInfo.message end`
	sol := scripts.Solution{Endpoints: make([]*scripts.Endpoint, n)}
	for i := range n {
		var path string
		switch i % 3 {
		case 0:
			path = fmt.Sprintf("/static%d", i)
		case 1:
			path = fmt.Sprintf("/app%d/{room}/{user}", i)
		default:
			path = fmt.Sprintf("/shared/s%d/feed", i)
		}
		sol.Endpoints[i] = &scripts.Endpoint{Path: path, Script: script}
	}
	return sol
}

// BenchmarkDeploy measures a deploy's cost against the number of endpoints:
// replacing a whole solution of n endpoints, adding one endpoint beside n,
// and starting a server on a database that holds n.
func BenchmarkDeploy(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		sol := benchSolution(n)
		b.Run(fmt.Sprintf("whole/endpoints=%d", n), func(b *testing.B) {
			s := benchServer(b, scripts.Solution{})
			for b.Loop() {
				if err := s.Deploy(sol); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("one/endpoints=%d", n), func(b *testing.B) {
			s := benchServer(b, sol)
			one := scripts.Endpoint{Path: "/one/{x}", Script: "return 1"}
			for b.Loop() {
				if _, err := s.change(func(sol *scripts.Solution) error {
					sol.PutEndpoints(one)
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("start/endpoints=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			s, stop := openServer(b, dir)
			if err := s.Deploy(sol); err != nil {
				b.Fatal(err)
			}
			stop()
			for b.Loop() {
				_, stop := openServer(b, dir)
				stop()
			}
		})
	}
}

// BenchmarkHTTPEndpoint measures a trivial HTTP endpoint against a plain
// net/http handler answering the same, each served on loopback and loaded
// by 100 keep-alive clients in a closed loop, b.N requests each, in one
// run, alternating in rounds so that the machine's load weighs on both
// alike: the metric to quote is ratio (luagate's requests per second over
// net/http's; issue 18's goal is at least 0.7).
func BenchmarkHTTPEndpoint(b *testing.B) {
	const clients, rounds = 100, 4
	s := benchServer(b, scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Method: http.MethodGet, Path: "/hello", Script: `return "hello"`},
	}})
	luagate := serveLoopback(b, s.HTTPServer(s))
	plain := serveLoopback(b, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "hello")
	})})
	b.ReportAllocs()
	b.ResetTimer()
	var plainTime, luagateTime time.Duration
	for i := range rounds {
		n := b.N / rounds
		if i == 0 {
			n += b.N % rounds
		}
		plainTime += loadHTTP(b, plain+"/hello", clients, n)
		luagateTime += loadHTTP(b, luagate+"/hello", clients, n)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/plainTime.Seconds(), "net/http-req/s")
	b.ReportMetric(float64(b.N)/luagateTime.Seconds(), "luagate-req/s")
	b.ReportMetric(plainTime.Seconds()/luagateTime.Seconds(), "ratio")
}

// serveLoopback serves srv on a loopback port until the benchmark ends and
// returns its http:// address.
func serveLoopback(b testing.TB, srv *http.Server) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// loadHTTP sends n GETs to url from clients keep-alive clients, each
// sending its next when the last is answered, and returns how long they
// took.
func loadHTTP(b *testing.B, url string, clients, n int) time.Duration {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				resp, err := c.Get(url)
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return elapsed
}

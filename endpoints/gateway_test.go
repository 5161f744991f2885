package endpoints_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/storage"
)

const testToken = "test-token"

// gateway is a real luagate server on 127.0.0.1 with a temporary data dir.
type gateway struct {
	t      *testing.T
	srv    *endpoints.Server
	engine *runtime.Engine
	store  *storage.Store
	http   *httptest.Server
	logs   *syncBuffer
	dir    string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig is what a test may change before its gateway starts.
type testConfig struct {
	Runtime runtime.Config
	Server  endpoints.Config
}

type gatewayOption func(*testConfig)

func noRateLimit(c *testConfig) { c.Runtime.RateLimit = -1 }

func newTestGateway(t *testing.T, opts ...gatewayOption) *gateway {
	t.Helper()
	return startGateway(t, t.TempDir(), opts...)
}

// startGateway starts a gateway on dir and stops it when the test ends.
func startGateway(t *testing.T, dir string, opts ...gatewayOption) *gateway {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	cfg := testConfig{Runtime: runtime.Config{Logger: logger, ScriptTimeout: 500 * time.Millisecond}}
	for _, o := range opts {
		o(&cfg)
	}
	engine, err := runtime.New(cfg.Runtime)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.Open(filepath.Join(dir, "luagate.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.Server
	sc.Engine, sc.Store, sc.AdminToken, sc.Logger = engine, store, testToken, logger
	srv, err := endpoints.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Config = srv.HTTPServer()
	hs.Start()
	g := &gateway{t: t, srv: srv, engine: engine, store: store, http: hs, logs: logs, dir: dir}
	t.Cleanup(g.stop)
	return g
}

// stop shuts the gateway down as the binary does. It may be called twice.
func (g *gateway) stop() {
	if g.http == nil {
		return
	}
	g.srv.StartShutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.engine.Shutdown(ctx); err != nil {
		g.t.Errorf("engine shutdown: %v", err)
	}
	g.http.Close()
	if err := g.store.Close(); err != nil {
		g.t.Errorf("store close: %v", err)
	}
	g.http = nil
}

func (g *gateway) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(g.http.URL, "http") + path
}

// api calls the management API with the admin token and returns the status
// and body.
func (g *gateway) api(method, path, body string) (int, string) {
	g.t.Helper()
	return g.apiAs(testToken, method, path, body)
}

func (g *gateway) apiAs(token, method, path, body string) (int, string) {
	g.t.Helper()
	req, err := http.NewRequest(method, g.http.URL+path, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deploy puts one endpoint and fails the test if it is refused.
func (g *gateway) deploy(path, script string) {
	g.t.Helper()
	body, _ := json.Marshal(map[string]string{"path": path, "script": script})
	if status, resp := g.api("PUT", "/api/v1/solution/endpoints", string(body)); status != http.StatusOK {
		g.t.Fatalf("deploy %s: %d %s", path, status, resp)
	}
}

// client is a real WebSocket client of the gateway.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

func (g *gateway) dial(path string) *client {
	g.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(g.wsURL(path), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		g.t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	c := &client{t: g.t, ws: ws}
	g.t.Cleanup(func() { ws.Close() })
	return c
}

func (c *client) send(msg string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// read returns the next message, failing the test after 5 seconds.
func (c *client) read() (int, string) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return typ, string(b)
}

func (c *client) expect(want string) {
	c.t.Helper()
	if _, got := c.read(); got != want {
		c.t.Fatalf("got message %q, want %q", got, want)
	}
}

// expectClose reads until the server closes the connection and returns the
// close code and text.
func (c *client) expectClose() (int, string) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code, ce.Text
		}
		c.t.Fatalf("expected a close frame, got %v", err)
	}
}

// eventually polls cond until it holds or five seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn opens a TCP connection to the gateway and writes head to it, for
// requests no well-behaved client would send.
func (g *gateway) rawConn(head string) net.Conn {
	g.t.Helper()
	conn, err := net.Dial("tcp", g.http.Listener.Addr().String())
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		g.t.Fatal(err)
	}
	return conn
}

// closedByServer reports whether the server closes conn within five
// seconds, reading whatever it sends first.
func closedByServer(t *testing.T, conn net.Conn) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

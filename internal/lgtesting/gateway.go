package lgtesting

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// UserCheck is a shared module for --#SECURITY script auth.check: the
// socket's user_id and session_name are the query's user and session.
const UserCheck = `local M = {}
function M.check(request)
  return {user_id = request.parameters.user, session_name = request.parameters.session}
end
return M
`

// Token is the admin token of every test gateway.
const Token = "test-token"

// Gateway is a real luagate server on 127.0.0.1 for one test.
type Gateway struct {
	*gateway.Gateway
	tb testing.TB
	// Logs holds everything the gateway logged.
	Logs *LogBuffer
	// Dir is its data dir.
	Dir string
}

// Option changes a test gateway's configuration before it starts.
type Option func(*gateway.Config)

// NoRateLimit turns the per-socket rate limit off.
func NoRateLimit(c *gateway.Config) { c.Runtime.NoRateLimit = true }

// NewGateway starts a gateway with a temporary data dir and stops it when
// the test ends. Scripts time out after 500 ms unless an option says
// otherwise.
func NewGateway(tb testing.TB, opts ...Option) *Gateway {
	tb.Helper()
	return StartGateway(tb, tb.TempDir(), opts...)
}

// StartGateway starts a gateway on the data dir dir, and stops it when the
// test ends.
func StartGateway(tb testing.TB, dir string, opts ...Option) *Gateway {
	tb.Helper()
	logs := &LogBuffer{}
	cfg := gateway.Config{
		DataDir:         dir,
		Addr:            "127.0.0.1:0",
		AdminToken:      Token,
		ShutdownTimeout: 5 * time.Second,
		Logger:          slog.New(slog.NewTextHandler(logs, nil)),
	}
	cfg.Runtime.ScriptTimeout = 500 * time.Millisecond
	for _, o := range opts {
		o(&cfg)
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := gw.Start(); err != nil {
		tb.Fatal(err)
	}
	g := &Gateway{Gateway: gw, tb: tb, Logs: logs, Dir: dir}
	tb.Cleanup(g.Stop)
	return g
}

// Stop shuts the gateway down as the binary does, failing the test if
// that goes wrong. Calling it again does nothing more.
func (g *Gateway) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		g.tb.Errorf("gateway shutdown: %v", err)
	}
}

// Hub holds the gateway's live sockets.
func (g *Gateway) Hub() *hub.Hub { return g.Engine().Hub() }

// URL is the http:// URL of path on the main listener.
func (g *Gateway) URL(path string) string { return "http://" + g.Addr() + path }

// WSURL is the ws:// URL of path on the main listener.
func (g *Gateway) WSURL(path string) string { return "ws://" + g.Addr() + path }

// API calls the management API with the admin token and returns the
// status and body.
func (g *Gateway) API(method, path, body string) (int, string) {
	g.tb.Helper()
	return g.APIAs(Token, method, path, body)
}

// APIAs calls the management API with token ("" for none).
func (g *Gateway) APIAs(token, method, path, body string) (int, string) {
	g.tb.Helper()
	return Request(g.tb, token, method, "http://"+g.AdminAddr()+path, body)
}

// Deploy puts one endpoint and fails the test if it is refused.
func (g *Gateway) Deploy(path, script string) {
	g.tb.Helper()
	body, _ := json.Marshal(map[string]string{"path": path, "script": script})
	if status, resp := g.API(http.MethodPut, wire.Prefix+"/endpoints", string(body)); status != http.StatusOK {
		g.tb.Fatalf("deploy %s: %d %s", path, status, resp)
	}
}

// Dial connects a client to path.
func (g *Gateway) Dial(path string) *Client {
	g.tb.Helper()
	return Dial(g.tb, g.WSURL(path))
}

// CreateKey creates an API key with the admin token and returns it, its
// secret included, failing the test if it is refused.
func (g *Gateway) CreateKey(req wire.KeyRequest) wire.Key {
	g.tb.Helper()
	body, _ := json.Marshal(req)
	status, resp := g.API(http.MethodPost, wire.Prefix+"/keys", string(body))
	var k wire.Key
	if err := json.Unmarshal([]byte(resp), &k); status != http.StatusCreated || err != nil {
		g.tb.Fatalf("create key: %d %s", status, resp)
	}
	return k
}

// SocketIDs waits until exactly n sockets are open on this gateway and
// returns their ids, sorted.
func (g *Gateway) SocketIDs(n int) []string {
	g.tb.Helper()
	var ids []string
	Eventually(g.tb, "sockets to be listed", func() bool {
		ids = g.Hub().LocalList()
		return len(ids) == n
	})
	slices.Sort(ids)
	return ids
}

// PutSolution replaces the whole solution and returns the status and body
// of the answer.
func (g *Gateway) PutSolution(sol scripts.Solution) (int, string) {
	g.tb.Helper()
	body, err := json.Marshal(sol)
	if err != nil {
		g.tb.Fatal(err)
	}
	return g.API(http.MethodPut, wire.Prefix, string(body))
}

// GetJSON calls GET path on the management API with the admin token and
// decodes its answer into v, failing the test unless it is a 200 of JSON.
func (g *Gateway) GetJSON(path string, v any) {
	g.tb.Helper()
	status, body := g.API(http.MethodGet, path, "")
	if status != http.StatusOK {
		g.tb.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		g.tb.Fatalf("GET %s: %v", path, err)
	}
}

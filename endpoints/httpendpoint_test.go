package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// deployHTTP deploys sol and fails the test if it is refused.
func deployHTTP(t *testing.T, g *lgtesting.Gateway, sol scripts.Solution) {
	t.Helper()
	if status, body := g.PutSolution(sol); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
}

// socketEcho is a WebSocket endpoint at /ws whose open event answers the
// socket_id, for HTTP endpoints to push to.
var socketEcho = scripts.Endpoint{Path: "/ws", Script: `if websocketInfo.type == "open" then return websocketInfo.socket_id end`}

// httpEndpoint is an HTTP endpoint of method at path running script.
func httpEndpoint(method, path, script string) *scripts.Endpoint {
	return &scripts.Endpoint{Method: method, Path: path, Script: script}
}

func TestHTTPEndpointSeesTheRequestAndAnswersWithItsResponse(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{httpEndpoint("POST", "/items/{id}", `
response.code = 201
response.headers["X-Seen"] = request.method
return {method = request.method, uri = request.uri, path = request.path, route = request.route,
  id = request.parameters.id, q = request.parameters.q, name = request.body.name,
  agent = request.headers["x-agent"], has_id = #request.request_id > 0}
`)}})
	resp, body := lgtesting.Do(t, "POST", g.URL("/items/42?q=yes"), `{"name":"lamp"}`,
		http.Header{"Content-Type": {"application/json"}, "X-Agent": {"test"}})
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Seen") != "POST" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("answer %d %v: %s", resp.StatusCode, resp.Header, body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	want := map[string]any{"method": "POST", "uri": g.URL("/items/42?q=yes"), "path": "/items/42", "route": "/items/{id}",
		"id": "42", "q": "yes", "name": "lamp", "agent": "test", "has_id": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestHTTPEndpointBodyIsARawStringUnlessItIsJSON(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("PUT", "/echo", `response.message = type(request.body) .. ":" .. (type(request.body) == "string" and request.body or "table")`),
		{Method: "GET", Path: "/csv", ContentType: "text/csv", Script: `return "a,b"`},
		httpEndpoint("GET", "/plain", `return "hi"`),
		httpEndpoint("DELETE", "/nothing", `response.code = 204`),
	}})
	for _, c := range []struct{ ctype, body, want string }{
		{"text/plain", `{"a":1}`, `string:{"a":1}`},
		{"application/json", `{"a":1}`, `table:table`},
		{"application/json", `not json`, `string:not json`},
		{"application/merge-patch+json", `[1]`, `table:table`},
	} {
		resp, body := lgtesting.Do(t, "PUT", g.URL("/echo"), c.body, http.Header{"Content-Type": {c.ctype}})
		if resp.StatusCode != 200 || body != c.want {
			t.Errorf("%s %s: %d %q, want %q", c.ctype, c.body, resp.StatusCode, body, c.want)
		}
	}
	resp, body := lgtesting.Do(t, "GET", g.URL("/csv"), "", nil)
	if body != "a,b" || resp.Header.Get("Content-Type") != "text/csv" {
		t.Errorf("declared content type: %q %q", resp.Header.Get("Content-Type"), body)
	}
	resp, _ = lgtesting.Do(t, "GET", g.URL("/plain"), "", nil)
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("string body without a declared type: %q", ct)
	}
	if resp, body := lgtesting.Do(t, "DELETE", g.URL("/nothing"), "", nil); resp.StatusCode != 204 || body != "" {
		t.Errorf("no body: %d %q", resp.StatusCode, body)
	}
}

func TestAPathDeclaredBothWaysSendsUpgradesToTheSocketAndRequestsToTheScript(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/live/{room}", Script: `if websocketInfo.type == "data" then return "ws " .. websocketInfo.parameters.room end`},
		httpEndpoint("GET", "/live/{room}", `return "http " .. request.parameters.room`),
	}})
	c := g.Dial("/live/a")
	c.Send("x")
	c.Expect("ws a")
	if status, body := lgtesting.Request(t, "", "GET", g.URL("/live/b"), ""); status != 200 || body != "http b" {
		t.Errorf("plain GET: %d %q", status, body)
	}
}

func TestAMethodAKnownPathDoesNotDeclareAnswers405WithAllow(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("GET", "/things", `return "list"`),
		httpEndpoint("POST", "/things", `return "made"`),
	}})
	resp, body := lgtesting.Do(t, "DELETE", g.URL("/things"), "", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, OPTIONS, POST" {
		t.Errorf("DELETE: %d Allow %q %s", resp.StatusCode, resp.Header.Get("Allow"), body)
	}
	if !strings.Contains(body, `"type":"MethodNotAllowedError"`) {
		t.Errorf("405 body %s", body)
	}
	if status, _ := lgtesting.Request(t, "", "GET", g.URL("/other"), ""); status != http.StatusNotFound {
		t.Errorf("unknown path: %d", status)
	}
}

func TestAnHTTPEndpointPushesToASocket(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		&socketEcho,
		httpEndpoint("POST", "/notify/{id}", `
local err = Websocket.send{socket_id = request.parameters.id, message = request.body.text}
if err then response.code = err.status; return err end
return {sent = true}`),
	}})
	c := g.Dial("/ws")
	id := c.Next()
	if status, body := lgtesting.Request(t, "", "POST", g.URL("/notify/"+id), `{"text":"hello"}`); status != 200 || body != `{"sent":true}` {
		t.Fatalf("notify: %d %s", status, body)
	}
	c.Expect("hello")
	if status, _ := lgtesting.Request(t, "", "POST", g.URL("/notify/nobody"), `{"text":"x"}`); status != http.StatusNotFound {
		t.Errorf("push to no socket: %d", status)
	}
}

func TestAFailingHTTPScriptAnswers500AndTheServerGoesOn(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("GET", "/boom", "\nerror('kaput')"),
		httpEndpoint("GET", "/spin", `while true do end`),
		httpEndpoint("GET", "/badcode", `response.code = 42`),
		httpEndpoint("GET", "/badheader", `response.headers["X-A"] = "a\r\nInjected: yes"`),
		httpEndpoint("GET", "/ok", `return "ok"`),
	}})
	for _, path := range []string{"/boom", "/spin", "/badcode", "/badheader"} {
		resp, body := lgtesting.Do(t, "GET", g.URL(path), "", nil)
		if resp.StatusCode != 500 || !strings.Contains(body, `"type":"ScriptError"`) || resp.Header.Get("Injected") != "" {
			t.Errorf("%s: %d %v %s", path, resp.StatusCode, resp.Header, body)
		}
	}
	lgtesting.Eventually(t, "the failure to be logged with its line", func() bool {
		return strings.Contains(g.Logs.String(), "GET /boom:2: kaput")
	})
	if status, body := lgtesting.Request(t, "", "GET", g.URL("/ok"), ""); status != 200 || body != "ok" {
		t.Errorf("after failures: %d %q", status, body)
	}
}

func TestMuranoEndpointJSONReplaysThroughTheManagementAPI(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	export := `[
 {"id": "e1", "method": "GET", "path": "/api/v1/hello", "content_type": "application/json", "script": "return {hello = request.parameters.who}", "solution_id": "s1"},
 {"id": "e2", "method": "websocket", "path": "/ws", "script": "return 'hi'", "updated_at": "2020-01-01T00:00:00Z"}
]`
	if status, body := g.API("PUT", wire.Prefix+"/endpoints", export); status != 200 {
		t.Fatalf("replay: %d %s", status, body)
	}
	if status, body := lgtesting.Request(t, "", "GET", g.URL("/api/v1/hello?who=me"), ""); status != 200 || body != `{"hello":"me"}` {
		t.Errorf("replayed endpoint: %d %s", status, body)
	}
	status, body := g.API("GET", wire.Prefix+"/endpoints?path=/api/v1/hello&method=get", "")
	if status != 200 || !strings.Contains(body, `"method":"GET"`) || !strings.Contains(body, `"content_type":"application/json"`) {
		t.Errorf("get it back: %d %s", status, body)
	}
	if status, _ := g.API("DELETE", wire.Prefix+"/endpoints?path=/api/v1/hello&method=GET", ""); status != 200 {
		t.Errorf("delete: %d", status)
	}
	if status, _ := lgtesting.Request(t, "", "GET", g.URL("/api/v1/hello"), ""); status != http.StatusNotFound {
		t.Errorf("deleted endpoint: %d", status)
	}
}

func TestHTTPEndpointPoliciesAreEnforcedOrRefusedAtDeploy(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	status, body := g.PutSolution(scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("GET", "/a", "--#IDLE 5s\n--#RATELIMIT 1/s then close\nreturn 1"),
		httpEndpoint("GET", "/b", "--#SUBPROTOCOLS chat\nreturn 1"),
	}})
	for _, want := range []string{
		`"file":"GET /a","line":1,"message":"--#IDLE means nothing on an HTTP endpoint`,
		`"file":"GET /a","line":2,"message":"--#RATELIMIT: then close`,
		`"file":"GET /b","line":1,"message":"--#SUBPROTOCOLS means nothing`,
	} {
		if status != 400 || !strings.Contains(body, want) {
			t.Errorf("deploy: %d %s\nlacks %s", status, body, want)
		}
	}
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("GET", "/limited", "--#RATELIMIT 2/min message \"slow down\"\nreturn 'ok'"),
		httpEndpoint("POST", "/small", "--#MAXMESSAGE 8\nreturn request.body"),
	}})
	for i, want := range []int{200, 200, 429} {
		if status, body := lgtesting.Request(t, "", "GET", g.URL("/limited"), ""); status != want {
			t.Errorf("request %d: %d %s, want %d", i+1, status, body, want)
		} else if status == 429 && !strings.Contains(body, "slow down") {
			t.Errorf("429 body %s", body)
		}
	}
	if status, _ := lgtesting.Request(t, "", "POST", g.URL("/small"), "12345678"); status != 200 {
		t.Errorf("body at the limit: %d", status)
	}
	if status, _ := lgtesting.Request(t, "", "POST", g.URL("/small"), "123456789"); status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: %d", status)
	}
}

func TestCORSFromTheWebserviceConfig(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			httpEndpoint("GET", "/data", `return "d"`),
			httpEndpoint("PUT", "/data", `return "p"`),
		},
		Webservice: scripts.Webservice{CORS: scripts.CORS{
			Origin: scripts.Origins{"https://app.example.com", "http://*.dev.test:*"}, Credentials: true,
			ExposeHeaders: []string{"X-Total"},
		}},
	})
	resp, _ := lgtesting.Do(t, "GET", g.URL("/data"), "", http.Header{"Origin": {"https://app.example.com"}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || resp.Header.Get("Access-Control-Expose-Headers") != "X-Total" {
		t.Errorf("allowed origin: %v", resp.Header)
	}
	resp, body := lgtesting.Do(t, "GET", g.URL("/data"), "", http.Header{"Origin": {"https://evil.example"}})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || body != "d" {
		t.Errorf("other origin: %v %q", resp.Header, body)
	}
	pre := http.Header{"Origin": {"http://a.dev.test:3000"}, "Access-Control-Request-Method": {"PUT"}, "Access-Control-Request-Headers": {"content-type"}}
	resp, _ = lgtesting.Do(t, "OPTIONS", g.URL("/data"), "", pre)
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://a.dev.test:3000" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET, OPTIONS, PUT" || resp.Header.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	pre.Set("Origin", "http://dev.test")
	if resp, _ := lgtesting.Do(t, "OPTIONS", g.URL("/data"), "", pre); resp.StatusCode != http.StatusForbidden {
		t.Errorf("preflight from another origin: %d", resp.StatusCode)
	}
	if status, body := g.API("GET", wire.Prefix+"/webservice", ""); status != 200 || !strings.Contains(body, `"expose_headers":["X-Total"]`) {
		t.Errorf("GET webservice: %d %s", status, body)
	}
}

func TestSecurityOnAnHTTPEndpointRefusesWithoutRunningTheScript(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		&socketEcho,
		httpEndpoint("POST", "/guarded/{id}", "--#SECURITY apikey\n"+
			`Websocket.send{socket_id = request.parameters.id, message = request.body}
return {auth = request.headers.authorization == nil}`),
	}})
	c := g.Dial("/ws")
	id := c.Next()
	resp, body := lgtesting.Do(t, "POST", g.URL("/guarded/"+id), "refused", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"status":401`) {
		t.Fatalf("without a key: %d %s", resp.StatusCode, body)
	}
	status, body := g.API("POST", wire.Prefix+"/keys", `{"name":"caller","scopes":["connect"]}`)
	if status != 200 && status != 201 {
		t.Fatalf("create key: %d %s", status, body)
	}
	var key wire.Key
	if err := json.Unmarshal([]byte(body), &key); err != nil {
		t.Fatal(err)
	}
	resp, body = lgtesting.Do(t, "POST", g.URL("/guarded/"+id), "accepted", http.Header{"Authorization": {"Bearer " + key.Secret}})
	if resp.StatusCode != 200 || body != `{"auth":true}` {
		t.Fatalf("with a key: %d %s", resp.StatusCode, body)
	}
	// The refused request's script never ran: the first push is the
	// accepted one's.
	c.Expect("accepted")
}

func TestNothingOneRequestLeavesReachesTheNext(t *testing.T) {
	t.Parallel()
	// One Lua state, so that every request runs on the same.
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Runtime.LuaStates = 1 })
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("POST", "/leave", `
request.extra, response.extra = "r", "s"
request.body, request.headers.x = "changed", "y"
rawset(request, "raw", 1)
response.headers["X-Left"] = "1"
response.message = "left"
response.code = 202`),
		httpEndpoint("GET", "/look", `
return {extra = tostring(request.extra) .. tostring(response.extra) .. tostring(request.raw),
  message = tostring(response.message), code = response.code, left = tostring(next(response.headers)),
  body = request.body, x = tostring(request.headers.x)}`),
	}})
	for range 3 {
		if status, body := lgtesting.Request(t, "", "POST", g.URL("/leave"), ""); status != 202 || body != "left" {
			t.Fatalf("leave: %d %q", status, body)
		}
		resp, body := lgtesting.Do(t, "GET", g.URL("/look"), "", nil)
		want := `{"body":"","code":200,"extra":"nilnilnil","left":"nil","message":"nil","x":"nil"}`
		if resp.StatusCode != 200 || body != want || resp.Header.Get("X-Left") != "" {
			t.Fatalf("look: %d %v %s\nwant %s", resp.StatusCode, resp.Header, body, want)
		}
	}
}

func TestAnHTTPScriptOverItsMemoryIsStoppedAndTheServerGoesOn(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Runtime.ScriptMemory = 16 << 20; c.Runtime.ScriptTimeout = 10 * time.Second })
	deployHTTP(t, g, scripts.Solution{Endpoints: []*scripts.Endpoint{
		httpEndpoint("GET", "/hog", `local t = {} while true do t[#t + 1] = string.rep("x", 10000) .. #t end`),
		{Method: "HEAD", Path: "/hog", Script: `response.headers["X-Alive"] = "yes"`},
	}})
	if status, body := lgtesting.Request(t, "", "GET", g.URL("/hog"), ""); status != 500 || !strings.Contains(body, "ScriptError") {
		t.Fatalf("hog: %d %s", status, body)
	}
	lgtesting.Eventually(t, "the memory limit to be logged", func() bool {
		return strings.Contains(g.Logs.String(), "memory limit")
	})
	if resp, _ := lgtesting.Do(t, "HEAD", g.URL("/hog"), "", nil); resp.StatusCode != 200 || resp.Header.Get("X-Alive") != "yes" {
		t.Errorf("after the hog: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestAScriptCheckGuardsAnHTTPEndpoint(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	deployHTTP(t, g, scripts.Solution{
		Modules: map[string]string{"guard": `return {check = function(r)
  if r.headers["x-pass"] == "1" then return {user_id = "ann"} end
  return false, 403, "no pass"
end}`},
		Endpoints: []*scripts.Endpoint{httpEndpoint("GET", "/in", "--#SECURITY script guard.check\nreturn 'in'")},
	})
	if resp, body := lgtesting.Do(t, "GET", g.URL("/in"), "", nil); resp.StatusCode != 403 || !strings.Contains(body, "no pass") {
		t.Errorf("refused: %d %s", resp.StatusCode, body)
	}
	if resp, body := lgtesting.Do(t, "GET", g.URL("/in"), "", http.Header{"X-Pass": {"1"}}); resp.StatusCode != 200 || body != "in" {
		t.Errorf("accepted: %d %s", resp.StatusCode, body)
	}
}

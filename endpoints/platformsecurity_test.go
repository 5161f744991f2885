package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// echoOpened says when a socket opens, and echoes its messages.
const echoOpened = `if websocketInfo.type == "open" then
  print("opened " .. tostring(websocketInfo.user_id))
  return "in"
end
return websocketInfo.message
`

// basicAuth is a client's basic credentials, which luagate never accepts.
var basicAuth = http.Header{"Authorization": {"Basic YW5uOnNlY3JldA=="}}

func TestSeveralSchemesEnforceThoseLuagateProvides(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	status, body := g.PutSolution(scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/ws", Script: "--#SECURITY basic apiKey\n--#RATELIMIT 2\n" + echoOpened},
		{Method: http.MethodGet, Path: "/h", Script: "--#SECURITY basic bearer\n--#RATELIMIT 1\nreturn 'OK'\n"},
	}})
	var res struct{ Warnings []string }
	if err := json.Unmarshal([]byte(body), &res); status != http.StatusOK || err != nil {
		t.Fatalf("deploy: %d %s", status, body)
	}
	if all := strings.Join(res.Warnings, "\n"); len(res.Warnings) != 2 ||
		!strings.Contains(all, "/ws:1: --#SECURITY: basic: luagate does not provide it, so only apikey is enforced") ||
		!strings.Contains(all, "GET /h:1: --#SECURITY: basic: luagate does not provide it, so only bearer is enforced") {
		t.Errorf("deploy warnings %q", res.Warnings)
	}
	key := createKey(t, g, wire.KeyRequest{Name: "app", UserID: "ann", Scopes: []string{"connect"}})

	// A socket: no credential and basic credentials are refused; an API
	// key connects, and its messages are limited to 2 a minute.
	expectRefused(t, g, "/ws", nil, http.StatusUnauthorized, "UnauthorizedError")
	expectRefused(t, g, "/ws", basicAuth, http.StatusUnauthorized, "UnauthorizedError")
	expectNothingRan(t, g, 0)
	c := lgtesting.DialHeader(t, g.WSURL("/ws"), keyHeader(key.Secret))
	c.Next()
	for range 2 {
		c.Send("hi")
		c.Next()
	}
	c.Send("hi")
	if msg := c.Next(); !strings.Contains(msg, `"type":"RateLimitError"`) {
		t.Errorf("the third message in a minute: %s", msg)
	}

	// A request: refusals do not spend the credential's one request a
	// minute, which the limit counts per credential.
	for _, h := range []http.Header{nil, basicAuth, basicAuth} {
		if resp, b := lgtesting.Do(t, http.MethodGet, g.URL("/h"), "", h); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET /h with %v: %d %s", h, resp.StatusCode, b)
		}
	}
	bearer := http.Header{"Authorization": {"Bearer " + key.Secret}}
	for _, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		if resp, b := lgtesting.Do(t, http.MethodGet, g.URL("/h"), "", bearer); resp.StatusCode != want {
			t.Errorf("GET /h with the key: %d %s, want %d", resp.StatusCode, b, want)
		}
	}
}

func TestASchemeLuagateDoesNotProvideIsRefusedAlone(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	for _, line := range []string{"basic", "basic Basic"} {
		status, body := g.PutSolution(scripts.Solution{Endpoints: []*scripts.Endpoint{
			{Method: http.MethodGet, Path: "/h", Script: "--#SECURITY " + line + "\nreturn 'OK'\n"},
		}})
		if status != http.StatusBadRequest || !strings.Contains(body, "luagate does not provide basic authentication") {
			t.Errorf("--#SECURITY %s: %d %s", line, status, body)
		}
	}
	if resp, _ := lgtesting.Do(t, http.MethodGet, g.URL("/h"), "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a refused deploy serves /h: %d", resp.StatusCode)
	}
}

func TestWebservicesRateLimitLimitsEachHTTPEndpointWithoutItsOwn(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	two := 2
	status, body := g.PutSolution(scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			{Method: http.MethodGet, Path: "/a", Script: "return 'a'\n"},
			{Method: http.MethodGet, Path: "/b", Script: "return 'b'\n"},
			{Method: http.MethodGet, Path: "/free", Script: "--#RATELIMIT 0\nreturn 'free'\n"},
		},
		Webservice: scripts.Webservice{RateLimit: &two},
	})
	if status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	// Each endpoint has its own two a minute for this address.
	for _, path := range []string{"/a", "/b"} {
		for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
			if resp, b := lgtesting.Do(t, http.MethodGet, g.URL(path), "", nil); resp.StatusCode != want {
				t.Errorf("GET %s %d: %d %s, want %d", path, i, resp.StatusCode, b, want)
			}
		}
	}
	for i := range 4 {
		if resp, b := lgtesting.Do(t, http.MethodGet, g.URL("/free"), "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /free %d: %d %s", i, resp.StatusCode, b)
		}
	}
}

package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

// TestTheGettingStartedTemplateServesUnchanged serves
// testdata/getting-started, a project laid out and written as the
// platform's getting-started template, and drives every endpoint as its
// clients would, over HTTP and a WebSocket.
func TestTheGettingStartedTemplateServesUnchanged(t *testing.T) {
	t.Parallel()
	const project = "../../testdata/getting-started"
	out, errOut, code := runLuagate(t, nil, "check", project)
	if code != 0 || !strings.Contains(out, "8 endpoints, 3 modules, 1 event handler: no problems") {
		t.Fatalf("check: exit %d %q %q", code, out, errOut)
	}
	for _, want := range []string{
		"warning: api/users.lua:26: --#SECURITY: basic: luagate does not provide it, so only bearer is enforced",
		"warning: services/device2.yaml: ignored: configures the platform service device2",
		"warning: services/webservice.yaml:3: ignored: documented_endpoints",
		"warning: murano.yaml:14: ignored: luagate does not use options",
		"warning: api/schema.yaml: ignored: the endpoints' OpenAPI schema",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check warned %q, without %q", errOut, want)
		}
	}

	s := startServer(t, t.TempDir(), nil, "--project", project)
	lgtesting.Eventually(t, "the init script's output", func() bool {
		return strings.Contains(s.log.String(), "getting-started ready, loglevel info")
	})

	// Users: JSON in, JSON out, kept in Keystore by a module.
	created := s.call(http.MethodPost, "/api/user", `{"name":"ann","email":"ann@example.com"}`, "Content-Type", "application/json")
	if created.status != http.StatusCreated || !reflect.DeepEqual(created.json(t), map[string]any{"id": "1", "name": "ann", "email": "ann@example.com"}) {
		t.Fatalf("POST /api/user: %d %s", created.status, created.body)
	}
	if a := s.call(http.MethodPost, "/api/user", `{"email":"x"}`); a.status != http.StatusBadRequest || a.json(t)["error"] != "a user needs a name" {
		t.Errorf("a user without a name: %d %s", a.status, a.body)
	}
	got := s.call(http.MethodGet, "/api/user/1", "", "Origin", "http://localhost:3000")
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "application/json" ||
		!reflect.DeepEqual(got.json(t)["fields"], []any{"email", "id", "name"}) || got.json(t)["name"] != "ann" {
		t.Errorf("GET /api/user/1: %d %v %s", got.status, got.header, got.body)
	}
	if o := got.header.Get("Access-Control-Allow-Origin"); o != "http://localhost:3000" {
		t.Errorf("murano.yaml's endpoints.cors: Access-Control-Allow-Origin %q", o)
	}
	if a := s.call(http.MethodGet, "/api/user/9", ""); a.status != http.StatusNotFound || a.json(t)["error"] != "no user 9" {
		t.Errorf("GET /api/user/9: %d %s", a.status, a.body)
	}

	// A socket, tied to the user over HTTP and pushed to from HTTP.
	ws := s.dial("/api/live")
	hello := ws.nextJSON()
	sid, _ := hello["socket_id"].(string)
	if hello["greeting"] != "welcome" || sid == "" {
		t.Fatalf("greeting %v", hello)
	}
	if a := s.call(http.MethodPost, "/api/user/1/notify", `{"text":"early"}`); a.status != http.StatusNotFound || a.json(t)["error"] != "user 1 is not connected" {
		t.Errorf("notify before the socket is tied: %d %s", a.status, a.body)
	}
	if a := s.call(http.MethodPut, "/api/user/1/socket", `{"socket_id":"`+sid+`"}`); a.status != http.StatusOK || a.json(t)["socket_id"] != sid {
		t.Fatalf("PUT /api/user/1/socket: %d %s", a.status, a.body)
	}
	if a := s.call(http.MethodPost, "/api/user/1/notify", `{"text":"hello ann"}`); a.status != http.StatusAccepted || a.json(t)["sent"] != sid {
		t.Errorf("POST /api/user/1/notify: %d %s", a.status, a.body)
	}
	if msg := ws.next(); msg != `{"notification":{"text":"hello ann"}}` {
		t.Errorf("the socket got %s", msg)
	}

	// The socket's --#RATELIMIT 3: three messages a minute, the fourth
	// refused with the platform's error.
	for i := range 3 {
		ws.say("ping")
		if msg := ws.next(); msg != `{"echo":"ping"}` {
			t.Fatalf("echo %d: %s", i, msg)
		}
	}
	ws.say("ping")
	if msg := ws.nextJSON(); msg["type"] != "RateLimitError" || msg["status"] != float64(429) {
		t.Errorf("the fourth message: %v", msg)
	}
	ws.conn.Close()
	lgtesting.Eventually(t, "the close event forgets the socket", func() bool {
		return s.call(http.MethodPost, "/api/user/1/notify", `{}`).status == http.StatusNotFound
	})

	// --#SECURITY basic bearer and --#RATELIMIT 1: a bearer credential, once
	// a minute each; basic credentials are refused.
	for _, h := range [][]string{nil, {"Authorization", "Basic YW5uOnNlY3JldA=="}} {
		if a := s.call(http.MethodGet, "/api/ratelimit/withauth", "", h...); a.status != http.StatusUnauthorized || a.json(t)["type"] != "UnauthorizedError" {
			t.Errorf("withauth with %v: %d %s", h, a.status, a.body)
		}
	}
	ann, bob := keyFor(s, "ann"), keyFor(s, "bob")
	for i, step := range []struct {
		key  string
		want int
	}{{ann, http.StatusOK}, {ann, http.StatusTooManyRequests}, {bob, http.StatusOK}, {bob, http.StatusTooManyRequests}} {
		if a := s.call(http.MethodGet, "/api/ratelimit/withauth", "", "Authorization", "Bearer "+step.key); a.status != step.want {
			t.Errorf("withauth request %d: %d %s, want %d", i, a.status, a.body, step.want)
		}
	}

	// --#RATELIMIT 2 without security: per client address; 0: no limit.
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		if a := s.call(http.MethodGet, "/api/ratelimit", ""); a.status != want {
			t.Errorf("ratelimit request %d: %d %s, want %d", i, a.status, a.body, want)
		}
	}
	for i := range 5 {
		if a := s.call(http.MethodGet, "/api/noauthnolimit", ""); a.status != http.StatusOK || a.body != "OK" {
			t.Errorf("noauthnolimit request %d: %d %s", i, a.status, a.body)
		}
	}

	// What murano.yaml excludes is not served; the documentation lines
	// are shown.
	if a := s.call(http.MethodGet, "/api/spec", ""); a.status != http.StatusNotFound {
		t.Errorf("an excluded endpoint answers %d", a.status)
	}
	status, list := s.request(s.token(), http.MethodGet, "/api/v1/solution/endpoints", "")
	var eps []struct {
		Method, Path, Summary string
		Tags                  []string
	}
	if err := json.Unmarshal([]byte(list), &eps); status != http.StatusOK || err != nil {
		t.Fatalf("endpoints: %d %s %v", status, list, err)
	}
	var post *struct {
		Method, Path, Summary string
		Tags                  []string
	}
	for i := range eps {
		if eps[i].Method == http.MethodPost && eps[i].Path == "/api/user" {
			post = &eps[i]
		}
	}
	if post == nil || post.Summary != "create a user" || !reflect.DeepEqual(post.Tags, []string{"user", "public"}) {
		t.Errorf("POST /api/user is listed as %+v", post)
	}

	// pull writes it as a project of the default layout that deploys as
	// the same solution: CORS, rate_limit and documentation lines kept.
	pulled := t.TempDir() + "/pulled"
	s.mustLuagate("pull", pulled)
	if out := s.mustLuagate("deploy", pulled); out != "no changes\n" {
		t.Errorf("deploy of the pulled project printed %q", out)
	}
}

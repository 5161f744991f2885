package endpoints_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

// validation is a refused deploy's answer.
type validation struct {
	Type    string
	Status  int
	Details []scripts.Problem
}

// refused fails the test unless the API answered 400 with a problem whose
// message says want, and returns the problems.
func refused(t *testing.T, status int, body, want string) []scripts.Problem {
	t.Helper()
	var v validation
	if err := json.Unmarshal([]byte(body), &v); status != http.StatusBadRequest || err != nil {
		t.Fatalf("got %d %.300s, want 400", status, body)
	}
	for _, p := range v.Details {
		if strings.Contains(p.Message, want) {
			return v.Details
		}
	}
	t.Fatalf("no problem says %q: %.500s", want, body)
	return nil
}

func TestADeployPastTheEndpointLimitIsRefusedNamingIt(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/kept", "return 1")
	var sol scripts.Solution
	for i := range scripts.MaxEndpoints + 1 {
		sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{Path: fmt.Sprintf("/e%d", i), Script: "return 1"})
	}
	body, _ := json.Marshal(sol)
	status, resp := g.API("PUT", "/api/v1/solution", string(body))
	refused(t, status, resp, "10001 endpoints: over the limit of 10000 endpoints in a solution")
	if status, _ := g.API("GET", "/api/v1/solution/endpoints?path=/kept", ""); status != http.StatusOK {
		t.Errorf("the refused deploy changed the solution: /kept answers %d", status)
	}
}

func TestEveryWayOfDeployingHoldsScriptsToMaxScriptBytes(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.MaxScriptBytes = 1024 })
	big := "return 1\n" + strings.Repeat("-- padding\n", 200)

	// A whole solution may be 64 scripts long, but no one script more.
	body, _ := json.Marshal(scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/big", Script: big}}})
	status, resp := g.API("PUT", "/api/v1/solution", string(body))
	if ps := refused(t, status, resp, "over the limit of 1024 bytes per script"); ps[0].File != "/big" {
		t.Errorf("problem names %q, want /big", ps[0].File)
	}

	// serve --project and --watch deploy through Deploy.
	err := g.Server().Deploy(scripts.Solution{Modules: map[string]string{"big": big}})
	if err == nil || !strings.Contains(err.Error(), "big: script of 2209 bytes: over the limit of 1024 bytes per script") {
		t.Errorf("Deploy of a script over the limit = %v", err)
	}

	// Scripts put one at a time, each within the limit, stop at what one
	// whole solution could hold.
	module := strings.Repeat("-", 1020)
	for i := range 64 {
		if status, resp := g.API("PUT", fmt.Sprintf("/api/v1/solution/modules/m%d", i), module); status != http.StatusOK {
			t.Fatalf("module %d: %d %s", i, status, resp)
		}
	}
	status, resp = g.API("PUT", "/api/v1/solution/modules/one-too-many", module)
	refused(t, status, resp, "66300 bytes of scripts: over the limit of 65536 bytes in a solution")
}

func TestOverlongPathsAndNamesAre400sThatDoNotRepeatThem(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	long := "/" + strings.Repeat("a", 500_000)
	body, _ := json.Marshal(scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: long, Script: "return 1"}}})
	header := "--#ENDPOINT " + strings.Repeat("M", 300_000) + " /x\nreturn 1\n"
	pathHeader := "--#ENDPOINT WEBSOCKET " + long[:300_000] + "\nreturn 1\n"
	name := strings.Repeat("n", 20_000)
	query := url.QueryEscape(long[:20_000])
	for _, tt := range []struct {
		method, path, body string
		status             int
		says               string
	}{
		{"PUT", "/api/v1/solution", string(body), 400, "longer than 2048 bytes, the limit of an endpoint path"},
		{"PUT", "/api/v1/solution/endpoints", pathHeader, 400, "longer than 2048 bytes, the limit of an endpoint path"},
		{"PUT", "/api/v1/solution/endpoints", header, 400, "is not supported"},
		{"PUT", "/api/v1/solution/modules/" + name, "return 1", 400, "longer than 2048 bytes, the limit of a module name"},
		{"GET", "/api/v1/solution/modules/" + name, "", 404, "no module"},
		{"GET", "/api/v1/solution/endpoints?path=" + query, "", 404, "no endpoint"},
		{"DELETE", "/api/v1/solution/endpoints?path=" + query, "", 404, "no endpoint"},
		{"GET", "/" + name, "", 404, "no endpoint at"},
		{"GET", "/api/v1/solution/" + name, "", 404, "no management route"},
		{"POST", "/api/v1/solution/sockets/x/messages", `{"message":"m","type":"` + name + `"}`, 400, "type must be"},
	} {
		status, resp := g.API(tt.method, tt.path, tt.body)
		if status != tt.status || !strings.Contains(resp, tt.says) {
			t.Errorf("%s %.60s: %d %.300s, want %d saying %q", tt.method, tt.path, status, resp, tt.status, tt.says)
		}
		if len(resp) > 2048 {
			t.Errorf("%s %.60s: an answer of %d bytes repeats its input", tt.method, tt.path, len(resp))
		}
	}
}

func TestAScriptNestedTooDeepIsRefusedAtItsLineWithoutBeingCompiled(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	// gopher-lua's compiler took 25 s over a 1 MiB chain like this one.
	chain := "--#ENDPOINT WEBSOCKET /deep\nlocal a = 'x'\nreturn a" + strings.Repeat(" .. a", 30_000) + "\n"
	status, resp := g.API("PUT", "/api/v1/solution/endpoints", chain)
	ps := refused(t, status, resp, "more than 200 operators in one expression")
	if ps[0].File != "/deep" || ps[0].Line != 3 {
		t.Errorf("problem at %s:%d, want /deep:3", ps[0].File, ps[0].Line)
	}
}

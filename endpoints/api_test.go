package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestManagementAPIRequiresTheToken(t *testing.T) {
	g := lgtesting.NewGateway(t)
	for _, token := range []string{"", "wrong"} {
		for _, route := range []string{"/api/v1/solution", "/api/v1/solution/endpoints", "/api/v1/solution/sockets"} {
			status, body := g.APIAs(token, "GET", route, "")
			if status != http.StatusUnauthorized || !strings.Contains(body, `"status":401`) {
				t.Errorf("GET %s with token %q: %d %s", route, token, status, body)
			}
		}
	}
	status, body := g.APIAs("", "GET", "/api/v1/solution/health", "")
	if status != http.StatusOK || body != "OK" {
		t.Errorf("health: %d %q", status, body)
	}
}

func TestInvalidDeployChangesNothing(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/keep", `return "kept"`)
	c := g.Dial("/keep")
	c.Expect("kept")
	_, before := g.API("GET", "/api/v1/solution", "")

	bad := `{"endpoints":[
	  {"path":"/keep","script":"return \"replaced\""},
	  {"path":"/broken","script":"local x = \n\nif then end"},
	  {"path":"no-slash","script":"return 1"},
	  {"path":"/api/v1/solution/mine","script":"return 1"},
	  {"path":"/d/{a}/{a}","script":"return 1"},
	  {"path":"/e/{}","script":"return 1"}],
	 "modules":{"../evil":"return 1"}}`
	status, body := g.API("PUT", "/api/v1/solution", bad)
	if status != http.StatusBadRequest {
		t.Fatalf("invalid solution: %d %s", status, body)
	}
	var resp struct {
		Type    string
		Status  int
		Details []struct {
			File    string
			Line    int
			Message string
		}
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Status != 400 || len(resp.Details) != 6 {
		t.Fatalf("want 6 problems in the error, got %s", body)
	}
	located := false
	for _, d := range resp.Details {
		located = located || d.File == "/broken" && d.Line == 3
	}
	if !located {
		t.Errorf("no problem located at /broken:3: %s", body)
	}
	if _, after := g.API("GET", "/api/v1/solution", ""); after != before {
		t.Fatalf("solution changed by a refused deploy:\n%s\nwas:\n%s", after, before)
	}
	c.Send("x")
	c.Expect("kept")

	conflict := `{"endpoints":[{"path":"/c/{x}","script":"return 1"},{"path":"/c/fixed","script":"return 1"}]}`
	if status, body := g.API("PUT", "/api/v1/solution", conflict); status != http.StatusBadRequest || !strings.Contains(body, "conflicts") {
		t.Errorf("conflicting routes: %d %s", status, body)
	}
	if status, body := g.API("PUT", "/api/v1/solution", `{"endpoints":[],"extra":1}`); status != http.StatusBadRequest || !strings.Contains(body, "extra") {
		t.Errorf("unknown field: %d %s", status, body)
	}
	// A null endpoint is refused by its place in the list, before anything
	// would take it for an endpoint.
	if status, body := g.API("PUT", "/api/v1/solution", `{"endpoints":[{"path":"/n","script":"return 1"},null]}`); status != http.StatusBadRequest || !strings.Contains(body, "an endpoint is null: endpoints[1]") {
		t.Errorf("null endpoint: %d %s", status, body)
	}
	if _, after := g.API("GET", "/api/v1/solution", ""); after != before {
		t.Fatalf("solution changed by a refused deploy:\n%s\nwas:\n%s", after, before)
	}
}

func TestSolutionRoundTripAndRawEndpointUpload(t *testing.T) {
	g := lgtesting.NewGateway(t)
	raw := "--#ENDPOINT WEBSOCKET /raw/{id}\nreturn 'one ' .. websocketInfo.parameters.id\n" +
		"--#ENDPOINT websocket /two\nlocal u = require(\"src.utils\")\nreturn u.shout(\"two\")\n"
	if status, body := g.API("PUT", "/api/v1/solution/modules/src.utils", `local M = {} function M.shout(s) return string.upper(s) end return M`); status != 200 {
		t.Fatalf("put module: %d %s", status, body)
	}
	status, body := g.API("PUT", "/api/v1/solution/endpoints", raw)
	if status != 200 || !strings.Contains(body, `"modules":["src.utils"],"eventhandlers":[]`) {
		t.Fatalf("raw upload: %d %s", status, body)
	}
	g.Dial("/raw/9").Expect("one 9")
	g.Dial("/two").Expect("TWO")

	status, list := g.API("GET", "/api/v1/solution/endpoints", "")
	var eps []struct {
		Path      string
		SHA256    string
		UpdatedAt string `json:"updated_at"`
	}
	_ = json.Unmarshal([]byte(list), &eps)
	if status != 200 || len(eps) != 2 || eps[0].Path != "/raw/{id}" {
		t.Fatalf("list endpoints: %d %s", status, list)
	}
	status, one := g.API("GET", "/api/v1/solution/endpoints?path=/two", "")
	if status != 200 || !strings.Contains(one, `"script"`) || !strings.Contains(one, "sha256") {
		t.Fatalf("get endpoint: %d %s", status, one)
	}

	_, whole := g.API("GET", "/api/v1/solution", "")
	if status, body := g.API("PUT", "/api/v1/solution", whole); status != 200 {
		t.Fatalf("put back what GET returned: %d %s", status, body)
	}
	if _, again := g.API("GET", "/api/v1/solution", ""); again != whole {
		t.Fatalf("round trip changed the solution:\n%s\n%s", whole, again)
	}

	if status, _ := g.API("PUT", "/api/v1/solution/endpoints", "--#ENDPOINT TRACE /rest\nreturn 1"); status != 400 {
		t.Errorf("unsupported method accepted: %d", status)
	}
	if status, _ := g.API("DELETE", "/api/v1/solution/endpoints?path=/nothing", ""); status != 404 {
		t.Errorf("delete missing endpoint: %d", status)
	}
	if status, _ := g.API("DELETE", "/api/v1/solution/endpoints?path=/two", ""); status != 200 {
		t.Errorf("delete endpoint: %d", status)
	}
	if status, _ := g.API("GET", "/api/v1/solution/endpoints?path=/two", ""); status != 404 {
		t.Errorf("deleted endpoint still there: %d", status)
	}
}

func TestSolutionSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	g := lgtesting.StartGateway(t, dir)
	g.Deploy("/persist", `return "still here"`)
	g.API("PUT", "/api/v1/solution/modules/m", `return 1`)
	g.API("PUT", "/api/v1/solution/eventhandlers/websocket_info", seedEventHandler)
	_, before := g.API("GET", "/api/v1/solution", "")
	g.Stop()

	g2 := lgtesting.StartGateway(t, dir)
	if _, after := g2.API("GET", "/api/v1/solution", ""); after != before {
		t.Fatalf("after restart:\n%s\nbefore:\n%s", after, before)
	}
	g2.Dial("/persist").Expect("Welcome")
}

// A deploy's answer lists the endpoints as the listing of the endpoints
// does, what it escapes included.
func TestDeployAnswerListsTheEndpointsAsTheListingDoes(t *testing.T) {
	g := lgtesting.NewGateway(t)
	status, body := g.API("PUT", "/api/v1/solution", `{"endpoints":[
		{"path":"/b","script":"--#TAGS a<b&c\nreturn 1"},
		{"path":"/a/{room}","script":"return 2"},
		{"method":"GET","path":"/h","script":"return 3"}]}`)
	if status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	var answer struct {
		Endpoints json.RawMessage `json:"endpoints"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatal(err)
	}
	status, listing := g.API("GET", "/api/v1/solution/endpoints", "")
	if status != http.StatusOK {
		t.Fatalf("listing: %d %s", status, listing)
	}
	if got, want := string(answer.Endpoints), strings.TrimSpace(listing); got != want || !strings.Contains(got, "a<b&c") {
		t.Errorf("the deploy answered endpoints\n%s\nthe listing is\n%s", got, want)
	}
}

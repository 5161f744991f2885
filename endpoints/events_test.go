package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

func TestSocketsAPIPushesAndLists(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/p/{id}", `return nil`)
	c := g.Dial("/p/7?x=1")
	id := g.SocketIDs(1)[0]

	status, body := g.API("GET", "/api/v1/solution/sockets", "")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || status != 200 || len(list) != 1 {
		t.Fatalf("list sockets: %d %s", status, body)
	}
	if list[0]["socket_id"] != id || list[0]["route"] != "/p/{id}" {
		t.Errorf("socket listed as %v", list[0])
	}
	if status, body := g.API("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"from outside"}`); status != http.StatusNoContent {
		t.Fatalf("push: %d %s", status, body)
	}
	c.Expect("from outside")
	if status, _ := g.API("POST", "/api/v1/solution/sockets/nope/messages", `{"message":"x"}`); status != http.StatusNotFound {
		t.Errorf("push to unknown socket: %d", status)
	}
	if status, _ := g.API("POST", "/api/v1/solution/sockets/"+id+"/messages", `{"message":"x","type":"data-json"}`); status != http.StatusBadRequest {
		t.Errorf("push with a bad type: %d", status)
	}
	status, body = g.API("DELETE", "/api/v1/solution/sockets", "")
	if status != http.StatusOK || !strings.Contains(body, `"closed":1`) {
		t.Fatalf("close all: %d %s", status, body)
	}
	if code, _ := c.ExpectClose(); code != 1000 {
		t.Errorf("close code %d", code)
	}
}

func TestUpgradeAnswers(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/ws", `return nil`)
	resp, err := http.Get(g.URL("") + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("plain GET on an endpoint: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := resp.Header.Get("Upgrade"); got != "websocket" {
		t.Errorf("426 answer has Upgrade: %q, want websocket", got)
	}
	resp, err = http.Get(g.URL("") + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// A socket without path or query parameters keeps none (no empty map while
// idle), and still shows them as an empty table to its script and as {}
// in the sockets API.
func TestASocketWithoutParametersShowsThemEmpty(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/plain", `if websocketInfo.type ~= "data" then return end
local n = 0
for _ in pairs(websocketInfo.parameters) do n = n + 1 end
return type(websocketInfo.parameters) .. " " .. n`)
	c := g.Dial("/plain")
	g.SocketIDs(1)
	c.Send("count")
	c.Expect("table 0")
	status, body := g.API("GET", "/api/v1/solution/sockets", "")
	if status != http.StatusOK || !strings.Contains(body, `"parameters":{}`) {
		t.Fatalf("list sockets: %d %s, want parameters {}", status, body)
	}
}

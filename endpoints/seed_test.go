package endpoints_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

// The two examples of the WebSocket service documentation, verbatim.
const seedEndpointScript = `-- In a WebSocket Endpoint script:
if (websocketInfo.type == "open") then



  -- Reply to the connection

  websocketInfo.send("Welcome")
elseif (websocketInfo.type == "data") then



  -- Print the incoming message and close the connection

  print(websocketInfo.message)
  websocketInfo.close()
end
`

const seedEventHandler = `-- Same behavior in EventHandler script:
function handle_websocket_websocket_info (websocketInfo)
  local responseData = {
    ["socket_id"] = websocketInfo.socket_id
  }
  if (websocketInfo.type == "open") then
    responseData.message = "Welcome"
    Websocket.send(responseData)
  elseif (websocketInfo.type == "data") then
    print(websocketInfo.message)
    Websocket.close(responseData)
  end
end
`

func TestSeedEndpointExampleWelcomesPrintsAndCloses(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.Deploy("/demo", seedEndpointScript)
	c := g.Dial("/demo")
	c.Expect("Welcome")
	c.Send("hello from the client")
	if code, _ := c.ExpectClose(); code != 1000 {
		t.Fatalf("close code %d, want 1000", code)
	}
	lgtesting.Eventually(t, "the printed message in the log", func() bool {
		return strings.Contains(g.Logs.String(), "hello from the client")
	})
	logs := g.Logs.String()
	for _, want := range []string{"route=/demo", "event=data", "socket_id="} {
		if !strings.Contains(logs, want) {
			t.Errorf("print log line lacks %q:\n%s", want, logs)
		}
	}
}

func TestSeedEventHandlerExampleReceivesEveryEndpoint(t *testing.T) {
	g := lgtesting.NewGateway(t)
	// The endpoint script would answer differently: the handler replaces it.
	g.Deploy("/a/{x}", `websocketInfo.send("endpoint script ran")`)
	if status, body := g.API("PUT", "/api/v1/solution/eventhandlers/websocket_info", seedEventHandler); status != http.StatusOK {
		t.Fatalf("put handler: %d %s", status, body)
	}
	c := g.Dial("/a/1")
	c.Expect("Welcome")
	c.Send("bye")
	if code, _ := c.ExpectClose(); code != 1000 {
		t.Fatalf("close code %d, want 1000", code)
	}

	// Deleting the handler restores the endpoint scripts.
	if status, body := g.API("DELETE", "/api/v1/solution/eventhandlers/websocket_info", ""); status != http.StatusOK {
		t.Fatalf("delete handler: %d %s", status, body)
	}
	g.Dial("/a/2").Expect("endpoint script ran")
}

func TestEventHandlerSurvivesEndpointChanges(t *testing.T) {
	g := lgtesting.NewGateway(t)
	g.API("PUT", "/api/v1/solution/eventhandlers/websocket_info", seedEventHandler)
	g.Deploy("/one", `return "one"`)
	g.Deploy("/two", `return "two"`)
	g.API("DELETE", "/api/v1/solution/endpoints?path=/one", "")
	status, body := g.API("GET", "/api/v1/solution/eventhandlers/websocket_info", "")
	if status != http.StatusOK || body != seedEventHandler {
		t.Fatalf("handler after endpoint changes: %d %q", status, body)
	}
	g.Dial("/two").Expect("Welcome")
}

package runtime_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

// TestAClosedSocketIsGoneBeforeItsCloseEventEnds: once a close has
// succeeded, through the API or from a script, the socket is neither
// described nor listed, although its close event is still running.
func TestAClosedSocketIsGoneBeforeItsCloseEventEnds(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	// The close event spins until its timeout, so it is surely running
	// while the checks below are made.
	g.Deploy("/slow", `if websocketInfo.type == "close" then print("closing") while true do end end`)
	g.Deploy("/ops", `
if websocketInfo.type ~= "data" then return end
local id = websocketInfo.message
local err = Websocket.close({socket_id = id})
if err then return "close failed: " .. err.error end
local info = Websocket.info({socket_id = id})
for _, other in ipairs(Websocket.list()) do
  if other == id then return "still listed" end
end
return "info " .. tostring(info.status)`)

	g.Dial("/slow")
	id := g.SocketIDs(1)[0]
	if status, body := g.API(http.MethodDelete, "/api/v1/solution/sockets/"+id, ""); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if status, _ := g.API(http.MethodGet, "/api/v1/solution/sockets/"+id, ""); status != http.StatusNotFound {
		t.Fatalf("GET right after DELETE: %d, want 404", status)
	}
	if _, body := g.API(http.MethodGet, "/api/v1/solution/sockets", ""); strings.Contains(body, id) {
		t.Fatalf("listed after DELETE: %s", body)
	}
	if status, _ := g.API(http.MethodDelete, "/api/v1/solution/sockets/"+id, ""); status != http.StatusNotFound {
		t.Fatalf("second DELETE: %d, want 404", status)
	}
	lgtesting.Eventually(t, "the first close event to start", func() bool {
		return strings.Contains(g.Logs.String(), "closing")
	})

	g.Dial("/slow")
	ops := g.Dial("/ops")
	ids := g.SocketIDs(2)
	var target string
	for _, sn := range g.Hub().Sockets() {
		if sn.Route == "/slow" {
			target = sn.ID
		}
	}
	if target == "" {
		t.Fatalf("no /slow socket among %v", ids)
	}
	ops.Send(target)
	ops.Expect("info 404")
}

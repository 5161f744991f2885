package endpoints_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"

	"github.com/gorilla/websocket"
)

// TestEchoExampleDeploysAsTheReadmeSays uploads the echo example the way the
// README's curl does: the raw file as the body of PUT .../endpoints.
func TestEchoExampleDeploysAsTheReadmeSays(t *testing.T) {
	g := lgtesting.NewGateway(t)
	src, err := os.ReadFile("../testdata/examples/echo/endpoints/echo.lua")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := g.API("PUT", "/api/v1/solution/endpoints", string(src)); status != http.StatusOK {
		t.Fatalf("deploy echo: %d %s", status, body)
	}
	c := g.Dial("/echo")
	id := g.SocketIDs(1)[0]
	c.Expect("connected to /echo as " + id)
	c.Send("hello")
	c.Expect("hello")
	if err := c.Conn.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0x00}); err != nil {
		t.Fatal(err)
	}
	if typ, got := c.Read(); typ != websocket.BinaryMessage || got != "\xff\x00" {
		t.Fatalf("binary echo: type %d %q", typ, got)
	}
}

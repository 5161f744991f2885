package endpoints_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/gorilla/websocket"
)

// TestEchoExampleDeploysAsTheReadmeSays uploads the echo example the way the
// README's curl does: the raw file as the body of PUT .../endpoints.
func TestEchoExampleDeploysAsTheReadmeSays(t *testing.T) {
	g := newTestGateway(t)
	src, err := os.ReadFile("../testdata/examples/echo/endpoints/echo.lua")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := g.api("PUT", "/api/v1/solution/endpoints", string(src)); status != http.StatusOK {
		t.Fatalf("deploy echo: %d %s", status, body)
	}
	c := g.dial("/echo")
	id := g.socketIDs(1)[0]
	c.expect("connected to /echo as " + id)
	c.send("hello")
	c.expect("hello")
	if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0x00}); err != nil {
		t.Fatal(err)
	}
	if typ, got := c.read(); typ != websocket.BinaryMessage || got != "\xff\x00" {
		t.Fatalf("binary echo: type %d %q", typ, got)
	}
}

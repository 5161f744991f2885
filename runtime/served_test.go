package runtime_test

import (
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
)

// TestServedCountsEveryExecution: Served is what a deploy paces itself by
// while sockets are served, so it must move with every event a socket's
// script runs for.
func TestServedCountsEveryExecution(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/echo", `if websocketInfo.type == "data" then return websocketInfo.message end`)
	before := g.Engine().Served()
	c := g.Dial("/echo")
	const messages = 5
	for range messages {
		c.Send("ping")
		c.Expect("ping")
	}
	// The open event and one data event per message have run: each
	// reply is written by its own execution.
	if got := g.Engine().Served() - before; got != messages+1 {
		t.Fatalf("Served moved by %d over an open and %d messages, want %d", got, messages, messages+1)
	}
}

package runtime_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// TestChurnLeavesNothingBehind connects, talks and disconnects 2,000 times
// against scripts that fail at random, then checks that no socket is listed
// and no goroutine of theirs is left.
func TestChurnLeavesNothingBehind(t *testing.T) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/churn", `if math.random() < 0.3 then error("random failure") end
if websocketInfo.type == "data" then return websocketInfo.message end`)
	// One socket first, so that the engine's poller, which lives as long
	// as the engine, runs before the goroutines are counted.
	first := lgtesting.Dial(t, g.WSURL("/churn"))
	g.SocketIDs(1)
	first.Conn.Close()
	lgtesting.Eventually(t, "the first socket to be gone", func() bool { return len(g.Hub().List()) == 0 })
	before := goleak.IgnoreCurrent()
	const workers, cycles = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cycles {
				ws, _, err := websocket.DefaultDialer.Dial(g.WSURL("/churn"), nil)
				if err != nil {
					errs <- fmt.Errorf("worker %d cycle %d: %w", w, i, err)
					return
				}
				_ = ws.WriteMessage(websocket.TextMessage, []byte("x"))
				if i%2 == 0 { // half leave politely, half just drop
					_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
				}
				ws.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	lgtesting.Eventually(t, "every socket to be gone", func() bool { return len(g.Hub().List()) == 0 })
	// The engine keeps some idle workers for the next writes: they wait in
	// workpool, and a worker stuck in a socket's write would not.
	goleak.VerifyNone(t, before, goleak.IgnoreTopFunction("github.com/luagate/luagate/internal/workpool.(*Pool).work"))
}

package endpoints_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// TestChurnLeavesNothingBehind connects, talks and disconnects 2,000 times
// against scripts that fail at random, then checks that no socket is listed
// and no goroutine of theirs is left.
func TestChurnLeavesNothingBehind(t *testing.T) {
	g := newTestGateway(t, noRateLimit)
	g.deploy("/churn", `if math.random() < 0.3 then error("random failure") end
if websocketInfo.type == "data" then return websocketInfo.message end`)
	before := goleak.IgnoreCurrent()
	const workers, cycles = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range cycles {
				ws, _, err := websocket.DefaultDialer.Dial(g.wsURL("/churn"), nil)
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
	eventually(t, "every socket to be gone", func() bool { return len(g.engine.List()) == 0 })
	goleak.VerifyNone(t, before)
}

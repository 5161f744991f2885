package endpoints

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/runtime"
)

// TestADeployPausesWhileASocketIsServed deploys solutions of 300 new
// scripts, several Slices of paced work each, while a client echoes on one
// of the server's sockets as fast as the replies come: a deploy must pause
// for it (yield.PaceBy, Engine.Served). The test is not parallel: pauses
// are counted for the whole process, and the other tests' deploys would
// add theirs.
func TestADeployPausesWhileASocketIsServed(t *testing.T) {
	sol := benchSolution(300)
	// Unlimited, as its client sends as fast as the replies come.
	s, stop := openServerWith(t, t.TempDir(), runtime.Config{NoRateLimit: true})
	t.Cleanup(stop)
	if err := s.Deploy(sol); err != nil {
		t.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(serveLoopback(t, s.HTTPServer(s)), "http") + sol.Endpoints[0].Path
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoed := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			msg := fmt.Sprint("ping ", i)
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				echoed <- err
				return
			}
			_, got, err := c.ReadMessage()
			if err == nil && string(got) != msg {
				err = fmt.Errorf("echo %q for %q", got, msg)
			}
			if i == 0 || err != nil {
				echoed <- err // the socket is being served
			}
			if err != nil {
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	if err := <-echoed; err != nil {
		t.Fatal(err)
	}

	// A look at the traffic that comes long after the one before it says
	// nothing of when the count moved (yield's staleAfter), and on a
	// machine busy with other processes every look of one short deploy
	// can: so up to deploysToPause deploys, each of 300 changed scripts,
	// until one pauses.
	const deploysToPause = 10
	var paused uint64
	for n := 0; n < deploysToPause && paused == 0; n++ {
		before := yield.Pauses()
		for i := range sol.Endpoints {
			sol.Endpoints[i].Script += "\n-- changed"
		}
		if err := s.Deploy(sol); err != nil {
			t.Fatal(err)
		}
		paused = yield.Pauses() - before
	}
	close(done)
	select {
	case err := <-echoed:
		t.Fatalf("the socket failed during the deploy: %v", err)
	default:
	}
	if paused == 0 {
		t.Fatalf("none of %d deploys of 300 new scripts paused while a socket was being served", deploysToPause)
	}
}

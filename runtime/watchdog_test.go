package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// lockedBuffer is a log sink the test can read while the engine writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWatchdogStopsAMemoryHogAndReplacesItsState(t *testing.T) {
	logs := &lockedBuffer{}
	e, err := New(Config{
		ScriptMemory:  16 << 20,
		ScriptTimeout: 30 * time.Second, // the watchdog, not the timeout, must stop it
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	c, err := scripts.Compile(scripts.Solution{Endpoints: []scripts.Endpoint{{Path: "/hog", Script: `
if websocketInfo.message == "hog" then
  local t = {}
  while true do t[#t + 1] = string.rep("x", 100) .. #t end
end`}}})
	if err != nil {
		t.Fatal(err)
	}
	e.Load(c)
	conn := luaapi.NewConn(luaapi.Conn{ID: NewSocketID(), Route: "/hog", ConnectedAt: time.Now()})
	s := newSocket(e, nil, conn)
	event := func(msg string) *luaapi.Event {
		return &luaapi.Event{Type: luaapi.EventData, Conn: conn, Peer: s, Message: []byte(msg), Timestamp: time.Now()}
	}

	e.dispatch(s, event("hog"))
	if !strings.Contains(logs.String(), "exceeded the memory limit") {
		t.Fatalf("the hog was not stopped by the memory limit:\n%s", logs.String())
	}
	e.pool.mu.Lock()
	states := len(e.pool.all)
	e.pool.mu.Unlock()
	if states != 0 {
		t.Fatalf("the hog's state was kept: %d states in the pool", states)
	}

	e.dispatch(s, event("calm"))
	if n := strings.Count(logs.String(), "script failed"); n != 1 {
		t.Fatalf("a calm event after the hog failed too:\n%s", logs.String())
	}
	if e.pool.inUse() != 0 {
		t.Fatalf("%d states still counted in use", e.pool.inUse())
	}
}

package luaapi_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// postingSockets records whether each send to a socket id was a Send,
// whose result the script may read, or a Post, whose result it does not.
type postingSockets struct {
	noSockets
	mu    sync.Mutex
	calls []string
}

func (s *postingSockets) record(how string, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, how+" "+string(msg))
	return luaapi.ErrUnknownSocket
}

func (s *postingSockets) Send(_ string, msg []byte, _ bool) error { return s.record("send", msg) }
func (s *postingSockets) Post(_ string, msg []byte, _ bool) error { return s.record("post", msg) }

func TestWebsocketSendPostsOnlyWhenNobodyReadsItsResult(t *testing.T) {
	sockets := &postingSockets{}
	vm := luaapi.NewVM(luaapi.Options{Sockets: sockets})
	defer vm.Close()
	src := `
local function to(m) return {socket_id = "x", message = m} end
Websocket.send(to("statement"))
local err = Websocket.send(to("local"))
assert(err and err.status == 404, "the used result is the error")
local function tail(m) return Websocket.send(to(m)) end
tail("tail, discarded")
local e = tail("tail, used")
pcall(Websocket.send, to("pcall"))
if Websocket.send(to("condition")) then end
return Websocket.send(to("returned"))
`
	if err := run(vm, compile(t, "post", src), time.Second); err != nil {
		t.Fatal(err)
	}
	want := []string{"post statement", "send local", "post tail, discarded", "send tail, used", "send pcall",
		"send condition", "send returned"}
	if !slices.Equal(sockets.calls, want) {
		t.Fatalf("calls %q, want %q", sockets.calls, want)
	}
}

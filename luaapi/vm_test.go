package luaapi_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// noSockets is a gateway with no open sockets: every Websocket operation on
// an id fails as it would for a socket that closed.
type noSockets struct{}

func (noSockets) Send(string, []byte, bool) error        { return luaapi.ErrUnknownSocket }
func (noSockets) Close(string) error                     { return luaapi.ErrUnknownSocket }
func (noSockets) Info(string) (*luaapi.Conn, error)      { return nil, luaapi.ErrUnknownSocket }
func (noSockets) List() []string                         { return nil }
func (noSockets) CloseAll() int                          { return 0 }
func (noSockets) SendTo(luaapi.Target, []byte, bool) int { return 0 }
func (noSockets) CloseTo(luaapi.Target) int              { return 0 }
func (noSockets) ListOf(luaapi.Target) []string          { return nil }
func (noSockets) Join(string, string) error              { return luaapi.ErrUnknownSocket }
func (noSockets) Leave(string, string) error             { return luaapi.ErrUnknownSocket }
func (noSockets) Groups(string) ([]string, error)        { return nil, luaapi.ErrUnknownSocket }
func (noSockets) Presence(string) luaapi.Presence        { return luaapi.Presence{} }
func (noSockets) UserPresence(string, string) int        { return 0 }

// peer records what a script sends to its own socket.
type peer struct {
	mu     sync.Mutex
	sent   []string
	closed bool
}

func (p *peer) Send(msg []byte, _ bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, string(msg))
	return nil
}

func (p *peer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return nil
}

func newEvent(typ string, p *peer) *luaapi.Event {
	conn := luaapi.NewConn(luaapi.Conn{ID: "s1", URI: "ws://x/t", Route: "/t", ConnectedAt: time.Now()})
	return &luaapi.Event{Type: typ, Conn: conn, Peer: p, Message: []byte("m"), Timestamp: time.Now()}
}

func compile(t testing.TB, name, src string) *lua.FunctionProto {
	t.Helper()
	proto, err := scripts.CompileChunk(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return proto
}

func run(vm *luaapi.VM, proto *lua.FunctionProto, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return vm.Run(ctx, &luaapi.Program{Proto: proto}, newEvent(luaapi.EventData, &peer{}))
}

// TestLuaSuites runs every test_* function of the Lua files in testdata as a
// subtest, each in its own execution on one shared state, in file order, so
// a test can prove that what an earlier one did is gone.
func TestLuaSuites(t *testing.T) {
	files, _ := filepath.Glob("testdata/*_test.lua")
	if len(files) == 0 {
		t.Fatal("no Lua test files")
	}
	modules := map[string]*lua.FunctionProto{
		"src.utils": compile(t, "src.utils", `local M = {} function M.double(x) return x * 2 end return M`),
	}
	find := func(name string) (*lua.FunctionProto, bool) { p, ok := modules[name]; return p, ok }
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	testFunc := regexp.MustCompile(`(?m)^function (test_\w+)\(`)
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		proto := compile(t, filepath.Base(file), string(src))
		for _, m := range testFunc.FindAllStringSubmatch(string(src), -1) {
			t.Run(strings.TrimSuffix(filepath.Base(file), "_test.lua")+"/"+m[1], func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				err := vm.Run(ctx, &luaapi.Program{Proto: proto, Call: m[1], Modules: find}, newEvent(luaapi.EventData, &peer{}))
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestRunawayScriptsStopAtTheTimeoutAndTheStateStaysUsable(t *testing.T) {
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	ok := compile(t, "ok", `return "fine"`)
	for name, src := range map[string]string{
		"loop":           `while true do end`,
		"loop in pcall":  `pcall(function() while true do end end)`,
		"nested pcall":   `while true do pcall(function() pcall(function() while true do end end) end) end`,
		"coroutine.wrap": `coroutine.wrap(function() while true do end end)()`,
		"xpcall":         `xpcall(function() while true do end end, function(e) return e end) while true do end`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := run(vm, compile(t, name, src), 100*time.Millisecond)
			if !errors.Is(err, luaapi.ErrTimeout) {
				t.Fatalf("got %v, want a timeout", err)
			}
			if !regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:\d+: `).MatchString(err.Error()) {
				t.Errorf("error %q does not name the script and line", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("stopped after %s", d)
			}
			if err := run(vm, ok, time.Second); err != nil {
				t.Fatalf("state unusable after the timeout: %v", err)
			}
		})
	}
}

func TestStackAndRegistryOverflowAreScriptErrors(t *testing.T) {
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	for name, src := range map[string]string{
		"deep recursion":    `local function f(n) return 1 + f(n + 1) end return f(1)`,
		"registry overflow": `local t = {} for i = 1, 400000 do t[i] = i end return select("#", unpack(t))`,
	} {
		t.Run(name, func(t *testing.T) {
			err := run(vm, compile(t, name, src), 5*time.Second)
			var se *luaapi.ScriptError
			if !errors.As(err, &se) || errors.Is(err, luaapi.ErrTimeout) {
				t.Fatalf("got %v, want a script error", err)
			}
			if err := run(vm, compile(t, "ok", `return 1`), time.Second); err != nil {
				t.Fatalf("state unusable afterwards: %v", err)
			}
		})
	}
}

func TestEndpointReplyAndCloseEventRules(t *testing.T) {
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	proto := compile(t, "/r", `local websocketInfo, response = ...
local err = websocketInfo.send("direct")
if websocketInfo.type == "close" then
  assert(err.status == 404 and err.type == "NotFoundError", "send in close must fail")
  assert(websocketInfo.close().status == 404, "close in close must fail")
end
response.message = {n = 1}`)
	for _, typ := range []string{luaapi.EventOpen, luaapi.EventData, luaapi.EventClose} {
		p := &peer{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := vm.Run(ctx, &luaapi.Program{Proto: proto}, newEvent(typ, p))
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		want := []string{"direct", `{"n":1}`}
		if typ == luaapi.EventClose {
			want = nil
		}
		if strings.Join(p.sent, "|") != strings.Join(want, "|") {
			t.Errorf("%s event sent %q, want %q", typ, p.sent, want)
		}
	}
}

func TestRepliesThatCannotBeSentAreScriptErrors(t *testing.T) {
	t.Parallel()
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	for _, c := range []struct{ script, err, sent string }{
		{`return "fine"`, "", "fine"},
		{`return 42`, "", "42"},
		{`return true`, "", "true"},
		{`return {a = "\255"}`, "", `{"a":"\ufffd"}`},
		{`response.message = "é"`, "", "é"},
		{`return function() end`, "reply not sent: bad argument: a message must be a string, number, boolean or table, not a function", ""},
		{`return coroutine.create(print)`, "not a thread", ""},
		{`response.message = print`, "not a function", ""},
		{`return "\255\254"`, "reply not sent: bad argument: a data-text message must be valid UTF-8", ""},
		{`response.message = "ok \237\160\128"`, "must be valid UTF-8", ""},
	} {
		p := &peer{}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := vm.Run(ctx, &luaapi.Program{Proto: compile(t, "/r", "local websocketInfo, response = ...\n"+c.script)}, newEvent(luaapi.EventData, p))
		cancel()
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.script, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, luaapi.ErrBadArgument)):
			t.Errorf("%s: got error %v, want one saying %q", c.script, err, c.err)
		case c.err != "" && !strings.HasPrefix(err.Error(), "/r: "):
			t.Errorf("%s: error %q does not name the script", c.script, err)
		}
		if got := strings.Join(p.sent, "|"); got != c.sent {
			t.Errorf("%s: sent %q, want %q", c.script, got, c.sent)
		}
	}
}

package luaapi

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/scripts"
)

// nopSockets accepts every operation and does nothing, so that a benchmark
// measures the Lua side alone.
type nopSockets struct{}

func (nopSockets) Send(string, []byte, bool) error { return nil }
func (nopSockets) Close(string) error              { return nil }
func (nopSockets) Info(string) (*Conn, error)      { return nil, ErrUnknownSocket }
func (nopSockets) List() []string                  { return nil }
func (nopSockets) CloseAll() int                   { return 0 }
func (nopSockets) SendTo(Target, []byte, bool) int { return 0 }
func (nopSockets) CloseTo(Target) int              { return 0 }
func (nopSockets) ListOf(Target) []string          { return nil }
func (nopSockets) Join(string, string) error       { return nil }
func (nopSockets) Leave(string, string) error      { return nil }
func (nopSockets) Groups(string) ([]string, error) { return nil, ErrUnknownSocket }
func (nopSockets) Presence(string) Presence        { return Presence{} }
func (nopSockets) UserPresence(string, string) int { return 0 }

// nopPoster is nopSockets that can post, as the hub can.
type nopPoster struct{ nopSockets }

func (nopPoster) Post(string, []byte, bool) error { return nil }

type nopPeer struct{}

func (nopPeer) Send([]byte, bool) error { return nil }
func (nopPeer) Close() error            { return nil }

// benchConn is a connection with the headers a browser sends.
var benchConn = NewConn(Conn{
	ID:    "3f2a9c0e5b7d41e8a6c2f0b9d8e7a6c5",
	URI:   "ws://127.0.0.1:8080/chat/lobby?user=ann",
	Route: "/chat/{room}",
	Headers: map[string]string{
		"host": "127.0.0.1:8080", "upgrade": "websocket", "connection": "Upgrade",
		"sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13",
		"origin": "http://127.0.0.1:8080", "user-agent": "Mozilla/5.0",
	},
	Parameters:  map[string]string{"room": "lobby", "user": "ann"},
	ConnectedAt: time.Now(),
})

func benchEvent() *Event {
	return &Event{Type: EventData, Conn: benchConn, Peer: nopPeer{}, Message: []byte("hello"), Timestamp: time.Now()}
}

// compileEndpoint compiles src as an endpoint script, through the scripts
// package as a deploy does, so that benchmarks run what the server runs
// (its constants interned, for one).
func compileEndpoint(tb testing.TB, src string) *Program {
	tb.Helper()
	proto, err := scripts.CompileChunk("endpoint.lua", "local websocketInfo, response = ...; "+src)
	if err != nil {
		tb.Fatal(err)
	}
	return &Program{Proto: proto}
}

// runBench runs src for a data event b.N times on one VM.
func runBench(b *testing.B, src string) { runSocketsBench(b, nopSockets{}, src) }

// runSocketsBench is runBench with the scripts' Websocket module backed by
// sockets.
func runSocketsBench(b *testing.B, sockets Sockets, src string) {
	vm := NewVM(Options{Sockets: sockets})
	defer vm.Close()
	p := compileEndpoint(b, src)
	ev := benchEvent()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := vm.Run(ctx, p, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunTrivialScript(b *testing.B) {
	runBench(b, `if websocketInfo.type == "data" then local m = websocketInfo.message end`)
}

func BenchmarkRunEchoScript(b *testing.B) {
	runBench(b, `websocketInfo.send(websocketInfo.message, websocketInfo.message_type)`)
}

func BenchmarkWebsocketSend(b *testing.B) {
	runSocketsBench(b, nopPoster{}, `Websocket.send({socket_id = websocketInfo.socket_id, message = websocketInfo.message})`)
}

// BenchmarkNewInfo fills websocketInfo for an event and releases it after,
// as every execution does.
func BenchmarkNewInfo(b *testing.B) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	ev := benchEvent()
	b.ReportAllocs()
	for b.Loop() {
		vm.tables.newInfo(vm.L, ev, vm.infoSend, vm.infoClose, vm.reusedMeta)
		vm.tables.release()
	}
}

// BenchmarkNewInfoEachEventAnotherConnection is BenchmarkNewInfo as a
// pooled state sees events under load: each of another connection (with
// the same headers' names, other values) and another message.
func BenchmarkNewInfoEachEventAnotherConnection(b *testing.B) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	evs := make([]*Event, 64)
	for i := range evs {
		c := *benchConn
		c.ID = fmt.Sprintf("%032d", i)
		c.Headers = benchConn.HeaderMap()
		c.Headers["sec-websocket-key"] = fmt.Sprintf("%024d", i)
		c.Parameters = maps.Clone(benchConn.Parameters)
		evs[i] = benchEvent()
		evs[i].Conn = NewConn(c)
		evs[i].Message = fmt.Appendf(nil, "message %d of the load, some 64 bytes long as the load tool's are", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		vm.tables.newInfo(vm.L, evs[i%len(evs)], vm.infoSend, vm.infoClose, vm.reusedMeta)
		vm.tables.release()
		i++
	}
}

// typicalJSON is a chat message as scripts exchange them.
const typicalJSON = `{"type":"message","room":"lobby","from":"ann","text":"hello there, how is everyone?","ts":1732406400000,"tags":["greeting","public"],"meta":{"client":"web","version":3}}`

func BenchmarkJSONEncode(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	t := L.NewTable()
	t.RawSetString("type", lua.LString("message"))
	t.RawSetString("room", lua.LString("lobby"))
	t.RawSetString("from", lua.LString("ann"))
	t.RawSetString("text", lua.LString("hello there, how is everyone?"))
	t.RawSetString("ts", lua.LNumber(1732406400000))
	tags := L.NewTable()
	tags.Append(lua.LString("greeting"))
	tags.Append(lua.LString("public"))
	t.RawSetString("tags", tags)
	meta := L.NewTable()
	meta.RawSetString("client", lua.LString("web"))
	meta.RawSetString("version", lua.LNumber(3))
	t.RawSetString("meta", meta)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeJSON(t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONDecode(b *testing.B) {
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("from_json", L.NewFunction(fromJSON))
	fn := L.GetGlobal("from_json")
	arg := lua.LString(typicalJSON)
	b.ReportAllocs()
	for b.Loop() {
		if err := L.CallByParam(lua.P{Fn: fn, NRet: 2}, arg); err != nil {
			b.Fatal(err)
		}
		L.SetTop(0)
	}
}

package luaapi

import (
	"context"
	"fmt"
	"testing"
)

// roomSockets is a room of sockets that all look like benchConn, for the
// benchmarks of the functions that return socket records and ids.
type roomSockets struct {
	nopSockets
	conns []*Conn
}

func (roomSockets) Info(string) (*Conn, error)       { return benchConn, nil }
func (r roomSockets) ListConns() ([]*Conn, []string) { return r.conns, nil }

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

// BenchmarkWebsocketInfo is one Websocket.info call per execution, less
// BenchmarkRunTrivialScript's cost of the execution itself.
func BenchmarkWebsocketInfo(b *testing.B) {
	runSocketsBench(b, roomSockets{}, `local i = Websocket.info({socket_id = websocketInfo.socket_id})`)
}

// BenchmarkWebsocketList lists a room of 1,000 sockets per execution.
func BenchmarkWebsocketList(b *testing.B) {
	conns := make([]*Conn, 1000)
	for i := range conns {
		conns[i] = NewConn(Conn{ID: fmt.Sprintf("%032x", i)})
	}
	runSocketsBench(b, roomSockets{conns: conns}, `local l = Websocket.list()`)
}

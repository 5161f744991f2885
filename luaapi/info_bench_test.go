package luaapi

import (
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

// BenchmarkWebsocketInfoCall is the call alone: an execution makes 100
// calls with one argument table, and the figures reported per call are
// the execution's over 100.
func BenchmarkWebsocketInfoCall(b *testing.B) {
	runSocketsBench(b, roomSockets{}, `local a = {socket_id = websocketInfo.socket_id}
for _ = 1, 100 do local i = Websocket.info(a) end`)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/call")
}

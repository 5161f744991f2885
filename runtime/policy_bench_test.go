package runtime

import (
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// BenchmarkDispatchRouted dispatches a JSON message that --#ROUTESELECT
// routes to a module function: the one decode routing costs, beside
// BenchmarkDispatchData's unrouted message.
func BenchmarkDispatchRouted(b *testing.B) {
	e := benchEngine(b, `return nil`)
	c, err := scripts.Compile(scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/b", Script: "--#ENDPOINT WEBSOCKET /b\n--#ROUTESELECT $.action\n--#ROUTE join rooms.join\n"}},
		Modules:   map[string]string{"rooms": "return {join = function(w) local m = w.message end}"},
	})
	if err != nil {
		b.Fatal(err)
	}
	e.Load(c)
	s := detachedSocket(b, e, hub.Conn{ID: hub.NewID(), Route: "/b", ConnectedAt: time.Now()})
	ev := &luaapi.Event{Type: luaapi.EventData, Conn: s.conn, Peer: s, Message: []byte(`{"action":"join","room":"lobby"}`), Timestamp: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		ev.RouteKey, ev.HasRouteValue = "", false
		e.dispatch(s, ev)
	}
}

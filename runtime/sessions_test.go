package runtime

import (
	"testing"
	"time"

	"github.com/luagate/luagate/session"
)

func TestASocketBothOpenAndClosedIsListedOnceAsClosed(t *testing.T) {
	t.Parallel()
	at := time.Unix(100, 0)
	got := newestFirst([]session.Record{
		{SocketID: "a", ConnectedAt: at, Status: session.Active},
		{SocketID: "old", ConnectedAt: at.Add(-time.Second), Status: session.Closed},
		{SocketID: "a", ConnectedAt: at, Status: session.Closed},
		{SocketID: "b", ConnectedAt: at, Status: session.Active},
	})
	if len(got) != 3 || got[0].SocketID != "b" || got[1].SocketID != "a" || got[1].Status != session.Closed || got[2].SocketID != "old" {
		t.Fatalf("sorted %+v", got)
	}
}

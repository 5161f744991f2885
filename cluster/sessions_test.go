package cluster_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

func TestTheSessionsAPIGathersEveryNodesSessions(t *testing.T) {
	gws := newCluster(t)
	gone := gws[1].Dial("/c?user=gone")
	goneID := gws[1].SocketIDs(1)[0]
	gws[2].Dial("/c?user=open")
	openID := gws[2].SocketIDs(1)[0]
	gone.Conn.Close()
	api := gws[0]
	lgtesting.Eventually(t, "node1 to list node2's closed session", func() bool {
		_, body := api.API(http.MethodGet, wire.Prefix+"/sessions?status=closed", "")
		return strings.Contains(body, goneID)
	})
	_, body := api.API(http.MethodGet, wire.Prefix+"/sessions?status=active", "")
	if !strings.Contains(body, openID) || strings.Contains(body, goneID) {
		t.Fatalf("active sessions: %s", body)
	}
	for _, id := range []string{goneID, openID} {
		if status, body := api.API(http.MethodGet, wire.Prefix+"/sessions/"+id, ""); status != http.StatusOK || !strings.Contains(body, id) {
			t.Fatalf("session %s: %d %s", id, status, body)
		}
	}
	if status, _ := api.API(http.MethodGet, wire.Prefix+"/sessions/node2-"+strings.Repeat("0", 32), ""); status != http.StatusNotFound {
		t.Fatalf("unknown session: %d", status)
	}
}

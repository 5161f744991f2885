package cluster_test

import (
	"net/http"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

func TestTheScriptLogListsEveryNodesRecords(t *testing.T) {
	t.Parallel()
	gws := lgtesting.NewCluster(t, lgtesting.NATS(t), 3, lgtesting.NoRateLimit)
	sol := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/p", Script: `--#ENDPOINT WEBSOCKET /p
if websocketInfo.type == "data" then print("said " .. websocketInfo.message) return "ok" end`}}}
	if status, body := gws[0].PutSolution(sol); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	for _, g := range gws {
		lgtesting.Eventually(t, "the solution on every node", func() bool { return len(g.Server().Serving().Endpoints) == 1 })
	}
	for _, g := range gws[:2] {
		if got := g.Dial("/p").Ask(g.Cluster().ID()); got != "ok" {
			t.Fatalf("%s answered %q", g.Cluster().ID(), got)
		}
	}
	var got wire.Logs
	lgtesting.Eventually(t, "node3 to list both nodes' records", func() bool {
		gws[2].GetJSON(wire.Prefix+"/logs?route=/p", &got)
		return len(got.Records) == 2
	})
	if a, b := got.Records[0].ScriptOutput, got.Records[1].ScriptOutput; len(a) != 1 || len(b) != 1 || a[0] != "said node1" || b[0] != "said node2" {
		t.Fatalf("records, oldest first: %+v", got.Records)
	}
	gws[2].GetJSON(wire.Prefix+"/logs?route=/p&limit=1", &got)
	if len(got.Records) != 1 || got.Records[0].ScriptOutput[0] != "said node2" {
		t.Fatalf("the newest record: %+v", got.Records)
	}
}

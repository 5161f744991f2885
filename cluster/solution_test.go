package cluster_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

func echo(word string) scripts.Solution {
	return scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/e", Script: "--#ENDPOINT WEBSOCKET /e\n" +
		`if websocketInfo.type == "data" then return "` + word + `" end`}}}
}

func TestADeployOnOneNodeIsLiveOnEvery(t *testing.T) {
	gws := newCluster(t)
	if status, body := gws[1].PutSolution(echo("v2")); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	for i, g := range gws {
		lgtesting.Eventually(t, fmt.Sprintf("node%d to serve the new revision", i+1), func() bool {
			status, _ := lgtesting.Request(t, "", http.MethodGet, g.URL("/e"), "")
			return status != http.StatusNotFound
		})
		c := g.Dial("/e")
		if got := c.Ask("x"); got != "v2" {
			t.Fatalf("node%d answers %q", i+1, got)
		}
	}
	// The same solution again is no new revision, on any node.
	if status, body := gws[2].PutSolution(echo("v2")); status != http.StatusOK || !strings.Contains(body, `"revision":2`) {
		t.Fatalf("same deploy on node3: %d %s", status, body)
	}
	// node3's local copy is at revision 2, so its deploy is the third.
	if status, body := gws[2].PutSolution(echo("v3")); status != http.StatusOK || !strings.Contains(body, `"revision":3`) {
		t.Fatalf("deploy on node3: %d %s", status, body)
	}
}

func TestConcurrentDeploysOnTwoNodesRefuseOne(t *testing.T) {
	gws := newCluster(t)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = gws[i].PutSolution(echo(fmt.Sprintf("from%d", i)))
		}()
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		}
	}
	// Both may succeed one after the other when the second saw the
	// first before it began; never may both win against one revision.
	if ok == 0 || ok+conflict != 2 {
		t.Fatalf("statuses %v", statuses)
	}
	for _, g := range gws {
		lgtesting.Eventually(t, "every node to run the winner", func() bool {
			return g.Server().Serving().Endpoints[0].Script == gws[0].Server().Serving().Endpoints[0].Script &&
				g.Server().Serving().Endpoints[0].Path == "/e"
		})
	}
}

func TestAConflictingDeployAnswers409(t *testing.T) {
	gws := newCluster(t)
	gws[1].Cluster().ForgetLatest()
	status, body := gws[1].PutSolution(echo("second"))
	if status != http.StatusConflict || !strings.Contains(body, "ConflictError") {
		t.Fatalf("stale deploy: %d %s", status, body)
	}
	for _, g := range gws {
		if g.Engine().Solution().Endpoints[0].Path != "/c" {
			t.Fatal("a refused deploy changed a node's solution")
		}
	}
}

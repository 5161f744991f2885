package cluster_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

func TestSocketIDsNameTheirNode(t *testing.T) {
	gws := newCluster(t)
	gws[1].Dial("/c?user=ann")
	id := gws[1].SocketIDs(1)[0]
	if got := hub.NodeOf(id); got != "node2" {
		t.Fatalf("socket id %s names node %q, want node2", id, got)
	}
}

func TestEveryOperationReachesASocketOnAnotherNode(t *testing.T) {
	gws := newCluster(t)
	far := gws[2].Dial("/c?user=bob&session=tab")
	id := gws[2].SocketIDs(1)[0]
	c := gws[0].Dial("/c?user=ann")

	for _, step := range [][2]string{
		{"send socket_id " + id + " hello", "sent nil"},
		{"info " + id, "info " + id + " /c bob"},
		{"join " + id + " red", "joined nil"},
	} {
		cmd, want := step[0], step[1]
		if got := c.Ask(cmd); got != want {
			t.Fatalf("%s: got %q, want %q", cmd, got, want)
		}
	}
	far.Expect("hello")
	if got := c.Ask("groups " + id); got != "groups red" {
		t.Fatalf("groups: %q", got)
	}
	lgtesting.Eventually(t, "node1 to see bob in red on node3", func() bool {
		return c.Ask("presence red") == "presence 1 bob=1"
	})
	for _, step := range [][2]string{
		{"presence red bob", "presence 1"},
		{"members red", "members 1"},
		{"list user_id bob", "list 1"},
		{"list session_name tab", "list 1"},
		{"list", "list 2"},
		{"list route /c", "list 2"},
		{"send user_id bob u", "sent 1"},
		{"send session_name tab s", "sent 1"},
		{"send group red g", "sent 1"},
		{"leave " + id + " red", "left nil"},
		{"send socket_id nodeX-" + strings.Repeat("0", 32) + " x", "sent error 404 NotFoundError"},
	} {
		cmd, want := step[0], step[1]
		if got := c.Ask(cmd); got != want {
			t.Fatalf("%s: got %q, want %q", cmd, got, want)
		}
	}
	for _, want := range []string{"u", "s", "g"} {
		far.Expect(want)
	}
	if got := c.Ask("close socket_id " + id); got != "closed nil" {
		t.Fatalf("close: %q", got)
	}
	if code, text := far.ExpectClose(); code != 1000 || text != "closed by script" {
		t.Fatalf("close frame %d %q", code, text)
	}
	if got := c.Ask("info " + id); got != "error 404 NotFoundError" {
		t.Fatalf("info of a closed remote socket: %q", got)
	}
}

func TestTheSocketsAPIReachesEveryNode(t *testing.T) {
	gws := newCluster(t)
	far := gws[1].Dial("/c?user=bob")
	id := gws[1].SocketIDs(1)[0]
	gws[2].Dial("/c?user=cy")
	gws[2].SocketIDs(1)

	api := gws[0]
	if status, body := api.API(http.MethodGet, wire.Prefix+"/sockets", ""); status != http.StatusOK || strings.Count(body, `"socket_id"`) != 2 {
		t.Fatalf("list: %d %s", status, body)
	}
	if status, body := api.API(http.MethodGet, wire.Prefix+"/sockets/"+id, ""); status != http.StatusOK || !strings.Contains(body, `"user_id":"bob"`) {
		t.Fatalf("get: %d %s", status, body)
	}
	lgtesting.Eventually(t, "node1 to know bob is on node2", func() bool {
		_, body := api.API(http.MethodGet, wire.Prefix+"/users/bob/sockets", "")
		return strings.Count(body, `"socket_id"`) == 1
	})
	if status, body := api.API(http.MethodPost, wire.Prefix+"/sockets/"+id+"/messages", `{"message":"api"}`); status != http.StatusNoContent {
		t.Fatalf("post: %d %s", status, body)
	}
	far.Expect("api")
	if status, body := api.API(http.MethodPost, wire.Prefix+"/users/bob/messages", `{"message":"to bob"}`); status != http.StatusOK || !strings.Contains(body, `"sent":1`) {
		t.Fatalf("post to user: %d %s", status, body)
	}
	far.Expect("to bob")
	if status, body := api.API(http.MethodDelete, wire.Prefix+"/sockets/"+id, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	if code, _ := far.ExpectClose(); code != 1000 {
		t.Fatalf("close code %d", code)
	}
	if status, body := api.API(http.MethodDelete, wire.Prefix+"/sockets", ""); status != http.StatusOK || !strings.Contains(body, `"closed":1`) {
		t.Fatalf("delete all: %d %s", status, body)
	}
	lgtesting.Eventually(t, "no socket left anywhere", func() bool { return len(api.Hub().List()) == 0 })
}

func TestCloseAllFromAScriptClosesEveryNodesSockets(t *testing.T) {
	gws := newCluster(t)
	others := []*lgtesting.Client{gws[1].Dial("/c?user=b"), gws[2].Dial("/c?user=c")}
	gws[1].SocketIDs(1)
	gws[2].SocketIDs(1)
	c := gws[0].Dial("/c?user=a")
	if got := c.Ask("list"); got != "list 3" {
		t.Fatalf("list: %q", got)
	}
	c.Send("closeAll")
	for _, o := range others {
		if code, _ := o.ExpectClose(); code != 1000 {
			t.Fatalf("close code %d", code)
		}
	}
}

func TestConcurrentCrossNodeSendsKeepEachSendersOrder(t *testing.T) {
	gws := newCluster(t)
	far := gws[1].Dial("/c?user=far")
	id := gws[1].SocketIDs(1)[0]
	const senders, each = 6, 40
	clients := make([]*lgtesting.Client, senders)
	for i := range clients {
		clients[i] = gws[0].Dial("/c?user=s")
	}
	unknown := "node2-" + strings.Repeat("0", 32)
	for n := range each {
		for i, c := range clients {
			c.Send(fmt.Sprintf("send socket_id %s %d-%d", id, i, n))
			if n == each/2 {
				c.Send("send socket_id " + unknown + " lost")
			}
		}
	}
	for _, c := range clients {
		errors := 0
		for range each + 1 {
			switch got := c.Next(); got {
			case "sent nil":
			case "sent error 404 NotFoundError":
				errors++
			default:
				t.Fatalf("answer %q", got)
			}
		}
		if errors != 1 {
			t.Fatalf("%d sends to an unknown socket failed, want 1", errors)
		}
	}
	next := make([]int, senders)
	for range senders * each {
		var i, n int
		if _, err := fmt.Sscanf(far.Next(), "%d-%d", &i, &n); err != nil {
			t.Fatal(err)
		}
		if n != next[i] {
			t.Fatalf("from sender %d got message %d, want %d", i, n, next[i])
		}
		next[i]++
	}
}

func TestRequestsReachAClientOnAnotherNode(t *testing.T) {
	gws := newCluster(t)
	far := gws[2].Dial("/c?user=bob")
	id := gws[2].SocketIDs(1)[0]
	c := gws[0].Dial("/c?user=ann")

	if got := c.Ask("sendwait " + id + " written"); got != "delivered nil" {
		t.Fatalf("send with wait to another node: %q", got)
	}
	far.Expect("written")

	answered := make(chan error, 1)
	go func() {
		var req struct {
			RequestID string `json:"request_id"`
			Event     string `json:"event"`
			Content   struct {
				Q string `json:"q"`
			} `json:"content"`
		}
		if err := json.Unmarshal([]byte(far.Next()), &req); err != nil {
			answered <- err
			return
		}
		if req.Event != "ask" || req.Content.Q != "color?" {
			answered <- fmt.Errorf("request %+v", req)
			return
		}
		far.Send(fmt.Sprintf(`{"response_to":%q,"content":{"a":"blue"}}`, req.RequestID))
		answered <- nil
	}()
	if got := c.Ask("request " + id + " ask color?"); got != "replied blue" {
		t.Fatalf("request to another node: %q", got)
	}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if got := c.Ask("request nodeX-" + strings.Repeat("0", 32) + " ask x"); got != "replied error 404 NotFoundError" {
		t.Fatalf("request to a socket of no node: %q", got)
	}
}

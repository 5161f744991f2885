package cluster_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

func TestAKeyMadeOnOneNodeOpensAndIsRevokedOnEvery(t *testing.T) {
	gws := newCluster(t)
	keyed := scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/k", Script: "--#ENDPOINT WEBSOCKET /k\n--#SECURITY apikey\n" +
		`if websocketInfo.type == "data" then return websocketInfo.user_id end`}}}
	if status, body := gws[0].PutSolution(keyed); status != http.StatusOK {
		t.Fatalf("deploy: %d %s", status, body)
	}
	status, body := gws[0].API(http.MethodPost, wire.Prefix+"/keys", `{"name":"app","user_id":"ann","scopes":["connect"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create key: %d %s", status, body)
	}
	var key wire.Key
	if err := json.Unmarshal([]byte(body), &key); err != nil {
		t.Fatal(err)
	}
	var clients []*lgtesting.Client
	for _, g := range gws[1:] {
		var c *lgtesting.Client
		lgtesting.Eventually(t, "the key and endpoint on every node", func() bool {
			ws, _, err := websocket.DefaultDialer.Dial(g.WSURL("/k?api_key="+key.Secret), nil)
			if err != nil {
				return false
			}
			c = lgtesting.Wrap(t, ws)
			t.Cleanup(func() { ws.Close() })
			return true
		})
		if got := c.Ask("who"); got != "ann" {
			t.Fatalf("user %q", got)
		}
		clients = append(clients, c)
	}
	if status, body := gws[2].API(http.MethodGet, wire.Prefix+"/keys", ""); status != http.StatusOK || !json.Valid([]byte(body)) || len(body) < 10 {
		t.Fatalf("keys on node3: %d %s", status, body)
	}
	if status, body := gws[0].API(http.MethodDelete, wire.Prefix+"/keys/"+key.ID, ""); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	for _, c := range clients {
		if code, text := c.ExpectClose(); code != 1008 || text != "credential revoked" {
			t.Fatalf("close %d %q", code, text)
		}
	}
	for _, g := range gws {
		lgtesting.Eventually(t, "the key gone everywhere", func() bool {
			ws, resp, err := websocket.DefaultDialer.Dial(g.WSURL("/k?api_key="+key.Secret), nil)
			if err == nil {
				ws.Close()
				return false
			}
			return resp != nil && resp.StatusCode == http.StatusUnauthorized
		})
	}
}

func TestKeysANodeHadBeforeJoiningAreShared(t *testing.T) {
	dir := t.TempDir()
	alone := lgtesting.StartGateway(t, dir)
	status, body := alone.API(http.MethodPost, wire.Prefix+"/keys", `{"name":"old","scopes":["read"]}`)
	if status != http.StatusCreated {
		t.Fatalf("create key: %d %s", status, body)
	}
	var key wire.Key
	if err := json.Unmarshal([]byte(body), &key); err != nil {
		t.Fatal(err)
	}
	alone.Stop()

	ns := lgtesting.NATS(t)
	lgtesting.StartGateway(t, dir, lgtesting.InCluster(ns.ClientURL(), "old"))
	other := lgtesting.NewGateway(t, lgtesting.InCluster(ns.ClientURL(), "new"))
	lgtesting.Eventually(t, "the new node to accept the old node's key", func() bool {
		status, _ := other.APIAs(key.Secret, http.MethodGet, wire.Prefix+"/sockets", "")
		return status == http.StatusOK
	})
}

func TestPushTokensANodeHadBeforeJoiningAreShared(t *testing.T) {
	dir := t.TempDir()
	alone := lgtesting.StartGateway(t, dir)
	token := alone.RegisterRecipient("early", "")
	alone.Stop()

	ns := lgtesting.NATS(t)
	lgtesting.StartGateway(t, dir, lgtesting.InCluster(ns.ClientURL(), "old"))
	other := lgtesting.NewGateway(t, lgtesting.InCluster(ns.ClientURL(), "new"))
	c := other.DialPush(token)
	if id := other.SocketIDs(1)[0]; hub.NodeOf(id) != "new" {
		t.Fatalf("the push socket %s is not the new node's", id)
	}
	c.Conn.Close()
}

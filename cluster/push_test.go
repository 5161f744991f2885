package cluster_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// pushCluster is newCluster for push tests: three nodes, no solution.
func pushCluster(t *testing.T, opts ...lgtesting.Option) []*lgtesting.Gateway {
	t.Helper()
	return lgtesting.NewCluster(t, lgtesting.NATS(t), 3, append(opts, lgtesting.NoRateLimit)...)
}

// delivered waits until n of recipient's messages are DELIVERED, as node
// g lists them.
func delivered(t *testing.T, g *lgtesting.Gateway, recipient string, n int) {
	t.Helper()
	lgtesting.Eventually(t, fmt.Sprintf("%d messages of %s DELIVERED", n, recipient), func() bool {
		return len(g.PushMessages("?recipient="+recipient+"&status=DELIVERED").Messages) == n
	})
}

// seen waits until node g knows that node holds a socket of user, as a
// push from g finds it only then.
func seen(t testing.TB, g *lgtesting.Gateway, user, node string) {
	t.Helper()
	lgtesting.Eventually(t, g.Cluster().ID()+" to know "+node+" holds a socket of "+user, func() bool {
		return slices.Contains(g.Cluster().Holders(hub.Target{By: hub.ByUser, Key: user}), node)
	})
}

func TestAPushTokenWorksOnEveryNodeAndAPushReachesItsSocketElsewhere(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t)
	token := gws[0].RegisterRecipient("ann", "")
	c := gws[2].DialPush(token)
	seen(t, gws[1], "ann", "node3")
	items := gws[1].PushTo([]string{"ann"}, "hello from node2", "")
	if items[0].Item == nil || items[0].Item.Status != "PENDING" {
		t.Fatalf("push to a recipient connected elsewhere: %+v %+v", items[0], items[0].Item)
	}
	if f := c.NextFrame(); f.ID != items[0].Item.ID || f.Message != "hello from node2" {
		t.Fatalf("frame %+v, want message %s", f, items[0].Item.ID)
	}
	delivered(t, gws[0], "ann", 1)

	status, body := gws[0].API(http.MethodDelete, wire.Prefix+wire.PathPushRecipients+"/ann/tokens", "")
	if status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if code, _ := c.ExpectClose(); code == 0 {
		t.Fatal("the socket on node3 stayed open after its token was revoked on node1")
	}
	lgtesting.Eventually(t, "node2 to refuse the revoked token", func() bool {
		ws, resp, err := websocket.DefaultDialer.Dial(gws[1].WSURL("/push?token="+url.QueryEscape(token)), nil)
		if err == nil {
			ws.Close()
		}
		return resp != nil && resp.StatusCode == http.StatusUnauthorized
	})
}

func TestPendingMessagesAreDeliveredOnceByWhicheverNodeTheRecipientJoins(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t)
	token := gws[0].RegisterRecipient("bo", "")
	var ids []string
	for i := range 10 {
		ids = append(ids, gws[0].PushTo([]string{"bo"}, fmt.Sprint("m", i), lgtesting.InAnHour())[0].Item.ID)
	}
	// Two sockets connect at once, on two other nodes: each message is
	// claimed by one of them.
	socks := make([]*lgtesting.Client, 2)
	var wg sync.WaitGroup
	for i := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			socks[i] = gws[i+1].DialPush(token)
		}()
	}
	wg.Wait()
	seen(t, gws[0], "bo", "node2")
	seen(t, gws[0], "bo", "node3")
	delivered(t, gws[0], "bo", 10)
	gws[0].PushTo([]string{"bo"}, "end", "")
	var got []string
	for _, c := range socks {
		var mine []string
		for f := c.NextFrame(); f.Message != "end"; f = c.NextFrame() {
			mine = append(mine, f.ID)
		}
		if !slices.IsSortedFunc(mine, func(a, b string) int { return slices.Index(ids, a) - slices.Index(ids, b) }) {
			t.Errorf("a socket received %v out of order", mine)
		}
		got = append(got, mine...)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(ids))
	if !slices.Equal(got, want) {
		t.Fatalf("the two sockets received %d frames %v, want each of the 10 once", len(got), got)
	}
	// "end" too is marked DELIVERED in a batch after it is written: a
	// connect before the mark would get it again, as at-least-once
	// delivery allows.
	delivered(t, gws[0], "bo", 11)
	// A socket registers after its upgrade: the wait is for node3 to hold
	// the third socket and not the second, not merely for one socket.
	second := gws[2].Hub().LocalList()
	later := gws[2].DialPush(token)
	socks[1].Conn.Close()
	lgtesting.Eventually(t, "node3 to hold the third socket only", func() bool {
		ids := gws[2].Hub().LocalList()
		return len(ids) == 1 && !slices.Equal(ids, second)
	})
	seen(t, gws[1], "bo", "node3")
	gws[1].PushTo([]string{"bo"}, "only this", "")
	if f := later.NextFrame(); f.Message != "only this" {
		t.Fatalf("a third connect received %q: delivered messages came again", f.Message)
	}
}

func TestAClaimOfAKilledNodeIsDeliveredOnReconnect(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t)
	token := gws[0].RegisterRecipient("cy", "")
	id := gws[1].PushTo([]string{"cy"}, "claimed", lgtesting.InAnHour())[0].Item.ID
	// node1 claims the message, as a connect does, and dies before
	// writing it.
	claimed, err := gws[0].Cluster().PushMessages().Pending("cy", time.Now())
	if err != nil || len(claimed) != 1 || claimed[0].ID != id {
		t.Fatalf("claim on node1: %v %v", claimed, err)
	}
	c := gws[1].DialPush(token)
	seen(t, gws[2], "cy", "node2")
	gws[2].PushTo([]string{"cy"}, "live", "")
	if f := c.NextFrame(); f.Message != "live" {
		t.Fatalf("node2 delivered %q while node1 held its claim", f.Message)
	}
	c.Conn.Close()

	gws[0].Cluster().Kill()
	gws[0].Hub().DropAll()
	lgtesting.Eventually(t, "node1 to be gone", func() bool { return len(gws[1].Cluster().Peers()) == 1 })
	again := gws[1].DialPush(token)
	if f := again.NextFrame(); f.ID != id || f.Message != "claimed" {
		t.Fatalf("after node1 died the recipient got %+v, want message %s", f, id)
	}
	delivered(t, gws[2], "cy", 2)
}

func TestMessagesAreListedAlikeFromEveryNode(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t)
	for i, g := range gws {
		g.PushTo([]string{"dee", "eve"}, fmt.Sprint("from node", i+1), lgtesting.InAnHour())
	}
	want := gws[0].PushMessages("")
	if len(want.Messages) != 6 {
		t.Fatalf("node1 lists %d messages, want 6", len(want.Messages))
	}
	for _, g := range gws {
		if got := g.PushMessages("?recipient=eve"); len(got.Messages) != 3 || got.Messages[0].Message != "from node3" {
			t.Fatalf("eve's messages, newest first: %+v", got.Messages)
		}
		var paged []string
		for q := "?limit=4"; ; {
			p := g.PushMessages(q)
			for _, m := range p.Messages {
				paged = append(paged, m.ID)
			}
			if p.NextToken == "" {
				break
			}
			q = "?limit=4&next_token=" + p.NextToken
		}
		var ids []string
		for _, m := range want.Messages {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(paged, ids) {
			t.Fatalf("paged by 4: %v, want %v", paged, ids)
		}
	}
	id := want.Messages[0].ID
	if status, _ := gws[2].API(http.MethodDelete, wire.Prefix+wire.PathPushMessages+"/"+id, ""); status != http.StatusOK {
		t.Fatalf("cancel on node3: %d", status)
	}
	if status, _ := gws[1].API(http.MethodDelete, wire.Prefix+wire.PathPushMessages+"/"+id, ""); status != http.StatusConflict {
		t.Fatalf("cancel again on node2: %d, want 409", status)
	}
	if got := gws[0].PushMessages("?status=CANCELLED"); len(got.Messages) != 1 || got.Messages[0].ID != id {
		t.Fatalf("cancelled: %+v", got.Messages)
	}
}

func TestAGlobalMessageReachesEachRecipientOnceOnAnyNode(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t)
	fay := gws[1].DialPush(gws[0].RegisterRecipient("fay", ""))
	seen(t, gws[0], "fay", "node2")
	gusToken := gws[0].RegisterRecipient("gus", "")
	status, body := gws[0].API(http.MethodPost, wire.Prefix+wire.PathPushGlobal, `{"message":"to all"`+lgtesting.InAnHour()+`}`)
	if status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("global push: %d %s", status, body)
	}
	if f := fay.NextFrame(); f.Message != "to all" {
		t.Fatalf("fay, connected on node2, got %q", f.Message)
	}
	if f := gws[2].DialPush(gusToken).NextFrame(); f.Message != "to all" {
		t.Fatalf("gus, connecting later on node3, got %q", f.Message)
	}
	// A written frame is marked DELIVERED in a batch: a connect before
	// the mark gets it again, as at-least-once delivery allows.
	delivered(t, gws[0], "gus", 1)
	again := gws[1].DialPush(gusToken)
	seen(t, gws[0], "gus", "node2")
	gws[0].PushTo([]string{"gus"}, "next", "")
	if f := again.NextFrame(); f.Message != "next" {
		t.Fatalf("gus's second connect got %q: the global message came twice", f.Message)
	}
	delivered(t, gws[2], "fay", 1)
}

func TestThePendingCapCountsTheQueueEveryNodeShares(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t, func(c *gateway.Config) { c.Push.MaxPending = 2 })
	token := gws[0].RegisterRecipient("hal", "")
	gws[0].PushTo([]string{"hal"}, "one", lgtesting.InAnHour())
	gws[1].PushTo([]string{"hal"}, "two", lgtesting.InAnHour())
	status, body := gws[2].API(http.MethodPost, wire.Prefix+wire.PathPushMessages, `{"recipients":["hal"],"message":"three"`+lgtesting.InAnHour()+`}`)
	if status != http.StatusTooManyRequests {
		t.Fatalf("a third pending message, pushed on node3: %d %s", status, body)
	}
	c := gws[2].DialPush(token)
	c.NextFrame()
	c.NextFrame()
	delivered(t, gws[0], "hal", 2)
	if items := gws[1].PushTo([]string{"hal"}, "after", lgtesting.InAnHour()); items[0].Item == nil {
		t.Fatalf("a push once the queue is empty: %+v", items[0].Error)
	}
}

func TestATokenRegisteredAfterARevokeKeepsWorkingOnEveryNode(t *testing.T) {
	t.Parallel()
	gws := pushCluster(t)
	gws[0].RegisterRecipient("ivy", "")
	if status, body := gws[0].API(http.MethodDelete, wire.Prefix+wire.PathPushRecipients+"/ivy/tokens", ""); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	c := gws[2].DialPush(gws[0].RegisterRecipient("ivy", ""))
	seen(t, gws[1], "ivy", "node3")
	gws[1].PushTo([]string{"ivy"}, "still here", "")
	if f := c.NextFrame(); f.Message != "still here" {
		t.Fatalf("the new token's socket got %q", f.Message)
	}
	// A watch opened again replays the old token's marker; the new token
	// and its socket stay.
	ready := strings.Count(gws[2].Logs.String(), "cluster ready")
	gws[2].Cluster().ReopenBuckets()
	lgtesting.Eventually(t, "node3 to open its buckets again", func() bool {
		return strings.Count(gws[2].Logs.String(), "cluster ready") > ready
	})
	// The watch takes the bucket in order: once it has a token made now,
	// it has replayed the old marker.
	gws[2].DialPush(gws[0].RegisterRecipient("zed", ""))
	gws[1].PushTo([]string{"ivy"}, "after the replay", "")
	if f := c.NextFrame(); f.Message != "after the replay" {
		t.Fatalf("after the replay the socket got %q", f.Message)
	}
}

func TestWithoutNATSPushFailsFastAndResumes(t *testing.T) {
	nats := newRestartableNATS(t)
	gws := lgtesting.NewCluster(t, nats.ns, 2, lgtesting.NoRateLimit)
	token := gws[0].RegisterRecipient("joe", "")
	id := gws[0].PushTo([]string{"joe"}, "before", lgtesting.InAnHour())[0].Item.ID

	nats.stop()
	lgtesting.Eventually(t, "node1 to see NATS gone", func() bool { return gws[0].Cluster().Degraded() != "" })
	for what, call := range map[string]func() (int, string){
		"push": func() (int, string) {
			return gws[0].API(http.MethodPost, wire.Prefix+wire.PathPushMessages, `{"recipients":["joe"],"message":"x"}`)
		},
		"register": func() (int, string) {
			return gws[0].API(http.MethodPost, wire.Prefix+wire.PathPushRecipients, `{"recipient":"joe"}`)
		},
		"list": func() (int, string) { return gws[0].API(http.MethodGet, wire.Prefix+wire.PathPushMessages, "") },
	} {
		if status, body := call(); status != http.StatusServiceUnavailable || !strings.Contains(body, "ClusterUnavailableError") {
			t.Errorf("%s without NATS: %d %s", what, status, body)
		}
	}

	nats.start()
	lgtesting.Eventually(t, "the cluster to come back", func() bool {
		return gws[0].Cluster().Degraded() == "" && gws[1].Cluster().Degraded() == ""
	})
	if f := gws[1].DialPush(token).NextFrame(); f.ID != id {
		t.Fatalf("after NATS returned the recipient got %+v, want %s", f, id)
	}
}

package cluster_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/scripts"
)

// postScript sends without reading Websocket.send's result: "post ID N
// TAG" sends TAG-1 to TAG-N to the socket ID, "bye ID" sends "bye" to it
// and closes it.
const postScript = `--#ENDPOINT WEBSOCKET /p
if websocketInfo.type ~= "data" then return end
local verb, id, n, tag = websocketInfo.message:match("^(%S+) (%S+) ?(%d*) ?(%S*)$")
if verb == "post" then
  for i = 1, tonumber(n) do Websocket.send({socket_id = id, message = tag .. "-" .. i}) end
  return "posted"
elseif verb == "bye" then
  Websocket.send({socket_id = id, message = "bye"})
  Websocket.close({socket_id = id})
  return "closed"
end
`

// newPostCluster starts three nodes running opsScript and postScript.
func newPostCluster(t *testing.T, opts ...lgtesting.Option) []*lgtesting.Gateway {
	t.Helper()
	gws := lgtesting.NewCluster(t, lgtesting.NATS(t), 3, append([]lgtesting.Option{lgtesting.NoRateLimit}, opts...)...)
	deploy(t, gws, scripts.Solution{
		Endpoints: slices.Concat(opsSolution.Endpoints, []*scripts.Endpoint{{Path: "/p", Script: postScript}}),
		Modules:   opsSolution.Modules,
	})
	return gws
}

func TestPostedSendsReachASocketOnAnotherNodeInEachSendersOrder(t *testing.T) {
	t.Parallel()
	// Room for every message in the receiver's queue: they come faster
	// than the test reads them.
	gws := newPostCluster(t, func(c *gateway.Config) { c.Runtime.SendQueue = 4096 })
	far := gws[1].Dial("/p")
	id := gws[1].SocketIDs(1)[0]
	const rounds, each = 2, 300
	senders := []*lgtesting.Client{gws[0].Dial("/p"), gws[0].Dial("/p"), gws[0].Dial("/p"), gws[2].Dial("/p")}
	for range rounds {
		for i, c := range senders {
			c.Send(fmt.Sprintf("post %s %d s%d", id, each, i))
		}
	}
	next := map[string]int{}
	for range len(senders) * rounds * each {
		tag, n, ok := strings.Cut(far.Next(), "-")
		if !ok {
			t.Fatalf("message without a tag")
		}
		var i int
		if _, err := fmt.Sscan(n, &i); err != nil {
			t.Fatal(err)
		}
		// Each round starts again at 1.
		if want := next[tag]%each + 1; i != want {
			t.Fatalf("from %s got message %d, want %d", tag, i, want)
		}
		next[tag]++
	}
	for _, c := range senders {
		for range rounds {
			if got := c.Next(); got != "posted" {
				t.Fatalf("sender got %q", got)
			}
		}
	}
	if n := gws[0].Cluster().FailedPosts(); n != 0 {
		t.Fatalf("%d posted sends failed", n)
	}
}

func TestAPostedSendArrivesBeforeTheCloseThatFollowsIt(t *testing.T) {
	t.Parallel()
	gws := newPostCluster(t)
	far := gws[2].Dial("/p")
	id := gws[2].SocketIDs(1)[0]
	if got := gws[0].Dial("/p").Ask("bye " + id); got != "closed" {
		t.Fatalf("bye: %q", got)
	}
	far.Expect("bye")
	if code, _ := far.ExpectClose(); code != 1000 {
		t.Fatalf("close code %d", code)
	}
}

func TestASendToAMissingRemoteSocketAnswers404WhenItsResultIsReadAndIsCountedWhenNot(t *testing.T) {
	t.Parallel()
	gws := newPostCluster(t)
	missing := "node2-" + strings.Repeat("0", 32)
	if got := gws[0].Dial("/c?user=ann").Ask("send socket_id " + missing + " x"); got != "sent error 404 NotFoundError" {
		t.Fatalf("used result: %q", got)
	}
	node := gws[0].Cluster()
	if n := node.FailedPosts(); n != 0 {
		t.Fatalf("a send whose result was read counted as a failed post: %d", n)
	}
	c := gws[0].Dial("/p")
	if got := c.Ask("post " + missing + " 3 x"); got != "posted" {
		t.Fatalf("post: %q", got)
	}
	lgtesting.Eventually(t, "node2's answer to be counted", func() bool { return node.FailedPosts() == 3 })
	if got := c.Ask("post nodeX-" + strings.Repeat("0", 32) + " 1 x"); got != "posted" {
		t.Fatalf("post to no node: %q", got)
	}
	if n := node.FailedPosts(); n != 4 {
		t.Fatalf("failed posts %d, want 4", n)
	}
}

// heldNode is a cluster member that NATS delivers node9's requests to and
// that answers none until released.
type heldNode struct {
	mu       sync.Mutex
	held     []*nats.Msg
	released bool
	sends    []string // the ids of the sends it was asked to make, in order
}

// reply is a successful answer from node9 to up to 256 sends.
var node9Reply = append([]byte{0, 5, 'n', 'o', 'd', 'e', '9'}, make([]byte, 256)...)

func (h *heldNode) serve(msg *nats.Msg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sends = append(h.sends, sendsOf(msg.Data)...)
	if h.released {
		_ = msg.Respond(node9Reply)
		return
	}
	h.held = append(h.held, msg)
}

func (h *heldNode) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.released = true
	for _, m := range h.held {
		_ = m.Respond(node9Reply)
	}
}

func (h *heldNode) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sends)
}

// sendsOf returns the messages of a send or batch request, as text.
func sendsOf(data []byte) []string {
	if data[0] == 's' {
		return []string{string(data[3+int(data[2]):])}
	}
	var out []string
	for data = data[1:]; len(data) > 0; {
		idLen := int(data[1])
		size := int(data[2+idLen])<<24 | int(data[3+idLen])<<16 | int(data[4+idLen])<<8 | int(data[5+idLen])
		out = append(out, string(data[6+idLen:6+idLen+size]))
		data = data[6+idLen+size:]
	}
	return out
}

// joinHeldNode makes a NATS client on ns a member named node9, as far as
// heartbeats go, whose requests h holds.
func joinHeldNode(t *testing.T, url string, h *heldNode) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := nc.Subscribe(cluster.DefaultName+".n.node9", h.serve); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			_ = nc.Publish(cluster.DefaultName+".hb", []byte("node9"))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
}

func TestPostedSendsWaitForRoomPastTheBound(t *testing.T) {
	t.Parallel()
	const bound = 8
	ns := lgtesting.NATS(t)
	gws := lgtesting.NewCluster(t, ns, 1, func(c *gateway.Config) { c.Cluster.MaxPosted = bound })
	h := &heldNode{}
	joinHeldNode(t, ns.ClientURL(), h)
	node := gws[0].Cluster()
	lgtesting.Eventually(t, "node1 to hear node9", func() bool { return slices.Contains(node.Peers(), "node9") })
	id := "node9-" + strings.Repeat("0", 32)
	for i := range bound {
		if err := node.Post(id, fmt.Appendf(nil, "m%d", i), false); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	over := make(chan error, 1)
	go func() { over <- node.Post(id, []byte("over"), false) }()
	select {
	case err := <-over:
		t.Fatalf("a post past the bound returned (%v) while node9 answered nothing", err)
	case <-time.After(300 * time.Millisecond):
	}
	h.mu.Lock()
	asked := slices.Clone(h.sends)
	h.mu.Unlock()
	if len(asked) > bound || slices.Contains(asked, "over") {
		t.Fatalf("node9 was asked %q while it answered nothing; at most the %d before the bound", asked, bound)
	}
	h.release()
	if err := <-over; err != nil {
		t.Fatalf("post once node9 answers: %v", err)
	}
	lgtesting.Eventually(t, "every send to reach node9", func() bool { return h.count() == bound+1 })
	h.mu.Lock()
	defer h.mu.Unlock()
	want := []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "over"}
	if !slices.Equal(h.sends, want) {
		t.Fatalf("node9 got %q, want %q", h.sends, want)
	}
	if n := node.FailedPosts(); n != 0 {
		t.Fatalf("failed posts %d", n)
	}
}

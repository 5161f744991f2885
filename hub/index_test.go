package hub_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
)

func registerAs(h *hub.Hub, route, user, name string) (*hub.Entry, *fakeSocket) {
	s := &fakeSocket{}
	e := h.Register(hub.Conn{ID: hub.NewID(), Route: route, ConnectedAt: time.Now(), UserID: user, SessionName: name}, s)
	return e, s
}

func (f *fakeSocket) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// cast is three users on five sockets: ann on a1 (phone) and a2 (laptop),
// bob on b1 (phone) and b2, carl on c1; groups red = a1, b1, c1 and
// blue = a2, b1.
type cast struct {
	h       *hub.Hub
	entries map[string]*hub.Entry
	socks   map[string]*fakeSocket
}

func newCast(t *testing.T) *cast {
	t.Helper()
	c := &cast{h: hub.New(hub.Config{}), entries: map[string]*hub.Entry{}, socks: map[string]*fakeSocket{}}
	for _, s := range []struct{ name, user, session, route string }{
		{"a1", "ann", "phone", "/chat"}, {"a2", "ann", "laptop", "/chat"},
		{"b1", "bob", "phone", "/chat"}, {"b2", "bob", "", "/feed"}, {"c1", "carl", "", "/chat"},
	} {
		c.entries[s.name], c.socks[s.name] = registerAs(c.h, s.route, s.user, s.session)
	}
	for group, members := range map[string][]string{"red": {"a1", "b1", "c1"}, "blue": {"a2", "b1"}} {
		for _, m := range members {
			if err := c.h.Join(c.id(m), group); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

func (c *cast) id(name string) string { return c.entries[name].Conn().ID }

// names maps socket ids back to the cast's names, sorted.
func (c *cast) names(ids []string) []string {
	var out []string
	for name, e := range c.entries {
		if slices.Contains(ids, e.Conn().ID) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// counts is how many messages each socket has received.
func (c *cast) counts() map[string]int {
	out := map[string]int{}
	for name, s := range c.socks {
		out[name] = len(s.received())
	}
	return out
}

func TestSendsToAUserANameAndAGroupReachExactlyTheirSockets(t *testing.T) {
	t.Parallel()
	c := newCast(t)
	for _, step := range []struct {
		target hub.Target
		want   int
	}{
		{hub.Target{By: hub.ByUser, Key: "ann"}, 2},
		{hub.Target{By: hub.ByUser, Key: "bob"}, 2},
		{hub.Target{By: hub.BySessionName, Key: "phone"}, 2},
		{hub.Target{By: hub.ByGroup, Key: "red"}, 3},
		{hub.Target{By: hub.ByGroup, Key: "blue"}, 2},
		{hub.Target{By: hub.ByUser, Key: "nobody"}, 0},
		{hub.Target{By: hub.ByGroup, Key: "green"}, 0},
	} {
		if n := c.h.SendTo(step.target, []byte("m"), false); n != step.want {
			t.Errorf("send to %+v reached %d, want %d", step.target, n, step.want)
		}
	}
	// a1: ann, phone, red; a2: ann, blue; b1: bob, phone, red, blue;
	// b2: bob; c1: red.
	want := map[string]int{"a1": 3, "a2": 2, "b1": 4, "b2": 1, "c1": 1}
	if got := c.counts(); !maps.Equal(got, want) {
		t.Fatalf("received %v, want %v", got, want)
	}
}

func TestListOfAndSocketsOfFilterByEachKey(t *testing.T) {
	t.Parallel()
	c := newCast(t)
	for _, step := range []struct {
		target hub.Target
		want   string
	}{
		{hub.Target{By: hub.ByUser, Key: "bob"}, "b1 b2"},
		{hub.Target{By: hub.BySessionName, Key: "laptop"}, "a2"},
		{hub.Target{By: hub.ByRoute, Key: "/chat"}, "a1 a2 b1 c1"},
		{hub.Target{By: hub.ByGroup, Key: "blue"}, "a2 b1"},
	} {
		if got := strings.Join(c.names(c.h.ListOf(step.target)), " "); got != step.want {
			t.Errorf("list %+v = %q, want %q", step.target, got, step.want)
		}
	}
	if got := c.h.SocketsOf(hub.Target{By: hub.ByUser, Key: "ann"}); len(got) != 2 || got[0].UserID != "ann" {
		t.Fatalf("sockets of ann: %+v", got)
	}
}

func TestPresenceCountsThroughJoinsLeavesAndCloses(t *testing.T) {
	t.Parallel()
	c := newCast(t)
	presence := func(want luaapi.Presence) {
		t.Helper()
		got := c.h.Presence("red")
		if got.Sockets != want.Sockets || !maps.Equal(got.Users, want.Users) {
			t.Fatalf("presence of red = %+v, want %+v", got, want)
		}
		for user, n := range want.Users {
			if got := c.h.UserPresence("red", user); got != n {
				t.Fatalf("presence of %s in red = %d, want %d", user, got, n)
			}
		}
	}
	presence(luaapi.Presence{Sockets: 3, Users: map[string]int{"ann": 1, "bob": 1, "carl": 1}})
	if err := c.h.Join(c.id("a2"), "red"); err != nil {
		t.Fatal(err)
	}
	// Joining again changes nothing.
	if err := c.h.Join(c.id("a2"), "red"); err != nil {
		t.Fatal(err)
	}
	presence(luaapi.Presence{Sockets: 4, Users: map[string]int{"ann": 2, "bob": 1, "carl": 1}})
	if err := c.h.Leave(c.id("a1"), "red"); err != nil {
		t.Fatal(err)
	}
	presence(luaapi.Presence{Sockets: 3, Users: map[string]int{"ann": 1, "bob": 1, "carl": 1}})
	// A closed socket is out of the group at once, though still registered.
	if err := c.entries["c1"].Close(hub.CloseByScript); err != nil {
		t.Fatal(err)
	}
	presence(luaapi.Presence{Sockets: 2, Users: map[string]int{"ann": 1, "bob": 1}})
	if got := c.h.UserPresence("red", "carl"); got != 0 {
		t.Fatalf("carl is still in red %d times", got)
	}
	if groups := c.entries["b1"].Unregister(); !slices.Equal(sorted(groups), []string{"blue", "red"}) {
		t.Fatalf("b1 left %v, want blue and red", groups)
	}
	presence(luaapi.Presence{Sockets: 1, Users: map[string]int{"ann": 1}})
	if got := c.names(c.h.ListOf(hub.Target{By: hub.ByGroup, Key: "blue"})); !slices.Equal(got, []string{"a2"}) {
		t.Fatalf("blue after b1 left: %v", got)
	}
	if err := c.h.Join(c.id("b1"), "red"); !errors.Is(err, hub.ErrUnknownSocket) {
		t.Fatalf("join after unregister: %v", err)
	}
	if got := c.entries["b1"].Unregister(); got != nil {
		t.Fatalf("a second unregister left %v", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestGroupsAreListedAndLimited(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{MaxGroupsPerSocket: 2})
	e, _ := registerAs(h, "/a", "ann", "")
	id := e.Conn().ID
	for _, g := range []string{"b", "a"} {
		if err := h.Join(id, g); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Join(id, "c"); !errors.Is(err, hub.ErrTooManyGroups) {
		t.Fatalf("a third group: %v", err)
	}
	if groups, err := h.Groups(id); err != nil || !slices.Equal(groups, []string{"a", "b"}) {
		t.Fatalf("groups %v, %v", groups, err)
	}
	for _, bad := range []string{"", strings.Repeat("g", luaapi.MaxGroupBytes+1)} {
		if err := h.Join(id, bad); !errors.Is(err, luaapi.ErrBadArgument) {
			t.Fatalf("join %d bytes: %v", len(bad), err)
		}
	}
	if err := h.Join(id, strings.Repeat("g", luaapi.MaxGroupBytes)); !errors.Is(err, hub.ErrTooManyGroups) {
		t.Fatalf("a name of the longest length is checked against the limit: %v", err)
	}
	if err := h.Join("nobody", "a"); !errors.Is(err, hub.ErrUnknownSocket) {
		t.Fatalf("join of an unknown socket: %v", err)
	}
	_ = e.Close(hub.CloseByScript)
	if err := h.Join(id, "c"); !errors.Is(err, hub.ErrSocketClosed) {
		t.Fatalf("join of a closed socket: %v", err)
	}
	if _, err := h.Groups(id); !errors.Is(err, hub.ErrUnknownSocket) {
		t.Fatalf("groups of a closed socket: %v", err)
	}
}

func TestCloseToAUserClosesOnlyTheirOpenSockets(t *testing.T) {
	t.Parallel()
	c := newCast(t)
	if n := c.h.DisconnectTo(hub.Target{By: hub.ByUser, Key: "ann"}, hub.CloseByAPI); n != 2 {
		t.Fatalf("closed %d of ann's sockets, want 2", n)
	}
	if n := c.h.CloseTo(hub.Target{By: hub.ByUser, Key: "ann"}); n != 0 {
		t.Fatalf("closed %d of ann's sockets again", n)
	}
	for name, s := range c.socks {
		if got := len(s.closes()); got != map[string]int{"a1": 1, "a2": 1}[name] {
			t.Errorf("%s closed %d times", name, got)
		}
	}
}

func TestConcurrentGroupOperationsAreSafe(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				e, _ := registerAs(h, "/a", fmt.Sprintf("u%d", j%3), "")
				id := e.Conn().ID
				_ = h.Join(id, "g")
				_ = h.Join(id, fmt.Sprintf("g%d", i))
				h.SendTo(hub.Target{By: hub.ByGroup, Key: "g"}, []byte("x"), false)
				h.Presence("g")
				if j%2 == 0 {
					_ = h.Leave(id, "g")
				}
				_ = e.Close(hub.CloseByScript)
				e.Unregister()
			}
		}()
	}
	wg.Wait()
	if p := h.Presence("g"); p.Sockets != 0 || len(p.Users) != 0 {
		t.Fatalf("presence after every socket left: %+v", p)
	}
}

func TestTheBrokerAnswersForOtherNodesInTargetedOperations(t *testing.T) {
	t.Parallel()
	b := &remoteGroups{}
	h := hub.New(hub.Config{Broker: b})
	e, _ := registerAs(h, "/a", "ann", "")
	_ = h.Join(e.Conn().ID, "g")
	if n := h.SendTo(hub.Target{By: hub.ByGroup, Key: "g"}, []byte("x"), false); n != 1+3 {
		t.Fatalf("reached %d, want one here and three remote", n)
	}
	p := h.Presence("g")
	if p.Sockets != 1+2 || p.Users["ann"] != 1+2 {
		t.Fatalf("presence %+v", p)
	}
	if n := h.UserPresence("g", "ann"); n != 1+2 {
		t.Fatalf("ann's presence %d", n)
	}
	if err := h.Join("remote", "g"); err != nil || b.joined != "remote g" {
		t.Fatalf("join of a remote socket: %v, broker saw %q", err, b.joined)
	}
}

// remoteGroups is a broker whose other node has ann on two sockets in
// every group, and reaches three sockets for any send.
type remoteGroups struct {
	hub.LocalBroker
	joined string
}

func (*remoteGroups) SendTo(hub.Target, []byte, bool) int { return 3 }
func (*remoteGroups) Presence(string) luaapi.Presence {
	return luaapi.Presence{Sockets: 2, Users: map[string]int{"ann": 2}}
}
func (*remoteGroups) UserPresence(_, user string) int {
	if user == "ann" {
		return 2
	}
	return 0
}
func (b *remoteGroups) Join(id, group string) error { b.joined = id + " " + group; return nil }

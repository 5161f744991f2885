package hub_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/hub"
)

// fakeSocket records what the hub asks of it. Closing it once more fails,
// as a real socket does.
type fakeSocket struct {
	mu      sync.Mutex
	sent    []string
	closed  []hub.CloseReason
	dropped bool
	full    bool
}

func (f *fakeSocket) Send(msg []byte, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case len(f.closed) > 0:
		return hub.ErrSocketClosed
	case f.full:
		return hub.ErrQueueFull
	}
	f.sent = append(f.sent, string(msg))
	return nil
}

func (f *fakeSocket) CloseWith(r hub.CloseReason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.closed) > 0 {
		return hub.ErrSocketClosed
	}
	f.closed = append(f.closed, r)
	return nil
}

func (f *fakeSocket) Drop() {
	f.mu.Lock()
	f.dropped = true
	f.mu.Unlock()
}

func (f *fakeSocket) Stats() hub.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return hub.Stats{MessagesOut: uint64(len(f.sent)), LastActivityAt: time.UnixMilli(5678)}
}

func (f *fakeSocket) closes() []hub.CloseReason {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.closed)
}

func register(h *hub.Hub, route string, at time.Time) (*hub.Entry, *fakeSocket) {
	s := &fakeSocket{}
	e := h.Register(hub.Conn{ID: hub.NewID(), Route: route, URI: "ws://x" + route, ConnectedAt: at,
		Headers: map[string]string{"host": "x"}, Parameters: map[string]string{"p": "1"}}, s)
	return e, s
}

func TestSendReachesTheSocketAndReportsItsErrors(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{})
	e, s := register(h, "/a", time.Now())
	id := e.Conn().ID
	if err := h.Send(id, []byte("hi"), false); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().MessagesOut; got != 1 || s.sent[0] != "hi" {
		t.Fatalf("sent %q", s.sent)
	}
	s.full = true
	if err := h.Send(id, []byte("x"), false); !errors.Is(err, hub.ErrQueueFull) {
		t.Fatalf("full queue: %v", err)
	}
	if err := h.Send("nope", []byte("x"), false); !errors.Is(err, hub.ErrUnknownSocket) {
		t.Fatalf("unknown id: %v", err)
	}
	if typ, status := hub.Classify(hub.ErrQueueFull); typ != "QueueFullError" || status != 503 {
		t.Fatalf("classify: %s %d", typ, status)
	}
}

func TestInfoDescribesTheConnection(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{})
	e, _ := register(h, "/room/{id}", time.UnixMilli(1234))
	c, err := h.Info(e.Conn().ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != e.Conn().ID || c.Route != "/room/{id}" || c.HeaderMap()["host"] != "x" || c.Parameters["p"] != "1" || c.ConnectedAt.UnixMilli() != 1234 {
		t.Fatalf("info %+v", c)
	}
	if c.LastActivityAt.UnixMilli() != 5678 {
		t.Fatalf("info's last activity %s, want the socket's", c.LastActivityAt)
	}
	if e.View().LastActivityAt != (time.Time{}) {
		t.Fatal("info changed the entry's shared view")
	}
}

// TestAClosedSocketIsGoneAtOnce is the consistency rule: once a close has
// returned, info answers 404 and list leaves the socket out, although it
// stays registered until its close event has run.
func TestAClosedSocketIsGoneAtOnce(t *testing.T) {
	t.Parallel()
	for name, closeIt := range map[string]func(h *hub.Hub, e *hub.Entry) error{
		"Close":      func(h *hub.Hub, e *hub.Entry) error { return h.Close(e.Conn().ID) },
		"Disconnect": func(h *hub.Hub, e *hub.Entry) error { return h.Disconnect(e.Conn().ID, hub.CloseByAPI) },
		"Entry.Close": func(_ *hub.Hub, e *hub.Entry) error {
			return e.Close(hub.CloseTooBig)
		},
		"CloseAll": func(h *hub.Hub, _ *hub.Entry) error {
			if n := h.CloseAll(); n != 2 {
				return errors.New("closeAll did not count both sockets")
			}
			return nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := hub.New(hub.Config{})
			e, s := register(h, "/a", time.Now())
			keep, _ := register(h, "/b", time.Now())
			id := e.Conn().ID
			if err := closeIt(h, e); err != nil {
				t.Fatal(err)
			}
			if _, err := h.Info(id); !errors.Is(err, hub.ErrUnknownSocket) {
				t.Fatalf("info after close: %v", err)
			}
			if _, err := h.Socket(id); !errors.Is(err, hub.ErrUnknownSocket) {
				t.Fatalf("socket after close: %v", err)
			}
			if ids := h.List(); slices.Contains(ids, id) {
				t.Fatalf("list after close still has it: %v", ids)
			}
			for _, sn := range h.Sockets() {
				if sn.ID == id {
					t.Fatal("Sockets after close still has it")
				}
			}
			if name != "CloseAll" && !slices.Contains(h.List(), keep.Conn().ID) {
				t.Fatal("closing one socket removed another")
			}
			if h.Registered() != 2 {
				t.Fatalf("registered %d, want 2 until the owner unregisters", h.Registered())
			}
			if err := h.Disconnect(id, hub.CloseByAPI); !errors.Is(err, hub.ErrSocketClosed) {
				t.Fatalf("second close: %v", err)
			}
			if got := s.closes(); len(got) != 1 {
				t.Fatalf("socket closed %d times", len(got))
			}
			e.Unregister()
			e.Unregister()
			if h.Registered() != 1 {
				t.Fatalf("registered %d after unregister", h.Registered())
			}
			if err := h.Send(id, []byte("x"), false); !errors.Is(err, hub.ErrUnknownSocket) {
				t.Fatalf("send after unregister: %v", err)
			}
		})
	}
}

func TestCloseAllAndDisconnectIfCloseOnlyWhatTheyMatch(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{})
	_, a := register(h, "/a", time.Now())
	_, b := register(h, "/b", time.Now())
	if n := h.DisconnectIf(hub.CloseEndpointRemoved, func(c *hub.Conn) bool { return c.Route == "/a" }); n != 1 {
		t.Fatalf("DisconnectIf closed %d", n)
	}
	if got := a.closes(); len(got) != 1 || got[0] != hub.CloseEndpointRemoved {
		t.Fatalf("a closed with %v", got)
	}
	if len(b.closes()) != 0 {
		t.Fatal("b closed too")
	}
	if n := h.DisconnectAll(hub.CloseShutdown); n != 1 {
		t.Fatalf("DisconnectAll closed %d, want only the one still open", n)
	}
	if got := b.closes(); len(got) != 1 || got[0] != hub.CloseShutdown {
		t.Fatalf("b closed with %v", got)
	}
	h.DropAll()
	if !a.dropped || !b.dropped {
		t.Fatal("DropAll skipped a closing socket")
	}
}

func TestSocketsAreListedOldestFirstWithTheirStats(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{})
	now := time.Now()
	newer, _ := register(h, "/a", now.Add(time.Second))
	older, s := register(h, "/a", now)
	_ = h.Send(older.Conn().ID, []byte("x"), false)
	all := h.Sockets()
	if len(all) != 2 || all[0].ID != older.Conn().ID || all[1].ID != newer.Conn().ID {
		t.Fatalf("order %v", all)
	}
	if all[0].MessagesOut != 1 || s.Stats().MessagesOut != 1 {
		t.Fatalf("stats %+v", all[0].Stats)
	}
}

func TestConcurrentOperationsAreSafe(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Config{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				e, _ := register(h, "/a", time.Now())
				_ = h.Send(e.Conn().ID, []byte("x"), false)
				_ = h.List()
				_, _ = h.Info(e.Conn().ID)
				_ = e.Close(hub.CloseByScript)
				e.Unregister()
			}
		}()
	}
	wg.Wait()
	if h.Registered() != 0 || len(h.List()) != 0 {
		t.Fatalf("left %d registered", h.Registered())
	}
}

// fakeBroker answers for one remote socket and records what it was asked.
type fakeBroker struct {
	hub.LocalBroker
	mu     sync.Mutex
	remote hub.Conn
	asked  []string
}

func (b *fakeBroker) note(op string) {
	b.mu.Lock()
	b.asked = append(b.asked, op)
	b.mu.Unlock()
}

func (b *fakeBroker) Send(id string, _ []byte, _ bool) error {
	b.note("send " + id)
	if id != b.remote.ID {
		return hub.ErrUnknownSocket
	}
	return nil
}

func (b *fakeBroker) Close(id string, r hub.CloseReason) error {
	b.note("close " + id + " " + r.Text)
	if id != b.remote.ID {
		return hub.ErrUnknownSocket
	}
	return nil
}

func (b *fakeBroker) Socket(id string) (hub.Snapshot, error) {
	b.note("info " + id)
	if id != b.remote.ID {
		return hub.Snapshot{}, hub.ErrUnknownSocket
	}
	return hub.Snapshot{Conn: b.remote}, nil
}

func (b *fakeBroker) List() []string { b.note("list"); return []string{b.remote.ID} }

func (b *fakeBroker) CloseAll(r hub.CloseReason) int { b.note("closeAll " + r.Text); return 1 }

func TestTheBrokerAnswersForIDsTheHubDoesNotHold(t *testing.T) {
	t.Parallel()
	b := &fakeBroker{remote: hub.Conn{ID: "remote-1", Route: "/far", Headers: map[string]string{}}}
	h := hub.New(hub.Config{Broker: b})
	local, s := register(h, "/near", time.Now())
	lid := local.Conn().ID

	if err := h.Send("remote-1", []byte("x"), false); err != nil {
		t.Fatal(err)
	}
	if c, err := h.Info("remote-1"); err != nil || c.Route != "/far" {
		t.Fatalf("remote info %+v %v", c, err)
	}
	if err := h.Send(lid, []byte("y"), false); err != nil || len(s.sent) != 1 {
		t.Fatalf("local send %v", err)
	}
	if ids := h.List(); !slices.Contains(ids, "remote-1") || !slices.Contains(ids, lid) {
		t.Fatalf("list %v", ids)
	}
	if err := h.Close("remote-1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Send("nowhere", nil, false); !errors.Is(err, hub.ErrUnknownSocket) {
		t.Fatalf("unknown everywhere: %v", err)
	}
	if n := h.CloseAll(); n != 2 {
		t.Fatalf("closeAll %d, want the local and the remote one", n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, op := range b.asked {
		if op == "send "+lid || op == "info "+lid {
			t.Fatalf("broker consulted for a local id: %v", b.asked)
		}
	}
	want := []string{"send remote-1", "info remote-1", "list", "close remote-1 closed by script", "send nowhere", "closeAll closed by script"}
	if !slices.Equal(b.asked, want) {
		t.Fatalf("broker asked %q, want %q", b.asked, want)
	}
}

func TestIDsAreUniqueAndURLSafe(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := hub.NewID()
		if len(id) != 32 || seen[id] {
			t.Fatalf("id %q", id)
		}
		for _, r := range id {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				t.Fatalf("id %q not hex", id)
			}
		}
		seen[id] = true
	}
}

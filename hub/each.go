package hub

import "github.com/luagate/luagate/internal/yield"

// Each calls fn for every open socket on this process. fn runs with no
// lock held, so it may call back into the hub. A walk of many sockets
// yields the processor as it goes (see package yield).
func (h *Hub) Each(fn func(s Socket)) {
	var y yield.Yielder
	for _, e := range h.entries() {
		y.Step()
		if !e.closed.Load() {
			fn(e.sock)
		}
	}
}

// EachOf calls fn for every open socket on this process that t names, or
// every one for a nil t, with its record, which fn must not change. fn
// runs with no lock held.
func (h *Hub) EachOf(t *Target, fn func(c *Conn, s Socket)) {
	if t == nil {
		for _, e := range h.entries() {
			if !e.closed.Load() {
				fn(&e.conn, e.sock)
			}
		}
		return
	}
	h.each(*t, func(e *Entry) error {
		fn(&e.conn, e.sock)
		return nil
	})
}

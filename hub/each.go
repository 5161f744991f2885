package hub

// Each calls fn for every open socket on this process. fn runs with no
// lock held, so it may call back into the hub.
func (h *Hub) Each(fn func(s Socket)) {
	for _, e := range h.entries() {
		if !e.closed.Load() {
			fn(e.sock)
		}
	}
}

package runtime

// endpointShare is one endpoint's part in the pool: the states its
// executions hold and its events waiting for one. Every socket of the
// endpoint (its path pattern, whatever --#ROUTE of it runs) shares it, from
// Serve's join to its leave. Its fields are guarded by pool.mu.
type endpointShare struct {
	path  string
	refs  int // sockets on the endpoint
	held  int // states its executions hold
	waits [lines]waitList
	// queued says, for each line, whether the share is in pool.ready's
	// queue of that line.
	queued [lines]bool
}

// waitLine sorts waiting events into the two lines a state may serve:
// close events may have any state below size plus reserve, the others
// only one below size.
type waitLine int

const (
	eventsLine waitLine = iota // open and data events
	closeLine
	lines
)

func lineOf(k eventKind) waitLine {
	if k == closeEvent {
		return closeLine
	}
	return eventsLine
}

// waitSlot is a socket's place to wait for a state. Its waiter is made on
// the socket's first wait and reused: a socket waits for one event at a
// time. Guarded by pool.mu.
type waitSlot struct{ w *waiter }

// waiter is an event waiting for a state. put hands it one (granted, with
// pv, or with nil pv meaning it creates one for exec), or cancel ends its
// wait (not granted); either then wakes it. Its fields are guarded by
// pool.mu until it is woken.
type waiter struct {
	share      *endpointShare
	kind       eventKind
	queued     bool
	prev, next *waiter

	granted bool
	pv      *pooledVM
	exec    execution
	wake    chan struct{} // one signal per wait
}

// waitList is an endpoint's waiters of one line, oldest first.
type waitList struct{ head, tail *waiter }

func (l *waitList) push(w *waiter) {
	w.prev, w.next, w.queued = l.tail, nil, true
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
}

func (l *waitList) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
}

// shareQueue is a line's endpoints with waiters, in the order they are
// served.
type shareQueue struct{ shares []*endpointShare }

func (q *shareQueue) push(sh *endpointShare) { q.shares = append(q.shares, sh) }

func (q *shareQueue) pop() *endpointShare {
	sh := q.shares[0]
	q.shares[0] = nil
	q.shares = q.shares[1:]
	return sh
}

// join returns the share of the endpoint path in the pool, for a socket
// that starts on it; leave gives it back when the socket's close event has
// run.
func (p *pool) join(path string) *endpointShare {
	p.mu.Lock()
	defer p.mu.Unlock()
	sh := p.endpoints[path]
	if sh == nil {
		sh = &endpointShare{path: path}
		p.endpoints[path] = sh
	}
	sh.refs++
	return sh
}

// leave: see join. A share with no socket left holds no state and has no
// waiter; one still in a ready queue is dropped when its turn comes.
func (p *pool) leave(sh *endpointShare) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sh.refs--
	if sh.refs == 0 && p.endpoints[sh.path] == sh {
		delete(p.endpoints, sh.path)
	}
}

// enqueueLocked makes w wait in its endpoint's line, and puts the
// endpoint in the line's queue if it is under its share (so that only
// missing states keep it waiting). p.mu must be held.
func (p *pool) enqueueLocked(w *waiter) {
	w.granted, w.pv = false, nil
	l := lineOf(w.kind)
	w.share.waits[l].push(w)
	if w.share.held < p.perEndpoint {
		p.readyLocked(w.share, l)
	}
}

// readyLocked puts sh in line l's queue unless it is there already or has
// no one waiting in that line. p.mu must be held.
func (p *pool) readyLocked(sh *endpointShare, l waitLine) {
	if !sh.queued[l] && sh.waits[l].head != nil {
		sh.queued[l] = true
		p.ready[l].push(sh)
	}
}

// nextLocked picks the waiter a state that just came back goes to, now
// that sh, whose execution it ran, holds one fewer; nil if no one waiting
// may have it. Close events go first. p.mu must be held.
func (p *pool) nextLocked(sh *endpointShare) *waiter {
	if sh.held < p.perEndpoint {
		for l := range lines {
			p.readyLocked(sh, l)
		}
	}
	if p.used < p.size+p.reserve {
		if w := p.takeLocked(closeLine); w != nil {
			return w
		}
	}
	if p.used < p.size {
		return p.takeLocked(eventsLine)
	}
	return nil
}

// takeLocked takes the oldest waiter of line l of the first endpoint in
// turn that is under its share, and sends that endpoint to the back of the
// queue if it has more waiting, so that endpoints take turns. Endpoints
// found at their share or with no one waiting leave the queue; put brings
// them back when one of their states comes back. p.mu must be held.
func (p *pool) takeLocked(l waitLine) *waiter {
	q := &p.ready[l]
	for len(q.shares) > 0 {
		sh := q.pop()
		sh.queued[l] = false
		list := &sh.waits[l]
		if sh.held >= p.perEndpoint || list.head == nil {
			continue
		}
		w := list.head
		list.remove(w)
		if sh.held+1 < p.perEndpoint {
			p.readyLocked(sh, l)
		}
		return w
	}
	return nil
}

// cancel ends the wait of the data event slot's socket is waiting with, if
// it is: the socket is closing, so the event will not run. Open and close
// events keep waiting: each runs once for every socket.
func (p *pool) cancel(slot *waitSlot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := slot.w
	if w == nil || !w.queued || w.kind != dataEvent {
		return
	}
	w.share.waits[eventsLine].remove(w)
	w.granted = false
	w.wake <- struct{}{}
}

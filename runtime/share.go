package runtime

// route is one route's part in the pool: the states its executions hold
// and its events waiting for one. Every socket of a route shares it, from
// Serve's join to its leave. Its fields are guarded by pool.mu.
type route struct {
	name  string
	refs  int // sockets on the route
	held  int // states its executions hold
	waits [lines]waitList
	// queued says, for each line, whether the route is in pool.ready's
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
	route      *route
	kind       eventKind
	queued     bool
	prev, next *waiter

	granted bool
	pv      *pooledVM
	exec    execution
	wake    chan struct{} // one signal per wait
}

// waitList is a route's waiters of one line, oldest first.
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

// routeQueue is a line's routes with waiters, in the order they are served.
type routeQueue struct{ routes []*route }

func (q *routeQueue) push(r *route) { q.routes = append(q.routes, r) }

func (q *routeQueue) pop() *route {
	r := q.routes[0]
	q.routes[0] = nil
	q.routes = q.routes[1:]
	return r
}

// join returns the part of route name in the pool, for a socket that
// starts on it; leave gives it back when the socket's close event has run.
func (p *pool) join(name string) *route {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.routes[name]
	if r == nil {
		r = &route{name: name}
		p.routes[name] = r
	}
	r.refs++
	return r
}

// leave: see join. A route with no socket left holds no state and has no
// waiter; one still in a ready queue is dropped when its turn comes.
func (p *pool) leave(r *route) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.refs--
	if r.refs == 0 && p.routes[r.name] == r {
		delete(p.routes, r.name)
	}
}

// enqueueLocked makes w wait in its route's line, and puts the route in
// the line's queue if the route is under its share (so that only missing
// states keep it waiting). p.mu must be held.
func (p *pool) enqueueLocked(w *waiter) {
	w.granted, w.pv = false, nil
	l := lineOf(w.kind)
	w.route.waits[l].push(w)
	if w.route.held < p.share {
		p.readyLocked(w.route, l)
	}
}

// readyLocked puts r in line l's queue unless it is there already or has
// no one waiting in that line. p.mu must be held.
func (p *pool) readyLocked(r *route, l waitLine) {
	if !r.queued[l] && r.waits[l].head != nil {
		r.queued[l] = true
		p.ready[l].push(r)
	}
}

// nextLocked picks the waiter a state that just came back goes to, now
// that r, whose execution it ran, holds one fewer; nil if no one waiting
// may have it. Close events go first. p.mu must be held.
func (p *pool) nextLocked(r *route) *waiter {
	if r.held < p.share {
		for l := range lines {
			p.readyLocked(r, l)
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

// takeLocked takes the oldest waiter of line l of the first route in
// turn that is under its share, and sends that route to the back of the
// queue if it has more waiting, so that routes take turns. Routes found at
// their share or with no one waiting leave the queue; put brings them back
// when one of their states comes back. p.mu must be held.
func (p *pool) takeLocked(l waitLine) *waiter {
	q := &p.ready[l]
	for len(q.routes) > 0 {
		r := q.pop()
		r.queued[l] = false
		list := &r.waits[l]
		if r.held >= p.share || list.head == nil {
			continue
		}
		w := list.head
		list.remove(w)
		if r.held+1 < p.share {
			p.readyLocked(r, l)
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
	w.route.waits[eventsLine].remove(w)
	w.granted = false
	w.wake <- struct{}{}
}

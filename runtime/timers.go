package runtime

import (
	"time"

	"github.com/luagate/luagate/hub"
)

// policyTimers close a socket that has been idle, or open, for longer than
// its endpoint allows, or whose credential has expired. They are armed when the socket opens and again on
// every deploy (Engine.Load), from the revision current at that moment, so
// a deploy that changes the limits applies them to open sockets: the idle
// deadline counts from the last activity, the age from the connect. A
// socket makes them when it first arms one (socket.timers is nil until
// then): most endpoints set neither limit and most credentials do not
// expire, and the timers cost an idle socket a tenth of its struct.
// socket.mu guards them; a timer's function releases it before it closes
// the socket.
type policyTimers struct {
	idle, maxAge time.Duration // what the timers are armed for
	idleTimer    *time.Timer
	ageTimer     *time.Timer
	// expiryTimer closes the socket when its credential expires.
	expiryTimer *time.Timer
	// idleGen tells a firing idle timer whether it is still the current
	// one: Stop cannot take back a callback that has started.
	idleGen uint64
}

// policyTimersLocked returns the socket's timers, making them. s.mu must be
// held.
func (s *socket) policyTimersLocked() *policyTimers {
	if s.timers == nil {
		s.timers = &policyTimers{}
	}
	return s.timers
}

// touch records activity: a data message went one way or the other.
func (s *socket) touch(now time.Time) { s.lastActivity.Store(now.UnixNano()) }

func (s *socket) lastActive() time.Time { return time.Unix(0, s.lastActivity.Load()) }

// startTimers arms the timers of a socket that has just opened.
func (s *socket) startTimers() {
	conn := s.entry.Record()
	s.mu.Lock()
	s.timersStarted = true
	if a := conn.Auth; a != nil && !a.ExpiresAt.IsZero() {
		s.policyTimersLocked().expiryTimer = time.AfterFunc(time.Until(a.ExpiresAt), func() { _ = s.entry.Close(hub.CloseTokenExpired) })
	}
	s.mu.Unlock()
	// Now that the socket is listed, a revocation from here on closes it;
	// one since its upgrade was authenticated must be caught here.
	if revoked := s.e.cfg.Revoked; conn.Auth != nil && revoked != nil && revoked(*conn) {
		_ = s.entry.Close(hub.CloseCredentialRevoked)
	}
	s.armTimers()
}

// armTimers makes the socket's timers follow its endpoint's policy in the
// current revision.
func (s *socket) armTimers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.timersStarted || s.timersStopped {
		return
	}
	conn := s.entry.Record()
	pol := s.e.rev.Load().policyOf(conn.Route)
	if s.timers == nil && pol.idle == 0 && pol.maxAge == 0 {
		return
	}
	t := s.policyTimersLocked()
	if pol.idle != t.idle {
		t.idle = pol.idle
		t.idleGen++
		if t.idleTimer != nil {
			t.idleTimer.Stop()
			t.idleTimer = nil
		}
		if t.idle > 0 {
			gen := t.idleGen
			t.idleTimer = time.AfterFunc(time.Until(s.lastActive().Add(t.idle)), func() { s.idleCheck(gen) })
		}
	}
	if pol.maxAge != t.maxAge {
		t.maxAge = pol.maxAge
		if t.ageTimer != nil {
			t.ageTimer.Stop()
			t.ageTimer = nil
		}
		if t.maxAge > 0 {
			t.ageTimer = time.AfterFunc(time.Until(conn.ConnectedAt.Add(t.maxAge)), func() { _ = s.entry.Close(hub.CloseMaxAge) })
		}
	}
}

// idleCheck runs when the idle deadline armed as generation gen passes:
// it closes the socket, or waits again when there was activity since.
func (s *socket) idleCheck(gen uint64) {
	s.mu.Lock()
	t := s.timers
	if s.timersStopped || gen != t.idleGen {
		s.mu.Unlock()
		return
	}
	if wait := time.Until(s.lastActive().Add(t.idle)); wait > 0 {
		t.idleTimer.Reset(wait)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	_ = s.entry.Close(hub.CloseIdle)
}

// stopTimers stops the timers for good once the socket has ended.
func (s *socket) stopTimers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timersStopped = true
	t := s.timers
	if t == nil {
		return
	}
	for _, tm := range []*time.Timer{t.idleTimer, t.ageTimer, t.expiryTimer} {
		if tm != nil {
			tm.Stop()
		}
	}
}

// rearmAll applies the current revision's timers to every open socket.
func (e *Engine) rearmAll() {
	e.hub.Each(func(hs hub.Socket) {
		if s, ok := hs.(*socket); ok {
			s.armTimers()
		}
	})
}

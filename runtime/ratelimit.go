package runtime

import (
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// rateDecision is what happens to a message over the rate limit.
type rateDecision struct {
	close  bool
	reply  []byte // sent instead of the policy's frame when not nil
	binary bool
}

// overLimit answers a message the limiter refused, as the endpoint's
// policy says: the RateLimitError frame, or a close with 1008. With a
// $ratelimited route the script decides, once per window: further
// messages in the window get the same decision without running Lua.
func (s *socket) overLimit(pol *endpointPolicy, typ int, data []byte, now time.Time) {
	r := pol.rate
	d := rateDecision{close: r.close}
	prog := pol.routes[scripts.RouteRateLimited]
	switch {
	case prog == nil || s.e.rev.Load().handler != nil:
	case s.pol.decided != nil && now.Before(s.pol.decided.until):
		d = s.pol.decided.decision
	default:
		d = s.decide(typ, data, now, d)
		s.pol.decided = &rateDecided{d, now.Add(r.window)}
	}
	switch {
	case d.close:
		_ = s.entry.Close(hub.CloseRateLimited(r.message))
	case d.reply != nil:
		_ = s.Send(d.reply, d.binary)
	default:
		_ = s.Send(r.frame, false)
	}
}

// decide runs the $ratelimited route for the dropped message data. Its
// reply "drop" is the frame, "close" the close, anything else is sent
// instead of the frame; no reply keeps def, the policy's own answer.
func (s *socket) decide(typ int, data []byte, now time.Time, def rateDecision) rateDecision {
	d := def
	var ev luaapi.Event
	s.setDataEvent(&ev, typ, data, now)
	ev.RouteKey = scripts.RouteRateLimited
	ev.Reply = func(msg []byte, binary bool) error {
		switch {
		case !binary && string(msg) == "drop":
			d = rateDecision{}
		case !binary && string(msg) == "close":
			d = rateDecision{close: true}
		default:
			d = rateDecision{reply: msg, binary: binary}
		}
		return nil
	}
	s.run(&ev)
	return d
}

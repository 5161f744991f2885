package runtime

import (
	"strings"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// choose picks the program that runs ev: the step before dispatch runs it.
// The custom event handler, when there is one, gets every event, as it
// always has; otherwise a route of the endpoint's, and when no route
// applies the endpoint's own script. It fills in what websocketInfo says
// about the policy and the route.
func (s *socket) choose(ev *luaapi.Event) *luaapi.Program {
	pol := s.policy()
	ev.Policy = pol.info
	if pol.routes != nil && s.pol.rev.handler == nil {
		if p := pol.route(ev); p != nil {
			return p
		}
	}
	return s.pol.prog
}

// route returns the program of the route ev takes, or nil for the
// endpoint's script. A data message is decoded at most once, to select
// its route value.
func (p *endpointPolicy) route(ev *luaapi.Event) *luaapi.Program {
	key := ""
	switch ev.Type {
	case luaapi.EventOpen:
		key = scripts.RouteConnect
	case luaapi.EventClose:
		key = scripts.RouteDisconnect
	case luaapi.EventData:
		if ev.RouteKey == scripts.RouteRateLimited {
			return p.routes[scripts.RouteRateLimited]
		}
		if p.selector != nil && !ev.Binary {
			ev.RouteValue, ev.HasRouteValue = p.selector.Select(ev.Message)
			// Reserved keys are events, never values a message selects.
			if prog, ok := p.routes[ev.RouteValue]; ev.HasRouteValue && ok && !strings.HasPrefix(ev.RouteValue, "$") {
				ev.RouteKey = ev.RouteValue
				return prog
			}
		}
		key = scripts.RouteDefault
	}
	prog, ok := p.routes[key]
	if ok {
		ev.RouteKey = key
	}
	return prog
}

package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/time/rate"

	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// endpointPolicy is an endpoint's policy (its header lines, the solution's
// defaults, the server's Config) in the form the message path uses, built
// once per revision. A socket finds it again only when the revision
// changes, so an endpoint without policy lines pays a pointer comparison
// per message for all of this.
type endpointPolicy struct {
	rate       *rateParams // nil: no limit
	maxMessage int64
	idle       time.Duration // zero: none
	maxAge     time.Duration // zero: none
	info       *luaapi.Policy

	// selector picks the route value; nil without --#ROUTESELECT.
	selector *scripts.JSONPath
	// routes holds the programs of the --#ROUTE lines by key, reserved
	// keys included; nil when the endpoint declares none.
	routes map[string]*luaapi.Program
	// filter is set on a proxy endpoint whose script has code, which then
	// runs for every frame (proxy.go).
	filter bool
}

// rateParams is a rate limit as a limiter and its answers.
type rateParams struct {
	limit  rate.Limit
	burst  int
	window time.Duration
	// frame is the RateLimitError frame sent for a dropped message.
	frame   []byte
	message string
	close   bool
}

// withPolicies builds r's endpoint policies, taking prev's (nil for none)
// for the endpoints r shares with it when r took prev's libraries.
// Engine.New and Load call it on every revision they store.
func (e *Engine) withPolicies(r, prev *revision) *revision {
	c := r.compiled
	libs := r.libs
	if prev == nil || prev.libs != libs {
		// The server's limit is the same for every endpoint without its
		// own, so it is built once, not once per endpoint.
		r.serverRate = e.serverRate()
		r.fallback = e.newEndpointPolicy("", &scripts.Policy{}, libs, r.serverRate)
		prev = noRevision
	} else {
		r.serverRate, r.fallback = prev.serverRate, prev.fallback
	}
	r.policies = make([]*endpointPolicy, len(c.Endpoints))
	var y yield.Paced
	for i, ep := range c.Endpoints {
		y.Step()
		if j, ok := prev.sharedWebSocket(ep); ok {
			r.policies[i] = prev.policies[j]
			continue
		}
		r.policies[i] = e.newEndpointPolicy(ep.Path, &ep.Policy, libs, r.serverRate)
	}
	return r
}

// serverRate is the server's message limit, for an endpoint without one
// of its own; nil when the server has none.
func (e *Engine) serverRate() *rateParams {
	cfg := &e.cfg
	if cfg.NoRateLimit {
		return nil
	}
	rp := newRateParams(scripts.RateLimit{Requests: int(cfg.RateLimit), Window: time.Second,
		Burst: max(1, int(cfg.RateLimit)), Code: scripts.DefaultRateLimitCode, Message: scripts.DefaultRateLimitMessage})
	rp.limit = rate.Limit(cfg.RateLimit) // a fractional --rate-limit stays as given
	return rp
}

// policyOf is the policy of route in r, or the server's defaults for a
// route r no longer has (a socket whose close event is still to run).
func (r *revision) policyOf(route string) *endpointPolicy {
	if i, ok := r.compiled.EndpointIndex(route); ok {
		return r.policies[i]
	}
	return r.fallback
}

// newEndpointPolicy builds the policy of the endpoint at path, whose
// limit is serverRate unless p sets one. serverRate is shared, never
// changed.
func (e *Engine) newEndpointPolicy(path string, p *scripts.Policy, libs *solutionLibs, serverRate *rateParams) *endpointPolicy {
	cfg := &e.cfg
	ep := &endpointPolicy{
		maxMessage: cfg.MaxMessageBytes,
		idle:       cfg.IdleTimeout,
		maxAge:     cfg.MaxConnectionAge,
		selector:   p.RouteSelect,
		info:       &luaapi.Policy{},
		filter:     p.Backend != nil && p.Backend.Filter,
	}
	switch rl := p.RateLimit; {
	case rl == nil:
		ep.rate = serverRate
	case !rl.Off:
		ep.rate = newRateParams(*rl)
	}
	// The endpoint may lower the server's limit, not raise it: a stored
	// solution must still load on a server started with a lower one.
	if p.MaxMessageBytes > 0 && p.MaxMessageBytes < ep.maxMessage {
		ep.maxMessage = p.MaxMessageBytes
	}
	if p.IdleTimeout != nil {
		ep.idle = *p.IdleTimeout
	}
	if p.MaxAge != nil {
		ep.maxAge = *p.MaxAge
	}
	if r := ep.rate; r != nil {
		then := "drop"
		if r.close {
			then = "close"
		}
		ep.info.RateLimit = &luaapi.RatePolicy{Requests: int(float64(r.limit) * r.window.Seconds()), WindowMS: r.window.Milliseconds(), Burst: r.burst, Then: then}
	}
	ep.info.IdleTimeoutMS, ep.info.MaxAgeMS, ep.info.MaxMessageBytes = ep.idle.Milliseconds(), ep.maxAge.Milliseconds(), ep.maxMessage
	if len(p.Routes) > 0 {
		ep.routes = make(map[string]*luaapi.Program, len(p.Routes))
		for _, r := range p.Routes {
			ep.routes[r.Key] = libs.program(routeChunk(path, r), "")
		}
	}
	return ep
}

func newRateParams(rl scripts.RateLimit) *rateParams {
	burst := rl.Burst
	if burst == 0 {
		burst = rl.Requests
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // a client shows the message; it is not HTML
	_ = enc.Encode(struct {
		Type   string `json:"type"`
		Error  string `json:"error"`
		Status int    `json:"status"`
	}{"RateLimitError", rl.Message, rl.Code})
	frame := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return &rateParams{
		limit:   rate.Limit(float64(rl.Requests) / rl.Window.Seconds()),
		burst:   burst,
		window:  rl.Window,
		frame:   frame,
		message: rl.Message,
		close:   rl.Close,
	}
}

// routeChunk compiles the program of a route: a call of the module's
// function with the endpoint script's arguments, whose result is the reply
// as an endpoint script's is. It stands on the --#ROUTE line, so an error
// in the call itself points there.
func routeChunk(path string, r scripts.Route) *lua.FunctionProto {
	// Module and function names were checked to be a dotted name and a
	// Lua identifier, so they need no escaping.
	src := strings.Repeat("\n", r.Line-1) +
		fmt.Sprintf("local websocketInfo, response = ...; return require(%q)[%q](websocketInfo, response)", r.Module, r.Function)
	proto, err := scripts.CompileChunk(path, src)
	if err != nil {
		// Only a bug in the line above could get here.
		panic(fmt.Sprintf("route chunk of %s: %v", path, err))
	}
	return proto
}

// socketPolicy is the policy a socket applies and the state it keeps for
// it. Only the socket's reader goroutine touches it.
type socketPolicy struct {
	rev *revision
	cur *endpointPolicy
	// prog is the socket's endpoint's program in rev, nil when it has
	// none. It is looked up with cur, once a revision: looking it up for
	// each event hashed and compared the route's string and read the
	// socket's luaapi.Conn, a cache miss per message on a socket that is
	// not busy.
	prog *luaapi.Program
	// decided is the $ratelimited route's last answer; nil until one is
	// asked for, so a socket that is never over its limit holds none.
	decided *rateDecided
}

// rateDecided is a $ratelimited route's answer and until when it holds.
type rateDecided struct {
	decision rateDecision
	until    time.Time
}

// policy is the socket's endpoint policy in the current revision. When
// the revision changed since the last event, it takes on the new limit;
// the limiter keeps its tokens when the limit is the same.
func (s *socket) policy() *endpointPolicy {
	rev := s.e.rev.Load()
	if s.pol.rev == rev {
		return s.pol.cur
	}
	cur := rev.policyOf(s.conn.Route)
	s.pol.rev, s.pol.cur, s.pol.prog = rev, cur, rev.program(s.conn.Route)
	if r := cur.rate; r == nil {
		s.limiter = nil
	} else if s.limiter == nil || s.limiter.Limit() != r.limit || s.limiter.Burst() != r.burst {
		s.limiter = rate.NewLimiter(r.limit, r.burst)
		s.pol.decided = nil
	}
	return cur
}

package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// ErrShuttingDown is returned by Serve once Shutdown has begun.
var ErrShuttingDown = errors.New("server is shutting down")

// Engine runs the sockets of one gateway and the scripts of its current
// revision.
type Engine struct {
	cfg      Config
	rev      atomic.Pointer[revision]
	hub      *hub.Hub
	pool     *pool
	watchdog *watchdog
	// queued is the bytes sockets hold for their clients, all together
	// (Config.SendTotalBytes).
	queued atomic.Int64

	mu           sync.Mutex // guards shuttingDown and adding to live
	shuttingDown bool
	live         sync.WaitGroup // one per socket, done after its close event
	stopOnce     sync.Once      // releases the watchdog and the Lua states
}

// revision is a compiled solution with the luaapi programs of each route
// built once, so dispatching an event allocates none.
type revision struct {
	compiled *scripts.Compiled
	programs map[string]*luaapi.Program
	handler  *luaapi.Program
	// policies and fallback are the endpoints' policies (policy.go).
	policies map[string]*endpointPolicy
	fallback *endpointPolicy
}

func newRevision(c *scripts.Compiled) *revision {
	modules := func(name string) (*lua.FunctionProto, bool) {
		p, ok := c.Modules[name]
		return p, ok
	}
	r := &revision{compiled: c, programs: make(map[string]*luaapi.Program, len(c.Endpoints))}
	for _, ep := range c.Endpoints {
		r.programs[ep.Path] = &luaapi.Program{Proto: ep.Proto, Modules: modules}
	}
	if c.Handler != nil {
		r.handler = &luaapi.Program{Proto: c.Handler, Call: scripts.HandlerFunction, Modules: modules}
	}
	return r
}

// program is what runs for an event on route: the custom event handler when
// there is one, else the route's endpoint script.
func (r *revision) program(route string) *luaapi.Program {
	if r.handler != nil {
		return r.handler
	}
	return r.programs[route]
}

// New creates an engine with an empty solution.
func New(cfg Config) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("runtime config: %w", err)
	}
	e := &Engine{cfg: cfg, hub: cfg.Hub}
	// One per engine, so that the endpoint log rates are this gateway's.
	scriptLog := luaapi.NewScriptLog()
	e.pool = newPool(cfg.LuaStates, func() *luaapi.VM {
		return luaapi.NewVM(luaapi.Options{Sockets: e.hub, Logger: cfg.Logger, ScriptLog: scriptLog})
	})
	e.watchdog = newWatchdog(uint64(cfg.ScriptMemory), e.pool)
	empty, err := scripts.Compile(scripts.Solution{})
	if err != nil {
		return nil, fmt.Errorf("compile empty solution: %w", err)
	}
	e.rev.Store(e.withPolicies(newRevision(empty)))
	return e, nil
}

// Hub holds the engine's live sockets.
func (e *Engine) Hub() *hub.Hub { return e.hub }

// Load makes c the running revision. Open sockets keep running and use it
// from their next event; sockets whose endpoint c no longer has are closed
// with hub.CloseEndpointRemoved.
func (e *Engine) Load(c *scripts.Compiled) {
	e.rev.Store(e.withPolicies(newRevision(c)))
	e.hub.DisconnectIf(hub.CloseEndpointRemoved, func(conn *hub.Conn) bool {
		_, ok := c.Endpoint(conn.Route)
		return !ok
	})
	e.rearmAll()
}

// Solution returns the running revision's compiled solution.
func (e *Engine) Solution() *scripts.Compiled { return e.rev.Load().compiled }

// Serve runs an upgraded connection until it ends: the open event, a data
// event per message, then the close event. It returns after the close event.
func (e *Engine) Serve(ws *websocket.Conn, c hub.Conn) error {
	e.mu.Lock()
	if e.shuttingDown {
		e.mu.Unlock()
		msg := websocket.FormatCloseMessage(hub.CloseShutdown.Code, hub.CloseShutdown.Text)
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(e.cfg.WriteTimeout))
		_ = ws.Close()
		return ErrShuttingDown
	}
	e.live.Add(1)
	e.mu.Unlock()
	defer e.live.Done()

	s := newSocket(e, ws)
	ws.SetReadLimit(e.cfg.MaxMessageBytes)
	_ = s.extendReadDeadline()
	ws.SetPongHandler(func(string) error { return s.extendReadDeadline() })
	s.startPinger()
	s.touch(c.ConnectedAt)
	s.entry = e.hub.Register(c, s)
	s.conn = s.entry.View()
	s.startTimers()
	// A deploy may have removed the route between the upgrade and Register;
	// Load swaps the revision before it looks at the hub, so one of the two
	// sees the other.
	if _, ok := e.rev.Load().compiled.Endpoint(c.Route); !ok {
		_ = s.entry.Close(hub.CloseEndpointRemoved)
	}

	s.run(&luaapi.Event{Type: luaapi.EventOpen, Conn: s.conn, Peer: s, Timestamp: time.Now()})
	reason := s.readLoop()
	s.stopTimers()
	s.end()
	s.entry.Unregister()
	e.dispatch(s, &luaapi.Event{Type: luaapi.EventClose, Conn: s.conn, Peer: s, Timestamp: time.Now(),
		CloseCode: reason.Code, CloseReason: reason.Text})
	return nil
}

// dispatch runs the script for ev on a pooled state.
func (e *Engine) dispatch(s *socket, ev *luaapi.Event) {
	prog := e.choose(s, ev)
	if prog == nil {
		prog = s.prog
	}
	if prog == nil {
		return
	}
	s.prog = prog
	e.run(prog, ev)
}

// run runs prog for ev on a pooled state, logs its failure and returns it.
func (e *Engine) run(prog *luaapi.Program, ev *luaapi.Event) error {
	pv := e.pool.get()
	pv.begin(e.watchdog.live.Load())
	err := pv.vm.RunFor(e.cfg.ScriptTimeout, prog, ev)
	pv.end()
	if err != nil {
		// Before the state goes back: it counts the failure against the
		// socket's and the endpoint's log rates.
		pv.vm.LogFailure(ev, err)
	}
	if errors.Is(err, ErrMemoryLimit) {
		e.pool.discard(pv)
		e.watchdog.refresh()
	} else {
		e.pool.put(pv)
	}
	return err
}

// Shutdown refuses new sockets, closes every open one with
// hub.CloseShutdown and waits until all their close events have run, or ctx
// ends. When ctx ends first, it cuts the remaining connections and stops
// the memory watchdog; executions still running are left to end on their
// own timeout.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.shuttingDown = true
	e.mu.Unlock()
	e.hub.DisconnectIf(hub.CloseShutdown, nil)
	done := make(chan struct{})
	go func() {
		e.live.Wait()
		close(done)
	}()
	select {
	case <-done:
		e.stopOnce.Do(func() {
			e.watchdog.close()
			e.pool.close()
		})
		return nil
	case <-ctx.Done():
		e.hub.DropAll()
		e.watchdog.close()
		return fmt.Errorf("shutdown: %d sockets still open: %w", e.hub.Registered(), ctx.Err())
	}
}

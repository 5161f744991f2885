package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	lua "github.com/yuin/gopher-lua"

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
	reg      *registry
	pool     *pool
	watchdog *watchdog

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
	e := &Engine{cfg: cfg, reg: newRegistry()}
	e.pool = newPool(cfg.LuaStates, func() *luaapi.VM {
		return luaapi.NewVM(luaapi.Options{Sockets: e, Logger: cfg.Logger})
	})
	e.watchdog = newWatchdog(uint64(cfg.ScriptMemory), e.pool)
	empty, err := scripts.Compile(scripts.Solution{})
	if err != nil {
		return nil, fmt.Errorf("compile empty solution: %w", err)
	}
	e.rev.Store(newRevision(empty))
	return e, nil
}

// Config returns the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Load makes c the running revision. Open sockets keep running and use it
// from their next event; sockets whose endpoint c no longer has are closed
// with CloseEndpointRemoved.
func (e *Engine) Load(c *scripts.Compiled) {
	e.rev.Store(newRevision(c))
	for _, s := range e.reg.all() {
		if _, ok := c.Endpoint(s.conn.Route); !ok {
			_ = s.closeWith(CloseEndpointRemoved)
		}
	}
}

// Solution returns the running revision's compiled solution.
func (e *Engine) Solution() *scripts.Compiled { return e.rev.Load().compiled }

// NewSocketID returns an unguessable socket id.
func NewSocketID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Serve runs an upgraded connection until it ends: the open event, a data
// event per message, then the close event. It returns after the close event.
func (e *Engine) Serve(ws *websocket.Conn, c luaapi.Conn) error {
	e.mu.Lock()
	if e.shuttingDown {
		e.mu.Unlock()
		msg := websocket.FormatCloseMessage(CloseShutdown.Code, CloseShutdown.Text)
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(e.cfg.WriteTimeout))
		_ = ws.Close()
		return ErrShuttingDown
	}
	e.live.Add(1)
	e.mu.Unlock()
	defer e.live.Done()

	s := newSocket(e, ws, luaapi.NewConn(c))
	ws.SetReadLimit(e.cfg.MaxMessageBytes)
	_ = s.extendReadDeadline()
	ws.SetPongHandler(func(string) error { return s.extendReadDeadline() })
	s.startPinger()
	e.reg.add(s)
	// A deploy may have removed the route between the upgrade and add; Load
	// swaps the revision before it looks at the registry, so one of the two
	// sees the other.
	if _, ok := e.rev.Load().compiled.Endpoint(c.Route); !ok {
		_ = s.closeWith(CloseEndpointRemoved)
	}

	s.run(&luaapi.Event{Type: luaapi.EventOpen, Conn: s.conn, Peer: s, Timestamp: time.Now()})
	reason := s.readLoop()
	s.end()
	e.reg.remove(s.conn.ID)
	e.dispatch(s, &luaapi.Event{Type: luaapi.EventClose, Conn: s.conn, Peer: s, Timestamp: time.Now(),
		CloseCode: reason.Code, CloseReason: reason.Text})
	return nil
}

// dispatch runs the script for ev on a pooled state.
func (e *Engine) dispatch(s *socket, ev *luaapi.Event) {
	prog := e.rev.Load().program(s.conn.Route)
	if prog == nil {
		prog = s.prog
	}
	if prog == nil {
		return
	}
	s.prog = prog
	pv := e.pool.get()
	pv.begin(e.watchdog.live.Load())
	err := pv.vm.RunFor(e.cfg.ScriptTimeout, prog, ev)
	pv.end()
	if errors.Is(err, ErrMemoryLimit) {
		e.pool.discard(pv)
		e.watchdog.refresh()
	} else {
		e.pool.put(pv)
	}
	if err != nil {
		attrs := []any{"route", s.conn.Route, "socket_id", s.conn.ID, "event", ev.Type, "error", err.Error()}
		var se *luaapi.ScriptError
		if errors.As(err, &se) && se.Traceback != "" {
			attrs = append(attrs, "traceback", se.Traceback)
		}
		e.cfg.Logger.Error("script failed", attrs...)
	}
}

// Shutdown refuses new sockets, closes every open one with CloseShutdown
// and waits until all their close events have run, or ctx ends.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.shuttingDown = true
	e.mu.Unlock()
	e.DisconnectAll(CloseShutdown)
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
		for _, s := range e.reg.all() {
			s.drop()
		}
		return fmt.Errorf("shutdown: %d sockets still open: %w", e.reg.count.Load(), ctx.Err())
	}
}

// Send queues a message to the socket id. It implements luaapi.Sockets.
func (e *Engine) Send(id string, msg []byte, binary bool) error {
	s, ok := e.reg.get(id)
	if !ok {
		return luaapi.ErrUnknownSocket
	}
	return s.Send(msg, binary)
}

// Close closes the socket id on a script's behalf. It implements
// luaapi.Sockets.
func (e *Engine) Close(id string) error { return e.Disconnect(id, CloseByScript) }

// Disconnect closes the socket id with reason.
func (e *Engine) Disconnect(id string, reason CloseReason) error {
	s, ok := e.reg.get(id)
	if !ok {
		return luaapi.ErrUnknownSocket
	}
	return s.closeWith(reason)
}

// Info describes the open socket id. It implements luaapi.Sockets.
func (e *Engine) Info(id string) (*luaapi.Conn, error) {
	s, ok := e.reg.get(id)
	if !ok || s.isClosing() {
		return nil, luaapi.ErrUnknownSocket
	}
	return s.conn, nil
}

// List returns the ids of the open sockets. It implements luaapi.Sockets.
func (e *Engine) List() []string {
	all := e.reg.all()
	ids := make([]string, 0, len(all))
	for _, s := range all {
		ids = append(ids, s.conn.ID)
	}
	return ids
}

// CloseAll closes every open socket on a script's behalf and returns how
// many. It implements luaapi.Sockets.
func (e *Engine) CloseAll() int { return e.DisconnectAll(CloseByScript) }

// DisconnectAll closes every open socket with reason and returns how many.
func (e *Engine) DisconnectAll(reason CloseReason) int {
	n := 0
	for _, s := range e.reg.all() {
		if s.closeWith(reason) == nil {
			n++
		}
	}
	return n
}

// SocketStats describes an open socket for operators.
type SocketStats struct {
	*luaapi.Conn
	MessagesIn  uint64
	MessagesOut uint64
}

// Sockets describes every open socket, oldest first.
func (e *Engine) Sockets() []SocketStats {
	all := e.reg.all()
	out := make([]SocketStats, 0, len(all))
	for _, s := range all {
		out = append(out, s.stats())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConnectedAt.Before(out[j].ConnectedAt) })
	return out
}

// Socket describes the open socket id.
func (e *Engine) Socket(id string) (SocketStats, error) {
	s, ok := e.reg.get(id)
	if !ok {
		return SocketStats{}, luaapi.ErrUnknownSocket
	}
	return s.stats(), nil
}

func (s *socket) stats() SocketStats {
	return SocketStats{Conn: s.conn, MessagesIn: s.in.Load(), MessagesOut: s.out.Load()}
}

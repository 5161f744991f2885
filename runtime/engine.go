package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/cpu"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/workpool"
	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// ErrShuttingDown is returned by Serve and Start once Shutdown has begun.
var ErrShuttingDown = errors.New("server is shutting down")

// Engine runs the sockets of one gateway and the scripts of its current
// revision.
type Engine struct {
	cfg      Config
	rev      atomic.Pointer[revision]
	hub      *hub.Hub
	pool     *pool
	watchdog *watchdog
	history  *history // nil without Config.Sessions
	routes   routeTable
	// queued is the bytes sockets hold for their clients, all together
	// (Config.SendTotalBytes). Every send adds to it and every write takes
	// away, from all processors at once: it has a cache line of its own,
	// so that the engine's fields beside it are not invalidated with it.
	_      cpu.CacheLinePad
	queued atomic.Int64
	_      cpu.CacheLinePad
	// idle waits for the sockets that park while idle (park_linux.go).
	idle poller
	// pings pings every socket every PingInterval (pinger.go).
	pings pingWheel
	// workers run sockets' writers.
	workers *workpool.Pool

	mu           sync.Mutex // guards shuttingDown and adding to live
	shuttingDown bool
	live         sync.WaitGroup // one per socket, done after its close event, and one per HTTP request running
	stopOnce     sync.Once      // releases the watchdog and the Lua states
}

// The engine keeps up to keptWorkers idle worker goroutines per processor
// (Engine.workers), each for about workerKeep: a fan-out to a room of a
// thousand then finds most of its idle recipients' writers grown, and a
// burst's workers and their stacks are let go some seconds after.
const (
	keptWorkers = 512
	workerKeep  = 10 * time.Second
)

// revision is a compiled solution with the luaapi programs of each route
// built once, so dispatching an event allocates none.
type revision struct {
	compiled *scripts.Compiled
	libs     *solutionLibs
	// programs are the WebSocket endpoints' programs and requests the
	// HTTP endpoints', by their places in compiled.Endpoints and
	// compiled.HTTP.
	programs []*luaapi.Program
	requests []*luaapi.Program
	handler  *luaapi.Program
	// policies are the WebSocket endpoints' policies by place, fallback
	// the server's defaults, serverRate the server's limit (policy.go).
	policies   []*endpointPolicy
	fallback   *endpointPolicy
	serverRate *rateParams
}

// newRevision builds c's programs, taking from prev (nil for none) those
// of the endpoints c shares with it when their libraries are the same: a
// one-endpoint change builds one program, not one per endpoint.
func newRevision(c *scripts.Compiled, prev *revision) *revision {
	libs := libsOf(c)
	if prev != nil && libs.same(prev.libs) {
		libs = prev.libs
	} else {
		prev = noRevision
	}
	r := &revision{compiled: c, libs: libs}
	r.programs = programsOf(c.Endpoints, prev.sharedWebSocket, libs, prev.programs)
	r.requests = programsOf(c.HTTP, prev.sharedHTTP, libs, prev.requests)
	if c.Handler != nil {
		r.handler = libs.program(c.Handler, scripts.HandlerFunction)
	}
	return r
}

// noRevision is the revision before the first: it shares no endpoint.
var noRevision = &revision{compiled: &scripts.Compiled{}}

// programsOf builds the program of each of eps, taking prevProgs[j] for
// an endpoint shared says is at j in the previous revision.
func programsOf(eps []*scripts.CompiledEndpoint, shared func(*scripts.CompiledEndpoint) (int, bool), libs *solutionLibs, prevProgs []*luaapi.Program) []*luaapi.Program {
	out := make([]*luaapi.Program, len(eps))
	var y yield.Paced
	for i, ep := range eps {
		y.Step()
		if j, ok := shared(ep); ok {
			out[i] = prevProgs[j]
			continue
		}
		out[i] = libs.program(ep.Proto, "")
	}
	return out
}

// sharedWebSocket and sharedHTTP give the place of ep among r's WebSocket
// or HTTP endpoints when r holds ep itself: an endpoint the compile took
// unchanged from r's.
func (r *revision) sharedWebSocket(ep *scripts.CompiledEndpoint) (int, bool) {
	j, ok := r.compiled.EndpointIndex(ep.Path)
	return j, ok && r.compiled.Endpoints[j] == ep
}

func (r *revision) sharedHTTP(ep *scripts.CompiledEndpoint) (int, bool) {
	j, ok := r.compiled.HTTPIndex(ep.Key())
	return j, ok && r.compiled.HTTP[j] == ep
}

// program is what runs for an event on route: the custom event handler when
// there is one, else the route's endpoint script.
func (r *revision) program(route string) *luaapi.Program {
	if r.handler != nil {
		return r.handler
	}
	if i, ok := r.compiled.EndpointIndex(route); ok {
		return r.programs[i]
	}
	return nil
}

// request is the program of the HTTP endpoint whose key is key, nil when
// there is none.
func (r *revision) request(key string) *luaapi.Program {
	if i, ok := r.compiled.HTTPIndex(key); ok {
		return r.requests[i]
	}
	return nil
}

// New creates an engine with an empty solution.
func New(cfg Config) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("runtime config: %w", err)
	}
	e := &Engine{cfg: cfg, hub: cfg.Hub, workers: workpool.New(keptWorkers*goruntime.GOMAXPROCS(0), workerKeep)}
	e.pings.interval, e.pings.workers = cfg.PingInterval, e.workers
	// One per engine, so that the endpoint log rates are this gateway's.
	scriptLog := luaapi.NewScriptLog()
	ks := luaKeystoreOf(cfg.Keystore)
	waiting := luaapi.NewWaitLimit(cfg.MaxWaitingRequests)
	e.pool = newPool(cfg.LuaStates, cfg.CloseStates, cfg.EndpointStates, func() *luaapi.VM {
		return luaapi.NewVM(luaapi.Options{Sockets: e.hub, Keystore: ks, Logger: cfg.Logger, ScriptLog: scriptLog, Pusher: cfg.Pusher,
			KeepOutput: cfg.Logs != nil, NoPrintLog: cfg.NoPrintLog,
			Requests: e.hub, Waiting: waiting, MaxRequestTimeout: cfg.MaxRequestTimeout, Files: luaFiles(cfg.Files)})
	})
	e.watchdog = newWatchdog(uint64(cfg.ScriptMemory), e.pool, &e.queued)
	empty, err := scripts.Compile(scripts.Solution{})
	if err != nil {
		return nil, fmt.Errorf("compile empty solution: %w", err)
	}
	e.rev.Store(e.withPolicies(newRevision(empty, nil), nil))
	if cfg.Sessions != nil {
		e.history = newHistory(cfg.Sessions, cfg.SessionHistory, cfg.Logger)
	}
	return e, nil
}

// MaxRequestTimeout bounds a request's timeout (Config.MaxRequestTimeout).
func (e *Engine) MaxRequestTimeout() time.Duration { return e.cfg.MaxRequestTimeout }

// Hub holds the engine's live sockets.
func (e *Engine) Hub() *hub.Hub { return e.hub }

// Load makes c the running revision. Open sockets keep running and use it
// from their next event; sockets whose endpoint c no longer has are closed
// with hub.CloseEndpointRemoved.
func (e *Engine) Load(c *scripts.Compiled) {
	prev := e.rev.Load()
	e.rev.Store(e.withPolicies(newRevision(c, prev), prev))
	e.routes.prune(c)
	e.hub.DisconnectIf(hub.CloseEndpointRemoved, func(conn *hub.Conn) bool {
		_, ok := c.Endpoint(conn.Route)
		return !ok && !e.isBuiltin(conn.Route)
	})
	e.rearmAll()
}

// Served is how many executions the engine has started, for sockets'
// events, HTTP endpoints' requests and script checks: a count that moves
// while the server is serving, which a deploy paces itself by
// (yield.PaceBy).
func (e *Engine) Served() uint64 {
	e.pool.mu.Lock()
	defer e.pool.mu.Unlock()
	return e.pool.seq
}

// Solution returns the running revision's compiled solution.
func (e *Engine) Solution() *scripts.Compiled { return e.rev.Load().compiled }

// Serve runs an upgraded connection until it ends: the open event, a data
// event per message, then the close event. It returns after the close event.
func (e *Engine) Serve(ws *websocket.Conn, c hub.Conn) error { return e.serve(ws, c, nil) }

// ServeProxy runs an upgraded connection of a proxy endpoint, relayed to
// and from b (DialBackend), until either side ends; the other is closed
// with the same code and reason. Its open and close events run as
// Serve's, when the endpoint's script has code. It returns after the
// close event, with b closed.
func (e *Engine) ServeProxy(ws *websocket.Conn, c hub.Conn, b *Backend) error {
	return e.serve(ws, c, b)
}

func (e *Engine) serve(ws *websocket.Conn, c hub.Conn, b *Backend) error {
	ended := make(chan struct{})
	if err := e.Start(ws, c, b, func() { close(ended) }); err != nil {
		return err
	}
	<-ended
	return nil
}

// Start runs an upgraded connection as Serve does, or as ServeProxy does
// when b is not nil, without holding the caller for long: it calls done
// after the close event. A connection upgraded through LendingWriter holds
// no goroutine and no read buffer while it is idle, on Linux, unless it is
// TLS or a proxy's; Start runs such a socket's open event on the caller's
// goroutine and returns once the socket waits for its first message.
// Another socket gets a goroutine of its own, and Start returns at once.
// Once Shutdown has begun, Start closes the connection and returns
// ErrShuttingDown without calling done.
func (e *Engine) Start(ws *websocket.Conn, c hub.Conn, b *Backend, done func()) error {
	e.mu.Lock()
	if e.shuttingDown {
		e.mu.Unlock()
		msg := websocket.FormatCloseMessage(hub.CloseShutdown.Code, hub.CloseShutdown.Text)
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(e.cfg.WriteTimeout))
		_ = ws.Close()
		if b != nil {
			b.closeWith(hub.CloseShutdown, e.cfg.WriteTimeout)
		}
		return ErrShuttingDown
	}
	e.live.Add(1)
	e.mu.Unlock()
	s := newSocket(e, ws)
	s.done = done
	if b != nil {
		s.proxy = newProxy(s, b)
	}
	// Parking goes before the read deadline is set, which it keeps.
	if s.park = e.parkingFor(s); s.park != nil {
		s.open(c)
		return nil
	}
	go s.open(c)
	return nil
}

// open registers the socket, runs its open event and reads it.
func (s *socket) open(c hub.Conn) {
	e, ws := s.e, s.ws
	s.builtin = e.isBuiltin(c.Route)
	ws.SetReadLimit(e.cfg.MaxMessageBytes)
	_ = s.extendReadDeadline()
	ws.SetPongHandler(func(string) error { return s.extendReadDeadline() })
	e.pings.add(s)
	s.touch(c.ConnectedAt)
	s.share = e.pool.join(c.Route)
	s.stats = e.routes.join(c.Route, s)
	s.entry = e.hub.Register(c, s)
	s.conn = s.entry.View()
	s.startTimers()
	// A deploy may have removed the route between the upgrade and Register,
	// or a shutdown begun: Load swaps the revision, and Shutdown sets
	// shuttingDown, before they look at the hub, so one of the two sees the
	// other.
	if _, ok := e.rev.Load().compiled.Endpoint(c.Route); !ok && !s.builtin {
		_ = s.entry.Close(hub.CloseEndpointRemoved)
	}
	if e.isShuttingDown() {
		_ = s.entry.Close(hub.CloseShutdown)
	}

	if e.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		e.cfg.Logger.Debug("socket connected", "socket_id", c.ID, "route", c.Route, "user_id", c.UserID)
	}
	s.run(&luaapi.Event{Type: luaapi.EventOpen, Conn: s.conn, Peer: s, Timestamp: time.Now()})
	e.pushConnected(s)
	if s.proxy != nil {
		s.proxy.start()
	}
	if reason, ended := s.read(); ended {
		s.finish(reason)
	}
}

// finish ends the socket once its reader has ended for reason: it runs the
// close event, and calls done.
func (s *socket) finish(reason hub.CloseReason) {
	e, c := s.e, s.entry.Record()
	if s.proxy != nil {
		s.proxy.end(reason)
	}
	if e.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		e.cfg.Logger.Debug("socket disconnected", "socket_id", c.ID, "route", c.Route, "code", reason.Code, "reason", reason.Text)
	}
	s.stopTimers()
	s.end()
	s.released()
	s.stats.leave(s, reason)
	e.routes.forget(e.rev.Load().compiled, c.Route)
	if e.history != nil {
		// Before the hub forgets the socket: see Sessions.
		e.history.add(s.closedSession(reason))
	}
	groups := s.entry.Unregister()
	e.dispatch(s, &luaapi.Event{Type: luaapi.EventClose, Conn: s.conn, Peer: s, Timestamp: time.Now(),
		CloseCode: reason.Code, CloseReason: reason.Text, Groups: groups})
	if e.cfg.Files != nil {
		e.cfg.Files.RemoveSession(c.ID)
	}
	e.pool.leave(s.share)
	e.live.Done()
	s.done()
}

// luaFiles is f as the Files module takes it: a nil interface, not a nil
// pointer in one, when there are no files.
func luaFiles(f SessionFiles) luaapi.Files {
	if f == nil {
		return nil
	}
	return f
}

// closeHistory stores the closed sessions still buffered.
func (e *Engine) closeHistory() {
	if e.history != nil {
		e.history.close()
	}
}

func (e *Engine) isShuttingDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.shuttingDown
}

// dispatch runs the script for ev on a pooled state, and returns when the
// execution ended, a clock reading for the reply's write, or zero if
// nothing ran.
func (e *Engine) dispatch(s *socket, ev *luaapi.Event) (ended time.Time) {
	if s.builtin {
		return time.Time{}
	}
	prog := s.choose(ev)
	if prog == nil {
		prog = s.prog
	}
	if prog == nil {
		return time.Time{}
	}
	if s.proxy != nil && !s.policy().filter {
		return time.Time{} // a proxy endpoint without code runs no Lua at all
	}
	s.prog = prog
	kind := kindOf(ev.Type)
	// The client of a socket whose last event was late (it waited long for
	// a state, or ran long) may have left meanwhile, with messages of its
	// still unread; so may that of one whose data event has just waited long.
	// Such a socket's data events are dropped from then on: nobody is there
	// for their replies, and running them kept a stuck endpoint's states busy
	// long after its clients had gone.
	if kind == dataEvent && s.late && s.clientGone() {
		s.gone = true
		return time.Time{}
	}
	pv, late := e.pool.get(s.share, &s.wait, kind)
	if pv == nil {
		return time.Time{} // the socket closed while the event waited
	}
	if late && kind == dataEvent && (s.isClosing() || s.clientGone()) {
		s.gone = true
		e.pool.put(pv)
		return time.Time{}
	}
	long, ran, ended, err := e.execute(pv, prog, ev)
	s.stats.executed(kind, ran, err)
	s.late = late || long
	return ended
}

// run runs prog for ev, an event with no socket (an upgrade's script
// check), on a pooled state within the share of ev's endpoint, and returns
// its failure.
func (e *Engine) run(prog *luaapi.Program, ev *luaapi.Event) error {
	sh := e.pool.join(ev.Conn.Route)
	defer e.pool.leave(sh)
	var slot waitSlot
	pv, _ := e.pool.get(sh, &slot, openEvent) // only a data event's wait is cancelled
	if pv == nil {
		return ErrShuttingDown
	}
	_, _, _, err := e.execute(pv, prog, ev)
	return err
}

// startOf is when the execution of ev on pv starts: when pv was handed
// over if ev waited for it, and otherwise ev's arrival, so that one clock
// reading serves both.
func startOf(pv *pooledVM, ev *luaapi.Event) time.Time {
	switch {
	case !pv.granted.IsZero():
		return pv.granted
	case !ev.Timestamp.IsZero():
		return ev.Timestamp
	}
	return time.Now() // a check's event, which has no timestamp
}

// execute runs prog for ev on pv, logs a failure and gives pv back. It
// reports whether the execution ran long (see pool.put), how long it ran,
// and when it ended, a clock reading for the reply's first write.
func (e *Engine) execute(pv *pooledVM, prog *luaapi.Program, ev *luaapi.Event) (long bool, ran time.Duration, ended time.Time, err error) {
	start := startOf(pv, ev)
	ran, err = pv.vm.RunTimed(start, e.cfg.ScriptTimeout, prog, ev)
	ended = start.Add(ran)
	logged := false
	if err != nil {
		// Before the state goes back: it counts the failure against the
		// socket's and the endpoint's log rates.
		logged = pv.vm.LogFailure(ev, err)
	}
	if e.cfg.Logs != nil {
		e.record(pv.vm, ev, err, logged, ran, ended)
	}
	long, stopped := e.pool.put(pv)
	if stopped {
		e.watchdog.refresh()
	}
	return long, ran, ended, err
}

// Shutdown refuses new sockets, closes every open one with
// hub.CloseShutdown and waits until all their close events have run, or ctx
// ends. Executions of open and data events still running are stopped,
// stuck or not: their sockets are closing, so their replies would reach no
// one, and their states are needed for the close events. When ctx ends
// first, it cuts the remaining connections and stops the watchdog; close
// events still running are left to end on their own timeout.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.shuttingDown = true
	e.mu.Unlock()
	e.hub.DisconnectIf(hub.CloseShutdown, nil)
	e.pool.abandonEvents()
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
		e.idle.close()
		e.pings.close()
		e.workers.Close()
		e.closeHistory()
		return nil
	case <-ctx.Done():
		e.hub.DropAll()
		e.idle.close()
		e.pings.close()
		e.workers.Close()
		e.watchdog.close()
		e.closeHistory()
		return fmt.Errorf("shutdown: %d sockets still open: %w", e.hub.Registered(), ctx.Err())
	}
}

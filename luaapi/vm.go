package luaapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// ErrTimeout is wrapped by the error of an execution stopped because it ran
// past its deadline.
var ErrTimeout = errors.New("script timed out")

// Sockets is what the Websocket module needs from the host: every live
// socket of the gateway, by id.
type Sockets interface {
	Send(id string, msg []byte, binary bool) error
	Close(id string) error
	Info(id string) (*Conn, error)
	List() []string
	CloseAll() int
	// SendTo queues a message to every open socket t names and returns
	// how many took it.
	SendTo(t Target, msg []byte, binary bool) int
	// CloseTo closes every open socket t names and returns how many.
	CloseTo(t Target) int
	// ListOf returns the ids of the open sockets t names.
	ListOf(t Target) []string
	// Join adds the socket id to group; joining a group again does
	// nothing. It fails with ErrTooManyGroups past the socket's limit.
	Join(id, group string) error
	// Leave removes the socket id from group; leaving a group it is not
	// in does nothing.
	Leave(id, group string) error
	// Groups returns the groups the socket id is in, sorted.
	Groups(id string) ([]string, error)
	// Presence counts the open sockets in group, by user.
	Presence(group string) Presence
	// UserPresence counts user's open sockets in group.
	UserPresence(group, user string) int
}

// Poster is a Sockets that can send without waiting for an answer it
// would only have to report: Websocket.send calls Post instead of Send
// when the script does not use its result (a call made as a statement).
// For a socket on another node, Post returns once the send is on its way
// rather than once that node has taken it; it still keeps a sender's
// messages to a socket in order, and it may still block while too many
// such sends to that node are unanswered. A failure it learns of later
// is the Poster's to count and log.
type Poster interface {
	Post(id string, msg []byte, binary bool) error
}

// ConnLister is a Sockets that can list its open sockets' records:
// Websocket.list then puts in its table the Lua string of each id that
// NewConn made, where boxing a new one cost an allocation per socket.
type ConnLister interface {
	// ListConns returns the records of the open sockets on this process
	// and the ids of the open sockets elsewhere.
	ListConns() (local []*Conn, remote []string)
}

// ModuleFinder returns the compiled shared module with this name.
type ModuleFinder func(name string) (*lua.FunctionProto, bool)

// Program is what to run for one event.
type Program struct {
	// Proto is the compiled chunk. An endpoint chunk takes (websocketInfo,
	// response) as arguments.
	Proto *lua.FunctionProto
	// Call, when set, names a global function the chunk defines, which is
	// then called with websocketInfo: the custom event handler.
	Call string
	// Modules resolves require.
	Modules ModuleFinder
	// Globals are the solution's global modules, run in this order in
	// the execution's environment before the chunk, as the platform
	// loads them into every script: the globals they define are the
	// script's. require of one of them returns true without running it
	// again.
	Globals []GlobalModule
	// Env is the solution's environment, read by os.getenv. Shared and
	// never written.
	Env map[string]string
}

// GlobalModule is a module whose chunk returns nothing.
type GlobalModule struct {
	Name  string
	Proto *lua.FunctionProto
}

// Options configure a VM.
type Options struct {
	// Sockets backs the Websocket module. Required.
	Sockets Sockets
	// Keystore backs the Keystore module. Nil means every Keystore call
	// answers a ServiceUnavailableError.
	Keystore Keystore
	// Logger receives print output and is tagged per event. Nil means
	// slog.Default().
	Logger *slog.Logger
	// ScriptLog limits how fast each endpoint's scripts log, for every VM
	// given the same one. Nil means one shared by the whole process.
	ScriptLog *ScriptLog
	// Pusher backs the Push module. Nil means its functions answer that
	// push is off.
	Pusher Pusher
	// KeepOutput keeps each execution's print lines for Output.
	KeepOutput bool
	// NoPrintLog keeps print lines out of Logger; failures and the count
	// of dropped lines still go to it.
	NoPrintLog bool
	// Requests backs Websocket.request and Websocket.send{wait=true}; nil
	// makes them fail.
	Requests Requests
	// Waiting bounds the executions waiting in them at once, for every VM
	// given the same one. Nil means one of its own, of 1.
	Waiting *WaitLimit
	// MaxRequestTimeout bounds their timeouts. Zero means
	// DefaultMaxRequestTimeout.
	MaxRequestTimeout time.Duration
	// Files backs the Files module; nil makes its operations fail.
	Files Files
}

// VM is one sandboxed Lua state. It is not safe for concurrent use: the
// runtime pools VMs and gives each to one execution at a time.
type VM struct {
	L       *lua.LState
	opts    Options
	base    *lua.LTable
	envMeta *lua.LTable
	// stringMeta is the metatable of every string: its __index is the
	// string library's read-only proxy.
	stringMeta *lua.LTable
	proxies    []*lua.LTable
	// services are the globals of the platform services luagate does not
	// provide (platform.go).
	services []*lua.LTable
	// rawWritten is set when an execution called a function that writes
	// past metamethods (rawset, table.insert, table.remove): only then can
	// a read-only proxy hold something scrub must remove.
	rawWritten bool
	// reusedMeta is the metatable of websocketInfo, its headers and
	// parameters, and response: see touched.
	reusedMeta *lua.LTable

	// poster is opts.Sockets as a Poster, nil when it is not one.
	poster Poster

	// Functions of websocketInfo, created once and bound to cur.
	infoSend, infoClose *lua.LFunction
	globalsFn           *lua.LFunction
	tables              infoTables
	// http are the tables of HTTP executions (request.go).
	http requestTables
	// The environment and response tables of the last execution, reused
	// unless it may have added keys to them: see touched.
	env, response *lua.LTable
	deadline      *deadline
	frames        callFrames
	// chunk is the function of the last program run, reused while the
	// same program runs again.
	chunk *lua.LFunction

	cur  *execution
	exec execution // what cur points to while Run runs, kept to save allocating it
	// output is the print lines of the last execution, with
	// Options.KeepOutput; nil when it printed nothing.
	output []string
}

// execution is the state of the one Run in progress.
type execution struct {
	ev      *Event
	prog    *Program
	info    *lua.LTable
	env     *lua.LTable
	modules map[string]lua.LValue
	// coroutines counts the coroutines created, up to MaxCoroutines.
	coroutines int
}

// NewVM creates a sandboxed state.
func NewVM(opts Options) *VM {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ScriptLog == nil {
		opts.ScriptLog = defaultScriptLog
	}
	if opts.Waiting == nil {
		opts.Waiting = NewWaitLimit(1)
	}
	if opts.MaxRequestTimeout == 0 {
		opts.MaxRequestTimeout = DefaultMaxRequestTimeout
	}
	vm := &VM{
		L: lua.NewState(lua.Options{
			SkipOpenLibs:     true,
			CallStackSize:    callStackSize,
			RegistrySize:     registrySize,
			RegistryMaxSize:  registryMaxSize,
			RegistryGrowStep: registryGrowStep,
		}),
		opts:     opts,
		deadline: newDeadline(),
	}
	// An ended execution stops at its next instruction, not at the
	// interpreter's next look at its context: a stopped hog allocates
	// nothing more.
	vm.L.G.Stop = &vm.deadline.ended
	vm.poster, _ = opts.Sockets.(Poster)
	frames, err := newCallFrames(vm.L)
	if err != nil {
		panic(fmt.Sprintf("luaapi: %v", err))
	}
	vm.frames = frames
	vm.infoSend = vm.L.NewFunction(vm.websocketInfoSend)
	vm.infoClose = vm.L.NewFunction(vm.websocketInfoClose)
	vm.globalsFn = vm.L.NewFunction(vm.runGlobals)
	vm.openSandbox()
	return vm
}

// Close releases the state.
func (vm *VM) Close() {
	vm.deadline.close()
	vm.L.Close()
}

// ScriptError is a failed execution: the script raised, or ran too long.
type ScriptError struct {
	// Message starts with the chunk name and line: "/chat/{room}:4: ...".
	Message string
	// Traceback is the Lua stack at the failure.
	Traceback string
	cause     error
}

func (e *ScriptError) Error() string { return e.Message }
func (e *ScriptError) Unwrap() error { return e.cause }

// Output returns the lines the last execution printed, with
// Options.KeepOutput, as many as the log rates let through; nil when it
// printed none. The slice is the caller's: the next execution starts another.
func (vm *VM) Output() []string { return vm.output }

// Interrupt stops the execution in progress, if any, as if its time had
// run out, with cause as the reason its error gives. It is the one method
// that may be called from another goroutine while the VM runs.
func (vm *VM) Interrupt(cause error) { vm.deadline.interrupt(cause) }

// RunFor is Run with a context that ends after timeout, timed by a timer
// the VM reuses for every execution.
func (vm *VM) RunFor(timeout time.Duration, p *Program, ev *Event) error {
	_, err := vm.RunTimed(time.Now(), timeout, p, ev)
	return err
}

// RunTimed is RunFor with the execution's time starting at start, a clock
// reading the caller has just taken (an event's arrival), and also reports
// how long the execution ran: timing it costs one clock reading, at its
// end, which is start plus the duration, for the caller to reuse.
func (vm *VM) RunTimed(start time.Time, timeout time.Duration, p *Program, ev *Event) (time.Duration, error) {
	ctx := vm.deadline.start(start, timeout)
	defer vm.deadline.stop()
	err := vm.Run(ctx, p, ev)
	return time.Since(start), err
}

// Run executes p for ev under ctx, which bounds its running time. An endpoint
// script's reply (its return value, or response.message) is sent to the
// event's socket on open and data events; an HTTP endpoint's answer, for
// an event with a Request, is put in ev.Response. Run never panics on anything a
// script does; a failure comes back as a *ScriptError.
func (vm *VM) Run(ctx context.Context, p *Program, ev *Event) (err error) {
	L := vm.L
	env, fresh := reuse(L, &vm.env, vm.envMeta)
	if fresh {
		env.RawSetString("_G", env)
	}
	vm.exec = execution{ev: ev, prog: p, env: env}
	vm.cur = &vm.exec
	vm.output = nil
	if ev.Request == nil {
		vm.cur.info = vm.tables.newInfo(L, ev, vm.infoSend, vm.infoClose, vm.reusedMeta)
	}
	L.SetContext(ctx)
	defer func() {
		L.RemoveContext()
		L.SetTop(0)
		vm.cur, vm.exec = nil, execution{}
		if ev.Type == EventClose {
			vm.closeLog(ev.Conn)
		}
		vm.release()
		vm.scrub()
		if r := recover(); r != nil {
			err = &ScriptError{Message: fmt.Sprintf("script aborted: %v", r)}
		}
	}()

	fn := vm.chunk
	if fn == nil || fn.Proto != p.Proto {
		// A chunk's function has no upvalues and a script cannot reach or
		// change it, so one serves every execution of the same program.
		fn = L.NewFunctionFromProto(p.Proto)
		vm.chunk = fn
	}
	fn.Env = env
	if len(p.Globals) > 0 {
		if err := vm.loadGlobals(L); err != nil {
			return scriptError(ctx, err)
		}
	}
	if ev.Request != nil {
		return vm.runRequest(ctx, fn, ev)
	}
	L.Push(fn)
	if p.Call != "" {
		if err := L.PCall(0, 0, nil); err != nil {
			return scriptError(ctx, err)
		}
		handler, ok := env.RawGetString(p.Call).(*lua.LFunction)
		if !ok {
			return &ScriptError{Message: fmt.Sprintf("%s: does not define function %s(websocketInfo)", p.Proto.SourceName, p.Call)}
		}
		L.Push(handler)
		L.Push(vm.cur.info)
		if err := L.PCall(1, 0, nil); err != nil {
			return scriptError(ctx, err)
		}
		return nil
	}
	response, _ := reuse(L, &vm.response, vm.reusedMeta)
	L.Push(vm.cur.info)
	L.Push(response)
	if err := L.PCall(2, 1, nil); err != nil {
		return scriptError(ctx, err)
	}
	if ev.Type == EventClose {
		return nil
	}
	reply := L.Get(-1)
	if reply == lua.LNil {
		reply = response.RawGetString("message")
	}
	if reply == lua.LNil {
		return nil
	}
	typ := MessageText
	if ev.Direction != "" {
		if reply == lua.LFalse {
			ev.Dropped = true
			return nil
		}
		// A binary frame's script sees it in base64 and answers in kind.
		if _, ok := reply.(lua.LString); ok && ev.Binary {
			typ = MessageBinary
		}
	}
	msg, binary, err := encodeMessage(reply, typ)
	switch {
	case err != nil:
	case ev.Reply != nil:
		err = ev.Reply(msg, binary)
	default:
		err = ev.Peer.Send(msg, binary)
	}
	if err != nil {
		return &ScriptError{Message: fmt.Sprintf("%s: reply not sent: %v", p.Proto.SourceName, err), cause: err}
	}
	return nil
}

// scriptError describes the failure err of an execution under ctx. Its
// message, which a script can make as long as it likes (error(s)), is cut
// at MaxLogLine, as is the traceback.
func scriptError(ctx context.Context, err error) *ScriptError {
	se := &ScriptError{cause: err}
	// An ApiError's Error() joins the message and the traceback whole.
	if api := (*lua.ApiError)(nil); errors.As(err, &api) {
		se.Message = truncateLine(api.Object.String())
		se.Traceback = truncateLine(api.StackTrace)
	} else {
		se.Message = truncateLine(err.Error())
	}
	if ctx.Err() != nil {
		// The cause says why the execution was stopped: ErrTimeout, or
		// whatever limit the caller enforced.
		cause := causeOf(ctx)
		if cause == ctx.Err() && errors.Is(cause, context.DeadlineExceeded) {
			cause = ErrTimeout
		}
		se.cause = cause
		se.Message = strings.Replace(se.Message, ctx.Err().Error(), cause.Error(), 1)
	}
	return se
}

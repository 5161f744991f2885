package luaapi

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
	"golang.org/x/time/rate"
)

// Limits of script logging: print lines and failed executions. Logging is
// synchronous, so a script printing in a loop, or failing on every
// message, would otherwise spend the process's time and disk on the log.
const (
	// MaxLogLine is the longest line a script's print or error logs; a
	// longer one is cut there and says how long it was.
	MaxLogLine = 8 << 10
	// SocketLogRate and SocketLogBurst bound the lines logged for one
	// socket's events, per second and at once.
	SocketLogRate  = 10
	SocketLogBurst = 50
	// EndpointLogRate and EndpointLogBurst bound the lines logged for all
	// sockets of one endpoint (route) together. The burst lets a thousand
	// sockets log a line each at once, as their close events do when the
	// server shuts down.
	EndpointLogRate  = 100
	EndpointLogBurst = 1000
)

// maxLogEndpoints is how many endpoints' limiters a ScriptLog keeps before
// it forgets those of endpoints that have not logged lately.
const maxLogEndpoints = 1024

// ScriptLog holds the per-endpoint log limiters of the VMs that share it;
// each socket's own limiter is in its Conn. It is safe for concurrent use.
type ScriptLog struct {
	mu        sync.Mutex
	endpoints map[string]*logLimiter
}

// defaultScriptLog serves the VMs whose Options name no ScriptLog.
var defaultScriptLog = NewScriptLog()

// NewScriptLog returns an empty ScriptLog.
func NewScriptLog() *ScriptLog {
	return &ScriptLog{endpoints: map[string]*logLimiter{}}
}

// logLimiter is a rate of log lines and the count of lines it refused
// since the last one it let through.
type logLimiter struct {
	rate    *rate.Limiter
	dropped atomic.Int64
}

func newLogLimiter(perSecond, burst int) *logLimiter {
	return &logLimiter{rate: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// allow takes a line from l's rate, or counts it as dropped.
func (l *logLimiter) allow() bool {
	if l.rate.Allow() {
		return true
	}
	l.dropped.Add(1)
	return false
}

// endpoint returns the limiter of route, creating it.
func (s *ScriptLog) endpoint(route string) *logLimiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.endpoints[route]
	if !ok {
		if len(s.endpoints) >= maxLogEndpoints {
			s.forgetIdle()
		}
		l = newLogLimiter(EndpointLogRate, EndpointLogBurst)
		s.endpoints[route] = l
	}
	return l
}

// forgetIdle drops the limiters that are full and have nothing to report:
// a new one would behave the same. s.mu must be held.
func (s *ScriptLog) forgetIdle() {
	for route, l := range s.endpoints {
		if l.rate.Tokens() >= EndpointLogBurst && l.dropped.Load() == 0 {
			delete(s.endpoints, route)
		}
	}
}

// admit reports whether a line for c's script may be logged now. When it
// may, and lines were dropped before it, it first logs how many.
func (vm *VM) admit(c *Conn) bool {
	var own *logLimiter
	if c.shared != nil {
		if own = c.shared.logLimiter(); !own.allow() {
			return false
		}
	}
	endpoint := vm.opts.ScriptLog.endpoint(c.Route)
	if !endpoint.allow() {
		return false
	}
	vm.reportDropped(c, own, "socket")
	vm.reportDropped(c, endpoint, "endpoint")
	return true
}

// reportDropped logs how many lines l dropped, if any, and starts counting
// again.
func (vm *VM) reportDropped(c *Conn, l *logLimiter, scope string) {
	if l == nil || l.dropped.Load() == 0 {
		return
	}
	if n := l.dropped.Swap(0); n > 0 {
		vm.opts.Logger.Warn("script log lines dropped", "source", "lua", "route", c.Route, "socket_id", c.ID,
			"dropped", n, "limit", scope)
	}
}

// print(...) writes one log line tagged with the route, socket and event the
// script is running for, so a line in the server log leads back to its
// connection. A line over the socket's or the endpoint's rate is dropped
// without converting its arguments.
func (vm *VM) print(L *lua.LState) int {
	x := vm.cur
	if x != nil && !vm.admit(x.ev.Conn) {
		return 0
	}
	n := L.GetTop()
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = L.ToStringMeta(L.Get(i)).String()
	}
	msg := joinLine(parts)
	if x != nil && vm.opts.KeepOutput {
		vm.output = append(vm.output, msg)
	}
	switch {
	case vm.opts.NoPrintLog:
	case x != nil:
		vm.opts.Logger.Info(msg, "source", "lua", "route", x.ev.Conn.Route, "socket_id", x.ev.Conn.ID, "event", x.ev.Type)
	default:
		vm.opts.Logger.Info(msg, "source", "lua")
	}
	return 0
}

// LogFailure logs err, the failure of the execution for ev, as print logs a
// line: with the route, socket and event, its message and traceback cut at
// MaxLogLine, and counted against the socket's and endpoint's log rates,
// so that a script failing on every message cannot flood the log. It
// reports whether the rates let the failure through.
func (vm *VM) LogFailure(ev *Event, err error) bool {
	if ev.Type == EventClose {
		defer vm.closeLog(ev.Conn)
	}
	if !vm.admit(ev.Conn) {
		return false
	}
	attrs := []any{"route", ev.Conn.Route, "socket_id", ev.Conn.ID, "event", ev.Type, "error", truncateLine(err.Error())}
	if se := (*ScriptError)(nil); errors.As(err, &se) && se.Traceback != "" {
		attrs = append(attrs, "traceback", se.Traceback)
	}
	vm.opts.Logger.Error("script failed", attrs...)
	return true
}

// closeLog reports, after a socket's close event and after its failure,
// the lines its limiter dropped since its last logged one: none of its
// events will log again.
func (vm *VM) closeLog(c *Conn) {
	if c.shared != nil {
		vm.reportDropped(c, c.shared.log.Load(), "socket")
	}
}

// joinLine joins parts with tabs, as print does, cut at MaxLogLine without
// building more of the line than that.
func joinLine(parts []string) string {
	total := len(parts) - 1
	for _, p := range parts {
		total += len(p)
	}
	if total <= MaxLogLine {
		return strings.Join(parts, "\t")
	}
	var b strings.Builder
	b.Grow(MaxLogLine + 64)
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('\t')
		}
		if room := MaxLogLine - b.Len(); len(p) > room {
			b.WriteString(p[:max(room, 0)])
			break
		}
		b.WriteString(p)
	}
	return cut(b.String(), total)
}

// truncateLine cuts s at MaxLogLine.
func truncateLine(s string) string {
	if len(s) <= MaxLogLine {
		return s
	}
	return cut(s[:MaxLogLine], len(s))
}

// cut ends s, at most MaxLogLine bytes of a line of size bytes, at a
// character boundary, and says the line was cut.
func cut(s string, size int) string {
	s = s[:min(len(s), MaxLogLine)]
	for i := 0; i < utf8.UTFMax && len(s) > 0; i++ {
		if r, n := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || n > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s + " ... (truncated, " + byteSize(size) + ")"
}

// byteSize writes n as people read sizes: 900 bytes, 8.5 KiB, 503 MiB.
func byteSize(n int) string {
	units := []string{"KiB", "MiB", "GiB"}
	if n < 1<<10 {
		return strconv.Itoa(n) + " bytes"
	}
	v, unit := float64(n)/(1<<10), 0
	for v >= 1<<10 && unit < len(units)-1 {
		v, unit = v/(1<<10), unit+1
	}
	prec := 1
	if v >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(v, 'f', prec, 64) + " " + units[unit]
}

package luaapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// logRecords is a slog handler that keeps what is logged.
type logRecords struct {
	mu   sync.Mutex
	recs []logRecord
}

type logRecord struct {
	msg   string
	attrs map[string]string
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecords) WithGroup(string) slog.Handler            { return h }
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, rec)
	return nil
}

// take returns the records so far and forgets them.
func (h *logRecords) take() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	recs := h.recs
	h.recs = nil
	return recs
}

// count returns how many of recs have a message starting with prefix, and
// the sum of their dropped attributes.
func count(recs []logRecord, prefix string) (n, dropped int) {
	for _, r := range recs {
		if strings.HasPrefix(r.msg, prefix) {
			n++
			var d int
			fmt.Sscan(r.attrs["dropped"], &d)
			dropped += d
		}
	}
	return n, dropped
}

func newLoggingVM(t *testing.T, log *ScriptLog) (*VM, *logRecords) {
	t.Helper()
	h := &logRecords{}
	vm := NewVM(Options{Sockets: nopSockets{}, Logger: slog.New(h), ScriptLog: log})
	t.Cleanup(vm.Close)
	return vm, h
}

func connOf(id, route string) *Conn {
	return NewConn(Conn{ID: id, Route: route, URI: "ws://x" + route})
}

func runOn(t *testing.T, vm *VM, p *Program, c *Conn, typ string) error {
	t.Helper()
	return vm.RunFor(5*time.Second, p, &Event{Type: typ, Conn: c, Peer: nopPeer{}, Message: []byte("m"), Timestamp: time.Now()})
}

func TestPrintAndErrorOutputIsCutAtMaxLogLine(t *testing.T) {
	t.Parallel()
	vm, logs := newLoggingVM(t, NewScriptLog())
	for _, c := range []struct{ script, ends string }{
		{`print(string.rep("x", 16 * 1024 * 1024))`, "x ... (truncated, 16.0 MiB)"},
		{`print(string.rep("a", 5000), string.rep("b", 5000))`, "b ... (truncated, 9.8 KiB)"},
		{`print(string.rep("é", 10000))`, "é ... (truncated, 19.5 KiB)"},
		{`print("short", 1, nil)`, "short\t1\tnil"},
	} {
		if err := runOn(t, vm, compileEndpoint(t, c.script), connOf(c.script, "/p"), EventData); err != nil {
			t.Fatal(err)
		}
		recs := logs.take()
		if len(recs) != 1 {
			t.Fatalf("%s: logged %d lines", c.script, len(recs))
		}
		line := recs[0].msg
		if !strings.HasSuffix(line, c.ends) || len(line) > MaxLogLine+64 || !utf8.ValidString(line) {
			t.Errorf("%s: logged %d bytes ending %q, want at most %d ending %q", c.script, len(line), line[max(0, len(line)-40):], MaxLogLine, c.ends)
		}
	}

	err := runOn(t, vm, compileEndpoint(t, `error(string.rep("e", 1024 * 1024))`), connOf("e", "/p"), EventData)
	var se *ScriptError
	if !errors.As(err, &se) || len(se.Message) > MaxLogLine+64 || !strings.HasSuffix(se.Message, "e ... (truncated, 1.0 MiB)") {
		t.Fatalf("got %d bytes of error, ending %q", len(err.Error()), err.Error()[max(0, len(err.Error())-40):])
	}
	vm.LogFailure(&Event{Type: EventData, Conn: connOf("e", "/p")}, err)
	if recs := logs.take(); len(recs) != 1 || recs[0].msg != "script failed" || len(recs[0].attrs["error"]) > MaxLogLine+64 {
		t.Errorf("LogFailure logged %d lines", len(recs))
	}
}

// TestScriptLoggingIsRateLimitedPerSocket prints far more lines than a
// socket may log: the burst is logged, the rest is counted, and the count
// is logged when the socket logs again, and at its close event.
func TestScriptLoggingIsRateLimitedPerSocket(t *testing.T) {
	t.Parallel()
	vm, logs := newLoggingVM(t, NewScriptLog())
	chatty := compileEndpoint(t, `for i = 1, 500 do print("line", i) end`)
	quiet := compileEndpoint(t, `print("again")`)
	failing := compileEndpoint(t, `error("failing")`)
	c := connOf("chatty", "/p")

	start := time.Now()
	if err := runOn(t, vm, chatty, c, EventData); err != nil {
		t.Fatal(err)
	}
	vm.LogFailure(&Event{Type: EventData, Conn: c}, runOn(t, vm, failing, c, EventData))
	recs := logs.take()
	lines, _ := count(recs, "line\t")
	failures, _ := count(recs, "script failed")
	logged := lines + failures
	refilled := int(time.Since(start).Seconds()*SocketLogRate) + 1
	if logged < SocketLogBurst || logged > SocketLogBurst+refilled {
		t.Fatalf("logged %d of 500 lines, want the burst of %d", logged, SocketLogBurst)
	}
	printed := 501 // the failure counts as a line too

	// Another socket of the same endpoint is not held back.
	if err := runOn(t, vm, quiet, connOf("other", "/p"), EventData); err != nil {
		t.Fatal(err)
	}
	if n, _ := count(logs.take(), "again"); n != 1 {
		t.Fatalf("another socket logged %d lines", n)
	}

	// Once the rate allows a line again, it comes after the count.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := runOn(t, vm, quiet, c, EventData); err != nil {
			t.Fatal(err)
		}
		printed++
		if recs = logs.take(); len(recs) > 0 {
			break
		}
	}
	if len(recs) != 2 || recs[0].msg != "script log lines dropped" || recs[0].attrs["limit"] != "socket" || recs[1].msg != "again" {
		t.Fatalf("when logging resumed, logged %v", recs)
	}
	_, dropped := count(recs, "script log lines dropped")
	if logged+dropped+1 != printed {
		t.Errorf("logged %d, reported %d dropped, of %d lines", logged+1, dropped, printed)
	}

	// Spend the budget again: the close event reports what it dropped, as
	// the socket will log nothing more.
	if err := runOn(t, vm, chatty, c, EventClose); err != nil {
		t.Fatal(err)
	}
	recs = logs.take()
	lines, _ = count(recs, "line\t")
	_, dropped = count(recs, "script log lines dropped")
	if len(recs) == 0 || recs[len(recs)-1].msg != "script log lines dropped" || lines+dropped != 500 {
		t.Errorf("the close event logged %d lines and reported %d dropped, ending with %v", lines, dropped, recs[len(recs)-1:])
	}
}

// TestScriptLoggingIsRateLimitedPerEndpoint logs from many sockets of one
// endpoint, each within its own rate, on two VMs sharing a ScriptLog: the
// endpoint's rate holds for all of them together, and another endpoint's
// lines still go through.
func TestScriptLoggingIsRateLimitedPerEndpoint(t *testing.T) {
	t.Parallel()
	shared := NewScriptLog()
	vm1, logs1 := newLoggingVM(t, shared)
	vm2, logs2 := newLoggingVM(t, shared)
	p := compileEndpoint(t, `for i = 1, 20 do print("line") end`)
	start := time.Now()
	const sockets = 80
	for i := range sockets {
		vm := vm1
		if i%2 == 1 {
			vm = vm2
		}
		if err := runOn(t, vm, p, connOf(fmt.Sprint(i), "/busy"), EventData); err != nil {
			t.Fatal(err)
		}
	}
	n1, _ := count(logs1.take(), "line")
	n2, _ := count(logs2.take(), "line")
	refilled := int(time.Since(start).Seconds()*EndpointLogRate) + 1
	if logged := n1 + n2; logged < EndpointLogBurst || logged > EndpointLogBurst+refilled {
		t.Fatalf("logged %d of %d lines, want the endpoint's burst of %d", logged, sockets*20, EndpointLogBurst)
	}
	if err := runOn(t, vm1, compileEndpoint(t, `print("elsewhere")`), connOf("x", "/quiet"), EventData); err != nil {
		t.Fatal(err)
	}
	if n, _ := count(logs1.take(), "elsewhere"); n != 1 {
		t.Errorf("another endpoint logged %d lines", n)
	}
}

func TestByteSizes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{
		900: "900 bytes", 8 << 10: "8.0 KiB", 10_000: "9.8 KiB", 503 << 20: "503 MiB", 3 << 30: "3.0 GiB", 5000 << 30: "5000 GiB",
	} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

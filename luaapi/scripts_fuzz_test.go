package luaapi_test

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/luagate/luagate/luaapi"
)

// A fuzzed program: statements built from the string, table and JSON
// functions, with arguments that include what their limits are about
// (patterns full of captures and repetitions, huge counts and indexes,
// long separators, deep JSON).
var (
	fuzzStrings = []string{`""`, `"a"`, `"abc"`, `"a,b,,c"`, `"hello world"`, `"(%w+)=(%w+)"`, `"%d+"`, `"[%a_][%w_]*"`,
		`"%b()"`, `"%f[%w]%w+"`, `"()"`, `"(()"`, `"%"`, `"[^"`, `"a?"`, `".-b"`, `"(.-)%1"`, `"()%1"`, `"(a*(.)%w(%s*))"`, `"\0"`, `"ü\255"`,
		`"{\"a\":[1,2,{\"b\":null}]}"`, `"[[[["`, `"%5.2f|%-3d|%q|%x"`, `"%.[1]9f"`, `"%#v"`, `"%99s"`,
		`string.rep("a", 40)`, `string.rep("a?", 40)`, `string.rep("()", 40)`, `string.rep("[", 1500)`,
		`string.rep("ab", 5000)`, `string.rep("x", 2^20)`, `v`, `tostring(v)`}
	fuzzNumbers = []string{"0", "1", "-1", "2", "3", "7", "100", "1024", "2^20", "2^31", "-2^31", "2^53", "67108863",
		"1e308", "0/0", "1/0", "-1/0", "0.5", "#tostring(v)"}
	fuzzTables = []string{"{}", "{1, 2, 3}", `{"a", "b", "c"}`, "{a = 1, b = {true}}", "t", "{t, t}", "{1, nil, 3}",
		`{x = "%0%1"}`, "{{{{}}}}"}
	fuzzCalls = []string{
		"string.find(S, S)", "string.find(S, S, N, true)", "string.match(S, S, N)", "string.gsub(S, S, S)",
		"string.gsub(S, S, S, N)", "string.gsub(S, S, T)", "string.gsub(S, S, function(...) return S end)",
		"string.rep(S, N)", "string.format(S, S, N, N)", "string.format(S, N)", "string.upper(S)", "string.lower(S)",
		"string.byte(S, N, N)", "string.char(N, N)", "string.sub(S, N, N)", "string.reverse(S)", "string.len(S)",
		"table.concat(T, S)", "table.concat(T, S, N, N)", "table.insert(T, N, S)", "table.insert(T, S)",
		"table.remove(T, N)", "table.sort(T)", "table.sort(T, function(a, b) return tostring(a) < tostring(b) end)",
		"table.maxn(T)", "unpack(T, N, N)", "select(N, S, S)", "to_json(T)", "to_json(S)", "from_json(S)",
		"json.encode(T)", "json.decode(S)", "setmetatable(T, {__index = T})",
	}
	fuzzStatements = []string{
		"local ok, r = pcall(function() return C end) if ok and r ~= nil then v = r end",
		"for a, b in string.gmatch(S, S) do v = a end",
		"for a in string.gfind(S, S) do v = a end",
		"t[N] = S",
		"t = {T, v}",
		"v = C",
	}
)

// fuzzReader hands out the fuzzer's bytes as choices.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) pick(n int) int {
	if len(r.b) == 0 {
		return 0
	}
	c := int(r.b[0])
	r.b = r.b[1:]
	return c % n
}

// expand fills a template's S, N, T and C placeholders.
func (r *fuzzReader) expand(tmpl string, depth int) string {
	var out strings.Builder
	for _, c := range tmpl {
		switch {
		case c == 'S':
			out.WriteString(fuzzStrings[r.pick(len(fuzzStrings))])
		case c == 'N':
			out.WriteString(fuzzNumbers[r.pick(len(fuzzNumbers))])
		case c == 'T':
			out.WriteString(fuzzTables[r.pick(len(fuzzTables))])
		case c == 'C' && depth < 2:
			out.WriteString(r.expand(fuzzCalls[r.pick(len(fuzzCalls))], depth+1))
		case c == 'C':
			out.WriteString(`"c"`)
		default:
			out.WriteRune(c)
		}
	}
	return out.String()
}

func fuzzProgram(in []byte) string {
	r := &fuzzReader{b: in}
	var src strings.Builder
	src.WriteString("fuzz_global = true\nlocal v, t = \"abc\", {1, 2}\nrawset(string, \"fuzzed\", true)\n")
	for i := 0; i < 12 && len(r.b) > 0; i++ {
		src.WriteString(r.expand(fuzzStatements[r.pick(len(fuzzStatements))], 0))
		src.WriteByte('\n')
	}
	return src.String()
}

// canary checks that a fuzzed program left nothing behind.
const canary = `
assert(fuzz_global == nil and v == nil and t == nil, "a global survived")
assert(rawget(string, "fuzzed") == nil, "a raw write into string survived")
assert(string.upper("abc") == "ABC" and ("x"):rep(3) == "xxx")
assert(string.format("%5.1f|%d|%s", 1.5, 7, "x") == "  1.5|7|x")
assert(string.gsub("a.b", "%.", "-") == "a-b" and string.find("a,b", ",") == 2)
local words = {}
for w in string.gmatch("one two", "%a+") do words[#words + 1] = w end
assert(table.concat(words, ",") == "one,two")
assert(to_json({a = {1, "x"}}) == '{"a":[1,"x"]}' and from_json("[1,2]")[2] == 2)
local s = {3, 1, 2} table.sort(s) assert(table.concat(s) == "123")
return "clean"
`

// heapBytes is the size of the live and not yet swept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var errFuzzMemory = errors.New("the fuzzed program exceeded its memory limit")

// runLimited runs p on vm under timeout, and interrupts it once the heap
// has grown by more than limit bytes, as the runtime's watchdog would.
func runLimited(vm *luaapi.VM, p *luaapi.Program, timeout time.Duration, limit uint64) error {
	start := heapBytes()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if heapBytes() > start+limit {
					vm.Interrupt(errFuzzMemory)
					return
				}
			}
		}
	}()
	err := vm.RunFor(timeout, p, newEvent(luaapi.EventData, &peer{}))
	close(done)
	wg.Wait()
	return err
}

// FuzzScripts runs random short programs of string, table and JSON calls
// on one state, with a small timeout and memory limit: every run must end,
// with no Go panic inside it (gopher-lua reports one as an ApiErrorPanic),
// and the next execution must find the sandbox as it was.
func FuzzScripts(f *testing.F) {
	for _, seed := range []string{"", "\x00\x01\x02", "\x01\x19\x19", "\x00\x03\x1b\x02", "\x01\x1a\x1a\x05\x05\x00\x10",
		"\x02\x1c\x1d", "\x00\x1b\x1d\x13", "\x00\x09\x00\x0e\x00", "\x03\x0c\x00", "\x04\x05\x06\x07"} {
		f.Add([]byte(seed))
	}
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	check := &luaapi.Program{Proto: compile(f, "canary", canary)}
	f.Fuzz(func(t *testing.T, in []byte) {
		src := fuzzProgram(in)
		err := runLimited(vm, &luaapi.Program{Proto: compile(t, "fuzz", src)}, 20*time.Millisecond, 256<<20)
		var api *lua.ApiError
		if errors.As(err, &api) && api.Type == lua.ApiErrorPanic || err != nil && strings.Contains(err.Error(), "script aborted") {
			t.Fatalf("a Go panic inside the run: %v\n%s", err, src)
		}
		p := &peer{}
		if err := vm.RunFor(time.Second, check, newEvent(luaapi.EventData, p)); err != nil || fmt.Sprint(p.sent) != "[clean]" {
			t.Fatalf("the next execution found the sandbox changed: %v %q\nafter:\n%s", err, p.sent, src)
		}
	})
}

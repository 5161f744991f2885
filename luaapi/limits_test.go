package luaapi_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// runOn runs src as an endpoint script on vm and returns what it replied
// and its error.
func runOn(t *testing.T, vm *luaapi.VM, src string, timeout time.Duration) (string, error) {
	t.Helper()
	p := &peer{}
	err := vm.RunFor(timeout, &luaapi.Program{Proto: compile(t, "limits", "local websocketInfo = ... "+src)}, newEvent(luaapi.EventData, p))
	return strings.Join(p.sent, "|"), err
}

// TestOneCallCannotBuildAHugeResult runs each call that used to allocate
// gigabytes or overflow the Go stack in one go; each must fail with an
// error naming its limit, and leave the state usable.
func TestOneCallCannotBuildAHugeResult(t *testing.T) {
	t.Parallel()
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	nested := `local t = {} for i = 1, 2000 do t = {t} end `
	for name, c := range map[string]struct{ src, want string }{
		"to_json of a table nested 450,000 deep": {`local t = {} for i = 1, 450000 do t = {t} end
			local s, err = to_json(t) assert(s == nil) error(err)`, "nested deeper than 1000"},
		"json.encode of it":        {nested + `local s, err = json.encode(t) assert(s == nil) error(err)`, "nested deeper than 1000"},
		"websocketInfo.send of it": {nested + `local r = websocketInfo.send(t) error(r.error)`, "nested deeper than 1000"},
		"replying with it":         {nested + `return t`, "nested deeper than 1000"},
		"to_json of a table reached by 2^40 paths": {`local t = {} for i = 1, 40 do t = {t, t} end local s, err = to_json(t) error(err)`,
			fmt.Sprintf("over the limit of %d bytes", luaapi.MaxJSONBytes)},
		"from_json nested 2000 deep": {`local v, err = from_json(string.rep("[", 2000) .. string.rep("]", 2000)) assert(v == nil) error(err)`,
			"nested deeper than 1000"},
		"from_json of 600,000 empty arrays": {`local v, err = from_json("[" .. string.rep("[],", 600000) .. "[]]") assert(v == nil) error(err)`,
			fmt.Sprintf("over the limit of %d bytes", luaapi.MaxJSONDecodedBytes)},
		"table.concat with a 1 MiB separator over 100,000 items": {`local t = {} for i = 1, 100000 do t[i] = "x" end
			return table.concat(t, string.rep("s", 2^20))`, "over the limit of 16777216 bytes"},
		"table.concat of 20 items of 1 MiB": {`local t = {} for i = 1, 20 do t[i] = string.rep("x", 2^20) end return table.concat(t)`,
			"over the limit of 16777216 bytes"},
		"string.rep past 2^63 bytes":                               {`return string.rep("xyz", 2^62)`, "over the limit of 16777216 bytes"},
		"string.format of two 9 MiB items":                         {`local s = string.rep("x", 9 * 2^20) return string.format("%s%s", s, s)`, "over the limit of 16777216 bytes"},
		"string.format with an argument index after the precision": {`return string.format("%.[1]999999f", 1)`, "invalid option '%['"},
		"string.format with a three-digit width":                   {`return string.format("%100d", 1)`, "width or precision too long"},
		"gsub with 20,000 position captures": {`return string.gsub(string.rep("a", 65536), string.rep("()", 20000), "")`,
			"more than 32 captures"},
		"gmatch with 20,000 position captures": {`for a in string.rep("a", 65536):gmatch(string.rep("()", 20000)) do end`,
			"more than 32 captures"},
		"gsub with 65,536 copies of 1 MiB": {`return string.gsub(string.rep("a", 65536), "a", string.rep("b", 2^20))`,
			"over the limit of 16777216 bytes"},
		"gsub with a function returning 1 MiB": {`local big = string.rep("b", 2^20)
			return string.gsub(string.rep("a", 65536), "a", function() return big end)`, "over the limit of 16777216 bytes"},
		"string.find over more than 64 KiB": {`return string.find(string.rep("a", 65537), "a*b")`, "over the pattern limit of 65536"},
		"unpack of 100 million values":      {`return unpack({}, 1, 1e8)`, fmt.Sprintf("over the limit of %d", luaapi.MaxUnpack)},
		"os.date with a 2 MiB format":       {`return os.date(string.rep("%c", 2^20))`, "over the limit"},
	} {
		t.Run(name, func(t *testing.T) {
			// The timeout only guards against a hang: each case must
			// stop at its limit, and the 16 MiB ones take seconds under
			// -race on a busy machine.
			_, err := runOn(t, vm, c.src, time.Minute)
			var se *luaapi.ScriptError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a script error containing %q", err, c.want)
			}
			if out, err := runOn(t, vm, `return string.upper("ok")`, time.Second); err != nil || out != "OK" {
				t.Fatalf("state unusable afterwards: %q, %v", out, err)
			}
		})
	}
}

// TestBuiltinsStopAtTheDeadline runs built-in calls that used to run for
// minutes inside one instruction, and loops of tail calls whose error used
// to take seconds to build; each must end with the timeout.
func TestBuiltinsStopAtTheDeadline(t *testing.T) {
	t.Parallel()
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	for name, src := range map[string]string{
		"exponential backtracking": `return string.find(string.rep("a", 40), string.rep("a?", 40) .. string.rep("a", 40))`,
		"quadratic match":          `return string.match(string.rep("a", 65536), ".-b")`,
		"quadratic find":           `return string.find(string.rep("a", 65536), "a*b")`,
		"gfind":                    `for x in string.gfind(string.rep("a", 40), string.rep("a?", 40) .. string.rep("a", 40)) do end`,
		"gmatch":                   `for x in string.gmatch(string.rep("a", 65536), ".-b") do end`,
		"gsub":                     `return string.gsub(string.rep("a", 65536), ".-b", "")`,
		"pcall around the match":   `while true do pcall(string.match, string.rep("a", 65536), ".-b") end`,
		"__call tail-calling itself with growing varargs": `local mt = {}
			mt.__call = function(self, ...) return self(1, 2, 3, 4, 5, 6, 7, 8, ...) end
			return setmetatable({}, mt)()`,
		"__call tail-calling itself": `local mt = {} mt.__call = function(self, ...) return self(...) end
			return setmetatable({}, mt)()`,
		"tail recursion": `local function f() return f() end return f()`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := runOn(t, vm, src, 100*time.Millisecond)
			if !errors.Is(err, luaapi.ErrTimeout) {
				t.Fatalf("got %v, want a timeout", err)
			}
			if !regexp.MustCompile(`^limits:\d+: script timed out`).MatchString(err.Error()) {
				t.Errorf("error %q does not name the script, line and timeout", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("stopped after %s", d)
			}
			if out, err := runOn(t, vm, `return ("a,b"):gsub(",", ";")`, time.Second); err != nil || out != "a;b" {
				t.Fatalf("state unusable afterwards: %q, %v", out, err)
			}
		})
	}
}

// TestGsubBuildsItsResultInOnePass replaced 65,536 matches with 100 bytes
// each in 123 s before.
func TestGsubBuildsItsResultInOnePass(t *testing.T) {
	t.Parallel()
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	out, err := runOn(t, vm, `local s, n = string.rep("a", 65536):gsub("a", string.rep("b", 100))
		assert(s == string.rep("b", 6553600), "wrong result")
		return n`, 5*time.Second)
	if err != nil || out != "65536" {
		t.Fatalf("got %q, %v", out, err)
	}
}

package luaapi

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	lua "github.com/yuin/gopher-lua"
)

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// spySockets records what scripts send to other sockets, as an attacker's
// script would send a victim's data to its own.
type spySockets struct {
	nopSockets
	mu   sync.Mutex
	sent []string
}

func (s *spySockets) Send(id string, msg []byte, _ bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, id+": "+string(msg))
	return nil
}

// The attacker's connection, and the victim's, whose secrets must never
// reach the attacker.
var (
	attackerConn = NewConn(Conn{ID: "attacker", URI: "ws://x/evil?room=evil", Route: "/evil",
		Headers: map[string]string{"host": "x"}, Parameters: map[string]string{"room": "evil"}})
	victimConn = NewConn(Conn{ID: "victim", URI: "ws://x/bank?room=victim-room", Route: "/bank",
		Headers:    map[string]string{"host": "x", "authorization": "Bearer victim-token", "cookie": "session=victim-cookie"},
		Parameters: map[string]string{"room": "victim-room"}})
)

// plantPrelude gives each attack the tables of its execution, a spy that
// copies the current execution's secrets out when anything calls it, and
// track, which lets the test see whether a value outlives the execution.
const plantPrelude = `
local stash = {info = websocketInfo, headers = websocketInfo.headers, parameters = websocketInfo.parameters,
  response = response, env = _G, log = {}}
local function spy(...)
  local i = stash.info
  local line = tostring(i.headers.authorization) .. " " .. tostring(i.headers.cookie) .. " " .. tostring(i.message)
  stash.log[#stash.log + 1] = line
  Websocket.send({socket_id = "attacker", message = line})
  return "PWNED"
end
stash.spy = spy
stash.get = function() return websocketInfo end
local spyMeta = {stash = stash}
for _, name in ipairs({"__index", "__newindex", "__call", "__concat", "__tostring", "__len", "__unm",
                       "__add", "__sub", "__mul", "__div", "__mod", "__pow", "__eq", "__lt", "__le"}) do
  spyMeta[name] = spy
end
local function try(f, ...) pcall(f, ...) end
track(stash)
track(stash.log)
track(spyMeta)
`

// isolationPaths are the ways one execution might reach what another sees
// or keep what the next one is handed: plant tries the way, find is an
// expression that would give the attacker's next execution what was kept.
var isolationPaths = []struct{ name, plant, find string }{
	{`("").__index`, `
try(function() local lib = ("").__index lib.upper = spy lib.lower = nil lib.stash = stash end)
try(function() ("x").__index.format = spy end)`,
		`("").__index.stash or ("").stash`},
	{`string.__index`, `
try(function() string.__index.upper = spy string.__index.find = nil string.__index.stash = stash end)`,
		`string.__index.stash or string.stash`},
	{`getmetatable("")`, `
try(function() local mt = getmetatable("") mt.__index.upper = spy mt.stash = stash end)
try(function() rawset(getmetatable(""), "__index", {upper = spy, stash = stash}) end)
try(setmetatable, "", spyMeta)`,
		`getmetatable("").stash or getmetatable("").__index.stash`},
	{"rawget and rawset on library tables", `
try(function() local lib = rawget(string, "__index") or rawget(getmetatable("") or {}, "__index") rawset(lib, "upper", spy) rawset(lib, "stash", stash) end)
for _, lib in ipairs({string, table, math, os, coroutine, Websocket, json, Keystore, Push, Files}) do
  try(rawset, lib, "stash", stash)
  try(rawset, lib, "upper", spy)
  try(rawset, lib, "insert", spy)
  try(table.insert, lib, stash)
  try(table.sort, lib)
end
try(rawset, string, "format", nil)`,
		`rawget(string, "stash") or rawget(table, "stash") or rawget(json, "stash") or Websocket[1] or Keystore[1] or rawget(Keystore, "stash") or coroutine.stash`},
	{"metatables of numbers, booleans, functions and threads", `
for _, v in ipairs({1, true, false, print, websocketInfo.send, coroutine.create(function() end), string.gmatch("a", "a")}) do
  try(setmetatable, v, spyMeta)
end`,
		`(getmetatable(1) or getmetatable(true) or getmetatable(print) or getmetatable(coroutine.create(print)) or {}).stash`},
	{"setmetatable on shared tables", `
for _, t in ipairs({websocketInfo, websocketInfo.headers, websocketInfo.parameters, response, _G,
                    string, table, math, os, coroutine, Websocket, json, Keystore, Push, Files}) do
  try(setmetatable, t, spyMeta)
end`,
		`getmetatable(websocketInfo) or getmetatable(websocketInfo.headers) or getmetatable(_G) or getmetatable(response) or getmetatable(string)`},
	{"captured websocketInfo, headers, parameters and response on their own keys", `
websocketInfo.send = spy
websocketInfo.close = stash.get
websocketInfo.uri = stash
websocketInfo.message = stash
websocketInfo.timestamp = stash
websocketInfo.headers.host = stash
websocketInfo.parameters.room = stash
_G._G = stash
response.message = "reply"
rawset(response, "message", stash.info)`,
		`{websocketInfo.uri, websocketInfo.message, websocketInfo.timestamp, websocketInfo.headers.host,
  websocketInfo.parameters.room, _G._G ~= _G and _G._G or nil, response.message}`},
	{"captured in globals, closures and new keys", `
keep = stash.get
_G.keep2 = stash
rawset(_G, "keep3", stash)
websocketInfo.keep = stash
response.keep = stash`,
		`{keep, keep2, keep3, rawget(_G, "keep3"), websocketInfo.keep, response.keep}`},
	{"new keys on headers and parameters", `
websocketInfo.headers.keep = stash
table.insert(websocketInfo.parameters, stash)`,
		`{websocketInfo.headers.keep, websocketInfo.parameters[1]}`},
	{"coroutines kept across executions", `
local co = coroutine.wrap(function() while true do spy() coroutine.yield(stash) end end)
co()
track(co)
websocketInfo.close = co
try(rawset, coroutine, "kept", co)
local thread = coroutine.create(function() local s = stash coroutine.yield() end)
coroutine.resume(thread)
track(thread)
websocketInfo.send = thread
try(coroutine.wrap(function() local s = stash error("leave me current") end))`,
		`{coroutine.kept, coroutine.running(), websocketInfo.close, websocketInfo.send}`},
	{"environments of captured library functions", `
for _, f in ipairs({print, tostring, pcall, require, string.upper, table.insert, Websocket.send, websocketInfo.send, to_json}) do
  try(function() setfenv(f, stash) end)
  try(function() getfenv(f).stash = stash end)
  try(function() module("stash") end)
end
try(function() getfenv(0).stash = stash end)
try(function() debug.setmetatable(1, spyMeta) end)`,
		`getfenv and getfenv(print).stash`},
	{"extended and replaced library functions", `
function table.contains(t, v) stash.log[#stash.log + 1] = v return spy() end
string.upper = spy
string.format = spy
math.floor = spy
os.time = spy
os.getenv = spy
table.stash = stash
string.stash = stash`,
		`{table.contains, rawget(table, "contains"), string.stash, table.stash, string.upper ~= spy and nil}`},
	{"unprovided services", `
for _, name in ipairs({"Device2", "Timeseries", "User", "Email"}) do
  try(rawset, _G[name], "stash", stash)
  try(rawset, _G[name], "get", spy)
  try(function() _G[name].stash = stash end)
end`,
		`rawget(Device2, "stash") or rawget(User, "get") or rawget(Email, "stash")`},
	{"global modules' state", `
remember(stash)
remember(spy)
helper_state.kept = stash
helper_state.spy = spy`,
		`{remembered(), helper_state.kept, helper_state.spy}`},
	{"deep call frames", `
local function deep(n) if n == 0 then return stash end return (deep(n - 1)) end
deep(150)
coroutine.wrap(function() deep(150) end)()
local function pinned() return stash end
pcall(function() pcall(function() error(pinned) end) end)`,
		`nil`},
}

// victimChecks is the other endpoint's script: it checks that the
// libraries, the types' metatables and its own tables are as luagate made
// them, and uses each in ways that would call an attacker's spy.
const victimChecks = `
local problems = {}
local function check(ok, what) if not ok then problems[#problems + 1] = what end end
check(string.upper("x") == "X" and ("x"):upper() == "X", "string.upper")
check(string.lower("X") == "x" and ("X"):lower() == "x", "string.lower")
check(string.format("%d", 5) == "5" and ("%s"):format("a") == "a", "string.format")
check(string.find("abc", "b") == 2 and ("abc"):find("c") == 3, "string.find")
for _, name in ipairs({"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep", "reverse", "sub", "upper"}) do
  check(type(string[name]) == "function" and ("")[name] == string[name], "string." .. name)
end
check(string.__index == nil and ("").__index == nil and ("").stash == nil and string.stash == nil, "string library keys")
check(getmetatable("") == false, "string metatable")
for _, name in ipairs({"string", "table", "math", "os", "coroutine", "Websocket", "json", "Keystore", "Push", "Files"}) do
  local lib = _G[name]
  check(next(lib) == nil and getmetatable(lib) == false and lib.stash == nil and lib.kept == nil and lib[1] == nil, name .. " table")
end
check(type(table.insert) == "function" and type(Websocket.send) == "function", "library functions")
check(table.contains == nil and string.stash == nil, "library extensions")
check(math.floor(1.5) == 1 and type(os.time()) == "number" and os.getenv("SECRET") == "env-value", "library functions replaced")
for _, name in ipairs({"Device2", "Timeseries", "User", "Email"}) do
  check(rawget(_G[name], "stash") == nil and rawget(_G[name], "get") == nil and not pcall(function() return _G[name].get end), name)
end
check(remembered() == nil and next(helper_state) == nil, "global module state")
local t = {3, 1, 2}
table.insert(t, 4) table.sort(t) check(table.concat(t, ",") == "1,2,3,4", "table functions")
for _, v in ipairs({1, true, false, print, websocketInfo.send, coroutine.create(function() end), string.gmatch("a", "a")}) do
  local what = type(v)
  check(getmetatable(v) == nil, what .. " metatable")
  check(not pcall(function() return v.stash end), what .. " index")
  check(not pcall(function() v.x = 1 end), what .. " newindex")
  check(not pcall(function() return v() end) or what == "function", what .. " call")
  check(not pcall(function() return -v end) or what == "number", what .. " unm")
  check(not pcall(function() return #v end), what .. " len")
  check(tostring(v) ~= "PWNED", what .. " tostring")
  if what ~= "number" then check(not pcall(function() return v .. "" end), what .. " concat") end
end
check(1 + 1 == 2 and 2 < 3 and print == print, "arithmetic and comparison")
local keys = {}
for k in pairs(websocketInfo) do keys[#keys + 1] = k end
table.sort(keys)
check(table.concat(keys, ",") == "close,headers,message,message_type,parameters,route,send,socket_id,timestamp,type,uri", "websocketInfo keys: " .. table.concat(keys, ","))
local h = {}
for k, v in pairs(websocketInfo.headers) do h[#h + 1] = k .. "=" .. tostring(v) end
table.sort(h)
check(table.concat(h, ",") == "authorization=Bearer victim-token,cookie=session=victim-cookie,host=x", "headers: " .. table.concat(h, ","))
local p = {}
for k, v in pairs(websocketInfo.parameters) do p[#p + 1] = tostring(k) .. "=" .. tostring(v) end
check(table.concat(p, ",") == "room=victim-room", "parameters: " .. table.concat(p, ","))
check(websocketInfo.message == "victim-message" and websocketInfo.uri == "ws://x/bank?room=victim-room", "message and uri")
check(type(websocketInfo.timestamp) == "number", "timestamp")
check(websocketInfo.send("victim-send") == nil, "websocketInfo.send")
check(next(response) == nil, "response")
local n = 0
local globals = {_G = true, remember = true, remembered = true, helper_state = true}
for k, v in pairs(_G) do n = n + 1 check(globals[k], "global " .. tostring(k)) end
check(n == 4, "globals")
check(keep == nil and keep2 == nil and keep3 == nil and stash == nil, "global names")
check(getfenv == nil and setfenv == nil and debug == nil and module == nil, "environment functions")
check(coroutine.running() == nil, "coroutine.running")
local co = coroutine.wrap(function() coroutine.yield(1) return 2 end)
check(co() == 1 and co() == 2, "coroutines")
check(Websocket.send({socket_id = "nobody", message = "x"}) == nil, "Websocket.send")
return #problems == 0 and "ok" or table.concat(problems, "; ")
`

// harvest is the attacker's next execution: it looks where the attack
// kept something and reports any of the victim's secrets it finds there.
func harvest(find string) string {
	return `
local found, seen = {}, {}
local function search(v, depth)
  if type(v) == "string" then
    if v:find("victim", 1, true) then found[#found + 1] = v end
    return
  end
  if v == nil or depth > 5 or seen[v] then return end
  seen[v] = true
  if type(v) == "function" then
    local ok, r = pcall(v)
    if ok then search(r, depth + 1) end
  elseif type(v) == "thread" then
    local ok, r = coroutine.resume(v)
    if ok then search(r, depth + 1) end
  elseif type(v) == "table" then
    for _, x in pairs(v) do search(x, depth + 1) end
  end
end
local ok, v = pcall(function() return ` + find + ` end)
if ok then search(v, 0) end
return table.concat(found, " | ")
`
}

// helpersModule is a global module with state of its own, as platform
// helper modules have: a local table its functions close over, and a
// global table.
var helpersModule = GlobalModule{Name: "helpers", Proto: mustCompile(`
local memory = {}
function remember(v) memory[#memory + 1] = v end
function remembered() return memory[1] end
helper_state = {}
`)}

func mustCompile(src string) *lua.FunctionProto {
	L := lua.NewState()
	defer L.Close()
	fn, err := L.LoadString(src)
	if err != nil {
		panic(err)
	}
	return fn.Proto
}

// withHelpers gives p the global module and an environment, as every
// program of a solution with them has.
func withHelpers(p *Program) *Program {
	p.Globals = []GlobalModule{helpersModule}
	p.Env = map[string]string{"SECRET": "env-value"}
	return p
}

// TestNoExecutionReachesAnotherEndpointsExecution runs, for every path in
// isolationPaths, an attacker's script that tries it, then another
// endpoint's script on the same state, then the attacker's again. The
// victim must find everything as luagate made it, nothing of the victim's
// may reach the attacker, and nothing the attack made may outlive its
// execution.
func TestNoExecutionReachesAnotherEndpointsExecution(t *testing.T) {
	for _, path := range isolationPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			sockets := &spySockets{}
			vm := NewVM(Options{Sockets: sockets, Logger: discardLogger})
			defer vm.Close()
			var kept []func() bool
			vm.base.RawSetString("track", vm.L.NewFunction(func(L *lua.LState) int {
				switch v := L.Get(1).(type) {
				case *lua.LTable:
					w := weak.Make(v)
					kept = append(kept, func() bool { return w.Value() != nil })
				case *lua.LFunction:
					w := weak.Make(v)
					kept = append(kept, func() bool { return w.Value() != nil })
				case *lua.LState:
					w := weak.Make(v)
					kept = append(kept, func() bool { return w.Value() != nil })
				default:
					L.ArgError(1, "track takes a table, function or thread")
				}
				return 0
			}))
			plant := withHelpers(compileEndpoint(t, plantPrelude+path.plant))
			victim := withHelpers(compileEndpoint(t, victimChecks))
			look := withHelpers(compileEndpoint(t, harvest(path.find)))
			run := func(p *Program, c *Conn, msg string) []string {
				t.Helper()
				peer := &recordingPeer{}
				ev := &Event{Type: EventData, Conn: c, Peer: peer, Message: []byte(msg), Timestamp: time.Now()}
				if err := vm.RunFor(5*time.Second, p, ev); err != nil && p != plant {
					t.Fatal(err)
				}
				return peer.sent
			}
			for round := range 2 {
				run(plant, attackerConn, "attack")
				if len(kept) == 0 {
					t.Fatal("the attack tracked nothing: it did not run")
				}
				runtime.GC()
				for i, alive := range kept {
					if alive() {
						t.Errorf("round %d: value %d the attack tracked is still reachable after its execution", round, i)
					}
				}
				kept = nil
				if sent := run(victim, victimConn, "victim-message"); len(sent) != 2 || sent[1] != "ok" {
					t.Errorf("round %d: the victim found: %q", round, sent)
				}
				if sent := run(look, attackerConn, "look"); len(sent) == 0 || sent[len(sent)-1] != "" {
					t.Errorf("round %d: the attacker found the victim's %q", round, sent)
				}
			}
			for _, s := range sockets.sent {
				if strings.Contains(s, "victim") {
					t.Errorf("the victim's data was sent to %s", s)
				}
			}
		})
	}
}

// TestEverythingAScriptCanReachIsRebuiltOrReadOnly walks every table a
// script can reach, through keys, values, and the __index of metatables,
// from everything an execution is handed: each must be one the VM
// rebuilds or refills per execution, a read-only proxy, or a library
// table behind one holding only immutable values. A new value a script
// can reach fails this test until it is classified here and in doc.go.
func TestEverythingAScriptCanReachIsRebuiltOrReadOnly(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}})
	defer vm.Close()
	// A connection with an identity, so that websocketInfo.auth and its
	// claims are walked too; then its close event, with groups.
	ev := benchEvent()
	ev.Conn = idConn
	closeEv := *ev
	closeEv.Type, closeEv.Groups = EventClose, []string{"red", "blue"}
	for _, ev := range []*Event{ev, &closeEv} {
		walkReachable(t, vm, ev)
	}
}

func walkReachable(t *testing.T, vm *VM, ev *Event) {
	t.Helper()
	// Reading one deferred field fills them all (infoTables.fill).
	if err := vm.RunFor(time.Second, compileEndpoint(t, `return websocketInfo.uri and nil`), ev); err != nil {
		t.Fatal(err)
	}
	kinds := map[*lua.LTable]string{
		vm.env: "rebuilt", vm.response: "rebuilt", vm.tables.info: "rebuilt",
		&vm.tables.headers: "rebuilt", &vm.tables.params: "rebuilt",
		vm.base: "library",
	}
	if ev.Type == EventClose {
		kinds[vm.tables.groupList] = "rebuilt"
		if got := vm.tables.info.RawGetString("groups"); got != vm.tables.groupList || vm.tables.groupList.Len() != 2 {
			t.Fatalf("websocketInfo.groups of a close event is %v", got)
		}
	}
	for _, p := range append(vm.proxies, vm.tables.auth.proxies...) {
		kinds[p] = "proxy"
		kinds[p.Metatable.(*lua.LTable).RawGetString("__index").(*lua.LTable)] = "library"
	}
	// The unprovided services: empty, and their __index is a Go function.
	for _, p := range vm.services {
		kinds[p] = "proxy"
	}
	if len(vm.tables.auth.proxies) != 4 {
		t.Fatalf("websocketInfo.auth has %d read-only tables, want 4: auth, claims, groups, org", len(vm.tables.auth.proxies))
	}
	seen := map[*lua.LTable]bool{}
	// walk visits v, which a script reaches at where; behindIndex says it
	// reaches it only as the __index of a protected metatable, so it can
	// read it but neither hold nor change the table itself.
	var walk func(where string, v lua.LValue, behindIndex bool)
	walk = func(where string, v lua.LValue, behindIndex bool) {
		if fn, ok := v.(*lua.LFunction); ok {
			if fn.Proto != nil {
				t.Errorf("%s: a Lua function is shared by executions", where)
			}
			return
		}
		tb, ok := v.(*lua.LTable)
		if !ok {
			return
		}
		if kinds[tb] == "library" && !behindIndex {
			t.Errorf("%s: a library table a script can write into", where)
		}
		if seen[tb] {
			return
		}
		seen[tb] = true
		switch kinds[tb] {
		case "rebuilt", "library":
		case "proxy":
			if k, _ := tb.Next(lua.LNil); k != lua.LNil {
				t.Errorf("%s: a read-only proxy holds %v", where, k)
			}
		default:
			t.Errorf("%s: a table that is neither rebuilt per execution nor read-only", where)
			return
		}
		tb.ForEach(func(k, v lua.LValue) {
			walk(fmt.Sprintf("%s.%v", where, k), k, false)
			walk(fmt.Sprintf("%s.%v", where, k), v, false)
		})
		if mt, ok := tb.Metatable.(*lua.LTable); ok {
			if mt.RawGetString("__metatable") == lua.LNil {
				t.Errorf("%s: the metatable is not protected", where)
			}
			walk(where+"<__index>", mt.RawGetString("__index"), true)
		}
	}
	walk("_G", vm.env, false)
	walk("websocketInfo", vm.tables.info, false)
	walk("response", vm.response, false)
	if mt := vm.L.GetMetatable(lua.LString("")); mt != lua.LFalse {
		t.Errorf("getmetatable(\"\") gives %v", mt)
	}
	walk(`("")<__index>`, vm.stringMeta.RawGetString("__index"), true)
	for _, v := range []lua.LValue{lua.LNumber(0), lua.LTrue, lua.LNil, vm.infoSend, vm.L, vm.L.NewUserData()} {
		if mt := vm.L.GetMetatable(v); mt != lua.LNil {
			t.Errorf("%s values have a metatable", v.Type())
		}
	}
	for tb, kind := range kinds {
		if !seen[tb] {
			t.Errorf("the walk missed a %s table: %v", kind, tb)
		}
	}
}

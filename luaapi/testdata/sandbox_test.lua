-- The sandbox: what scripts may not reach, and what they may not change.
-- Each test_ function runs in its own execution on one shared Lua state, in
-- file order.

local function fails(fn, pattern)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern), "error " .. tostring(err) .. " does not match " .. pattern)
end

function test_host_access_is_absent(info)
  for _, name in ipairs({"dofile", "loadfile", "load", "loadstring", "getfenv", "setfenv",
                         "module", "io", "debug", "package", "newproxy"}) do
    assert(_G[name] == nil, name .. " is reachable")
  end
  for _, name in ipairs({"execute", "exit", "remove", "rename", "tmpname", "setlocale"}) do
    assert(os[name] == nil, "os." .. name .. " is reachable")
  end
  assert(string.dump == nil, "string.dump is reachable")
  assert(os.time() > 0 and os.clock() >= 0 and os.date("%Y") ~= nil and os.difftime(2, 1) == 1)
end

function test_libraries_are_read_only(info)
  fails(function() Websocket.send = nil end, "read%-only")
  fails(function() coroutine.create = nil end, "read%-only")
  fails(function() json.encode = nil end, "read%-only")
  fails(function() bench.measure = nil end, "read%-only")
  fails(function() setmetatable(string, {}) end, "protected metatable")
  assert(getmetatable("") == false, "the string metatable is reachable")
  fails(function() getmetatable("").__index = {} end, "index")
  assert(getmetatable(_G) == false, "the environment's metatable is reachable")
end

function test_a_poisoning(info)
  rawset(string, "upper", function() return "evil" end)
  table.insert(math, "junk")
  _G.poisoned = true
  poisoned_global = true
  assert(string.upper("x") == "evil")
end

function test_b_poison_is_gone(info)
  assert(string.upper("x") == "X", "string.upper stayed redefined")
  assert(math[1] == nil, "math kept a raw entry")
  assert(poisoned == nil and poisoned_global == nil, "a global leaked")
  assert(("x"):upper() == "X")
end

function test_c_libraries_are_extended_for_one_execution(info)
  function table.contains(t, v)
    for _, x in ipairs(t) do if x == v then return true end end
    return false
  end
  string.upper = function() return "mine" end
  math.double = function(x) return 2 * x end
  os.hostname = function() return "here" end
  assert(table.contains({1, 2}, 2) and not table.contains({1}, 3))
  assert(string.upper("x") == "mine" and ("x"):upper() == "mine")
  assert(math.double(2) == 4 and os.hostname() == "here")
end

function test_d_extensions_are_gone(info)
  assert(table.contains == nil and math.double == nil and os.hostname == nil, "an extension stayed")
  assert(string.upper("x") == "X" and ("x"):upper() == "X", "string.upper stayed replaced")
  assert(next(table) == nil and next(string) == nil, "a library proxy kept a key")
end

function test_os_getenv_without_an_environment_is_nil(info)
  assert(os.getenv("HOME") == nil and os.getenv("PATH") == nil)
end

function test_bench_measure_returns_milliseconds_then_results(info)
  local ms, a, b = bench.measure(function(x, y) return x + y, "two" end, 1, 2)
  assert(type(ms) == "number" and ms >= 0, "elapsed " .. tostring(ms))
  assert(a == 3 and b == "two")
  fails(function() bench.measure(function() error("inner") end) end, "inner")
  fails(function() bench.measure(42) end, "function expected")
end

function test_unprovided_services_name_themselves(info)
  fails(function() Device2.getIdentity({identity = "x"}) end, "Device2.getIdentity: luagate does not provide the platform service Device2")
  fails(function() return Timeseries.query end, "luagate does not provide the platform service Timeseries")
  fails(function() User.x = 1 end, "platform service User")
  assert(getmetatable(Email) == false)
end

function test_string_rep_is_bounded(info)
  fails(function() return string.rep("x", 2^31) end, "over the limit")
  fails(function() return ("xy"):rep(2^30) end, "over the limit")
  assert(#string.rep("ab", 1000) == 2000)
end

function test_require_loads_a_module_per_execution(info)
  local utils = require("src.utils")
  assert(utils.double(21) == 42)
  assert(require("src.utils") == utils, "require must return the same value within one execution")
  fails(function() require("missing") end, "not found")
end

function test_print_with_a_raising_tostring_is_an_error(info)
  local bad = setmetatable({}, {__tostring = function() error("no string for you") end})
  fails(function() print(bad) end, "no string for you")
end

function test_table_concat_of_many_items_works(info)
  local t = {}
  for i = 1, 100000 do t[i] = "x" end
  assert(#table.concat(t) == 100000)
  assert(#table.concat(t, ",") == 199999)
end

function test_coroutines_per_execution_are_capped(info)
  local kept = {}
  for i = 1, 999 do kept[i] = coroutine.create(function() end) end
  kept[1000] = coroutine.wrap(function() end)
  fails(function() coroutine.create(function() end) end, "at most 1000 coroutines %(MaxCoroutines%)")
  fails(function() coroutine.wrap(function() end) end, "coroutine.wrap: an execution may create at most 1000")
end

function test_the_coroutine_cap_is_per_execution(info)
  local co = coroutine.wrap(function() coroutine.yield(1) end)
  assert(co() == 1)
end

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
  for _, name in ipairs({"execute", "exit", "getenv", "remove", "rename", "tmpname", "setlocale"}) do
    assert(os[name] == nil, "os." .. name .. " is reachable")
  end
  assert(string.dump == nil, "string.dump is reachable")
  assert(os.time() > 0 and os.clock() >= 0 and os.date("%Y") ~= nil and os.difftime(2, 1) == 1)
end

function test_libraries_are_read_only(info)
  fails(function() string.upper = function() return "evil" end end, "read%-only")
  fails(function() Websocket.send = nil end, "read%-only")
  fails(function() table.insert = nil end, "read%-only")
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

-- The ordinary behaviour of every library function a script has, those
-- luagate wraps or replaces above all: a limit must not change what a
-- function does within it. Each string function is tried as string.f(s)
-- and as s:f().

local function eq(got, want, what)
  assert(got == want, what .. ": got " .. tostring(got) .. ", want " .. tostring(want))
end

local function list(...)
  local t = {}
  for i = 1, select("#", ...) do t[i] = tostring((select(i, ...))) end
  return table.concat(t, ",")
end

function test_string_functions(info)
  eq(list(string.byte("ABC", 1, 3)), "65,66,67", "string.byte")
  eq(("A"):byte(), 65, "s:byte")
  eq(string.char(104, 105), "hi", "string.char")
  eq(list(string.find("hello world", "o w")), "5,7", "string.find")
  eq(list(("hello"):find("l+")), "3,4", "s:find")
  eq(list(string.find("a.b", ".", 1, true)), "2,2", "plain string.find")
  eq(list(string.find("key=value", "(%w+)=(%w+)")), "1,9,key,value", "string.find captures")
  eq(string.find("abc", "x"), nil, "string.find without a match")
  eq(string.format("%s=%d (%.2f) %5s|%-5s|%x %q %%", "n", 42, 3.14159, "r", "l", 255, 'a"b'),
     'n=42 (3.14)     r|l    |ff "a\\"b" %', "string.format")
  eq(("%03d"):format(7), "007", "s:format")
  eq(string.len("hello"), 5, "string.len")
  eq(("hé"):len(), 3, "s:len counts bytes")
  eq(string.lower("HeLLo"), "hello", "string.lower")
  eq(("HeLLo"):upper(), "HELLO", "s:upper")
  eq(string.upper("abc"), "ABC", "string.upper")
  eq(string.match("2024-01-31", "(%d+)-(%d+)-(%d+)"), "2024", "string.match")
  eq(list(("2024-01-31"):match("(%d+)-(%d+)-(%d+)")), "2024,01,31", "s:match captures")
  eq(string.match("abc", "()b()"), 2, "string.match position capture")
  eq(string.match("abc", "x"), nil, "string.match without a match")
  eq(string.rep("ab", 3), "ababab", "string.rep")
  eq(("x"):rep(0), "", "s:rep zero times")
  eq(string.reverse("abc"), "cba", "string.reverse")
  eq(string.sub("hello", 2, 4), "ell", "string.sub")
  eq(("hello"):sub(-3), "llo", "s:sub from the end")
  eq(list(string.gsub("hello world", "o", "0")), "hell0 w0rld,2", "string.gsub")
  eq(list(("a b c"):gsub("%w", "%0%0", 2)), "aa bb c,2", "s:gsub with a limit")
  eq((string.gsub("$name is $age", "%$(%w+)", {name = "ann", age = 7})), "ann is 7", "string.gsub with a table")
  eq((string.gsub("abc", "%w", function(c) return c:upper() .. "." end)), "A.B.C.", "string.gsub with a function")
end

function test_gmatch_iterates(info)
  local words = {}
  for w in string.gmatch("a,b,,c", "[^,]+") do words[#words + 1] = w end
  eq(table.concat(words, " "), "a b c", "string.gmatch")
  local pairs_ = {}
  for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do pairs_[#pairs_ + 1] = k .. ":" .. v end
  eq(table.concat(pairs_, " "), "a:1 b:2", "s:gmatch captures")
  local n = 0
  for _ in string.gmatch("", "x") do n = n + 1 end
  eq(n, 0, "string.gmatch without a match")
  local next_word = ("one two"):gmatch("%a+")
  eq(next_word(), "one", "gmatch iterator, first call")
  eq(next_word(), "two", "gmatch iterator, second call")
  eq(next_word(), nil, "gmatch iterator, exhausted")
end

function test_table_functions(info)
  local t = {"a", "c"}
  table.insert(t, "d")
  table.insert(t, 2, "b")
  eq(table.concat(t, ","), "a,b,c,d", "table.insert")
  eq(table.remove(t), "d", "table.remove of the last")
  eq(table.remove(t, 1), "a", "table.remove at a position")
  eq(table.concat(t, ","), "b,c", "after table.remove")
  eq(table.concat({1, 2, 3}, "-", 2, 3), "2-3", "table.concat with a range")
  eq(table.concat({}), "", "table.concat of nothing")
  local s = {5, 2, 8, 1}
  table.sort(s)
  eq(table.concat(s, ","), "1,2,5,8", "table.sort")
  table.sort(s, function(a, b) return a > b end)
  eq(table.concat(s, ","), "8,5,2,1", "table.sort with a comparison")
  eq(table.maxn({1, 2, nil, 4}), 4, "table.maxn")
  eq(table.getn({1, 2, 3}), 3, "table.getn")
end

function test_base_functions(info)
  eq(type(nil) .. type(1) .. type("") .. type({}) .. type(print), "nilnumberstringtablefunction", "type")
  eq(tostring(12) .. tostring(true) .. tostring(nil), "12truenil", "tostring")
  eq(tonumber("0x10"), 16, "tonumber")
  eq(tonumber("z", 36), 35, "tonumber with a base")
  eq(tonumber("x"), nil, "tonumber of a word")
  eq(select("#", 1, nil, 3), 3, "select #")
  eq(select(2, "a", "b", "c"), "b", "select")
  eq(list(unpack({1, 2, 3})), "1,2,3", "unpack")
  local seen = {}
  for i, v in ipairs({"x", "y"}) do seen[#seen + 1] = i .. v end
  eq(table.concat(seen), "1x2y", "ipairs")
  local n = 0
  for k, v in pairs({a = 1, b = 2}) do n = n + v end
  eq(n, 3, "pairs")
  eq(next({}), nil, "next of an empty table")
  local ok, err = pcall(error, "boom", 0)
  eq(ok, false, "pcall of error")
  eq(err, "boom", "error value")
  local ok2, err2 = pcall(error, {code = 7})
  eq(err2.code, 7, "error with a table")
  eq(select(2, xpcall(function() error("x", 0) end, function(e) return "handled " .. e end)), "handled x", "xpcall")
  assert(select("#", assert(1, 2)) == 2, "assert returns its arguments")
  assert(select(2, pcall(assert, false, "msg")):find("msg"), "assert message")
  local t = {}
  rawset(t, "k", "v")
  eq(rawget(t, "k"), "v", "rawset and rawget")
  eq(rawequal(t, t), true, "rawequal")
  eq(_VERSION, "Lua 5.1", "_VERSION")
end

function test_metatables_of_tables(info)
  local mt = {__index = function(_, k) return k .. "!" end}
  local t = setmetatable({}, mt)
  eq(getmetatable(t), mt, "getmetatable")
  eq(t.hi, "hi!", "__index")
  local v = setmetatable({}, {__add = function() return 42 end, __tostring = function() return "vec" end})
  eq(v + v, 42, "__add")
  eq(tostring(v), "vec", "__tostring")
  local locked = setmetatable({}, {__metatable = "locked"})
  eq(getmetatable(locked), "locked", "__metatable")
  eq(pcall(setmetatable, locked, {}), false, "a protected metatable cannot change")
  eq(setmetatable(t, nil), t, "removing a metatable")
  eq(getmetatable(t), nil, "after removing it")
  local ok, err = pcall(setmetatable, 1, {})
  assert(not ok and tostring(err):find("table expected"), "setmetatable on a number: " .. tostring(err))
end

function test_collectgarbage_does_nothing(info)
  eq(collectgarbage(), 0, "collectgarbage()")
  eq(collectgarbage("collect"), 0, "collectgarbage('collect')")
  eq(collectgarbage("count"), 0, "collectgarbage('count')")
end

function test_coroutines(info)
  local co = coroutine.create(function(a, b)
    local c = coroutine.yield(a + b)
    return c * 2
  end)
  eq(coroutine.status(co), "suspended", "coroutine.status")
  eq(list(coroutine.resume(co, 1, 2)), "true,3", "coroutine.resume")
  eq(list(coroutine.resume(co, 5)), "true,10", "coroutine.resume to the end")
  eq(coroutine.status(co), "dead", "dead coroutine")
  eq(coroutine.resume(co), false, "resuming a dead coroutine")
  local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
  eq(gen() + gen() + gen(), 6, "coroutine.wrap")
  eq(coroutine.running(), nil, "coroutine.running in the main thread")
  local inside
  coroutine.wrap(function() inside = coroutine.running() end)()
  eq(type(inside), "thread", "coroutine.running in a coroutine")
  local ok, err = coroutine.resume(coroutine.create(function() error("inner", 0) end))
  eq(ok, false, "an error in a coroutine")
  eq(err, "inner", "its message")
end

function test_math_and_os(info)
  eq(math.floor(3.7) + math.ceil(3.2), 7, "math.floor and math.ceil")
  eq(math.max(1, 5, 3) - math.min(4, 2), 3, "math.max and math.min")
  eq(math.abs(-2) + math.sqrt(16), 6, "math.abs and math.sqrt")
  eq(math.fmod(7, 3), 1, "math.fmod")
  eq(math.huge > 1e308, true, "math.huge")
  local r = math.random(1, 6)
  assert(r >= 1 and r <= 6 and r == math.floor(r), "math.random")
  eq(os.date("%Y-%m-%d", 0):len(), 10, "os.date")
  eq(os.date("*t", 86400).year, 1970, "os.date *t")
  eq(os.difftime(10, 4), 6, "os.difftime")
  assert(os.time() > 1.7e9 and os.clock() >= 0, "os.time and os.clock")
  eq(os.time({year = 2000, month = 1, day = 1, hour = 12}) > 0, true, "os.time of a date")
end

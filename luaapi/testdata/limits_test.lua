-- What one call may build or how long it may run: every built-in that can
-- produce a large result checks the size first and raises an error naming
-- the limit, and the long-running ones stop at the script's deadline.

local function fails(fn, pattern)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern), "error " .. tostring(err) .. " does not match " .. pattern)
end

function test_a_far_integer_key_does_not_fill_the_array(info)
  local t = {}
  t[67108863] = 1
  t[2^25] = 2
  table.insert(t, 50000000, 3)
  assert(t[67108863] == 1 and t[2^25] == 2 and t[50000000] == 3 and #t == 0)
  assert(table.maxn(t) == 67108863)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  assert(n == 3)
end

function test_pattern_functions_behave_as_in_lua_5_1(info)
  assert(string.find("hello world", "o w") == 5)
  local s, e, cap = string.find("key = value", "(%w+)%s*=")
  assert(s == 1 and e == 5 and cap == "key")
  assert(string.find("a.b", ".", 1, true) == 2 and string.find("abc", "b", -1) == nil)
  assert(string.match("  trim  ", "^%s*(.-)%s*$") == "trim")
  assert(string.match("x = 10", "()=()") == 3)
  assert(select(2, string.match("2024-05-06", "(%d+)-(%d+)-(%d+)")) == "05")
  assert(string.match("THE (quick) fox", "%((%a+)%)") == "quick")
  assert(string.match("f(a(b)c)d", "%b()") == "(a(b)c)")
  assert(string.match("THE (quick) fox", "%f[%a]%a+", 5) == "quick")
  assert(string.match("abcabc", "(a)(b)c%1%2") == "a")
  local words = {}
  for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
  assert(table.concat(words, ",") == "one,two,three")
  local pairs_ = {}
  for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do pairs_[#pairs_ + 1] = k .. v end
  assert(table.concat(pairs_, ";") == "a1;b2")
  local n = 0
  for w in string.gfind("a,b,c", "[^,]+") do n = n + 1 end
  assert(n == 3, "gfind is gmatch")
  assert(select(2, string.gsub("hello world", "o", "0")) == 2)
  assert(string.gsub("hello world", "(o)", "[%1]", 1) == "hell[o] world")
  assert(string.gsub("abc", "%w", "%0%0") == "aabbcc")
  assert(string.gsub("abc", "", "-") == "-a-b-c-")
  assert(string.gsub("$name is $age", "%$(%w+)", {name = "ann", age = 3}) == "ann is 3")
  assert(string.gsub("a b", "%w", function(w) return w:upper() end) == "A B")
  assert(string.gsub("a b", "%w", function() return nil end) == "a b")
  assert(string.gsub("^a^", "^%^", "x") == "xa^", "gsub anchors at ^")
  local ok, err = pcall(string.gsub, "abc", "%w", function() return {} end)
  assert(not ok and err:find("invalid replacement value"), err)
  for _, bad in ipairs({"%", "[a", "(", "%b", "%f", "(()", "%1"}) do
    assert(not pcall(string.find, "abc", bad), "pattern " .. bad .. " must be refused")
  end
  local big = string.rep("a", 70000)
  for _, f in ipairs({string.find, string.match, string.gmatch, string.gfind, string.gsub}) do
    local ok, err = pcall(f, big, "a+b", f == string.gsub and "" or nil)
    assert(not ok and err:find("pattern limit"), tostring(err))
  end
  assert(string.find(big .. "b", "b", 1, true) == 70001 and string.find(big .. "b", "b") == 70001, "a plain find takes any subject")
end

function test_string_format_takes_lua_5_1_conversions(info)
  assert(string.format("%5.2f|%-3d|%%|%s", 1.5, 7, "x") == " 1.50|7  |%|x")
  assert(string.format("%d %i %u", 3.9, -3.9, 7) == "3 -3 7")
  assert(string.format("%x %X %#x %o %c", 255, 255, 255, 8, 65) == "ff FF 0xff 10 A")
  assert(string.format("%x", -1) == "ffffffffffffffff")
  assert(string.format("%e %.3g %g %G", 12345.678, 0.0001234, 1e20, 1e-10) == "1.234568e+04 0.000123 1e+20 1E-10")
  assert(string.format("%5s|%-5s|%.2s", "ab", "ab", "abc") == "   ab|ab   |ab")
  assert(string.format("%q", 'a "b"\n\0') == '"a \\"b\\"\\\n\\000"')
  assert(string.format("%f %f", 1/0, -1/0) == "inf -inf")
  assert(string.format("%s %s", nil, true) == "nil true")
  assert(string.format("%d", "12") == "12")
  for _, bad in ipairs({"%v", "%T", "%p", "%#v", "%[1]d", "%.[1]999999f", "%123d", "%.123f", "%", "%ld", "%------d"}) do
    assert(not pcall(string.format, bad, 1), bad .. " must be refused")
  end
  assert(not pcall(string.format, "%d %d", 1), "a missing argument is an error")
  assert(not pcall(string.format, "%d", "x"), "a non-number for %d is an error")
end

function test_string_functions_keep_their_meaning(info)
  assert(string.upper("abc\255é") == "ABC\255é", "upper changes ASCII letters only")
  assert(string.lower("ÀBC") == "Àbc")
  assert(#string.upper(string.rep("\255", 1000)) == 1000)
  assert(string.rep("ab", 3) == "ababab" and string.rep("x", 0) == "" and string.rep("x", -1) == "")
  assert(os.date("!%Y-%m-%d", 0) == "1970-01-01")
end

function test_table_functions_keep_their_meaning(info)
  assert(table.concat({1, "b", 3.5}, ", ") == "1, b, 3.5")
  assert(table.concat({"a", "b", "c"}, "", 2) == "bc" and table.concat({"a", "b", "c"}, "-", 1, 2) == "a-b")
  assert(table.concat({}, "x") == "" and table.concat({"a"}, "x", 2) == "")
  local ok, err = pcall(table.concat, {"a", {}, "c"})
  assert(not ok and err:find("invalid value"), err)
  local t = {5, 2, 8, 1, 9}
  table.sort(t)
  assert(table.concat(t, ",") == "1,2,5,8,9")
  table.sort(t, function(a, b) return a > b end)
  assert(table.concat(t, ",") == "9,8,5,2,1")
  local words = {"pear", "Apple", "fig"}
  table.sort(words)
  assert(table.concat(words, ",") == "Apple,fig,pear")
  assert(not pcall(table.sort, {1, "x", 2}), "comparing a number with a string is an error")
  assert(select("#", unpack({1, 2, 3})) == 3 and select(2, unpack({1, 2, 3}, 2)) == 3)
  assert(select("#", unpack({}, 1, 3)) == 3 and select("#", unpack({1}, 3, 2)) == 0)
end

function test_json_keeps_its_shapes(info)
  assert(to_json({}) == "{}", "an empty table that was never an array is an object")
  assert(to_json({1, 2}) == "[1,2]" and to_json({{}, {x = {}}}) == '[{},{"x":{}}]')
  local emptied = {1} table.remove(emptied)
  assert(to_json(emptied) == "[]", "an emptied array stays an array")
  assert(to_json(from_json("[]")) == "[]" and to_json(from_json("{}")) == "{}" and to_json(from_json('{"a":[]}')) == '{"a":[]}')
  assert(to_json(Websocket.list()) == "[]", "a list luagate builds is an array, also when empty")
  assert(to_json({b = 1, a = {true, false}}) == '{"a":[true,false],"b":1}')
  assert(to_json("<a&b>\n") == '"<a&b>\\n"', "no HTML escaping")
  assert(to_json(0.1) == "0.1" and to_json(1e21) == "1e+21" and to_json(1e-7) == "1e-7")
  local shared = {1}
  assert(to_json({shared, shared}) == "[[1],[1]]", "a table reached twice is not a cycle")
  assert(select(2, to_json({1, nil, 3})):find("sparse"))
  assert(select(2, to_json({1, a = 2})):find("mixed"))
  assert(select(2, to_json(0/0)) ~= nil)
  local v = from_json('{"a":[1,null,2],"b":null,"c":"\\u00e9\\ud83d\\ude00","d":-1.5e2}')
  assert(#v.a == 2 and v.a[2] == 2 and v.b == nil and v.c == "é😀" and v.d == -150)
  assert(from_json("null") == nil and select(2, from_json("null")) == nil)
  for _, bad in ipairs({"", "[1,]", "{\"a\" 1}", "01", "1.", "tru", "\"\\x\"", "[1] 2", "1e999"}) do
    local v2, err = from_json(bad)
    assert(v2 == nil and err:find("from_json"), "accepted " .. bad)
  end
  assert(json.decode(json.encode({x = "y"})).x == "y")
end

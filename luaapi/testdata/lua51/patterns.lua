-- string.find, match, gmatch and gsub over subjects and patterns that
-- cover Lua 5.1's pattern items. patterns.golden is what Lua 5.1.5 makes
-- of it: lua5.1 -e 'dofile("patterns.lua") io.write(RESULT, "\n")'
local out = {}
local function ser(...)
  local t = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    t[#t + 1] = type(v) == "string" and string.format("%q", v) or tostring(v)
  end
  return "(" .. table.concat(t, ",") .. ")"
end
local function try(f, ...)
  local r = {pcall(f, ...)}
  if not r[1] then return "ERR" end
  return ser(unpack(r, 2, table.maxn(r)))
end
local subjects = {"", "hello world", "  trim me  ", "a,b,,c", "(foo(bar))baz", "x = 10, y = 20", "abcabc",
  "\0a\0", "1.5e10 -3 +4", "tab\tsep\nline"}
local patterns = {"", "^a", "a$", ".", "%a+", "%d+", "%s*(.-)%s*$", "([^,]*)", "%((%w+)%)", "%b()", "%f[%w]%w+",
  "(%w+)=(%w+)", "()a()", "a*", "a-", "[%a_][%w_]*", "%x+", "[a-c]+", "[]]", "[^]]+", "(a*(.)%w(%s*))", "%u",
  "%p", "%c", "%z", "%W+", "(.)%1", "[-a]", "$", "%.", ".-b", "(%d+)%.?(%d*)", "[+-]?%d+", "x*$", "%bxy"}
for _, s in ipairs(subjects) do
  for _, p in ipairs(patterns) do
    local line = ser(s, p) .. " find " .. try(string.find, s, p) .. " find3 " .. try(string.find, s, p, 3)
      .. " findneg " .. try(string.find, s, p, -3) .. " match " .. try(string.match, s, p)
      .. " gsub " .. try(string.gsub, s, p, "<%0>") .. " gsub1 " .. try(string.gsub, s, p, "[%1]")
      .. " gsubn " .. try(string.gsub, s, p, "-", 2)
      .. " gsubf " .. try(string.gsub, s, p, function(...) return select("#", ...) .. "" end)
      .. " gsubt " .. try(string.gsub, s, p, {a = "A", hello = 1, foo = false})
    local ok, it = pcall(string.gmatch, s, p)
    local g = {}
    if ok then
      for i = 1, 20 do
        local r = {pcall(it)}
        if not r[1] then g[#g + 1] = "ERR" break end
        if r[2] == nil then break end
        g[#g + 1] = ser(unpack(r, 2, table.maxn(r)))
      end
    end
    out[#out + 1] = line .. " gmatch " .. table.concat(g, " ")
  end
end
for _, p in ipairs({"%", "[a", "(", ")", "%b", "%ba", "%f", "%fa", "(()", "%1", "(a)%2", "[%", "a%"}) do
  out[#out + 1] = ser(p) .. " " .. try(string.find, "abc(a)", p) .. " " .. try(string.gsub, "abc", "(b)", "%2")
end
out[#out + 1] = try(string.gsub, "abc", "%w", "%q")
out[#out + 1] = try(string.gsub, "abc", "%w", {a = {}})
out[#out + 1] = try(string.gsub, "hello world", "(o)", "%1%1", 1)
out[#out + 1] = try(string.gsub, "abc", "b", 5)
out[#out + 1] = try(string.find, "a.b", ".", 1, true)
out[#out + 1] = try(string.find, "abc", "b", 10)
out[#out + 1] = try(string.find, "abc", "", 10)
out[#out + 1] = try(string.match, "  x", "()x()")
out[#out + 1] = try(string.gsub, "abc", "()", "%1")
RESULT = table.concat(out, "\n")

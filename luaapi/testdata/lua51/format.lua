-- string.format's conversions, flags, widths and precisions, and the
-- formats it refuses. format.golden is what Lua 5.1.5 makes of it:
-- lua5.1 -e 'dofile("format.lua") io.write(RESULT, "\n")'
-- (Left out: what C leaves undefined, a number out of range for %u, %x
-- and %o, and where C stops at a NUL byte, %c of 0 and %s of "a\0b".)
local out = {}
local function try(f, ...)
  local r = {pcall(f, ...)}
  if not r[1] then return "ERR" end
  return string.format("%q", r[2])
end
local ints = {0, 1, -1, 255, -255, 3.9, -0.5, 1e10, 123456789012, 2^53, -2^63}
local floats = {0, -0.5, 3.14159, 1e10, 1e-5, 1e300, -1e-300, 0.1, 100, 1/0, -1/0}
local function each(specs, values)
  for _, s in ipairs(specs) do
    for i, n in ipairs(values) do out[#out + 1] = s .. " #" .. i .. " " .. try(string.format, s, n) end
  end
end
each({"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d", "%i", "%u", "%x", "%X", "%#x", "%#X", "%o", "%#o",
  "%08x", "%+x", "% x", "%-+ #0d"}, ints)
each({"%c", "%3c|", "%-3c|"}, {65, 97, 48, 255, 1})
each({"%e", "%E", "%.2e", "%10.3e", "%f", "%.0f", "%#.0f", "%.2f", "%10.2f", "%-10.2f|", "%+.1f", "% .1f", "%010.2f",
  "%g", "%G", "%.3g", "%#g", "%10g", "%-10g|", "%+g", "%.0g", "%.10g", "%#.3g", "%.99f", "%99d"}, floats)
for _, s in ipairs({"%s", "%5s|", "%-5s|", "%.2s", "%10.3s|", "%q", "%.0s|", "%.s|"}) do
  each({s}, {"", "x", "hello", "quote\"back\\slash\nnl\rcr", string.rep("y", 120), "\195\188mlaut", 12.5})
end
each({"%q"}, {"with\0nul"})
for _, f in ipairs({"%", "%y", "%123d", "%1234d", "%.123f", "%[1]d", "%v", "%T", "%p", "%q%", "%d %d", "%%d",
  "%-----d", "%------d", "abc", "%5.2f|%-3d|%%|%s", "%#v", "%ld", "%hd", "%n"}) do
  out[#out + 1] = f .. " " .. try(string.format, f, 1)
end
out[#out + 1] = try(string.format, "%d", "12")
out[#out + 1] = try(string.format, "%d", "x")
out[#out + 1] = try(string.format, "%s")
out[#out + 1] = try(string.format, "%x", -1)
RESULT = table.concat(out, "\n")

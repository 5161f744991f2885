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

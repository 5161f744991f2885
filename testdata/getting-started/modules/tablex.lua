-- Extends table, as platform modules do: every execution sees the
-- function, and no execution's change reaches another.
function table.keys(t)
  local out = {}
  for k in pairs(t) do
    out[#out + 1] = k
  end
  table.sort(out)
  return out
end

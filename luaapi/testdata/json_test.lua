-- to_json and from_json, like json.encode and json.decode, return
-- (value, err) and never raise.

function test_round_trip(info)
  local s, err = to_json({name = "ann", tags = {"a", "b"}, n = 3, ok = true})
  assert(err == nil, err)
  local v, err2 = from_json(s)
  assert(err2 == nil, err2)
  assert(v.name == "ann" and v.tags[2] == "b" and v.n == 3 and v.ok == true)
  assert(json.decode(json.encode({1, 2, 3}))[3] == 3)
end

function test_cyclic_table_is_an_error_value(info)
  local t = {}
  t.self = t
  local s, err = to_json(t)
  assert(s == nil and err:find("nested"), tostring(err))
  local s2, err2 = json.encode(t)
  assert(s2 == nil and err2:find("nested"), tostring(err2))
end

function test_bad_input_is_an_error_value(info)
  local v, err = from_json("{not json")
  assert(v == nil and err:find("from_json"), tostring(err))
  local deep = string.rep("[", 200000)
  v, err = from_json(deep)
  assert(v == nil and err ~= nil, "deeply nested input must fail cleanly")
  local s, err2 = to_json(function() end)
  assert(s == nil and err2 ~= nil)
end

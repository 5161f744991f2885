-- The users, kept in Keystore as JSON, one key each.
local users = {}

function users.create(fields)
  local id = tostring(Keystore.command({key = "users:next", command = "incr"}).value)
  local user = {id = id, name = fields.name, email = fields.email}
  Keystore.set({key = user_key(id), value = to_json(user)})
  return user
end

function users.get(id)
  local got = Keystore.get({key = user_key(id)})
  if got.value == nil then
    return nil
  end
  return from_json(got.value)
end

return users

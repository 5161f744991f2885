-- A global module: it returns nothing, so its functions are every
-- script's globals, without require.
function user_key(id)
  return "user:" .. id
end

function socket_key(user_id)
  return "socket:" .. user_id
end

function owner_key(socket_id)
  return "owner:" .. socket_id
end

-- fail sets the answer's status and returns its body.
function fail(response, code, message)
  response.code = code
  return {error = message}
end

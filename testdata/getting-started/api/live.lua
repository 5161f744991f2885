-- The WebSocket endpoint, and the HTTP endpoints that tie a user to a
-- socket and push to it. The socket's events run the event handler
-- (services/websocket_websocket_info.lua).
--#ENDPOINT WEBSOCKET /api/live
--#SUMMARY notifications for one user
--#RATELIMIT 3

--#ENDPOINT PUT /api/user/{userId}/socket application/json
--#TAGS user
--#SUMMARY deliver the user's notifications to this socket
local user = request.parameters.userId
local sid = type(request.body) == "table" and request.body.socket_id
if type(sid) ~= "string" then
  return fail(response, 400, "send {\"socket_id\": ...}")
end
if require("users").get(user) == nil then
  return fail(response, 404, "no user " .. user)
end
Keystore.set({key = socket_key(user), value = sid})
Keystore.set({key = owner_key(sid), value = user})
return {user = user, socket_id = sid}

--#ENDPOINT POST /api/user/{userId}/notify application/json
--#TAGS user
--#SUMMARY push a message to the user's socket
local user = request.parameters.userId
local sid = Keystore.get({key = socket_key(user)}).value
if sid == nil then
  return fail(response, 404, "user " .. user .. " is not connected")
end
local err = Websocket.send({socket_id = sid, message = to_json({notification = request.body})})
if err ~= nil then
  return fail(response, err.status, err.error)
end
response.code = 202
return {sent = sid}

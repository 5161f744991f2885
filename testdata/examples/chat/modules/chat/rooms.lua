-- require("chat.rooms"): a room is a group of the gateway's, so a message
-- to a room costs as much as the room has members, whatever else is
-- connected.
local rooms = {}

local function group(room)
  return "chat:" .. room
end

-- enter puts the socket in room; it returns nil, or the error table of a
-- room whose name is too long for a group.
function rooms.enter(room, socket_id)
  return Websocket.join({socket_id = socket_id, group = group(room)})
end

-- online counts the sockets in room.
function rooms.online(room)
  return Websocket.presence({group = group(room)}).sockets
end

-- broadcast sends value, as JSON, to everyone in room.
function rooms.broadcast(room, value)
  return Websocket.send({group = group(room), message = to_json(value)})
end

return rooms

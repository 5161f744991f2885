-- require("chat.rooms"): a room is every socket connected to the same
-- /chat/{room} path, so the gateway's socket list is the only state.
local rooms = {}

-- members returns the ids of the sockets in room.
function rooms.members(room)
  local ids = {}
  for _, id in ipairs(Websocket.list()) do
    local info = Websocket.info({socket_id = id})
    -- A socket that closed since list() answers an error table instead.
    if info.route == "/chat/{room}" and info.parameters.room == room then
      table.insert(ids, id)
    end
  end
  return ids
end

-- broadcast sends value, as JSON, to everyone in room.
function rooms.broadcast(room, value)
  local message = to_json(value)
  for _, id in ipairs(rooms.members(room)) do
    Websocket.send({socket_id = id, message = message})
  end
end

return rooms

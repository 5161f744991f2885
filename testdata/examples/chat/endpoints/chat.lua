--#ENDPOINT WEBSOCKET /chat/{room}
-- Chat rooms: connect to /chat/<room> (add ?user=<name> to be named), and
-- every text message is sent to everyone in the room as JSON
-- {"event":"message","room","user","text"}. Joins and leaves are announced
-- to the room as {"event":"join","online"} and {"event":"leave","online"},
-- online being how many sockets are in the room.
local rooms = require("chat.rooms")
local room = websocketInfo.parameters.room
local user = websocketInfo.parameters.user or websocketInfo.socket_id

if websocketInfo.type == "open" then
  local err = rooms.enter(room, websocketInfo.socket_id)
  if err then
    websocketInfo.send({event = "error", error = err.error})
    websocketInfo.close()
    return
  end
  rooms.broadcast(room, {event = "join", room = room, user = user, online = rooms.online(room)})
elseif websocketInfo.type == "data" then
  rooms.broadcast(room, {event = "message", room = room, user = user, text = websocketInfo.message})
elseif websocketInfo.type == "close" then
  -- The socket has left its room's group by now: the others hear it go.
  rooms.broadcast(room, {event = "leave", room = room, user = user, online = rooms.online(room)})
end

--#ENDPOINT WEBSOCKET /chat/{room}
-- Chat rooms: connect to /chat/<room> (add ?user=<name> to be named), and
-- every text message is sent to everyone in the room as JSON
-- {"event":"message","room","user","text"}. Joins and leaves are announced
-- to the room as {"event":"join"} and {"event":"leave"}.
local rooms = require("chat.rooms")
local room = websocketInfo.parameters.room
local user = websocketInfo.parameters.user or websocketInfo.socket_id

if websocketInfo.type == "open" then
  rooms.broadcast(room, {event = "join", room = room, user = user})
elseif websocketInfo.type == "data" then
  rooms.broadcast(room, {event = "message", room = room, user = user, text = websocketInfo.message})
elseif websocketInfo.type == "close" then
  rooms.broadcast(room, {event = "leave", room = room, user = user})
end

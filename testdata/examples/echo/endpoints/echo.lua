--#ENDPOINT WEBSOCKET /echo
-- Greets each client, then sends every message back to its sender,
-- text as text and binary as binary.
if websocketInfo.type == "open" then
  websocketInfo.send("connected to /echo as " .. websocketInfo.socket_id)
elseif websocketInfo.type == "data" then
  websocketInfo.send(websocketInfo.message, websocketInfo.message_type)
end

-- The body of handle_websocket_websocket_info(websocketInfo), as the
-- platform keeps it: every socket event of every endpoint runs it.
local sid = websocketInfo.socket_id
if websocketInfo.type == "open" then
  Websocket.send({socket_id = sid, message = to_json({greeting = os.getenv("GREETING"), socket_id = sid})})
elseif websocketInfo.type == "data" then
  Websocket.send({socket_id = sid, message = to_json({echo = websocketInfo.message})})
elseif websocketInfo.type == "close" then
  local user = Keystore.get({key = owner_key(sid)}).value
  if user ~= nil then
    Keystore.delete({key = socket_key(user)})
    Keystore.delete({key = owner_key(sid)})
  end
end

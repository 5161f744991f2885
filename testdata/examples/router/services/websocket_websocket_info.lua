--#EVENT websocket websocket_info
-- Message routing: every JSON message names an "action"; the handler runs
-- the module function registered for it, or the default route when there
-- is none, and sends back what the function returns. Connecting and
-- disconnecting have routes of their own.
function handle_websocket_websocket_info(websocketInfo)
  local routes = require("routes")
  local reply
  if websocketInfo.type == "open" then
    reply = routes.connect(websocketInfo)
  elseif websocketInfo.type == "close" then
    routes.disconnect(websocketInfo)
  else
    local message = from_json(websocketInfo.message)
    local action = type(message) == "table" and message.action or nil
    local route = routes.actions[action] or routes.default
    reply = route(message, websocketInfo)
  end
  if reply ~= nil then
    Websocket.send({socket_id = websocketInfo.socket_id, message = to_json(reply)})
  end
end

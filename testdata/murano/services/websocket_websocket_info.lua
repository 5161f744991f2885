-- The body of handle_websocket_websocket_info(websocketInfo), as the
-- platform keeps it.
local id = websocketInfo.socket_id
if websocketInfo.type == "open" then
  Websocket.send({socket_id = id, message = os.getenv("GREETING")})
elseif websocketInfo.type == "data" then
  local req = from_json(websocketInfo.message) or {}
  if req.subscribe then
    local mine = Websocket.groups({socket_id = id})
    if table.contains(mine, topic_group(req.subscribe)) then
      Websocket.send({socket_id = id, message = to_json({already = req.subscribe})})
    elseif #mine >= max_topics() then
      Websocket.send({socket_id = id, message = to_json({error = "too many topics"})})
    else
      Websocket.join({socket_id = id, group = topic_group(req.subscribe)})
      Websocket.send({socket_id = id, message = to_json({subscribed = req.subscribe})})
    end
  elseif req.publish then
    Websocket.send({group = topic_group(req.publish), message = to_json({topic = req.publish, text = req.text})})
  end
end

-- require("routes"): the route table of the router example. Each action is
-- a function of (message, websocketInfo) returning the reply, or nil for
-- none.
local routes = {actions = {}}

function routes.connect(websocketInfo)
  return {event = "connected", socket_id = websocketInfo.socket_id}
end

function routes.disconnect(websocketInfo)
  print("disconnected", websocketInfo.close_code)
end

-- echo replies with the message's data.
function routes.actions.echo(message)
  return {action = "echo", data = message.data}
end

-- sum replies with the sum of the message's numbers.
function routes.actions.sum(message)
  local total = 0
  for _, n in ipairs(message.numbers or {}) do
    total = total + n
  end
  return {action = "sum", result = total}
end

-- default answers a message no action matched, including one that is not
-- JSON at all.
function routes.default(message)
  local action = type(message) == "table" and message.action or nil
  return {error = "no route for this message", action = action}
end

return routes

-- The connect, disconnect and default routes of /tasks.
local M = {}

function M.connect(websocketInfo)
  return {type = "welcome", socket_id = websocketInfo.socket_id,
          rate_limit = websocketInfo.policy.rate_limit.requests}
end

function M.disconnect(websocketInfo)
  print("left", websocketInfo.socket_id, websocketInfo.close_code, websocketInfo.close_reason)
end

function M.unknown(websocketInfo)
  return {type = "error", error = "no module " .. tostring(websocketInfo.route_value),
          modules = {"task_engine", "db_engine"}}
end

return M

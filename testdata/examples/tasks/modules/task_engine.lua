-- task_engine runs tasks: {"module":"task_engine","task":"build"}.
local M = {}

function M.handle(websocketInfo, response)
  local msg = from_json(websocketInfo.message)
  if type(msg.task) ~= "string" then
    return {type = "error", error = "task_engine needs a task"}
  end
  return {type = "started", module = websocketInfo.route_value, task = msg.task}
end

return M

-- db_engine answers queries: {"module":"db_engine","query":"count"}.
local M = {}

function M.handle(websocketInfo, response)
  local msg = from_json(websocketInfo.message)
  response.message = {type = "result", module = websocketInfo.route_value, query = msg.query, rows = 0}
end

return M

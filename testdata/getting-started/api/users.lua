-- HTTP endpoints, written as the platform's Webservice endpoints are: a
-- script per method and path, with its documentation lines.
--#ENDPOINT POST /api/user application/json
--#TAGS user public
--#SUMMARY create a user
--#DESCRIPTION takes {"name": ..., "email": ...} and answers the user with its id
local users = require("users")
if type(request.body) ~= "table" or type(request.body.name) ~= "string" then
  return fail(response, 400, "a user needs a name")
end
response.code = 201
return users.create(request.body)

--#ENDPOINT GET /api/user/{userId}
--#TAGS user public
--#SUMMARY get a user
local user = require("users").get(request.parameters.userId)
if user == nil then
  return fail(response, 404, "no user " .. request.parameters.userId)
end
user.fields = table.keys(user)
return user  -- a table answers as JSON

--#ENDPOINT GET /api/ratelimit/withauth
--#TAGS security
--#SECURITY basic bearer
--#RATELIMIT 1
-- A bearer token or an API key, once a minute per credential; luagate
-- does not provide basic authentication, so basic credentials get a 401.
return "OK"

--#ENDPOINT GET /api/noauthnolimit
--#TAGS security
--#SECURITY none
--#RATELIMIT 0
return "OK"

--#ENDPOINT GET /api/ratelimit
--#TAGS security
--#RATELIMIT 2
-- No security: twice a minute per client address.
return "OK"

package gateway_test

import (
	"testing"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
)

// keystoreChecks runs on a data event and answers "ok" or the checks that
// failed, one a line.
const keystoreChecks = `
if websocketInfo.type ~= "data" then return end
local failed = {}
local function check(ok, what) if not ok then failed[#failed + 1] = what end end
local r
check(Keystore.clear().error == nil, "clear")
r = Keystore.get({key = "missing"})
check(type(r) == "table" and r.value == nil and r.error == nil, "get of a missing key is {}")
check(next(Keystore.set({key = "greeting", value = "hello"})) == nil, "set answers {}")
check(Keystore.get({key = "greeting"}).value == "hello", "get after set")
check(Keystore.set({key = 42, value = 7}).error == nil, "numbers as key and value")
check(Keystore.get({key = "42"}).value == "7", "number key read as a string")
r = Keystore.set({key = "t", value = {}})
check(r.type == "ArgumentError" and r.status == 400 and r.error:find("value must be a string"), "table value refused: " .. tostring(r.error))
r = Keystore.get({})
check(r.type == "ArgumentError" and r.error:find("key"), "get without key")
r = Keystore.get("greeting")
check(r.type == "ArgumentError", "get with a string instead of a table")
check(Keystore.command({key = "n", command = "incrby", args = {5}}).value == 5, "incrby answers a number")
check(Keystore.command({key = "n", command = "INCR"}).value == 6, "command names in any case")
r = Keystore.command({key = "logs", command = "lpush", args = {"a", "b", "c"}})
check(r.value == 3, "lpush answers the length")
r = Keystore.command({key = "logs", command = "lrange", args = {0, -1}})
check(type(r.value) == "table" and #r.value == 3 and r.value[1] == "c" and r.value[3] == "a", "lrange answers a list")
r = Keystore.command({key = "h", command = "hset", args = {"f1", "v1"}})
r = Keystore.command({key = "h", command = "hmget", args = {"f1", "nope", "f1"}})
check(#r.value == 3 and r.value[1] == "v1" and r.value[2] == false and r.value[3] == "v1", "hmget's missing field is false")
r = Keystore.command({key = "nope", command = "get"})
check(r.value == nil and r.error == nil, "command get of a missing key has no value")
r = Keystore.command({key = "h", command = "get"})
check(r.type == "WrongTypeError" and r.status == 400 and r.error:find("WRONGTYPE"), "wrong type: " .. tostring(r.error))
r = Keystore.command({key = "x", command = "flushall"})
check(r.type == "ArgumentError" and r.error:find("flushall"), "unknown command names it")
r = Keystore.command({key = "x", command = "set", args = {"v", {}}})
check(r.type == "ArgumentError" and r.error:find("args%[2%]"), "a table among args names its index")
check(Keystore.command({key = "e", command = "set", args = {"v", "EX", 100}}).value == "OK", "set EX")
check(Keystore.command({key = "e", command = "ttl"}).value == 100, "ttl")
check(Keystore.delete({key = "e"}).error == nil, "delete")
check(Keystore.command({key = "e", command = "exists"}).value == 0, "deleted")
for i = 1, 12 do Keystore.set({key = "user:" .. i, value = "x"}) end
local seen, cursor, pages = {}, nil, 0
repeat
  r = Keystore.list({match = "user:*", count = 5, cursor = cursor})
  check(r.error == nil, "list: " .. tostring(r.error))
  for _, k in ipairs(r.keys or {}) do seen[#seen + 1] = k end
  cursor, pages = r.cursor, pages + 1
until cursor == "0" or pages > 10
check(#seen == 12 and pages == 3, "list pages: " .. #seen .. " keys in " .. pages .. " pages")
r = Keystore.list()
check(#r.keys == 10 and r.cursor ~= "0", "list with no arguments: 10 keys and a cursor")
r = Keystore.list({count = -1})
check(r.type == "ArgumentError", "negative count")
r = Keystore.info()
check(r.quota.keys == 5 + 20 and r.quota.value_size == 64 and r.quota.size == 4096, "info quota")
check(r.usage.keys == 17 and r.usage.size > 0, "info usage keys: " .. tostring(r.usage.keys))
r = Keystore.set({key = "big", value = string.rep("x", 65)})
check(r.type == "QuotaExceededError" and r.status == 400 and r.error:find("keystore%-max%-value%-bytes"), "value limit: " .. tostring(r.error))
for i = 1, 10 do r = Keystore.set({key = "fill" .. i, value = "x"}) end
check(r.type == "QuotaExceededError" and r.error:find("keystore%-max%-keys"), "key limit: " .. tostring(r.error))
check(pcall(function() Keystore.get = nil end) == false, "Keystore is read-only")
if #failed == 0 then return "ok" end
return table.concat(failed, "\n")
`

func keystoreLimits(c *gateway.Config) {
	c.Keystore.MaxKeys = 25
	c.Keystore.MaxValueBytes = 64
	c.Keystore.MaxBytes = 4096
}

func TestKeystoreFromLua(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, keystoreLimits)
	g.Deploy("/ks", keystoreChecks)
	c := g.Dial("/ks")
	c.Send("run")
	if got := c.Next(); got != "ok" {
		t.Fatalf("Keystore checks failed:\n%s", got)
	}
}

func TestKeystoreIsSharedByEndpointsAndKeptAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := lgtesting.StartGateway(t, dir)
	g.Deploy("/write", `if websocketInfo.type == "data" then
  Keystore.command({key = "subs", command = "sadd", args = {websocketInfo.socket_id}})
  Keystore.command({key = "session", command = "set", args = {websocketInfo.message, "EX", 3600}})
  return "stored"
end`)
	g.Deploy("/read", `if websocketInfo.type == "data" then
  local subs = Keystore.command({key = "subs", command = "scard"}).value
  local ttl = Keystore.command({key = "session", command = "ttl"}).value
  return tostring(subs) .. " " .. tostring(Keystore.get({key = "session"}).value) .. " " .. tostring(ttl > 3500)
end`)
	w := g.Dial("/write")
	w.Send("abc")
	w.Expect("stored")
	r := g.Dial("/read")
	r.Send("?")
	r.Expect("1 abc true")
	g.Stop()

	g = lgtesting.StartGateway(t, dir)
	r = g.Dial("/read")
	r.Send("?")
	r.Expect("1 abc true")
}

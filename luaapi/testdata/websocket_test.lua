-- The Websocket module's failure values, with no socket open.

function test_operations_on_unknown_sockets_return_404(info)
  for _, op in ipairs({"send", "close", "info"}) do
    local r = Websocket[op]({socket_id = "gone", message = "x"})
    assert(r.status == 404 and r.type == "NotFoundError", op .. " returned " .. tostring(r and r.status))
    assert(type(r.error) == "string")
  end
  assert(#Websocket.list() == 0)
  assert(Websocket.closeAll() == 0)
end

function test_bad_arguments_return_400_and_never_raise(info)
  local cases = {
    Websocket.send(),
    Websocket.send("x"),
    Websocket.send({socket_id = ""}),
    Websocket.send({socket_id = "a", message = {}}),
    Websocket.send({socket_id = "a", message = true}),
    Websocket.send({socket_id = "a", message = "x", type = "text"}),
    Websocket.send({socket_id = "a", message = "%%%", type = "data-binary"}),
    Websocket.close({}),
    Websocket.info(42),
  }
  for i, r in ipairs(cases) do
    assert(r.status == 400 and r.type == "ArgumentError", "case " .. i .. ": " .. tostring(r.status))
  end
end

function test_websocket_info_fields(info)
  assert(info.type == "data" and info.message == "m" and info.message_type == "data-text")
  assert(info.socket_id == "s1" and info.route == "/t" and info.uri == "ws://x/t")
  assert(type(info.headers) == "table" and type(info.parameters) == "table")
  assert(math.floor(info.timestamp) == info.timestamp)
  assert(info.send("hi") == nil)
end

function test_text_that_is_not_utf8_is_refused_with_400(info)
  for i, r in ipairs({
    info.send("\255\254"),
    info.send("ok \237\160\128", "data-text"),
    Websocket.send({socket_id = "a", message = "\192\128"}),
  }) do
    assert(r and r.status == 400 and r.type == "ArgumentError", "case " .. i .. ": " .. tostring(r and r.status))
    assert(r.error:find("UTF%-8"), r.error)
  end
  assert(info.send("//4=", "data-binary") == nil, "the same bytes as data-binary are fine")
  assert(info.send("héllo ✓") == nil, "UTF-8 text is fine")
  assert(info.send({bad = "\255"}) == nil, "a table becomes JSON, which is UTF-8")
end

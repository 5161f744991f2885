package luaapi

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// compileRequest compiles src as an HTTP endpoint's script.
func compileRequest(tb testing.TB, src string) *Program {
	tb.Helper()
	return compileEndpoint(tb, "local request = websocketInfo; "+src)
}

// TestAnHTTPExecutionLeavesNothingInItsTables checks the request, response
// and response.headers tables a VM refills: once a request is answered they
// hold nothing of it, the script cannot have changed their metatable, and a
// table the script gave a key of its own is not handed out again.
func TestAnHTTPExecutionLeavesNothingInItsTables(t *testing.T) {
	vm := NewVM(Options{Sockets: nopSockets{}, Logger: discardLogger})
	defer vm.Close()
	run := func(src string) *Response {
		t.Helper()
		ev := &Event{Type: EventRequest, Conn: &Conn{ID: "r1", Route: "GET /t"}, Timestamp: time.Now(), Request: &Request{
			Method: "GET", Path: "/t", Route: "/t", RequestID: "r1", Body: []byte(`{"secret":"victim"}`), JSON: true,
			Headers: map[string]string{"authorization": "Bearer victim"}, Parameters: map[string]string{"id": "7"},
		}}
		if err := vm.RunFor(time.Second, compileRequest(t, src), ev); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		return ev.Response
	}
	empty := func(what string, tb *lua.LTable) {
		t.Helper()
		if tb == nil {
			return
		}
		if k, v := tb.Next(lua.LNil); k != lua.LNil {
			t.Errorf("%s keeps %v = %v after the request", what, k, v)
		}
		if tb.Metatable != vm.reusedMeta {
			t.Errorf("%s lost its protected metatable", what)
		}
	}
	if r := run(`response.message = request.body.secret; pcall(setmetatable, request, {}); return nil`); string(r.Body) != "victim" {
		t.Fatalf("body %q", r.Body)
	}
	req, resp, headers := vm.http.req, vm.http.resp, vm.http.respHeaders
	empty("request", req)
	empty("response", resp)
	empty("response.headers", headers)
	if run(`return "x"`); vm.http.req != req || vm.http.resp != resp || vm.http.respHeaders != headers {
		t.Error("an untouched request's tables were not reused")
	}
	if r := run(`request.kept = request.headers; response.headers["X-A"] = "1"; rawset(response, "kept", 1)`); r.Headers["X-A"] != "1" {
		t.Fatalf("headers %v", r.Headers)
	}
	if vm.http.req == req || vm.http.resp == resp || vm.http.respHeaders == headers {
		t.Error("a table the script added a key to is handed out again")
	}
	empty("request", vm.http.req)
	empty("response", vm.http.resp)
}

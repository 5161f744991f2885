package luaapi

import (
	"context"
	"fmt"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// EventRequest is the event type of an HTTP endpoint's execution: the
// script receives (request, response), not websocketInfo.
const EventRequest = "request"

// Request is the HTTP request an HTTP endpoint's script answers: what its
// request table holds.
type Request struct {
	Method, URI, Path string
	// Route is the endpoint's declared path pattern.
	Route     string
	RequestID string
	// Headers have lower-case names and repeated values joined with ", ";
	// Parameters are the path and query parameters, a path parameter
	// winning over a query parameter of the same name.
	Headers, Parameters map[string]string
	Body                []byte
	// JSON says the body's content type is JSON: the script then gets it
	// decoded into a table when it parses.
	JSON bool
}

// Response is what an HTTP endpoint's script answered.
type Response struct {
	// Code is response.code: 200 unless the script set another.
	Code int
	// Headers are response.headers, names as the script wrote them.
	Headers map[string]string
	// Body is the returned value, or response.message: a table as JSON, a
	// string as it is. Nil when the script gave neither.
	Body []byte
	// JSON says Body is a table the script gave, encoded.
	JSON bool
}

// runRequest calls fn, an HTTP endpoint's chunk, with the request and a
// response table, both built for this execution, and fills ev.Response
// from what it answered.
func (vm *VM) runRequest(ctx context.Context, fn *lua.LFunction, ev *Event) error {
	L := vm.L
	req := ev.Request
	h := &vm.http
	h.used = true
	t, _ := reuse(L, &h.req, vm.reusedMeta)
	t.RawSetString("method", lua.LString(req.Method))
	t.RawSetString("uri", lua.LString(req.URI))
	t.RawSetString("path", lua.LString(req.Path))
	t.RawSetString("route", lua.LString(req.Route))
	t.RawSetString("request_id", lua.LString(req.RequestID))
	t.RawSetString("headers", stringTable(L, req.Headers))
	t.RawSetString("parameters", stringTable(L, req.Parameters))
	var body lua.LValue = lua.LString(req.Body)
	if req.JSON && len(req.Body) > 0 {
		if v, err := decodeJSON(L, string(req.Body)); err == nil {
			body = v
		}
	}
	t.RawSetString("body", body)
	resp, _ := reuse(L, &h.resp, vm.reusedMeta)
	respHeaders, _ := reuse(L, &h.respHeaders, vm.reusedMeta)
	resp.RawSetString("code", luaStatusOK)
	resp.RawSetString("headers", respHeaders)
	L.Push(fn)
	L.Push(t)
	L.Push(resp)
	if err := L.PCall(2, 1, nil); err != nil {
		return scriptError(ctx, err)
	}
	out, err := responseOf(L.Get(-1), resp)
	if err != nil {
		return &ScriptError{Message: fmt.Sprintf("%s: %v", ev.Conn.Route, err), cause: err}
	}
	ev.Response = out
	return nil
}

// luaStatusOK is response.code's default, boxed once.
var luaStatusOK lua.LValue = lua.LNumber(200)

// requestTables are the request, response and response.headers tables a
// VM refills for each HTTP execution rather than builds anew, as it does
// websocketInfo (reuse.go): a table the script may have added keys to is
// dropped (touched), and release empties the keys luagate sets, so that
// nothing of a request stays reachable once it is answered. The request's
// headers and parameters tables are built for each execution.
type requestTables struct {
	req, resp, respHeaders *lua.LTable
	// used says an HTTP execution ran since the last release.
	used bool
}

// requestKeys are the keys runRequest sets on the request table, and
// responseKeys those of the response.
var (
	requestKeys  = [...]string{"method", "uri", "path", "route", "request_id", "headers", "parameters", "body"}
	responseKeys = [...]string{"code", "headers", "message"}
)

// touched drops the table t of the HTTP execution's when key is not one
// refilling it sets, and reports whether t was one of them.
func (h *requestTables) touched(t *lua.LTable, key lua.LValue) bool {
	k, _ := key.(lua.LString)
	switch {
	case t == h.req:
		if !slices.Contains(requestKeys[:], string(k)) {
			h.req = nil
		}
	case t == h.resp:
		if !slices.Contains(responseKeys[:], string(k)) {
			h.resp = nil
		}
	case t == h.respHeaders:
		h.respHeaders = nil
	default:
		return false
	}
	return true
}

// release empties what the HTTP execution's tables hold.
func (h *requestTables) release() {
	if !h.used {
		return
	}
	h.used = false
	if h.req != nil {
		for _, k := range requestKeys {
			h.req.RawSetString(k, lua.LNil)
		}
	}
	if h.resp != nil {
		for _, k := range responseKeys {
			h.resp.RawSetString(k, lua.LNil)
		}
	}
}

// responseOf reads the script's answer: reply, its returned value, or
// response.message, and response.code and response.headers.
func responseOf(reply lua.LValue, resp *lua.LTable) (*Response, error) {
	out := &Response{Code: 200}
	switch c := resp.RawGetString("code").(type) {
	case lua.LNumber:
		if n := int(c); float64(n) == float64(c) && n >= 100 && n <= 599 {
			out.Code = n
			break
		}
		return nil, fmt.Errorf("%w: response.code %v: a status from 100 to 599", ErrBadArgument, c)
	default:
		return nil, fmt.Errorf("%w: response.code must be a number, not a %s", ErrBadArgument, c.Type())
	}
	switch h := resp.RawGetString("headers").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		if k, _ := h.Next(lua.LNil); k == lua.LNil {
			break
		}
		out.Headers = make(map[string]string)
		var bad error
		h.ForEach(func(k, v lua.LValue) {
			name, ok := k.(lua.LString)
			_, isTable := v.(*lua.LTable)
			switch {
			case bad != nil:
			case !ok || name == "":
				bad = fmt.Errorf("%w: response.headers: a header name is a string, not %s", ErrBadArgument, k.Type())
			case isTable || v.Type() == lua.LTFunction || v.Type() == lua.LTUserData || v.Type() == lua.LTThread || v == lua.LNil:
				bad = fmt.Errorf("%w: response.headers[%q]: a header value is a string or number, not a %s", ErrBadArgument, string(name), v.Type())
			default:
				bad = checkHeader(string(name), v.String())
				out.Headers[string(name)] = v.String()
			}
		})
		if bad != nil {
			return nil, bad
		}
	default:
		return nil, fmt.Errorf("%w: response.headers must be a table, not a %s", ErrBadArgument, h.Type())
	}
	if reply == lua.LNil {
		reply = resp.RawGetString("message")
	}
	switch v := reply.(type) {
	case *lua.LNilType:
	case lua.LString:
		out.Body = []byte(v)
	case *lua.LTable:
		b, err := encodeJSON(v)
		if err != nil {
			return nil, fmt.Errorf("%w: the response body table: %w", ErrBadArgument, err)
		}
		out.Body, out.JSON = b, true
	case lua.LNumber, lua.LBool:
		out.Body = []byte(v.String())
	default:
		return nil, fmt.Errorf("%w: a response body is a string, number, boolean or table, not a %s", ErrBadArgument, v.Type())
	}
	return out, nil
}

// checkHeader refuses a header name or value HTTP cannot carry.
func checkHeader(name, value string) error {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("%w: response.headers: %q is not a header name", ErrBadArgument, truncateLine(name))
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("%w: response.headers[%q]: a header value may not hold a line break or NUL", ErrBadArgument, truncateLine(name))
	}
	return nil
}

// stringTable is a table of m's entries, built for one execution.
func stringTable(L *lua.LState, m map[string]string) *lua.LTable {
	t := L.CreateTable(0, len(m))
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}

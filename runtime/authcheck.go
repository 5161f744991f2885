package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/scripts"
)

// ErrAuthCheck is wrapped by the error of a script check that raised, ran
// out of time or answered something that is neither an acceptance nor a
// refusal. Such a check never accepts.
var ErrAuthCheck = errors.New("script check failed")

// eventAuth is the event type a script check's failure is logged with.
const eventAuth = "auth"

// AuthRequest is the upgrade a --#SECURITY script check decides on.
type AuthRequest struct {
	// ID is the socket_id the socket will have, for the log.
	ID                  string
	URI, Route          string
	Headers, Parameters map[string]string
	RemoteAddr          string
}

// AuthAnswer is a script check's decision.
type AuthAnswer struct {
	Accept bool
	// UserID, SessionName and Claims are what an accepting check returned
	// in its table, zero for true.
	UserID, SessionName string
	Claims              map[string]any
	// Status (401 or 403) and Message are a refusal's.
	Status  int
	Message string
}

// authChunk calls the check with the request and answers its decision as
// JSON: the function's values go through to_json, so a claim that is not
// data fails the check instead of being lost.
const authChunk = `local websocketInfo = ...
local request = {uri = websocketInfo.uri, route = websocketInfo.route, headers = websocketInfo.headers,
  parameters = websocketInfo.parameters, remote_addr = %q}
local ok, status, message = require(%q)[%q](request)
local answer
if ok == true then
  answer = {accept = true}
elseif type(ok) == "table" then
  answer = {accept = true, user_id = ok.user_id, session_name = ok.session_name, claims = ok.claims}
elseif ok == false or ok == nil then
  answer = {accept = false, status = status, message = message}
else
  error("the check returned a " .. type(ok) .. ": return true, a table {user_id=, session_name=, claims=}, or false, status, message", 0)
end
local s, err = to_json(answer)
if not s then error("the check's answer cannot be JSON: " .. err, 0) end
return s`

// CheckAuth runs function of module, the --#SECURITY script check of an
// endpoint, for req on a pooled state under the script timeout. A failure
// is logged with its line and returned wrapping ErrAuthCheck.
func (e *Engine) CheckAuth(module, function string, req AuthRequest) (AuthAnswer, error) {
	c := e.rev.Load().compiled
	proto, err := scripts.CompileChunk("--#SECURITY script "+module+"."+function, fmt.Sprintf(authChunk, req.RemoteAddr, module, function))
	if err != nil {
		return AuthAnswer{}, fmt.Errorf("%w: %w", ErrAuthCheck, err)
	}
	var reply []byte
	ev := &luaapi.Event{
		Type: eventAuth,
		Conn: luaapi.NewConn(luaapi.Conn{ID: req.ID, URI: req.URI, Route: req.Route, Headers: req.Headers, Parameters: req.Parameters}),
		Peer: checkPeer{},
		Reply: func(msg []byte, _ bool) error {
			reply = msg
			return nil
		},
	}
	prog := libsOf(c).program(proto, "")
	if err := e.run(prog, ev); err != nil {
		return AuthAnswer{}, fmt.Errorf("%w: %w", ErrAuthCheck, err)
	}
	var a struct {
		Accept      bool            `json:"accept"`
		UserID      json.RawMessage `json:"user_id"`
		SessionName string          `json:"session_name"`
		Claims      json.RawMessage `json:"claims"`
		Status      int             `json:"status"`
		Message     string          `json:"message"`
	}
	if err := json.Unmarshal(reply, &a); err != nil {
		return AuthAnswer{}, fmt.Errorf("%w: its answer: %w", ErrAuthCheck, err)
	}
	ans := AuthAnswer{Accept: a.Accept, SessionName: a.SessionName, Status: http.StatusUnauthorized, Message: a.Message}
	if a.Status == http.StatusForbidden {
		ans.Status = http.StatusForbidden
	}
	if ans.Message == "" {
		ans.Message = "refused by the endpoint's check"
	}
	if len(a.UserID) > 0 {
		var s string
		if json.Unmarshal(a.UserID, &s) != nil {
			s = string(a.UserID) // a number, as JSON writes it
		}
		ans.UserID = s
	}
	// to_json writes an empty table as [], which is no claims.
	if len(a.Claims) > 0 && a.Claims[0] == '{' {
		if err := json.Unmarshal(a.Claims, &ans.Claims); err != nil {
			return AuthAnswer{}, fmt.Errorf("%w: claims: %w", ErrAuthCheck, err)
		}
	}
	return ans, nil
}

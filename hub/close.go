package hub

import "github.com/gorilla/websocket"

// CloseReason is why a socket ended: the code and text of the close frame
// luagate sends, and what the socket's close event reports as close_code
// and close_reason.
type CloseReason struct {
	Code int
	Text string
}

func (c CloseReason) Error() string { return c.Text }

// The reasons luagate itself closes a socket for. This is the whole code
// space luagate sends; every other code a close event reports came from the
// client's own close frame. Each reason's text is distinct, so a script can
// tell them apart even where codes are shared.
//
//	1000 normal closure    CloseByScript, CloseByAPI
//	1001 going away       CloseShutdown, CloseEndpointRemoved, CloseIdle,
//	                      CloseMaxAge
//	1002 protocol error   (text from the violation, sent by gorilla/websocket)
//	1006 abnormal closure CloseLost, CloseStalled: never sent in a frame,
//	                      reported to the close event only
//	1007 invalid payload  CloseInvalidUTF8
//	1008 policy violation CloseRateLimited: the endpoint's rate limit
//	                      message, for "then close" and a $ratelimited
//	                      route's "close"; CloseCredentialRevoked,
//	                      CloseTokenExpired
//	1009 message too big  CloseTooBig
//	1014 bad gateway      CloseBackendGone
var (
	// CloseByScript: websocketInfo.close, Websocket.close or closeAll.
	CloseByScript = CloseReason{websocket.CloseNormalClosure, "closed by script"}
	// CloseByAPI: the management API closed the socket.
	CloseByAPI = CloseReason{websocket.CloseNormalClosure, "closed by administrator"}
	// CloseShutdown: the server is stopping.
	CloseShutdown = CloseReason{websocket.CloseGoingAway, "server shutting down"}
	// CloseEndpointRemoved: a deploy removed the socket's endpoint.
	CloseEndpointRemoved = CloseReason{websocket.CloseGoingAway, "endpoint removed"}
	// CloseIdle: no data message went either way for the endpoint's
	// idle timeout.
	CloseIdle = CloseReason{websocket.CloseGoingAway, "idle timeout"}
	// CloseMaxAge: the socket reached the endpoint's maximum connection
	// age.
	CloseMaxAge = CloseReason{websocket.CloseGoingAway, "max connection age"}
	// CloseCredentialRevoked: the API key the socket connected with was
	// revoked.
	CloseCredentialRevoked = CloseReason{websocket.ClosePolicyViolation, "credential revoked"}
	// CloseTokenExpired: the token the socket connected with expired.
	CloseTokenExpired = CloseReason{websocket.ClosePolicyViolation, "token expired"}
	// CloseTooBig: a message exceeded the size limit.
	CloseTooBig = CloseReason{websocket.CloseMessageTooBig, "message too big"}
	// CloseInvalidUTF8: a text message was not valid UTF-8.
	CloseInvalidUTF8 = CloseReason{websocket.CloseInvalidFramePayloadData, "text message is not valid UTF-8"}
	// CloseLost: the connection dropped without a close frame, or stopped
	// answering pings.
	CloseLost = CloseReason{websocket.CloseAbnormalClosure, "connection lost"}
	// CloseStalled: a write to the client timed out because it stopped
	// reading; no close frame can reach it.
	CloseStalled = CloseReason{websocket.CloseAbnormalClosure, "client stopped reading"}
	// CloseBackendGone: the backend of a proxy endpoint dropped the
	// connection without a close frame.
	CloseBackendGone = CloseReason{CodeBadGateway, "backend went away"}
)

// CodeBadGateway is close code 1014, which gorilla/websocket does not name.
const CodeBadGateway = 1014

// CloseRateLimited is the close for a message over an endpoint's rate
// limit whose policy closes the socket; message is the policy's, which
// scripts tell apart from the fixed reasons above.
func CloseRateLimited(message string) CloseReason {
	return CloseReason{websocket.ClosePolicyViolation, message}
}

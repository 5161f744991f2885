package runtime

import "github.com/gorilla/websocket"

// CloseReason is why a socket ended: the code and text of the close frame,
// and what its close event reports.
type CloseReason struct {
	Code int
	Text string
}

func (c CloseReason) Error() string { return c.Text }

// The reasons luagate itself closes a socket for.
var (
	// CloseByScript: websocketInfo.close, Websocket.close or closeAll.
	CloseByScript = CloseReason{websocket.CloseNormalClosure, "closed by script"}
	// CloseByAPI: the management API closed the socket.
	CloseByAPI = CloseReason{websocket.CloseNormalClosure, "closed by administrator"}
	// CloseShutdown: the server is stopping.
	CloseShutdown = CloseReason{websocket.CloseGoingAway, "server shutting down"}
	// CloseEndpointRemoved: a deploy removed the socket's endpoint.
	CloseEndpointRemoved = CloseReason{websocket.CloseGoingAway, "endpoint removed"}
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
)

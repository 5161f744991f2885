package endpoints

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/websocket"
)

// SessionIDHeader carries the socket_id in every successful upgrade's
// answer, so a client knows its id without waiting for a message.
const SessionIDHeader = "X-Session-Id"

// handshakeHeaders chooses the subprotocol of an upgrade on route and
// returns the headers the answer carries: the session id, and the
// subprotocol when one was chosen. The endpoint's --#SUBPROTOCOLS list is
// in its preference order: the first of them the client asks for wins. A
// client that asks only for others is refused; one that asks for none
// connects without one.
func (s *Server) handshakeHeaders(route string, r *http.Request, id string) (string, http.Header, error) {
	answer := http.Header{SessionIDHeader: {id}}
	asked := websocket.Subprotocols(r)
	ep, ok := s.cfg.Engine.Solution().Endpoint(route)
	if !ok || len(ep.Policy.Subprotocols) == 0 || len(asked) == 0 {
		return "", answer, nil
	}
	offered := ep.Policy.Subprotocols
	for _, p := range offered {
		if slices.Contains(asked, p) {
			answer.Set("Sec-WebSocket-Protocol", p)
			return p, answer, nil
		}
	}
	return "", nil, fmt.Errorf("none of the subprotocols asked for is offered: %s offers %s", route, strings.Join(offered, ", "))
}

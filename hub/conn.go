package hub

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/luagate/luagate/luaapi"
)

// Conn is the record of one connection: what stays the same for its whole
// life. The upgrade fills it; the hub keeps it with the socket. It is plain
// data, so a Broker can carry it between processes.
type Conn struct {
	// ID is the socket_id: unguessable and URL-safe (see NewID).
	ID string
	// URI is the full URI of the upgrade request.
	URI string
	// Route is the endpoint's declared path pattern.
	Route string
	// Headers holds the upgrade request's headers, names in lower case and
	// repeated values joined with ", ". A registered socket's record keeps
	// them in its script view only: Entry.Conn and snapshots have them,
	// the record EachOf and DisconnectIf pass has Headers nil.
	Headers map[string]string
	// Parameters holds the path and query parameters; a path parameter wins
	// over a query parameter of the same name.
	Parameters map[string]string
	// ConnectedAt is when the upgrade completed.
	ConnectedAt time.Time
	// Subprotocol is the subprotocol the handshake chose, "" for none.
	Subprotocol string
	// UserID is who the upgrade authenticated as, "" for nobody.
	UserID string
	// SessionName is the client's name for the session (?session_name=),
	// or the one a script check chose; "" for none.
	SessionName string
	// Auth is how the upgrade authenticated; nil for an endpoint without
	// authentication.
	Auth *Auth
	// RemoteAddr is the client's address, through trusted proxies.
	RemoteAddr string
}

// Auth is how a socket's upgrade authenticated.
type Auth struct {
	// Scheme is apikey, jwt or script.
	Scheme string
	// KeyID and KeyName are the API key's, when one was used.
	KeyID, KeyName string
	// Claims are the token's claims or what a script check returned.
	// They must not change once the socket is registered.
	Claims map[string]any
	// ExpiresAt, when not zero, is when the socket is closed with
	// CloseTokenExpired.
	ExpiresAt time.Time
	// TokenHash is the push token's SHA-256, when one was used.
	TokenHash []byte
}

// NewID returns an unguessable socket id: 128 random bits in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// idBytes is the length of the random part of a socket id.
const idBytes = 32

// maxNode bounds a node id, which every socket id of its node repeats.
const maxNode = 64

// NewID returns a new socket id for this hub: NewID's, after the hub's
// node and a "-" when Config.Node is set.
func (h *Hub) NewID() string {
	if h.node == "" {
		return NewID()
	}
	return h.node + "-" + NewID()
}

// NodeOf returns the node a socket id names, "" for an id without one.
func NodeOf(id string) string {
	i := len(id) - idBytes - 1
	if i < 1 || id[i] != '-' {
		return ""
	}
	return id[:i]
}

// CheckNode refuses a node id that cannot start socket ids or name a
// messaging subject: 1 to 64 letters, digits, "_" or "-".
func CheckNode(node string) error {
	if node == "" || len(node) > maxNode {
		return fmt.Errorf("node id %q: 1 to %d characters", node, maxNode)
	}
	for _, r := range node {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("node id %q: only letters, digits, _ and - (not %q)", node, r)
		}
	}
	return nil
}

// view is c as scripts see it, with its Lua values built once.
func (c Conn) view() *luaapi.Conn {
	return luaapi.NewConn(luaapi.Conn{
		ID: c.ID, URI: c.URI, Route: c.Route,
		Headers: c.Headers, Parameters: c.Parameters, ConnectedAt: c.ConnectedAt,
		Subprotocol: c.Subprotocol, UserID: c.UserID, SessionName: c.SessionName,
		Auth: c.Auth.view(),
	})
}

func (a *Auth) view() *luaapi.Auth {
	if a == nil {
		return nil
	}
	return &luaapi.Auth{Scheme: a.Scheme, KeyID: a.KeyID, KeyName: a.KeyName, Claims: a.Claims}
}

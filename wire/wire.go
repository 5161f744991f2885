// Package wire holds the JSON shapes of luagate's management API: what the
// server (endpoints) writes and its Go client (client) reads, declared once
// so the two cannot drift apart. It imports only scripts, for the solution
// and its problems, logs, for the script log's record, and the standard
// library.
package wire

import (
	"encoding/json"
	"time"

	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/session"
)

// Prefix is the path every management route lives under, and the only
// path prefix luagate always reserves for itself.
const Prefix = "/api/v1/solution"

// HealthPath answers health checks, without a credential.
const HealthPath = Prefix + "/health"

// Message types, as a message's "type" field names them.
const (
	MessageText   = "data-text"
	MessageBinary = "data-binary"
)

// InitResult is the run of the init script that a deploy changed: its
// failure does not undo the deploy.
type InitResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Deployed is the part of a change's answer the client reads.
type Deployed struct {
	Revision uint64      `json:"revision"`
	Init     *InitResult `json:"init,omitempty"`
}

// Error is every error answer of the API, the same shape as the error
// tables scripts receive. Details lists a refused deploy's problems.
type Error struct {
	Type    string           `json:"type"`
	Message string           `json:"error"`
	Status  int              `json:"status"`
	Details scripts.Problems `json:"details,omitempty"`
}

// Error is the API's message, followed by one line per problem when a
// deploy was refused.
func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return e.Message
	}
	return e.Message + ":\n" + e.Details.Error()
}

// Endpoint is an endpoint as PUT /endpoints takes it in JSON, alone or in
// a list: luagate's fields (method, path, content_type, script) in the
// platform's shape, whose other fields a platform export carries (id,
// solution_id, created_at, updated_at) are accepted and not kept. Method
// defaults to WEBSOCKET.
type Endpoint struct {
	ID         string `json:"id,omitempty"`
	SolutionID string `json:"solution_id,omitempty"`
	CreatedAt  any    `json:"created_at,omitempty"`
	// ExportedAt is the export's updated_at: the store decides an
	// endpoint's own.
	ExportedAt any `json:"updated_at,omitempty"`
	scripts.Endpoint
}

// Socket is an open socket as GET /sockets lists it: the fields of
// Websocket.info plus operator counters.
type Socket struct {
	SocketID    string            `json:"socket_id"`
	URI         string            `json:"uri"`
	Type        string            `json:"type"`
	Route       string            `json:"route"`
	Headers     map[string]string `json:"headers"`
	Parameters  map[string]string `json:"parameters"`
	Timestamp   int64             `json:"timestamp"`
	ConnectedAt time.Time         `json:"connected_at"`
	MessagesIn  uint64            `json:"messages_in"`
	MessagesOut uint64            `json:"messages_out"`
	// Subprotocol is the one the handshake chose, "" for none.
	Subprotocol string `json:"subprotocol"`
	// LastActivityAt is when a data message last went either way.
	LastActivityAt time.Time `json:"last_activity_at"`
	// UserID and SessionName are "" for none.
	UserID      string `json:"user_id,omitempty"`
	SessionName string `json:"session_name,omitempty"`
	// Auth is nil for an endpoint without authentication.
	Auth *SocketAuth `json:"auth,omitempty"`
	// Backend counts a proxy socket's frames to and from its backend:
	// {"frames_up","frames_down","bytes_up","bytes_down"}.
	Backend *session.Backend `json:"backend,omitempty"`
}

// SendRequest is the body of POST /sockets/:id/messages. Type is
// MessageText (the default) or MessageBinary, whose Message is base64.
type SendRequest struct {
	Message *string `json:"message"`
	Type    string  `json:"type,omitempty"`
}

// Closed answers DELETE /sockets and DELETE /users/:user_id/sockets: how
// many sockets were closed.
type Closed struct {
	Closed int `json:"closed"`
}

// Sent answers POST /users/:user_id/messages: how many sockets took the
// message. Zero is not an error: the user may have none open.
type Sent struct {
	Sent int `json:"sent"`
}

// SocketAuth is how a socket's upgrade authenticated.
type SocketAuth struct {
	// Scheme is apikey, jwt or script.
	Scheme  string         `json:"scheme"`
	KeyID   string         `json:"key_id,omitempty"`
	KeyName string         `json:"key_name,omitempty"`
	Claims  map[string]any `json:"claims,omitempty"`
}

// KeyRequest is the body of POST /keys.
type KeyRequest struct {
	Name           string     `json:"name"`
	UserID         string     `json:"user_id,omitempty"`
	Scopes         []string   `json:"scopes"`
	Routes         []string   `json:"routes,omitempty"`
	AllowedOrigins []string   `json:"allowed_origins,omitempty"`
	AllowedCIDRs   []string   `json:"allowed_cidrs,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

// Key is an API key as GET /keys lists it. Secret is set only in the
// answer of POST /keys, the one time it is shown.
type Key struct {
	ID string `json:"id"`
	KeyRequest
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"`
}

// Session is one socket's life, as GET /sessions lists it. ClosedAt and
// CloseCode are null while the socket is open.
type Session struct {
	SocketID    string     `json:"socket_id"`
	Route       string     `json:"route"`
	UserID      string     `json:"user_id"`
	SessionName string     `json:"session_name"`
	RemoteAddr  string     `json:"remote_addr"`
	Subprotocol string     `json:"subprotocol"`
	ConnectedAt time.Time  `json:"connected_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	CloseCode   *int       `json:"close_code"`
	CloseReason string     `json:"close_reason"`
	MessagesIn  uint64     `json:"messages_in"`
	MessagesOut uint64     `json:"messages_out"`
	BytesIn     uint64     `json:"bytes_in"`
	BytesOut    uint64     `json:"bytes_out"`
	// Status is "active" or "closed".
	Status string `json:"status"`
	// Backend counts a proxy socket's frames to and from its backend.
	Backend *session.Backend `json:"backend,omitempty"`
}

// Sessions answers GET /sessions: a page, newest first. NextToken, given
// back as ?next_token=, asks for the next page; it is absent on the last.
type Sessions struct {
	Sessions  []Session `json:"sessions"`
	NextToken string    `json:"next_token,omitempty"`
}

// LogsPath serves the script log: GET lists its records, and with
// ?follow=1 streams them as Server-Sent Events.
const LogsPath = Prefix + "/logs"

// LogRecord is one record of the script log.
type LogRecord = logs.Record

// Logs answers GET /logs: the records that pass the query, newest last.
type Logs struct {
	Records []LogRecord `json:"records"`
}

// LogsDropped is the event a follower of the script log receives, in place
// of records, when it fell so far behind that the ring replaced Dropped
// records before it could read them.
type LogsDropped struct {
	Dropped uint64 `json:"dropped"`
}

// RequestBody is the body of POST /sockets/:id/requests: a request to the
// socket's client for Event with Content (any JSON, null when absent),
// waiting Timeout seconds for the reply (absent: 5).
type RequestBody struct {
	Event   string          `json:"event"`
	Content json.RawMessage `json:"content,omitempty"`
	Timeout *float64        `json:"timeout,omitempty"`
}

// Reply answers POST /sockets/:id/requests: the content of the client's
// reply.
type Reply struct {
	Content json.RawMessage `json:"content"`
}

// File is a socket's session file as GET /sockets/:id/files lists it.
type File struct {
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	ModifiedAt time.Time `json:"modified_at"`
}

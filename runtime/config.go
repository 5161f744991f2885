package runtime

import (
	"fmt"
	"log/slog"
	goruntime "runtime"
	"time"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/keystore"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/session"
)

// Config configures an Engine. A zero field means its default; what turns
// a limit off is a field of its own.
type Config struct {
	// Hub holds the live sockets. Nil means a hub of its own with no
	// broker: a single process.
	Hub *hub.Hub
	// RateLimit is the incoming messages per second allowed per socket, with
	// a burst of the same size. Zero means DefaultRateLimit.
	RateLimit float64
	// NoRateLimit turns the per-socket rate limit off; RateLimit must then
	// be zero.
	NoRateLimit bool
	// IdleTimeout closes a socket with 1001 when no data message has gone
	// either way for that long. Zero means none. An endpoint's --#IDLE
	// overrides it.
	IdleTimeout time.Duration
	// MaxConnectionAge closes a socket with 1001 that long after it
	// connected. Zero means none. An endpoint's --#MAXAGE overrides it.
	MaxConnectionAge time.Duration
	// MaxMessageBytes is the largest incoming message; a larger one closes
	// the socket with 1009. Zero means 1 MiB.
	MaxMessageBytes int64
	// ScriptTimeout bounds one execution. Zero means 2s.
	ScriptTimeout time.Duration
	// ScriptMemory is each running execution's share of heap growth: the
	// memory watchdog stops an execution only when the heap grew, while
	// the executions running ran, by more than they could hold within this
	// much each, and then only the one charged with the most growth (see
	// watchdog.go). Zero means 64 MiB.
	ScriptMemory int64
	// SendQueue is how many outgoing messages a socket buffers. Zero means 256.
	SendQueue int
	// SendQueueBytes bounds the bytes a socket buffers for its client; a
	// send past it fails as a full queue does. Zero means 4 MiB. It must be
	// at least MaxSendBytes.
	SendQueueBytes int64
	// SendTotalBytes bounds the bytes buffered for all sockets together, so
	// that many slow clients cannot make the process hold more than this
	// for them; a send past it fails as a full queue does. Zero means
	// 512 MiB.
	SendTotalBytes int64
	// MaxSendBytes bounds one outgoing message; a larger one is refused
	// with a bad-argument error. Zero means 1 MiB.
	MaxSendBytes int64
	// LuaStates bounds the pool of Lua states, and so how many scripts run at
	// once. Zero means 8 per CPU, at least 16.
	LuaStates int
	// EndpointStates is the most Lua states the executions of one endpoint
	// (its path pattern, whichever of its --#ROUTE programs runs) hold at
	// once, so that an endpoint whose scripts are stuck leaves the rest of
	// the pool to the others. It applies per endpoint with the custom
	// event handler too, although every endpoint then runs the same
	// program. Zero means a quarter of LuaStates, at least 1; it may not
	// exceed LuaStates.
	EndpointStates int
	// CloseStates is how many Lua states, beyond LuaStates, only close
	// events may use, so that sockets' close events run while every other
	// state is stuck in a script. An endpoint's close events count towards
	// its EndpointStates. Zero means an eighth of LuaStates, at least 1.
	CloseStates int
	// PingInterval is how often a socket is pinged. Zero means 30s. A peer
	// that answers nothing for PingInterval plus PongTimeout is dropped.
	PingInterval time.Duration
	// PongTimeout: see PingInterval. Zero means 10s.
	PongTimeout time.Duration
	// WriteTimeout bounds one write to a client. Zero means 10s.
	WriteTimeout time.Duration
	// Logger receives script output and errors. Nil means slog.Default().
	Logger *slog.Logger
	// Revoked, when set, reports whether the credential of a socket with
	// an Auth was revoked after its upgrade was authenticated; such a
	// socket is closed with hub.CloseCredentialRevoked as soon as it is
	// registered. A revocation closes the sockets the hub lists, and this
	// closes the ones that were between authentication and registration
	// then, the way Serve's route check does for a deploy.
	Revoked func(hub.Conn) bool
	// Sessions keeps the sessions of closed sockets. Nil means they are
	// not kept: only open sockets have sessions.
	Sessions session.Store
	// Keystore backs the scripts' Keystore module. Nil means scripts have
	// none: every call answers an error.
	Keystore *keystore.Keystore
	// SessionHistory is how many closed sessions Sessions keeps, the
	// newest by connection time. Zero means DefaultSessionHistory.
	SessionHistory int
	// Push delivers to the sockets a push token opened. Nil means push is
	// off: such sockets are served like any other.
	Push PushHandler
	// PushRoute is the built-in push endpoint's route, served without a
	// script; "" for none.
	PushRoute string
	// Pusher backs the Lua Push module (LuaPusher). Nil means its
	// functions answer that push is off.
	Pusher luaapi.Pusher
	// Logs receives a record of every execution that printed or failed
	// (scriptlog.go). Nil keeps no script log.
	Logs *logs.Ring
	// LogExecutions also records the executions that succeed silently.
	LogExecutions bool
	// NoPrintLog keeps scripts' print lines out of Logger: they then go to
	// Logs only. Failures are logged either way.
	NoPrintLog bool
	// BackendDialTimeout bounds dialling a proxy endpoint's backend,
	// handshake included. Zero means DefaultBackendDialTimeout.
	BackendDialTimeout time.Duration
	// MaxRequestTimeout bounds the timeout of Websocket.request, of
	// Websocket.send{wait=true} and of the management API's requests.
	// Zero means luaapi.DefaultMaxRequestTimeout.
	MaxRequestTimeout time.Duration
	// MaxWaitingRequests is how many executions may wait for a reply or a
	// delivery at once: each holds its Lua state meanwhile. Zero means
	// half of LuaStates, at least 1.
	MaxWaitingRequests int
	// Files keeps the sockets' temporary files; a socket's session
	// directory is removed after its close event. Nil means scripts have
	// no files.
	Files SessionFiles
}

// SessionFiles is what the engine needs of the temporary files: what the
// Files module does, and removing a socket's session directory once it
// has closed.
type SessionFiles interface {
	luaapi.Files
	RemoveSession(socketID string)
}

// Defaults of Config.
const (
	DefaultRateLimit       = 5
	DefaultMaxMessageBytes = 1 << 20
	DefaultScriptTimeout   = 2 * time.Second
	DefaultScriptMemory    = 64 << 20
	DefaultSendQueue       = 256
	DefaultSendQueueBytes  = 4 << 20
	DefaultSendTotalBytes  = 512 << 20
	DefaultMaxSendBytes    = 1 << 20
	DefaultPingInterval    = 30 * time.Second
	DefaultPongTimeout     = 10 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultSessionHistory  = 100_000
	// DefaultBackendDialTimeout is Config.BackendDialTimeout's default.
	DefaultBackendDialTimeout = 5 * time.Second
	// DefaultMaxRequestTimeout is Config.MaxRequestTimeout's default.
	DefaultMaxRequestTimeout = luaapi.DefaultMaxRequestTimeout
	// DefaultRequestTimeout is how long a request waits for its reply
	// when it gives no timeout.
	DefaultRequestTimeout = luaapi.DefaultRequestTimeout
	// MaxEventBytes bounds a request's event name.
	MaxEventBytes = luaapi.MaxEventBytes
)

// closeGrace is how long a socket waits for the client to answer a close
// frame before dropping the connection.
const closeGrace = 2 * time.Second

func (c Config) withDefaults() (Config, error) {
	if c.Hub == nil {
		c.Hub = hub.New(hub.Config{})
	}
	if c.RateLimit == 0 && !c.NoRateLimit {
		c.RateLimit = DefaultRateLimit
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.ScriptTimeout == 0 {
		c.ScriptTimeout = DefaultScriptTimeout
	}
	if c.ScriptMemory == 0 {
		c.ScriptMemory = DefaultScriptMemory
	}
	if c.SendQueue == 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.SendQueueBytes == 0 {
		c.SendQueueBytes = DefaultSendQueueBytes
	}
	if c.SendTotalBytes == 0 {
		c.SendTotalBytes = DefaultSendTotalBytes
	}
	if c.MaxSendBytes == 0 {
		c.MaxSendBytes = DefaultMaxSendBytes
	}
	if c.LuaStates == 0 {
		c.LuaStates = max(16, 8*goruntime.GOMAXPROCS(0))
	}
	if c.EndpointStates == 0 {
		c.EndpointStates = max(1, c.LuaStates/4)
	}
	if c.CloseStates == 0 {
		c.CloseStates = max(1, c.LuaStates/8)
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PongTimeout == 0 {
		c.PongTimeout = DefaultPongTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SessionHistory == 0 {
		c.SessionHistory = DefaultSessionHistory
	}
	if c.BackendDialTimeout == 0 {
		c.BackendDialTimeout = DefaultBackendDialTimeout
	}
	if c.MaxRequestTimeout == 0 {
		c.MaxRequestTimeout = DefaultMaxRequestTimeout
	}
	if c.MaxWaitingRequests == 0 {
		c.MaxWaitingRequests = max(1, c.LuaStates/2)
	}
	switch {
	case c.RateLimit < 0:
		return c, fmt.Errorf("rate limit %g: must be positive (NoRateLimit turns it off)", c.RateLimit)
	case c.NoRateLimit && c.RateLimit != 0:
		return c, fmt.Errorf("rate limit %g and NoRateLimit: give one or the other", c.RateLimit)
	case c.MaxMessageBytes < 0:
		return c, fmt.Errorf("max message bytes %d: must be positive", c.MaxMessageBytes)
	case c.ScriptTimeout < 0:
		return c, fmt.Errorf("script timeout %s: must be positive", c.ScriptTimeout)
	case c.ScriptMemory < 0:
		return c, fmt.Errorf("script memory %d: must be positive", c.ScriptMemory)
	case c.SendQueue < 0:
		return c, fmt.Errorf("send queue %d: must be positive", c.SendQueue)
	case c.MaxSendBytes < 0 || c.SendQueueBytes < c.MaxSendBytes || c.SendTotalBytes < c.SendQueueBytes:
		return c, fmt.Errorf("max send bytes %d, send queue bytes %d, send total bytes %d: each must be positive and at most the next",
			c.MaxSendBytes, c.SendQueueBytes, c.SendTotalBytes)
	case c.LuaStates < 0:
		return c, fmt.Errorf("lua states %d: must be positive", c.LuaStates)
	case c.IdleTimeout < 0 || c.MaxConnectionAge < 0:
		return c, fmt.Errorf("idle timeout %s, max connection age %s: must not be negative", c.IdleTimeout, c.MaxConnectionAge)
	case c.EndpointStates < 0 || c.EndpointStates > c.LuaStates:
		return c, fmt.Errorf("endpoint states %d: must be positive and at most lua states (%d)", c.EndpointStates, c.LuaStates)
	case c.SessionHistory < 0:
		return c, fmt.Errorf("session history %d: must be positive", c.SessionHistory)
	case c.BackendDialTimeout < 0 || c.MaxRequestTimeout < 0:
		return c, fmt.Errorf("backend dial timeout %s, max request timeout %s: must be positive", c.BackendDialTimeout, c.MaxRequestTimeout)
	case c.MaxWaitingRequests < 0 || c.MaxWaitingRequests > c.LuaStates:
		return c, fmt.Errorf("max waiting requests %d: must be positive and at most lua states (%d)", c.MaxWaitingRequests, c.LuaStates)
	case c.CloseStates < 0:
		return c, fmt.Errorf("close states %d: must be positive", c.CloseStates)
	case c.PingInterval < 0 || c.PongTimeout < 0 || c.WriteTimeout < 0:
		return c, fmt.Errorf("ping interval %s, pong timeout %s, write timeout %s: must be positive", c.PingInterval, c.PongTimeout, c.WriteTimeout)
	}
	return c, nil
}

package endpoints

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/storage"
)

// Config configures a Server.
type Config struct {
	// Engine runs the sockets. Required.
	Engine *runtime.Engine
	// Store persists the solution. Required.
	Store *storage.Store
	// AdminToken guards the management API. Required: an empty token would
	// leave the API open.
	AdminToken string
	// Logger: nil means slog.Default().
	Logger *slog.Logger
}

// Server routes upgrades to the solution's endpoints and serves the
// management API.
type Server struct {
	cfg      Config
	api      *httprouter.Router
	routes   atomic.Pointer[httprouter.Router]
	upgrader websocket.Upgrader
	closing  atomic.Bool

	deployMu sync.Mutex // serializes changes to the solution
	revision uint64     // guarded by deployMu
}

// New loads the stored solution, starts it on the engine and returns a
// server ready to serve it.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Engine == nil:
		return nil, errors.New("endpoints: Config.Engine is required")
	case cfg.Store == nil:
		return nil, errors.New("endpoints: Config.Store is required")
	case cfg.AdminToken == "":
		return nil, errors.New("endpoints: Config.AdminToken is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: handshakeTimeout,
		// A buffer of gorilla's own rather than net/http's hijacked 4 KiB
		// one: with it, nothing keeps net/http's per-connection buffers
		// alive once the handler returns (see upgrade). Larger messages
		// bypass the buffer, so its size bounds no message.
		ReadBufferSize:  readBufferSize,
		WriteBufferPool: &sync.Pool{},
		// Scripts decide who may talk to them (headers, parameters);
		// browsers on any origin are expected clients of a gateway.
		CheckOrigin: func(*http.Request) bool { return true },
		Error:       s.upgradeError,
	}
	s.api = s.managementRoutes()

	sol, rev, err := cfg.Store.Load()
	if err != nil {
		return nil, fmt.Errorf("load solution: %w", err)
	}
	compiled, err := scripts.Compile(sol)
	if err != nil {
		return nil, fmt.Errorf("stored solution in %s does not compile: %w", cfg.Store.Path(), err)
	}
	s.revision = rev
	s.activate(compiled)
	return s, nil
}

// ServeHTTP dispatches to the management API or the endpoints' routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		s.api.ServeHTTP(w, r)
		return
	}
	s.routes.Load().ServeHTTP(w, r)
}

// StartShutdown makes health answer 503 and refuses new upgrades; the
// caller then shuts the engine down.
func (s *Server) StartShutdown() { s.closing.Store(true) }

// activate makes compiled the running revision and swaps in its routes.
func (s *Server) activate(compiled *scripts.Compiled) {
	s.cfg.Engine.Load(compiled)
	r := httprouter.New()
	// A redirect is no answer to a WebSocket client.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = false
	r.NotFound = http.HandlerFunc(notFound)
	for _, ep := range compiled.Endpoints {
		r.GET(ep.Pattern.Router, s.upgrade(ep.Path))
	}
	s.routes.Store(r)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "NotFoundError", "no endpoint at "+r.URL.Path)
}

// authorized checks the bearer token in constant time.
func (s *Server) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1
}

package endpoints

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/storage"
	"github.com/luagate/luagate/wire"
)

// Config configures a Server.
type Config struct {
	// Engine runs the sockets. Required.
	Engine *runtime.Engine
	// Store persists the solution. Required.
	Store *storage.Store
	// Solutions saves each change to the solution; nil means Store. A
	// cluster's shares it with the other nodes first (see Replace).
	Solutions SolutionSaver
	// Keys keeps the API keys; nil means Store.
	Keys KeyStore
	// Degraded, when set, says why the gateway serves with less than it
	// should ("" while all is well); health then answers 200 "degraded:"
	// and the reason, so that a load balancer keeps the node.
	Degraded func() string
	// AdminToken guards the management API. Required: an empty token would
	// leave the API open.
	AdminToken string
	// Logger: nil means slog.Default().
	Logger *slog.Logger
	// MaxConnections bounds open sockets; zero means no limit.
	MaxConnections int
	// MaxConnectionsPerIP bounds open sockets per client IP; zero means no
	// limit.
	MaxConnectionsPerIP int
	// AllowedOrigins lists the browser origins allowed to connect
	// ("https://app.example.com", or "*"); empty allows every origin.
	AllowedOrigins []string
	// Compression negotiates permessage-deflate with clients that offer it.
	Compression bool
	// MaxScriptBytes bounds each script of a solution, however it is
	// deployed, and, 64 times over, a whole solution. Zero means 1 MiB.
	MaxScriptBytes int64
	// HandshakeTimeout bounds reading a request's headers and completing
	// an upgrade, against clients that send them slowly. Zero means 10s.
	HandshakeTimeout time.Duration
	// Reserved lists path prefixes luagate keeps for pages and endpoints of
	// its own, which no endpoint may claim, besides wire.Prefix, which is
	// always reserved. Nil means DefaultReserved.
	Reserved []string
	// RequestTimeout bounds reading a whole request, body included, and
	// then again answering it. WebSocket sockets are not requests: their
	// time is unbounded once upgraded. Zero means 60s.
	RequestTimeout time.Duration
	// MaxHTTPConnections bounds the connections open at once that are not
	// WebSocket sockets: management requests, idle keep-alive connections
	// and upgrades until they complete. A connection past it is closed as
	// soon as it is accepted. Zero means 1024.
	MaxHTTPConnections int
	// DefaultSecurity is the scheme of endpoints without a --#SECURITY
	// line: none, apikey, jwt or bearer. Empty means none.
	DefaultSecurity string
	// JWT says which tokens the jwt and bearer schemes accept; without
	// keys, every token is refused and an endpoint that needs one is a
	// deploy error.
	JWT auth.JWTConfig
	// TrustedProxies are the networks of proxies whose X-Forwarded-For
	// names the client: the right-most address in it that is not one of
	// them is the client's, for API keys' allowed_cidrs and the per-IP
	// connection limit.
	TrustedProxies []netip.Prefix
}

// DefaultReserved are the paths luagate keeps for its own pages besides the
// management API: the web console and the metrics.
var DefaultReserved = []string{"/console", "/metrics"}

// Defaults of Config.
const (
	DefaultMaxScriptBytes     = 1 << 20
	DefaultHandshakeTimeout   = 10 * time.Second
	DefaultRequestTimeout     = 60 * time.Second
	DefaultMaxHTTPConnections = 1024
)

// Server routes upgrades to the solution's endpoints and serves the
// management API.
type Server struct {
	cfg      Config
	hub      *hub.Hub
	api      *httprouter.Router
	routes   atomic.Pointer[httprouter.Router]
	upgrader websocket.Upgrader
	closing  atomic.Bool
	limits   connLimits
	conns    httpConns
	auth     *auth.Authenticator
	// defaultSecurity is Config.DefaultSecurity, parsed.
	defaultSecurity scripts.Security
	// allowOrigin says whether a request's Origin may connect.
	allowOrigin func(*http.Request) bool

	deployMu sync.Mutex // serializes changes to the solution
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
	case cfg.MaxConnections < 0 || cfg.MaxConnectionsPerIP < 0 || cfg.MaxScriptBytes < 0 || cfg.HandshakeTimeout < 0:
		return nil, fmt.Errorf("endpoints: max connections %d, per IP %d, max script bytes %d and handshake timeout %s must not be negative",
			cfg.MaxConnections, cfg.MaxConnectionsPerIP, cfg.MaxScriptBytes, cfg.HandshakeTimeout)
	case cfg.RequestTimeout < 0 || cfg.MaxHTTPConnections < 0:
		return nil, fmt.Errorf("endpoints: request timeout %s and max HTTP connections %d must not be negative",
			cfg.RequestTimeout, cfg.MaxHTTPConnections)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Solutions == nil {
		cfg.Solutions = cfg.Store
	}
	if cfg.Keys == nil {
		cfg.Keys = cfg.Store
	}
	if cfg.MaxScriptBytes == 0 {
		cfg.MaxScriptBytes = DefaultMaxScriptBytes
	}
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.Reserved == nil {
		cfg.Reserved = DefaultReserved
	}
	cfg.Reserved = append([]string{wire.Prefix}, cfg.Reserved...)
	for _, r := range cfg.Reserved {
		if !strings.HasPrefix(r, "/") || strings.HasSuffix(r, "/") {
			return nil, fmt.Errorf("endpoints: reserved path %q must start with / and not end with one", r)
		}
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxHTTPConnections == 0 {
		cfg.MaxHTTPConnections = DefaultMaxHTTPConnections
	}
	if cfg.DefaultSecurity == "" {
		cfg.DefaultSecurity = scripts.SecurityNone
	}
	defaultSecurity, err := scripts.ParseSecurity(cfg.DefaultSecurity)
	if err != nil || defaultSecurity.Scheme == scripts.SecurityScript {
		return nil, fmt.Errorf("endpoints: default security %q: none, apikey, jwt or bearer", cfg.DefaultSecurity)
	}
	var verifier *auth.JWTVerifier
	if cfg.JWT.Configured() {
		if verifier, err = auth.NewJWTVerifier(cfg.JWT); err != nil {
			return nil, fmt.Errorf("endpoints: %w", err)
		}
	} else if defaultSecurity.Scheme == scripts.SecurityJWT {
		return nil, errors.New("endpoints: default security jwt needs JWT keys: give a key file or a secret file")
	}
	s := &Server{
		auth:            auth.New(auth.Config{Keys: cfg.Keys, JWT: verifier}),
		defaultSecurity: defaultSecurity,
		cfg:             cfg,
		hub:             cfg.Engine.Hub(),
		limits:          connLimits{max: cfg.MaxConnections, perIP: cfg.MaxConnectionsPerIP},
		conns:           httpConns{max: int64(cfg.MaxHTTPConnections)},
		allowOrigin:     originChecker(cfg.AllowedOrigins),
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HandshakeTimeout,
		// A buffer of gorilla's own rather than net/http's hijacked 4 KiB
		// one: with it, nothing keeps net/http's per-connection buffers
		// alive once the handler returns (see upgrade). Larger messages
		// bypass the buffer, so its size bounds no message.
		ReadBufferSize:  readBufferSize,
		WriteBufferPool: &sync.Pool{},
		// The origin is checked before the upgrade (allowOrigin), so that
		// the refusal is a JSON 403 and takes no connection place.
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: cfg.Compression,
		Error:             s.upgradeError,
	}
	s.api = s.managementRoutes()

	sol, _, err := cfg.Store.Load()
	if err != nil {
		return nil, fmt.Errorf("load solution: %w", err)
	}
	compiled, err := s.compile(sol)
	if err != nil {
		return nil, fmt.Errorf("stored solution in %s does not compile: %w", cfg.Store.Path(), err)
	}
	s.activate(compiled)
	return s, nil
}

// isAdmin tells the management API's paths.
func isAdmin(path string) bool { return underPrefix(path, wire.Prefix) }

// underPrefix reports whether path is prefix or below it.
func underPrefix(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix) && path[len(prefix)] == '/'
}

// ServeHTTP serves everything on one listener: the management API under
// wire.Prefix, the solution's endpoints elsewhere.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := isAdmin(r.URL.Path)
	s.refuseBody(w, r, api)
	if api {
		s.api.ServeHTTP(w, r)
		return
	}
	s.routes.Load().ServeHTTP(w, r)
}

// PublicHandler serves the solution's endpoints and the health check, for a
// listener of its own when the management API is served elsewhere
// (AdminHandler); other management paths answer 404 there.
func (s *Server) PublicHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := isAdmin(r.URL.Path)
		s.refuseBody(w, r, api)
		switch {
		case r.URL.Path == wire.HealthPath:
			s.api.ServeHTTP(w, r)
		case isAdmin(r.URL.Path):
			writeError(w, http.StatusNotFound, "NotFoundError", "the management API is not served on this address")
		default:
			s.routes.Load().ServeHTTP(w, r)
		}
	})
}

// AdminHandler serves the management API and its health check only.
func (s *Server) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuseBody(w, r, true)
		s.api.ServeHTTP(w, r)
	})
}

// refuseBody makes net/http close the connection rather than read an
// unwanted body at the client's pace: no endpoint reads a body, and no
// management route reads one without the token.
func (s *Server) refuseBody(w http.ResponseWriter, r *http.Request, api bool) {
	if !api || !s.authorized(r) {
		answerWithoutBody(w, r)
	}
}

// HTTPServer returns an http.Server serving h whose timeouts cut off
// clients that send their request slowly, and which closes connections
// past Config.MaxHTTPConnections. WebSocket connections outlive these
// timeouts and do not count: they are hijacked once upgraded, and
// gorilla/websocket clears the deadlines net/http set on the connection
// when it takes it over.
func (s *Server) HTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.cfg.HandshakeTimeout,
		ReadTimeout:       s.cfg.RequestTimeout,
		// net/http starts this one once the headers are read: the body
		// may take RequestTimeout, and the answer as long again.
		WriteTimeout:   2 * s.cfg.RequestTimeout,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: MaxHeaderBytes,
		ConnState:      s.conns.track,
		ErrorLog:       slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
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
	r.NotFound = http.HandlerFunc(notFound)
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			writeError(w, http.StatusBadRequest, "HandshakeError", "a WebSocket upgrade must be a GET, not "+scripts.Elide(r.Method))
			return
		}
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowedError", scripts.Elide(r.Method)+" is not allowed on a WebSocket endpoint")
	})
	for _, ep := range compiled.Endpoints {
		r.GET(ep.Pattern.Router, s.upgrade(ep.Path))
	}
	s.routes.Store(r)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "NotFoundError", "no endpoint at "+scripts.Elide(r.URL.Path))
}

// authorized reports whether r carries the admin token or an API key in
// force, whatever its scopes.
func (s *Server) authorized(r *http.Request) bool { return s.authorize(r, "") == nil }

// authorize checks r's credential for a management route that needs
// scope: the admin token, compared in constant time, or an API key with
// scope ("" for any). A refusal is an *auth.Refusal.
func (s *Server) authorize(r *http.Request, scope auth.Scope) error {
	secret := auth.ManagementSecret(r.Header)
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.AdminToken)) == 1 {
		return nil
	}
	if !strings.HasPrefix(secret, auth.SecretPrefix) {
		return &auth.Refusal{Status: http.StatusUnauthorized, Type: "UnauthorizedError",
			Message: "missing or wrong admin token: send Authorization: Bearer <token>"}
	}
	_, err := s.auth.Key(secret, scope, &auth.Request{Header: r.Header, RemoteAddr: s.remoteAddr(r)})
	return err
}

// compile compiles sol and refuses an endpoint that claims a reserved path,
// with every problem at once.
func (s *Server) compile(sol scripts.Solution) (*scripts.Compiled, error) {
	var problems scripts.Problems
	for _, ep := range sol.Endpoints {
		for _, r := range s.cfg.Reserved {
			if underPrefix(ep.Path, r) {
				problems = append(problems, scripts.Problem{File: ep.Path,
					Message: fmt.Sprintf("path %s is reserved: luagate serves %s itself", ep.Path, r)})
				break
			}
		}
	}
	compiled, err := scripts.Compile(sol)
	var more scripts.Problems
	switch {
	case errors.As(err, &more):
		problems = append(problems, more...)
	case err != nil:
		return nil, err
	}
	if len(problems) > 0 {
		return nil, problems
	}
	if err := s.cfg.Engine.CheckRoutes(compiled); err != nil {
		return nil, err
	}
	return compiled, nil
}

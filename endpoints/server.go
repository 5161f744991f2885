package endpoints

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	graphql "github.com/graph-gophers/graphql-go"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/console"
	"github.com/luagate/luagate/files"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/metrics"
	"github.com/luagate/luagate/push"
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
	// Metrics counts deploys and serves /metrics and the stats. Nil means
	// metrics of the server's own, whose stats sampler is not started.
	Metrics *metrics.Metrics
	// Push, when set, serves the push API, its GraphQL API and the
	// built-in push endpoint at its path, which no endpoint may claim.
	Push *push.Service
	// Logs is the script log GET /logs serves, to which deploys add their
	// records. Nil means a log of its own, holding only the deploys.
	Logs *logs.Ring
	// ListLogs, when set, answers GET /logs (not its follow) in place of
	// Logs: a cluster's, gathering every node's. It returns the newest
	// limit records (0: all) that pass the filter, newest last.
	ListLogs func(f logs.Filter, limit int) []logs.Record
	// Files, when set, serves its public links under files.LinkPrefix
	// and the sockets' files on the management API.
	Files *files.Store
	// MaxFileBytes bounds a file a PUT of the management API places.
	// Zero means files.DefaultMaxBytesPerSocket.
	MaxFileBytes int64
}

// DefaultReserved are the paths luagate keeps for its own pages besides the
// management API: the web console, the metrics and the files' links.
var DefaultReserved = []string{"/console", "/metrics", files.LinkPrefix}

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
	cfg    Config
	hub    *hub.Hub
	api    *httprouter.Router
	routes atomic.Pointer[httprouter.Router]
	// routesFor is the revision routes was built for, which is not
	// always the engine's: a cluster node may have loaded a revision into
	// the engine before it reaches activate.
	routesFor atomic.Pointer[scripts.Compiled]
	upgrader  websocket.Upgrader
	closing   atomic.Bool
	limits    connLimits
	conns     httpConns
	auth      *auth.Authenticator
	logs      *logs.Ring
	console   http.Handler
	// defaultSecurity is Config.DefaultSecurity, parsed.
	defaultSecurity scripts.Security
	// allowOrigin says whether a request's Origin may connect.
	allowOrigin func(*http.Request) bool

	// pushGraphQL serves the push GraphQL API when Config.Push is set.
	pushGraphQL *graphql.Schema

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
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(cfg.Engine, cfg.Push)
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
	if cfg.Push != nil {
		cfg.Reserved = append(cfg.Reserved, cfg.Push.Path())
	}
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
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = files.DefaultMaxBytesPerSocket
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
		auth:            auth.New(auth.Config{Keys: cfg.Keys, JWT: verifier, Tokens: cfg.Store}),
		defaultSecurity: defaultSecurity,
		cfg:             cfg,
		hub:             cfg.Engine.Hub(),
		limits:          connLimits{max: cfg.MaxConnections, perIP: cfg.MaxConnectionsPerIP},
		conns:           httpConns{max: int64(cfg.MaxHTTPConnections)},
		allowOrigin:     originChecker(cfg.AllowedOrigins),
		console:         console.Handler(),
	}
	if s.logs = cfg.Logs; s.logs == nil {
		s.logs, _ = logs.NewRing(0)
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: cfg.HandshakeTimeout,
		// ReadBufferSize 0: gorilla reads through the hijacked reader,
		// which runtime.LendingWriter makes one whose buffer the engine
		// lends (see upgrade), rather than net/http's 4 KiB one.
		WriteBufferPool: &sync.Pool{},
		// The origin is checked before the upgrade (allowOrigin), so that
		// the refusal is a JSON 403 and takes no connection place.
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: cfg.Compression,
		Error:             s.upgradeError,
	}
	if cfg.Push != nil {
		if s.pushGraphQL, err = newPushGraphQL(cfg.Push); err != nil {
			return nil, err
		}
	}
	s.api = s.managementRoutes()

	sol, rev, err := cfg.Store.Load()
	if err != nil {
		return nil, fmt.Errorf("load solution: %w", err)
	}
	cfg.Metrics.Deploys.Loaded(rev)
	compiled, err := s.compile(sol, true)
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
// wire.Prefix and the metrics, the solution's endpoints elsewhere.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == metrics.Path {
		s.serveMetrics(w, r)
		return
	}
	api := isAdmin(r.URL.Path)
	s.refuseBody(w, r, api)
	switch {
	case api:
		s.api.ServeHTTP(w, r)
	case isConsole(r.URL.Path):
		s.console.ServeHTTP(w, r)
	case s.isLink(r.URL.Path):
		s.serveLink(w, r)
	default:
		s.routes.Load().ServeHTTP(w, r)
	}
}

// isConsole tells the web console's paths. The console is served where
// the management API is, as its pages call the API on their own origin.
func isConsole(path string) bool { return underPrefix(path, strings.TrimSuffix(console.Path, "/")) }

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
		case s.isLink(r.URL.Path):
			s.serveLink(w, r)
		default:
			s.routes.Load().ServeHTTP(w, r)
		}
	})
}

// AdminHandler serves the management API, its health check, the metrics,
// the web console and, under PprofPrefix, the runtime's profiles.
func (s *Server) AdminHandler() http.Handler {
	profiles := s.pprofHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case isPprof(r.URL.Path):
			profiles.ServeHTTP(w, r)
			return
		case r.URL.Path == metrics.Path:
			s.serveMetrics(w, r)
			return
		case isConsole(r.URL.Path):
			s.refuseBody(w, r, false)
			s.console.ServeHTTP(w, r)
			return
		}
		s.refuseBody(w, r, true)
		s.api.ServeHTTP(w, r)
	})
}

// refuseBody makes net/http close the connection rather than read an
// unwanted body at the client's pace: no management route reads one
// without the token. The solution's routes decide for themselves: only an
// HTTP endpoint reads one, once the request is accepted.
func (s *Server) refuseBody(w http.ResponseWriter, r *http.Request, api bool) {
	if api && !s.authorized(r) {
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
// The route table stays when it serves compiled as it is: rebuilding it
// was a fifth of a deploy that changed one script of a thousand.
func (s *Server) activate(compiled *scripts.Compiled) {
	// The table is built before the engine takes the revision, so that
	// the two change together: a client that connects once the engine
	// reports the revision finds its routes.
	var table *httprouter.Router
	if prev := s.routesFor.Load(); s.routes.Load() == nil || !servesAlike(prev, compiled) {
		table = s.routeTable(compiled)
	}
	s.cfg.Engine.Load(compiled)
	if table != nil {
		s.routes.Store(table)
	}
	s.routesFor.Store(compiled)
}

// Serving is the revision the server routes upgrades and requests to.
// activate stores it after the engine has taken the revision, so a
// client that connects once Serving reports a revision finds its routes
// and its scripts both; the engine's own Solution changes first.
func (s *Server) Serving() *scripts.Compiled { return s.routesFor.Load() }

// servesAlike reports whether the route table built for prev serves next:
// the same routes, and handlers that depend on nothing but their path. An
// HTTP endpoint's handler holds its revision's endpoint and limits, and
// the preflight answer holds the CORS policy, so neither may change.
func servesAlike(prev, next *scripts.Compiled) bool {
	return prev != nil && len(prev.HTTP) == 0 && len(next.HTTP) == 0 && next.SameRoutes(prev) &&
		reflect.DeepEqual(prev.CORS, next.CORS)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	answerWithoutBody(w, r)
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
// with every problem at once. When owned, the caller gives sol up to the
// revision (scripts.RecompileOwned).
func (s *Server) compile(sol scripts.Solution, owned bool) (*scripts.Compiled, error) {
	var problems scripts.Problems
	for _, ep := range sol.Endpoints {
		for _, r := range s.cfg.Reserved {
			if underPrefix(ep.Path, r) {
				problems = append(problems, scripts.Problem{File: ep.Key(),
					Message: fmt.Sprintf("path %s is reserved: luagate serves %s itself", ep.Path, r)})
				break
			}
		}
	}
	recompile := scripts.Recompile
	if owned {
		recompile = scripts.RecompileOwned
	}
	compiled, err := recompile(sol, s.cfg.Engine.Solution())
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

package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/files"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/keystore"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/metrics"
	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/storage"
)

// Defaults of Config.
const (
	DefaultAddr            = ":8080"
	DefaultShutdownTimeout = 10 * time.Second
	// WatchInterval is how often a watched project is looked at.
	WatchInterval = 300 * time.Millisecond
	// conflictRetries and conflictWait: how often and after how long a
	// project deploy another node's deploy overtook is tried again.
	conflictRetries = 3
	conflictWait    = 300 * time.Millisecond
	// dbLockTimeout is how long a second server waits for the database
	// before saying another process holds it.
	dbLockTimeout = time.Second
)

// Config configures a Gateway. A zero field means its default.
type Config struct {
	// DataDir holds the database (luagate.db) and the generated admin
	// token. Required.
	DataDir string
	// Addr is the main listener's address: the solution's endpoints, the
	// health check, and the management API unless AdminAddr is set. Empty
	// means DefaultAddr.
	Addr string
	// AdminAddr, when set, serves the management API on a listener of its
	// own; the main listener then answers its paths 404, the health check
	// excepted.
	AdminAddr string
	// MetricsAddr, when set, serves /metrics without a credential on a
	// listener of its own, for a private network; the listener of the
	// management API serves it too, to the admin token or a key with scope
	// read.
	MetricsAddr string
	// AdminToken guards the management API. Empty means the token kept in
	// DataDir, generated on first start.
	AdminToken string
	// TLSCert and TLSKey, both or neither, serve HTTPS and wss:// on every
	// listener.
	TLSCert, TLSKey string
	// Project, when set, is a project directory deployed at start,
	// replacing the stored solution.
	Project string
	// Watch redeploys Project whenever its files change; a save with errors
	// is logged and the last good revision keeps running.
	Watch bool
	// AddrFile, when set, is written with the main listener's address
	// ("127.0.0.1:8080" and a newline) once the gateway serves: a contract
	// for tools that start luagate on port 0.
	AddrFile string
	// ShutdownTimeout bounds Run's shutdown. Zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logger: nil means slog.Default(). It is also the engine's and the
	// server's.
	Logger *slog.Logger
	// Hub configures the set of live sockets, unless Runtime.Hub is given.
	Hub hub.Config
	// Runtime configures the engine; its Logger is Logger.
	Runtime runtime.Config
	// LogBuffer is how many records the script log keeps, unless
	// Runtime.Logs is given. Zero means logs.DefaultSize.
	LogBuffer int
	// Server configures the HTTP surface; its Engine, Store, AdminToken and
	// Logger are filled in.
	Server endpoints.Config
	// Keystore configures the scripts' Keystore, kept in the database
	// unless Runtime.Keystore is given; its Logger is Logger.
	Keystore keystore.Config
	// Push configures push; its stores, sockets and Logger are filled in.
	Push push.Config
	// Files configures the sockets' temporary files, kept under
	// <DataDir>/files; its Dir and Open are filled in.
	Files files.Config
	// Cluster, when it names NATS servers or the embedded one, makes this
	// gateway a node of a cluster; its DataDir and Logger are filled in.
	Cluster cluster.Config
}

// Gateway is an assembled luagate server.
type Gateway struct {
	cfg     Config
	token   string
	store   *storage.Store
	files   *files.Store
	engine  *runtime.Engine
	push    *push.Service
	server  *endpoints.Server
	metrics *metrics.Metrics
	servers []*served
	// metricsServed is the --metrics-addr listener, if any: not among
	// servers, whose first and last are the main and management ones.
	metricsServed *served
	logs          *logs.Ring

	failed   chan error // the first listener that stopped serving on its own
	stopOnce sync.Once
	stopErr  error
	node     *cluster.Node    // set in a cluster
	watcher  *scripts.Watcher // set when the project is watched
	watch    context.CancelFunc
	watched  chan struct{}
	// sweep stops the keystore's sweeper, which closes swept when done.
	sweep context.CancelFunc
	swept chan struct{}
}

// served is one listener and the HTTP server on it.
type served struct {
	ln   net.Listener
	http *http.Server
}

// New builds a gateway and opens its listeners; Start serves them. On an
// error everything opened so far is closed again.
func New(cfg Config) (_ *Gateway, err error) {
	switch {
	case cfg.DataDir == "":
		return nil, errors.New("gateway: Config.DataDir is required")
	case (cfg.TLSCert == "") != (cfg.TLSKey == ""):
		return nil, errors.New("gateway: the TLS certificate and key go together: give both or neither")
	case cfg.Watch && cfg.Project == "":
		return nil, errors.New("gateway: watching needs a project directory")
	case cfg.ShutdownTimeout < 0:
		return nil, fmt.Errorf("gateway: shutdown timeout %s must not be negative", cfg.ShutdownTimeout)
	case cfg.Hub.MaxGroupsPerSocket < 0:
		return nil, fmt.Errorf("gateway: max groups per socket is %d: it must be at least 1 (0 means %d)", cfg.Hub.MaxGroupsPerSocket, hub.DefaultMaxGroupsPerSocket)
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &Gateway{cfg: cfg, failed: make(chan error, 3)}
	defer func() {
		if err != nil {
			g.closeOpened()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	if g.token, err = adminToken(cfg.AdminToken, cfg.DataDir, cfg.Logger); err != nil {
		return nil, err
	}
	if g.store, err = storage.Open(filepath.Join(cfg.DataDir, "luagate.db"), dbLockTimeout); err != nil {
		return nil, err
	}
	rc, sc, hc := cfg.Runtime, cfg.Server, cfg.Hub
	if err := g.joinCluster(&hc, &rc, &sc); err != nil {
		return nil, err
	}
	rc.Logger = cfg.Logger
	if rc.Sessions == nil {
		rc.Sessions = g.store
	}
	if rc.Hub == nil {
		rc.Hub = hub.New(hc)
	}
	if rc.Revoked == nil {
		rc.Revoked = endpoints.KeyRevoked(g.store)
	}
	if rc.Keystore == nil {
		kc := cfg.Keystore
		kc.Logger = cfg.Logger
		if rc.Keystore, err = keystore.New(g.store, kc); err != nil {
			return nil, err
		}
	}
	g.startSweep(rc.Keystore)
	pc := cfg.Push
	pc.Logger = cfg.Logger
	g.pushStores(&pc, rc.Hub)
	if g.push, err = push.New(pc); err != nil {
		return nil, err
	}
	rc.Push, rc.PushRoute, rc.Pusher = g.push, g.push.Path(), runtime.LuaPusher(g.push)
	if rc.Logs == nil {
		if rc.Logs, err = logs.NewRing(cfg.LogBuffer); err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	g.logs = rc.Logs
	fc := cfg.Files
	fc.Dir = filepath.Join(cfg.DataDir, "files")
	fc.Open = rc.Hub.Holds
	if g.files, err = files.Open(fc); err != nil {
		return nil, err
	}
	rc.Files = g.files
	if g.engine, err = runtime.New(rc); err != nil {
		return nil, err
	}
	g.metrics = metrics.New(g.engine, g.push)
	sc.Engine, sc.Store, sc.AdminToken, sc.Logger, sc.Metrics, sc.Push, sc.Logs = g.engine, g.store, g.token, cfg.Logger, g.metrics, g.push, g.logs
	sc.Files, sc.MaxFileBytes = g.files, g.files.MaxBytesPerSocket()
	if g.server, err = endpoints.New(sc); err != nil {
		return nil, err
	}
	if err := g.startCluster(); err != nil {
		return nil, err
	}
	if cfg.Watch {
		// Before the first deploy, so that a change made meanwhile is seen.
		g.watcher = scripts.NewWatcher(cfg.Project)
	}
	if cfg.Project != "" {
		if err := g.DeployProject(); err != nil {
			return nil, fmt.Errorf("project %s not deployed:\n%w", cfg.Project, err)
		}
	}
	var main http.Handler = g.server
	if cfg.AdminAddr != "" {
		main = g.server.PublicHandler()
	}
	if err := g.listen(cfg.Addr, main); err != nil {
		return nil, err
	}
	if cfg.AdminAddr != "" {
		if err := g.listen(cfg.AdminAddr, g.server.AdminHandler()); err != nil {
			return nil, err
		}
	}
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle(metrics.Path, g.metrics.Handler())
		if g.metricsServed, err = g.open(cfg.MetricsAddr, mux); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *Gateway) listen(addr string, h http.Handler) error {
	s, err := g.open(addr, h)
	if err != nil {
		return err
	}
	g.servers = append(g.servers, s)
	return nil
}

func (g *Gateway) open(addr string, h http.Handler) (*served, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return &served{ln: ln, http: g.server.HTTPServer(h)}, nil
}

// all is every listener: the main one, the management API's, the metrics'.
func (g *Gateway) all() []*served {
	if g.metricsServed == nil {
		return g.servers
	}
	return append(g.servers[:len(g.servers):len(g.servers)], g.metricsServed)
}

// closeOpened releases what a failed New opened.
func (g *Gateway) closeOpened() {
	for _, s := range g.all() {
		_ = s.ln.Close()
	}
	if g.engine != nil {
		_ = g.engine.Shutdown(context.Background())
	}
	g.stopSweep()
	if g.push != nil {
		g.push.Close()
	}
	if g.files != nil {
		g.files.Close()
	}
	if g.node != nil {
		g.node.Shutdown()
	}
	if g.store != nil {
		_ = g.store.Close()
	}
}

// Addr is the main listener's address.
func (g *Gateway) Addr() string { return g.servers[0].ln.Addr().String() }

// AdminAddr is the management API's address: the main listener's unless
// Config.AdminAddr gave it one of its own.
func (g *Gateway) AdminAddr() string { return g.servers[len(g.servers)-1].ln.Addr().String() }

// MetricsAddr is the address of the Config.MetricsAddr listener, or ""
// without one.
func (g *Gateway) MetricsAddr() string {
	if g.metricsServed == nil {
		return ""
	}
	return g.metricsServed.ln.Addr().String()
}

// Token is the admin token in force.
func (g *Gateway) Token() string { return g.token }

// Engine runs the gateway's sockets and scripts.
func (g *Gateway) Engine() *runtime.Engine { return g.engine }

// Push is the gateway's push service.
func (g *Gateway) Push() *push.Service { return g.push }

// Server is the gateway's HTTP surface.
func (g *Gateway) Server() *endpoints.Server { return g.server }

// Start serves every listener, writes the address file and starts the
// project watch. It returns at once; Run or Shutdown stops what it starts.
func (g *Gateway) Start() error {
	scheme := "http"
	if g.cfg.TLSCert != "" {
		scheme = "https"
	}
	g.metrics.Start()
	for i, s := range g.all() {
		go func() {
			var err error
			if g.cfg.TLSCert != "" {
				err = s.http.ServeTLS(s.ln, g.cfg.TLSCert, g.cfg.TLSKey)
			} else {
				err = s.http.Serve(s.ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				g.failed <- fmt.Errorf("serve %s: %w", s.ln.Addr(), err)
			}
		}()
		what := "luagate listening"
		switch {
		case s == g.metricsServed:
			what = "metrics listening"
		case i > 0:
			what = "management API listening"
		}
		g.cfg.Logger.Info(what, "addr", s.ln.Addr().String(), "scheme", scheme, "data_dir", g.cfg.DataDir)
	}
	g.logServed()
	if g.watcher != nil {
		g.startWatch()
	}
	if g.cfg.AddrFile != "" {
		if err := writeAddrFile(g.cfg.AddrFile, g.Addr()); err != nil {
			return err
		}
	}
	return nil
}

// maxLoggedEndpoints bounds the endpoints the start log names one by one.
const maxLoggedEndpoints = 20

// logServed says which revision runs and which endpoints it serves, each
// with a URL to try: a path parameter stands for itself (/chat/{room} is
// tried as /chat/room).
func (g *Gateway) logServed() {
	rev := uint64(0)
	if _, r, err := g.store.Load(); err == nil {
		rev = r
	}
	eps := g.engine.Solution().Endpoints
	g.cfg.Logger.Info("solution loaded", "revision", rev, "endpoints", len(eps))
	scheme := "ws"
	if g.cfg.TLSCert != "" {
		scheme = "wss"
	}
	host := tryableHost(g.Addr())
	for i, ep := range eps {
		if i == maxLoggedEndpoints {
			g.cfg.Logger.Info("more endpoints", "count", len(eps)-i)
			break
		}
		url := scheme + "://" + host + strings.NewReplacer("{", "", "}", "").Replace(ep.Path)
		g.cfg.Logger.Info("endpoint", "path", ep.Path, "try", url)
	}
}

// tryableHost is addr as a client on this machine dials it: a listener on
// every address is reached at 127.0.0.1.
func tryableHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// writeAddrFile writes addr to path through a rename, so that a reader
// never sees half of it.
func writeAddrFile(path, addr string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return fmt.Errorf("write address file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write address file: %w", err)
	}
	return nil
}

// Run starts the gateway and serves until ctx ends or a listener fails,
// then shuts down within Config.ShutdownTimeout.
func (g *Gateway) Run(ctx context.Context) error {
	if err := g.Start(); err != nil {
		_ = g.Shutdown(context.Background())
		return err
	}
	var failed error
	select {
	case failed = <-g.failed:
	case <-ctx.Done():
	}
	g.cfg.Logger.Info("shutting down", "timeout", g.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer cancel()
	if err := errors.Join(failed, g.Shutdown(sctx)); err != nil {
		return err
	}
	g.cfg.Logger.Info("stopped")
	return nil
}

// Shutdown stops the gateway in order: the watch stops, so nothing deploys
// meanwhile; health answers 503, upgrades are refused and the stats
// sampler stops; every socket is closed and its close event run, until ctx
// ends; the HTTP servers stop; the store closes. Calling it again returns the first call's result.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.stopOnce.Do(func() {
		if g.watch != nil {
			g.watch()
			<-g.watched
		}
		g.server.StartShutdown()
		g.metrics.Stop()
		errs := []error{g.engine.Shutdown(ctx)}
		if g.node != nil {
			// After the engine: the close events of this node's sockets
			// may still reach sockets elsewhere. Push's deliveries are
			// recorded in the shared buckets, so before it.
			g.push.Close()
			g.node.Shutdown()
		}
		// After the close events have logged, and before the HTTP servers
		// wait for their requests: it ends the script log's followers.
		g.logs.Close()
		for _, s := range g.all() {
			errs = append(errs, s.http.Shutdown(ctx))
		}
		g.stopSweep()
		// After the sockets, so that the deliveries they wrote are
		// recorded; before the store.
		g.push.Close()
		g.files.Close()
		errs = append(errs, g.store.Close())
		g.stopErr = errors.Join(errs...)
	})
	return g.stopErr
}

// DeployProject reads Config.Project and replaces the running solution
// with it, through the same path as PUT /api/v1/solution.
func (g *Gateway) DeployProject() error {
	sol, warnings, err := scripts.ReadProject(g.cfg.Project)
	for _, w := range warnings {
		g.cfg.Logger.Warn("project warning", "file", w.File, "line", w.Line, "why", w.Message)
	}
	if err != nil {
		return err
	}
	err = g.server.Deploy(sol)
	// In a cluster, nodes deploying the same project at once conflict;
	// once the winner's revision is here, the same project is no change.
	for try := 0; errors.Is(err, scripts.ErrRevisionConflict) && try < conflictRetries; try++ {
		time.Sleep(conflictWait)
		err = g.server.Deploy(sol)
	}
	return err
}

// startWatch redeploys the project whenever it changes, until Shutdown.
func (g *Gateway) startWatch() {
	ctx, cancel := context.WithCancel(context.Background())
	g.watch, g.watched = cancel, make(chan struct{})
	go func() {
		defer close(g.watched)
		g.watcher.Run(ctx, WatchInterval, func(changed []string) {
			g.cfg.Logger.Info("project changed; redeploying", "files", strings.Join(changed, ", "))
			if err := g.DeployProject(); err != nil {
				var problems scripts.Problems
				if !errors.As(err, &problems) {
					problems = scripts.Problems{{Message: err.Error()}}
				}
				for _, p := range problems {
					g.cfg.Logger.Error("project not deployed; the last good revision keeps running", "problem", p.String())
				}
			}
		})
	}()
	g.cfg.Logger.Info("watching project", "dir", g.cfg.Project)
}

// startSweep deletes the keystore's expired entries in the background
// until stopSweep, which runs before the store closes.
func (g *Gateway) startSweep(k *keystore.Keystore) {
	ctx, cancel := context.WithCancel(context.Background())
	g.sweep, g.swept = cancel, make(chan struct{})
	go func() {
		defer close(g.swept)
		k.Run(ctx)
	}()
}

func (g *Gateway) stopSweep() {
	if g.sweep != nil {
		g.sweep()
		<-g.swept
	}
}

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
	"sync"
	"time"

	"github.com/luagate/luagate/cluster"
	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/hub"
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
	// Server configures the HTTP surface; its Engine, Store, AdminToken and
	// Logger are filled in.
	Server endpoints.Config
	// Cluster, when it names NATS servers or the embedded one, makes this
	// gateway a node of a cluster; its DataDir and Logger are filled in.
	Cluster cluster.Config
}

// Gateway is an assembled luagate server.
type Gateway struct {
	cfg     Config
	token   string
	store   *storage.Store
	engine  *runtime.Engine
	server  *endpoints.Server
	servers []*served

	failed   chan error // the first listener that stopped serving on its own
	stopOnce sync.Once
	stopErr  error
	node     *cluster.Node    // set in a cluster
	watcher  *scripts.Watcher // set when the project is watched
	watch    context.CancelFunc
	watched  chan struct{}
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
	g := &Gateway{cfg: cfg, failed: make(chan error, 2)}
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
	if g.engine, err = runtime.New(rc); err != nil {
		return nil, err
	}
	sc.Engine, sc.Store, sc.AdminToken, sc.Logger = g.engine, g.store, g.token, cfg.Logger
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
	return g, nil
}

func (g *Gateway) listen(addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	g.servers = append(g.servers, &served{ln: ln, http: g.server.HTTPServer(h)})
	return nil
}

// closeOpened releases what a failed New opened.
func (g *Gateway) closeOpened() {
	for _, s := range g.servers {
		_ = s.ln.Close()
	}
	if g.engine != nil {
		_ = g.engine.Shutdown(context.Background())
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

// Token is the admin token in force.
func (g *Gateway) Token() string { return g.token }

// Engine runs the gateway's sockets and scripts.
func (g *Gateway) Engine() *runtime.Engine { return g.engine }

// Server is the gateway's HTTP surface.
func (g *Gateway) Server() *endpoints.Server { return g.server }

// Start serves every listener, writes the address file and starts the
// project watch. It returns at once; Run or Shutdown stops what it starts.
func (g *Gateway) Start() error {
	scheme := "http"
	if g.cfg.TLSCert != "" {
		scheme = "https"
	}
	for i, s := range g.servers {
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
		if i > 0 {
			what = "management API listening"
		}
		g.cfg.Logger.Info(what, "addr", s.ln.Addr().String(), "scheme", scheme, "data_dir", g.cfg.DataDir)
	}
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
// meanwhile; health answers 503 and upgrades are refused; every socket is
// closed and its close event run, until ctx ends; the HTTP servers stop;
// the store closes. Calling it again returns the first call's result.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.stopOnce.Do(func() {
		if g.watch != nil {
			g.watch()
			<-g.watched
		}
		g.server.StartShutdown()
		errs := []error{g.engine.Shutdown(ctx)}
		if g.node != nil {
			// After the engine: the close events of this node's sockets
			// may still reach sockets elsewhere.
			g.node.Shutdown()
		}
		for _, s := range g.servers {
			errs = append(errs, s.http.Shutdown(ctx))
		}
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
		g.cfg.Logger.Warn("project file ignored", "file", w.File, "why", w.Message)
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
		g.watcher.Run(ctx, WatchInterval, func() {
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

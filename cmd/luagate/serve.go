package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/storage"
)

// serveConfig is everything "luagate serve" is told.
type serveConfig struct {
	addr            string
	dataDir         string
	adminToken      string
	rateLimit       float64
	maxMessageBytes int64
	scriptTimeout   time.Duration
	sendQueue       int
	luaStates       int
	scriptMemory    int64
	shutdownTimeout time.Duration
	maxConns        int
	maxConnsPerIP   int
	allowedOrigins  string
	compression     bool
	maxScriptBytes  int64
	requestTimeout  time.Duration
	maxHTTPConns    int
	tlsCert         string
	tlsKey          string
	project         string
	watch           bool
}

// watchInterval is how often "serve --watch" looks for changed files.
const watchInterval = 300 * time.Millisecond

// dbLockTimeout is how long a second server waits for the database before
// saying another process holds it.
const dbLockTimeout = time.Second

func serve(args []string, stderr io.Writer) error {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFunc(fs, "Usage: luagate serve [flags]\n\nStart the gateway: WebSocket endpoints and the management API on one address.")
	fs.StringVar(&c.addr, "addr", ":8080", "address to listen on")
	fs.StringVar(&c.dataDir, "data-dir", "./luagate-data", "directory of the database file (luagate.db) and the generated admin token")
	fs.StringVar(&c.adminToken, "admin-token", "", "bearer token of the management API; when empty, one is generated and kept in <data-dir>/admin-token")
	fs.Float64Var(&c.rateLimit, "rate-limit", runtime.DefaultRateLimit, "incoming messages per second allowed per socket; 0 turns limiting off")
	fs.Int64Var(&c.maxMessageBytes, "max-message-bytes", runtime.DefaultMaxMessageBytes, "largest incoming message; a larger one closes the socket with 1009")
	fs.DurationVar(&c.scriptTimeout, "script-timeout", runtime.DefaultScriptTimeout, "longest one script execution may run")
	fs.IntVar(&c.sendQueue, "send-queue", runtime.DefaultSendQueue, "outgoing messages buffered per socket; a send to a full queue fails with status 503")
	fs.IntVar(&c.luaStates, "lua-states", 0, "most Lua states kept, and so scripts running at once; 0 means 8 per CPU, at least 16")
	fs.Int64Var(&c.scriptMemory, "script-memory", runtime.DefaultScriptMemory, "bytes the heap may grow while one execution runs before it is stopped")
	fs.IntVar(&c.maxConns, "max-connections", 0, "most open sockets; more are refused with 503; 0 means no limit")
	fs.IntVar(&c.maxConnsPerIP, "max-connections-per-ip", 0, "most open sockets per client IP; more are refused with 503; 0 means no limit")
	fs.StringVar(&c.allowedOrigins, "allowed-origins", "", "comma-separated browser origins allowed to connect (https://app.example.com); others get 403; empty allows all")
	fs.BoolVar(&c.compression, "compression", false, "negotiate permessage-deflate with clients that offer it")
	fs.Int64Var(&c.maxScriptBytes, "max-script-bytes", endpoints.DefaultMaxScriptBytes, "largest script a deploy may hold, however it is sent (a whole solution: 64 times that); a larger body gets 413, a larger script in a solution 400")
	fs.DurationVar(&c.requestTimeout, "request-timeout", endpoints.DefaultRequestTimeout, "longest time to read an HTTP request, body included, and again to answer it; WebSocket sockets are not bounded by it")
	fs.IntVar(&c.maxHTTPConns, "max-http-connections", endpoints.DefaultMaxHTTPConnections, "most connections open at once that are not WebSocket sockets (management requests, idle keep-alives, upgrades under way); more are closed when accepted")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate file (PEM): serve HTTPS and wss:// (needs --tls-key)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key file (PEM) of --tls-cert")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for sockets to close and their close events to run")
	fs.StringVar(&c.project, "project", "", "project directory to deploy at start, replacing the stored solution")
	fs.BoolVar(&c.watch, "watch", false, "with --project: redeploy when a file changes; a save with errors logs them and keeps the last good revision")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	if c.watch && c.project == "" {
		return errors.New("--watch needs --project DIR")
	}
	return runServer(c, stderr)
}

func runServer(c serveConfig, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if err := os.MkdirAll(c.dataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	token, err := adminToken(c, logger)
	if err != nil {
		return err
	}
	store, err := storage.Open(filepath.Join(c.dataDir, "luagate.db"), dbLockTimeout)
	if err != nil {
		return err
	}
	defer store.Close()

	rateLimit := c.rateLimit
	if rateLimit == 0 {
		rateLimit = -1 // runtime reads zero as "default"
	}
	engine, err := runtime.New(runtime.Config{
		RateLimit:       rateLimit,
		MaxMessageBytes: c.maxMessageBytes,
		ScriptTimeout:   c.scriptTimeout,
		SendQueue:       c.sendQueue,
		LuaStates:       c.luaStates,
		ScriptMemory:    c.scriptMemory,
		Logger:          logger,
	})
	if err != nil {
		return err
	}
	srv, err := endpoints.New(endpoints.Config{
		Engine:              engine,
		Store:               store,
		AdminToken:          token,
		Logger:              logger,
		MaxConnections:      c.maxConns,
		MaxConnectionsPerIP: c.maxConnsPerIP,
		AllowedOrigins:      splitList(c.allowedOrigins),
		Compression:         c.compression,
		MaxScriptBytes:      c.maxScriptBytes,
		RequestTimeout:      c.requestTimeout,
		MaxHTTPConnections:  c.maxHTTPConns,
	})
	if err != nil {
		return err
	}
	var watcher *scripts.Watcher
	if c.watch {
		watcher = scripts.NewWatcher(c.project)
	}
	if c.project != "" {
		if err := deployProject(srv, c.project, logger); err != nil {
			return fmt.Errorf("project %s not deployed:\n%w", c.project, err)
		}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	httpSrv := srv.HTTPServer()
	served := make(chan error, 1)
	scheme := "http"
	if c.tlsCert != "" {
		scheme = "https"
		go func() { served <- httpSrv.ServeTLS(ln, c.tlsCert, c.tlsKey) }()
	} else {
		go func() { served <- httpSrv.Serve(ln) }()
	}
	logger.Info("luagate listening", "addr", ln.Addr().String(), "scheme", scheme, "data_dir", c.dataDir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.watch {
		watched := make(chan struct{})
		defer func() {
			stop() // ends the watch when serving fails without a signal
			<-watched
		}()
		go func() {
			defer close(watched)
			watcher.Run(ctx, watchInterval, func() {
				if err := deployProject(srv, c.project, logger); err != nil {
					var problems scripts.Problems
					if !errors.As(err, &problems) {
						problems = scripts.Problems{{Message: err.Error()}}
					}
					for _, p := range problems {
						logger.Error("project not deployed; the last good revision keeps running", "problem", p.String())
					}
				}
			})
		}()
		logger.Info("watching project", "dir", c.project)
	}
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", c.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	srv.StartShutdown()
	engineErr := engine.Shutdown(shutdownCtx)
	httpErr := httpSrv.Shutdown(shutdownCtx)
	if err := errors.Join(engineErr, httpErr); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// splitList reads a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// deployProject reads the project in dir and replaces the running solution
// with it, through the same path as PUT /api/v1/solution.
func deployProject(srv *endpoints.Server, dir string, logger *slog.Logger) error {
	sol, warnings, err := scripts.ReadProject(dir)
	for _, w := range warnings {
		logger.Warn("project file ignored", "file", w.File, "why", w.Message)
	}
	if err != nil {
		return err
	}
	return srv.Deploy(sol)
}

// adminToken returns the configured token, or the one kept in the data dir,
// generating it on first start.
func adminToken(c serveConfig, logger *slog.Logger) (string, error) {
	if c.adminToken != "" {
		return c.adminToken, nil
	}
	path := tokenPath(c.dataDir)
	token, err := readToken(c.dataDir)
	if err == nil && token != "" {
		logger.Info("admin token read from file", "path", path)
		return token, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("generate admin token: %w", err)
	}
	token = hex.EncodeToString(raw[:])
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	logger.Info("admin token generated", "path", path)
	return token, nil
}

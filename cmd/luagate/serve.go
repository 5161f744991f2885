package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/files"
	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/keystore"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/runtime"
)

// devAddr is where serve --project listens unless told: a project being
// developed is for this machine, not the network.
const devAddr = "127.0.0.1:8080"

// listenAddr is the --addr a server listens on: the one given, else
// devAddr for a project and gateway.DefaultAddr otherwise.
func listenAddr(given, project string) string {
	switch {
	case given != "":
		return given
	case project != "":
		return devAddr
	}
	return gateway.DefaultAddr
}

func serve(args []string, stderr io.Writer) error {
	var (
		c              gateway.Config
		rateLimit      float64
		allowedOrigins string
		trustedProxies string
		jwtKeys        listFlag
		jwtExpiryClose bool
		logFormat      string
		logLevel       string
		scriptsToLog   bool
	)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFunc(fs, "Usage: luagate serve [flags]\n\nStart the gateway: WebSocket endpoints and the management API, on one address unless --admin-addr gives the API its own.")
	fs.StringVar(&c.Addr, "addr", "", "address to listen on (default "+gateway.DefaultAddr+", every interface; with --project "+devAddr+", this machine only, as for a development server)")
	fs.StringVar(&c.AdminAddr, "admin-addr", "", "serve the management API on this address instead of --addr (whose /api/v1/solution paths then answer 404, health excepted)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "also serve /metrics on this address, without a credential: for a private network")
	fs.StringVar(&logFormat, "log-format", gateway.LogText, "the server's log: text (key=value) or json (one object a line)")
	fs.StringVar(&logLevel, "log-level", "info", "least severe log records written: debug (also every connect and disconnect), info, warn or error")
	fs.StringVar(&c.DataDir, "data-dir", "./luagate-data", "directory of the database file (luagate.db) and the generated admin token")
	fs.StringVar(&c.AdminToken, "admin-token", "", "bearer token of the management API; when empty, one is generated and kept in <data-dir>/admin-token")
	fs.StringVar(&c.AddrFile, "addr-file", "", "once serving, write the --addr listener's address (host:port and a newline) to this file: for tools that start luagate on port 0")
	fs.Float64Var(&rateLimit, "rate-limit", runtime.DefaultRateLimit, "incoming messages per second allowed per socket; 0 turns limiting off")
	fs.Int64Var(&c.Runtime.MaxMessageBytes, "max-message-bytes", runtime.DefaultMaxMessageBytes, "largest incoming message; a larger one closes the socket with 1009")
	fs.DurationVar(&c.Runtime.IdleTimeout, "idle-timeout", 0, "close a socket with 1001 when no data message has gone either way for this long (an endpoint's --#IDLE wins); 0 means never")
	fs.DurationVar(&c.Runtime.MaxConnectionAge, "max-connection-age", 0, "close a socket with 1001 this long after it connected (an endpoint's --#MAXAGE wins); 0 means never")
	fs.DurationVar(&c.Runtime.ScriptTimeout, "script-timeout", runtime.DefaultScriptTimeout, "longest one script execution may run")
	fs.IntVar(&c.Runtime.SendQueue, "send-queue", runtime.DefaultSendQueue, "outgoing messages buffered per socket; a send to a full queue fails with status 503")
	fs.Int64Var(&c.Runtime.SendQueueBytes, "send-queue-bytes", runtime.DefaultSendQueueBytes, "outgoing bytes buffered per socket; a send past them fails with status 503")
	fs.Int64Var(&c.Runtime.SendTotalBytes, "send-total-bytes", runtime.DefaultSendTotalBytes, "outgoing bytes buffered for all sockets together; a send past them fails with status 503")
	fs.Int64Var(&c.Runtime.MaxSendBytes, "max-send-bytes", runtime.DefaultMaxSendBytes, "largest outgoing message; a larger send fails with status 400")
	fs.IntVar(&c.Runtime.LuaStates, "lua-states", 0, "most Lua states kept, and so scripts running at once; 0 means 8 per CPU, at least 16")
	fs.IntVar(&c.Runtime.EndpointStates, "endpoint-states", 0, "most Lua states one endpoint's scripts hold at once, so that a stuck endpoint leaves the rest to the others; 0 means a quarter of --lua-states, at least 1")
	fs.IntVar(&c.Runtime.CloseStates, "close-states", 0, "Lua states beyond --lua-states that only close events use, so that they run while every other state is stuck; 0 means an eighth of --lua-states, at least 1")
	fs.Int64Var(&c.Runtime.ScriptMemory, "script-memory", runtime.DefaultScriptMemory, "each running execution's share of heap growth; past the shares of all those running, the one that grew it the most is stopped")
	fs.IntVar(&c.Runtime.SessionHistory, "session-history", runtime.DefaultSessionHistory, "closed sessions kept in the database, the newest by connection time (GET /api/v1/solution/sessions)")
	fs.IntVar(&c.Server.MaxConnections, "max-connections", 0, "most open sockets; more are refused with 503; 0 means no limit")
	fs.IntVar(&c.Server.MaxConnectionsPerIP, "max-connections-per-ip", 0, "most open sockets per client IP; more are refused with 503; 0 means no limit")
	fs.StringVar(&allowedOrigins, "allowed-origins", "", "comma-separated browser origins allowed to connect (https://app.example.com); others get 403; empty allows all")
	fs.BoolVar(&c.Server.Compression, "compression", false, "negotiate permessage-deflate with clients that offer it")
	fs.Int64Var(&c.Server.MaxScriptBytes, "max-script-bytes", endpoints.DefaultMaxScriptBytes, "largest script a deploy may hold, however it is sent (a whole solution: 64 times that); a larger body gets 413, a larger script in a solution 400")
	fs.DurationVar(&c.Server.RequestTimeout, "request-timeout", endpoints.DefaultRequestTimeout, "longest time to read an HTTP request, body included, and again to answer it; WebSocket sockets are not bounded by it")
	fs.IntVar(&c.Server.MaxHTTPConnections, "max-http-connections", endpoints.DefaultMaxHTTPConnections, "most connections open at once that are not WebSocket sockets (management requests, idle keep-alives, upgrades under way); more are closed when accepted")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate file (PEM): serve HTTPS and wss:// (needs --tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key file (PEM) of --tls-cert")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", gateway.DefaultShutdownTimeout, "how long shutdown waits for sockets to close and their close events to run")
	fs.StringVar(&c.Server.DefaultSecurity, "default-security", "none", "authentication of endpoints without a --#SECURITY line: none, apikey, jwt or bearer")
	fs.Var(&jwtKeys, "jwt-key", "file of PEM public keys (RSA, ECDSA, Ed25519) or a JWKS file that JWTs are verified with; repeat it, or separate files with commas")
	fs.StringVar(&c.Server.JWT.SecretFile, "jwt-secret-file", "", "file holding the HS256 secret (at least 32 bytes) that JWTs may be signed with")
	fs.DurationVar(&c.Server.JWT.Leeway, "jwt-leeway", auth.DefaultJWTLeeway, "how far a JWT's exp, nbf and iat may be off")
	fs.StringVar(&c.Server.JWT.Issuer, "jwt-issuer", "", "the iss a JWT must have; empty for any")
	fs.StringVar(&c.Server.JWT.Audience, "jwt-audience", "", "an aud a JWT must have; empty for any")
	fs.StringVar(&c.Server.JWT.UserClaim, "jwt-user-claim", "sub", "the JWT claim that is the socket's user_id")
	fs.BoolVar(&jwtExpiryClose, "jwt-expiry-close", true, "close a socket with 1008 (token expired) when its JWT expires")
	fs.StringVar(&trustedProxies, "trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For names the client (the right-most address in it that is not a proxy)")
	fs.IntVar(&c.Hub.MaxGroupsPerSocket, "max-groups-per-socket", hub.DefaultMaxGroupsPerSocket, "most groups one socket may be in (Websocket.join past it fails with status 400)")
	fs.Int64Var(&c.Keystore.MaxKeys, "keystore-max-keys", keystore.DefaultMaxKeys, "most keys the solution's Keystore holds; a write of a new key past it fails with a QuotaExceededError")
	fs.Int64Var(&c.Keystore.MaxValueBytes, "keystore-max-value-bytes", keystore.DefaultMaxValueBytes, "largest value of one Keystore key (a string, or a list's, set's or hash's items); a larger write fails with a QuotaExceededError")
	fs.Int64Var(&c.Keystore.MaxBytes, "keystore-max-bytes", keystore.DefaultMaxBytes, "most bytes of keys and values the Keystore holds together; a write past it fails with a QuotaExceededError")
	fs.DurationVar(&c.Runtime.BackendDialTimeout, "backend-dial-timeout", runtime.DefaultBackendDialTimeout, "longest time to dial a --#BACKEND endpoint's backend, handshake included; past it the client's upgrade fails with 502")
	fs.DurationVar(&c.Runtime.MaxRequestTimeout, "max-request-timeout", runtime.DefaultMaxRequestTimeout, "longest timeout of Websocket.request, Websocket.send{wait=true} and POST /api/v1/solution/sockets/:id/requests")
	fs.IntVar(&c.Runtime.MaxWaitingRequests, "max-waiting-requests", 0, "most executions waiting for a client's reply or a delivery at once (each holds its Lua state); 0 means half of --lua-states")
	fs.Int64Var(&c.Files.MaxBytesPerSocket, "files-max-bytes-per-socket", files.DefaultMaxBytesPerSocket, "most bytes of one socket's temporary files (its session directory and its links) together; more are refused with 413")
	fs.Int64Var(&c.Files.MaxBytes, "files-max-bytes", files.DefaultMaxBytes, "most bytes of all temporary files together; more are refused with 413")
	fs.StringVar(&c.Project, "project", "", "project directory to deploy at start, replacing the stored solution")
	fs.IntVar(&c.LogBuffer, "log-buffer", logs.DefaultSize, "records the script log keeps in memory (GET /api/v1/solution/logs, luagate logs)")
	fs.BoolVar(&c.Runtime.LogExecutions, "log-executions", false, "also add to the script log the executions that succeed without printing")
	fs.BoolVar(&scriptsToLog, "log-scripts-to-stderr", true, "write scripts' print lines to the server log too, not only to the script log")
	fs.BoolVar(&c.Watch, "watch", false, "with --project: redeploy when a file changes; a save with errors logs them and keeps the last good revision")
	pushFlags(fs, &c.Push)
	clusterFlags(fs, &c.Cluster)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c.Addr = listenAddr(c.Addr, c.Project)
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	if c.Watch && c.Project == "" {
		return errors.New("--watch needs --project DIR")
	}
	if rateLimit == 0 {
		c.Runtime.NoRateLimit = true
	}
	c.Runtime.RateLimit = rateLimit
	c.Server.AllowedOrigins = splitList(allowedOrigins)
	c.Server.JWT.KeyFiles = jwtKeys
	c.Server.JWT.KeepOnExpiry = !jwtExpiryClose
	if c.Server.JWT.Leeway == 0 {
		c.Server.JWT.Leeway = -1 // the flag's 0 means none; the config's zero means the default
	}
	for _, cidr := range splitList(trustedProxies) {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return fmt.Errorf("--trusted-proxies: %w", err)
		}
		c.Server.TrustedProxies = append(c.Server.TrustedProxies, p)
	}
	logger, err := gateway.NewLogger(stderr, logFormat, logLevel)
	if err != nil {
		return err
	}
	c.Logger = logger
	c.Runtime.NoPrintLog = !scriptsToLog

	g, err := gateway.New(c)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return g.Run(ctx)
}

// listFlag is a flag that may be given more than once, each time with one
// or more comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, splitList(v)...)
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

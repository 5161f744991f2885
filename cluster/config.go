package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/luagate/luagate/hub"
)

// Defaults of Config.
const (
	DefaultName    = "luagate"
	DefaultTimeout = 2 * time.Second
	// DefaultMaxPosted and DefaultMaxPostedBytes bound the posted sends
	// to one node that it has not answered yet.
	DefaultMaxPosted      = 4096
	DefaultMaxPostedBytes = 16 << 20
	// NodeTimeout is how long a node may go unheard before it is gone.
	NodeTimeout = 3 * time.Second
	// heartbeat is how often a node announces itself.
	heartbeat = 500 * time.Millisecond
	// nodeIDFile keeps a generated node id in the data dir.
	nodeIDFile = "node-id"
)

// Config configures a Node. A zero field means its default.
type Config struct {
	// URLs are the NATS servers to join, comma separated
	// ("nats://h1:4222,nats://h2:4222"). Empty with Embedded means the
	// embedded server.
	URLs string
	// Name namespaces the subjects and buckets, so that several solutions
	// can share one NATS. Empty means DefaultName.
	Name string
	// NodeID names this node in socket ids. Empty means the one kept in
	// DataDir, generated on first start.
	NodeID string
	// DataDir keeps the node id and the embedded server's JetStream data.
	// Required.
	DataDir string
	// Timeout bounds a request to another node. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxPosted bounds the posted sends (Post: a Websocket.send whose
	// result the script does not use) to one node that are queued or on
	// their way and not yet answered. A Post past it waits for room,
	// which the next answer or request timeout makes. Zero means
	// DefaultMaxPosted.
	MaxPosted int
	// MaxPostedBytes bounds those sends' message bytes the same way; one
	// send larger than it still goes when none other is outstanding.
	// Zero means DefaultMaxPostedBytes.
	MaxPostedBytes int
	// Embedded runs a NATS server with JetStream in this process.
	Embedded bool
	// Listen is the embedded server's client address; empty means
	// 127.0.0.1:4222.
	Listen string
	// ClusterListen is the embedded server's route address, empty for
	// none: without it the embedded server is on its own.
	ClusterListen string
	// Routes are the other embedded servers' route URLs
	// (nats://h2:6222), comma separated.
	Routes string
	// Logger: nil means slog.Default().
	Logger *slog.Logger
}

// Enabled reports whether cfg asks for a cluster at all.
func (c Config) Enabled() bool { return c.URLs != "" || c.Embedded }

// replicas is how many servers keep each bucket when the embedded servers
// make up NATS (one each, up to three), 0 when NATS is external.
func (c Config) replicas() int {
	if !c.Embedded || c.URLs != "" {
		return 0
	}
	n := 1
	for _, r := range strings.Split(c.Routes, ",") {
		if strings.TrimSpace(r) != "" {
			n++
		}
	}
	return min(n, 3)
}

// withDefaults checks c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.DataDir == "":
		return c, errors.New("cluster: Config.DataDir is required")
	case c.Timeout < 0:
		return c, fmt.Errorf("cluster: timeout %s must not be negative", c.Timeout)
	case c.MaxPosted < 0 || c.MaxPostedBytes < 0:
		return c, fmt.Errorf("cluster: MaxPosted %d and MaxPostedBytes %d must not be negative", c.MaxPosted, c.MaxPostedBytes)
	case !c.Embedded && (c.Listen != "" || c.ClusterListen != "" || c.Routes != ""):
		return c, errors.New("cluster: --nats-listen, --nats-cluster-listen and --nats-routes need --nats-embedded")
	case c.Routes != "" && c.ClusterListen == "":
		return c, errors.New("cluster: --nats-routes needs --nats-cluster-listen, the address the other servers route to")
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if err := hub.CheckNode(c.Name); err != nil {
		return c, fmt.Errorf("cluster: cluster name: %w", err)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxPosted == 0 {
		c.MaxPosted = DefaultMaxPosted
	}
	if c.MaxPostedBytes == 0 {
		c.MaxPostedBytes = DefaultMaxPostedBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Embedded && c.Listen == "" {
		c.Listen = "127.0.0.1:4222"
	}
	id, err := nodeID(c.NodeID, c.DataDir)
	if err != nil {
		return c, err
	}
	c.NodeID = id
	return c, nil
}

// nodeID returns given, checked, or the id kept in dir, generating and
// keeping one the first time.
func nodeID(given, dir string) (string, error) {
	if given != "" {
		if err := hub.CheckNode(given); err != nil {
			return "", fmt.Errorf("cluster: %w", err)
		}
		return given, nil
	}
	path := filepath.Join(dir, nodeIDFile)
	b, err := os.ReadFile(path)
	if err == nil {
		id := strings.TrimSpace(string(b))
		if err := hub.CheckNode(id); err != nil {
			return "", fmt.Errorf("cluster: %s: %w", path, err)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("cluster: read node id: %w", err)
	}
	id := "n" + hub.NewID()[:12]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cluster: keep node id: %w", err)
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("cluster: keep node id: %w", err)
	}
	return id, nil
}

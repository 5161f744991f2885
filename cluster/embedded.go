package cluster

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// embeddedReady bounds how long an embedded server may take to accept
// clients.
const embeddedReady = 10 * time.Second

// Embedded describes a NATS server with JetStream to run in this process.
type Embedded struct {
	// Name is the server's name, unique in its NATS cluster.
	Name string
	// Cluster names the NATS cluster its routes join.
	Cluster string
	// Listen is the client address (host:port; port 0 picks one).
	Listen string
	// ClusterListen is the route address, empty for none.
	ClusterListen string
	// Routes are the other servers' route URLs, comma separated.
	Routes string
	// StoreDir keeps JetStream's data.
	StoreDir string
}

// StartEmbedded starts the server e describes and waits until it accepts
// clients. Shutdown stops it.
func StartEmbedded(e Embedded) (*server.Server, error) {
	host, port, err := splitAddr(e.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster: NATS listen address: %w", err)
	}
	opts := &server.Options{
		ServerName: e.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   e.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		// JetStream's default limits take a share of the whole machine's
		// memory and disk; a gateway's buckets are small.
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
	}
	if e.ClusterListen != "" {
		ch, cp, err := splitAddr(e.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster: NATS cluster listen address: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: e.Cluster, Host: ch, Port: cp}
		opts.Routes = server.RoutesFromStr(e.Routes)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(embeddedReady) {
		ns.Shutdown()
		return nil, fmt.Errorf("cluster: embedded NATS did not start within %s", embeddedReady)
	}
	return ns, nil
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return host, port, nil
}

// storeDir is where an embedded server keeps JetStream's data in dataDir.
func storeDir(dataDir string) string { return filepath.Join(dataDir, "nats") }

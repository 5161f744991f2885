package cluster

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/luagate/luagate/hub"
)

// subjects names a cluster's NATS subjects and buckets, all under its
// name.
type subjects struct {
	name      string
	heartbeat string
	bye       string
}

func newSubjects(name string) subjects {
	return subjects{name: name, heartbeat: name + ".hb", bye: name + ".bye"}
}

// node is the subject of requests to the sockets of node.
func (s subjects) node(node string) string { return s.name + ".n." + node }

// key is the subject of t's traffic, and token its name in the interest
// bucket: a user id or group name may hold any byte, so both use a hash of
// it, and the message carries the key itself for the receiver to match.
func (s subjects) key(token string) string { return s.name + ".k." + token }

// bucket names one of the cluster's key-value buckets.
func (s subjects) bucket(what string) string { return s.name + "-" + what }

// tokenOf is t's interest token: a letter for its kind, then a hash of
// its key.
func tokenOf(t hub.Target) string {
	h := sha256.Sum256([]byte(t.Key))
	kind := "x"
	switch t.By {
	case hub.ByUser:
		kind = "u"
	case hub.BySessionName:
		kind = "s"
	case hub.ByGroup:
		kind = "g"
	case hub.ByRoute:
		kind = "r"
	}
	return kind + "." + hex.EncodeToString(h[:12])
}

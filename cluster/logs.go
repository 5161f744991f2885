package cluster

import (
	"slices"

	"github.com/luagate/luagate/logs"
)

// opLogs asks a node for the newest records of its script log.
const opLogs = 'G'

// logsRequest is what opLogs carries.
type logsRequest struct {
	Filter logs.Filter `json:"filter"`
	Limit  int         `json:"limit"`
}

// ServeLogs makes ring the script log this node answers other nodes'
// listings from. Records stay on the node whose scripts wrote them.
func (n *Node) ServeLogs(ring *logs.Ring) {
	n.logMu.Lock()
	n.logRing = ring
	n.logMu.Unlock()
}

// Logs returns the newest limit records (0: all) that pass f from this
// node's script log and every live peer's, newest last: what
// endpoints.Config.ListLogs needs. A peer that does not answer is logged
// and left out.
func (n *Node) Logs(f logs.Filter, limit int) []logs.Record {
	out, _ := n.localLogs(f, limit)
	n.fromPeers("logs", encodeJSON(opLogs, logsRequest{Filter: f, Limit: limit}), func(a answer) {
		var part []logs.Record
		if n.logged("logs", a, &part) {
			out = append(out, part...)
		}
	})
	slices.SortStableFunc(out, func(x, y logs.Record) int { return x.Time.Compare(y.Time) })
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// performLogs answers another node's opLogs.
func (n *Node) performLogs(data []byte) (any, error) {
	var r logsRequest
	if err := jsonInto(data, &r); err != nil {
		return nil, err
	}
	return n.localLogs(r.Filter, r.Limit)
}

// localLogs lists this node's own script log.
func (n *Node) localLogs(f logs.Filter, limit int) ([]logs.Record, error) {
	n.logMu.Lock()
	ring := n.logRing
	n.logMu.Unlock()
	if ring == nil {
		return []logs.Record{}, nil
	}
	return ring.Last(f, limit), nil
}

package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/luagate/luagate/hub"
)

// opSendBatch carries several sends to one node in one request: what
// scripts send to a node while an earlier request to it is on its way.
// A lone send still goes at once; under load, sends share the round trip.
const opSendBatch = 'b'

// Bounds of one batch and of the batches in flight to one node.
const (
	maxBatch       = 256
	maxBatchBytes  = 1 << 20
	maxInFlight    = 1
	batchItemFixed = 1 + 1 + 4 // binary flag, id length, message length
)

// pendingSend is one send waiting in a batch for its node's answer.
type pendingSend struct {
	id     string
	msg    []byte
	binary bool
	done   chan error
}

// batcher gathers the sends to one node. Sends are taken in the order
// they came, and a node answers one connection's requests in order, so a
// sender's messages to a socket keep their order.
type batcher struct {
	mu       sync.Mutex
	queue    []*pendingSend
	inFlight int
}

// batcherOf returns the batcher of node.
func (n *Node) batcherOf(node string) *batcher {
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	b := n.batchers[node]
	if b == nil {
		b = &batcher{}
		n.batchers[node] = b
	}
	return b
}

// sendBatched queues a send to node and waits for its answer. The caller
// takes the queue to the node itself when fewer than maxInFlight requests
// to it are on their way; it then hands what came meanwhile to a
// goroutine of its own, which ends once the queue is empty.
func (n *Node) sendBatched(node, id string, msg []byte, binary bool) error {
	b := n.batcherOf(node)
	p := &pendingSend{id: id, msg: msg, binary: binary, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, p)
	lead := b.inFlight < maxInFlight
	if lead {
		b.inFlight++
	}
	b.mu.Unlock()
	if lead {
		n.flush(node, b)
		b.mu.Lock()
		more := len(b.queue) > 0
		if !more {
			b.inFlight--
		}
		b.mu.Unlock()
		if more {
			go n.drain(node, b)
		}
	}
	return <-p.done
}

// drain flushes b until its queue is empty.
func (n *Node) drain(node string, b *batcher) {
	for {
		n.flush(node, b)
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.inFlight--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
}

// flush takes a batch from b's queue, sends it and answers each send.
func (n *Node) flush(node string, b *batcher) {
	b.mu.Lock()
	size, count := 0, 0
	for count < len(b.queue) && count < maxBatch && (count == 0 || size+len(b.queue[count].msg) <= maxBatchBytes) {
		size += len(b.queue[count].msg)
		count++
	}
	batch := b.queue[:count:count]
	b.queue = b.queue[count:]
	b.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	var data []byte
	if len(batch) == 1 {
		data = encodeSend(batch[0].id, batch[0].msg, batch[0].binary)
	} else {
		data = encodeBatch(batch)
	}
	answers, err := n.request(node, data)
	for i, p := range batch {
		switch {
		case err != nil:
			p.done <- err
		case len(batch) == 1:
			p.done <- decodeReply(answers).err
		default:
			p.done <- batchItemError(answers, i)
		}
	}
}

func encodeBatch(batch []*pendingSend) []byte {
	b := []byte{opSendBatch}
	for _, p := range batch {
		flag := byte(0)
		if p.binary {
			flag = 1
		}
		b = append(b, flag, byte(len(p.id)))
		b = append(b, p.id...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(p.msg)))
		b = append(b, p.msg...)
	}
	return b
}

// performBatch sends each message of a batch here and answers one code
// per send.
func (n *Node) performBatch(data []byte) ([]byte, error) {
	var codes []byte
	for len(data) > 0 {
		if len(data) < batchItemFixed || len(data) < 2+int(data[1])+4 {
			return nil, errBadRequest
		}
		binaryMsg, idLen := data[0] == 1, int(data[1])
		id := string(data[2 : 2+idLen])
		size := int(binary.BigEndian.Uint32(data[2+idLen:]))
		rest := data[2+idLen+4:]
		if len(rest) < size {
			return nil, errBadRequest
		}
		codes = append(codes, codeOf(n.hub.Send(id, rest[:size], binaryMsg)))
		data = rest[size:]
	}
	return codes, nil
}

// batchItemError is the error of send i in a batch's reply.
func batchItemError(reply []byte, i int) error {
	a := decodeReply(reply)
	if a.err != nil {
		return a.err
	}
	if i >= len(a.body) {
		return fmt.Errorf("%w: node %s answered %d of the batch's sends", hub.ErrClusterUnavailable, a.node, len(a.body))
	}
	if c := a.body[i]; c != codeOK {
		if err := codeErrors[c]; err != nil {
			return err
		}
		return errors.New("send failed on node " + a.node)
	}
	return nil
}

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

// Bounds of one batch and of the batches in flight to one node. One batch
// at a time is what keeps the sends to a node in order, and what lets
// settle take the answered sends for the first ones queued.
const (
	maxBatch       = 256
	maxBatchBytes  = 1 << 20
	maxInFlight    = 1
	batchItemFixed = 1 + 1 + 4 // binary flag, id length, message length
)

// pendingSend is one send queued to a node: a waited one, whose sender
// reads done, or a posted one (done nil), whose failure the node counts.
type pendingSend struct {
	id     string
	msg    []byte
	binary bool
	done   chan error
}

// batcher gathers the sends to one node. Sends are taken in the order
// they came and one batch is on its way at a time, and a node answers one
// connection's requests in order, so a sender's messages to a socket keep
// their order, posted or waited.
type batcher struct {
	mu       sync.Mutex
	queue    []*pendingSend
	inFlight int
	// posted and postedBytes count the posted sends queued or on their
	// way, and their messages' bytes: what Config.MaxPosted and
	// MaxPostedBytes bound.
	posted, postedBytes int
	// queued counts the sends ever queued and answered those answered:
	// as batches go one at a time in queue order, the first answered
	// sends queued are the ones answered.
	queued, answered uint64
	// progress is closed, and replaced, whenever sends are answered.
	progress chan struct{}
}

// batcherOf returns the batcher of node.
func (n *Node) batcherOf(node string) *batcher {
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	b := n.batchers[node]
	if b == nil {
		b = &batcher{progress: make(chan struct{})}
		n.batchers[node] = b
	}
	return b
}

// push queues p and reports whether the caller is to take the queue to
// the node: when fewer than maxInFlight batches to it are on their way.
// b.mu must be held.
func (b *batcher) push(p *pendingSend) (lead bool) {
	b.queue = append(b.queue, p)
	b.queued++
	lead = b.inFlight < maxInFlight
	if lead {
		b.inFlight++
	}
	return lead
}

// more reports whether sends are queued, giving up the caller's place on
// the way to the node if none is.
func (b *batcher) more() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		b.inFlight--
		return false
	}
	return true
}

// sendBatched queues a send to node and waits for its answer. The caller
// takes the queue to the node itself when fewer than maxInFlight requests
// to it are on their way; it then hands what came meanwhile to a
// goroutine of the node's, which ends once the queue is empty.
func (n *Node) sendBatched(node, id string, msg []byte, binary bool) error {
	b := n.batcherOf(node)
	p := &pendingSend{id: id, msg: msg, binary: binary, done: make(chan error, 1)}
	b.mu.Lock()
	lead := b.push(p)
	b.mu.Unlock()
	if lead {
		n.flush(node, b)
		if b.more() {
			n.drainLater(node, b)
		}
	}
	return <-p.done
}

// drainLater flushes b until its queue is empty, in a goroutine of the
// node's; once the node has stopped, in the caller, where each flush
// fails at once.
func (n *Node) drainLater(node string, b *batcher) {
	n.closeMu.Lock()
	if n.closed {
		n.closeMu.Unlock()
		n.drain(node, b)
		return
	}
	n.wg.Add(1)
	n.closeMu.Unlock()
	go func() {
		defer n.wg.Done()
		n.drain(node, b)
	}()
}

// drain flushes b until its queue is empty.
func (n *Node) drain(node string, b *batcher) {
	for {
		n.flush(node, b)
		if !b.more() {
			return
		}
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
	var answers []byte
	var err error
	switch {
	case n.ctx.Err() != nil:
		err = errStopping
	case !n.members.live(node):
		err = hub.ErrUnknownSocket
	case len(batch) == 1:
		answers, err = n.request(node, encodeSend(batch[0].id, batch[0].msg, batch[0].binary))
	default:
		answers, err = n.request(node, encodeBatch(batch))
	}
	for i, p := range batch {
		e := err
		switch {
		case e != nil:
		case len(batch) == 1:
			e = decodeReply(answers).err
		default:
			e = batchItemError(answers, i)
		}
		if p.done != nil {
			p.done <- e
		} else if e != nil {
			n.posts.failed(node, e)
		}
	}
	b.answer(batch)
}

// answer counts batch answered and wakes whoever waits for that.
func (b *batcher) answer(batch []*pendingSend) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range batch {
		if p.done == nil {
			b.posted--
			b.postedBytes -= len(p.msg)
		}
	}
	b.answered += uint64(len(batch))
	close(b.progress)
	b.progress = make(chan struct{})
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

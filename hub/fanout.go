package hub

import "sync"

// Fanout is one message on its way to many sockets: a send to a user, a
// session name, a group or a route. A socket that implements FanoutSocket
// queues it as a frame it shares with the others, built once by the first
// of them (Frame), and when its writer is idle it leaves waking the writer
// to the Fanout, which starts them once the last socket is queued, rather
// than one by one while the send walks the room. A copy of the frame per
// recipient was what a send to a room cost beyond the writes themselves.
type Fanout struct {
	Data   []byte
	Binary bool

	frameOnce sync.Once
	frame     any
	idle      []Writer
}

// Writer is a socket whose writer role a Fanout holds for it.
type Writer interface {
	// StartWriter starts the socket's writer, on a goroutine of its own,
	// to write what the socket has queued; it does not wait for it.
	StartWriter()
}

// FanoutSocket is a Socket that can take a Fanout's message.
type FanoutSocket interface {
	// SendFanout queues f's message as Send would. Where Send would start
	// the socket's writer, SendFanout takes the writer role for f and
	// adds the socket to f's idle writers (Idle) instead.
	SendFanout(f *Fanout) error
}

// Frame returns what build makes of f's message, built by the first
// caller and shared with the others.
func (f *Fanout) Frame(build func() any) any {
	f.frameOnce.Do(func() { f.frame = build() })
	return f.frame
}

// Idle adds w to the writers f wakes. Only the goroutine that sends f calls
// it, while it sends.
func (f *Fanout) Idle(w Writer) { f.idle = append(f.idle, w) }

// wake starts each idle writer, each on a goroutine of its own. Writing
// several sockets on one goroutine would need fewer, but a write to a
// client that has stopped reading blocks until its write timeout, and
// would hold up every socket after it: one slow client must not delay a
// room. Each writer's socket owns its goroutine's time: the socket counts
// it among its writers, which its end waits for.
func (f *Fanout) wake() {
	for _, w := range f.idle {
		w.StartWriter()
	}
	f.idle = nil
}

package hub

import "sync"

// Fanout is one message on its way to many sockets: a send to a user, a
// session name, a group or a route. A socket that implements FanoutSocket
// queues it as a frame it shares with the others, built once by the first
// of them (Frame), and when its writer is idle it leaves waking the writer
// to the Fanout, which wakes those of all the sockets that need one
// together once the last is queued. A copy of the frame per recipient and a
// goroutine started for each idle one were what a send to a room cost
// beyond the writes themselves.
type Fanout struct {
	Data   []byte
	Binary bool

	frameOnce sync.Once
	frame     any
	idle      []Writer
}

// Writer is a socket whose writer role a Fanout holds for it.
type Writer interface {
	// WriteQueued writes what the socket has queued as its writer, then
	// gives up the role or hands it on to a goroutine of the socket's own.
	WriteQueued()
}

// FanoutSocket is a Socket that can take a Fanout's message.
type FanoutSocket interface {
	// SendFanout queues f's message as Send would. Where Send would start
	// the socket's writer, SendFanout takes the writer role for f and
	// adds the socket to f's idle writers (Idle) instead.
	SendFanout(f *Fanout) error
}

// fanoutBatch is how many idle sockets one goroutine writes to in turn.
// A write to a socket whose client has stopped reading can block until
// its write timeout, holding up the sockets after it in its batch; with
// batches of 64, a send to 1,000 starts 16 goroutines instead of 1,000.
const fanoutBatch = 64

// Frame returns what build makes of f's message, built by the first
// caller and shared with the others.
func (f *Fanout) Frame(build func() any) any {
	f.frameOnce.Do(func() { f.frame = build() })
	return f.frame
}

// Idle adds w to the writers f wakes. Only the goroutine that sends f calls
// it, while it sends.
func (f *Fanout) Idle(w Writer) { f.idle = append(f.idle, w) }

// wake runs the idle writers, fanoutBatch to a goroutine. Each writer's
// socket owns its goroutine's time: the socket counts it among its
// writers, which its end waits for.
func (f *Fanout) wake() {
	for len(f.idle) > 0 {
		part := f.idle[:min(fanoutBatch, len(f.idle))]
		f.idle = f.idle[len(part):]
		go func() {
			for _, w := range part {
				w.WriteQueued()
			}
		}()
	}
}

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// FanoutScript is luagate's side of a fan-out: every socket joins one
// group when it opens, and every message a socket sends goes to the whole
// group, the sender included, as the raw broadcast hub does.
const FanoutScript = `--#ENDPOINT WEBSOCKET /room
if websocketInfo.type == "open" then
  Websocket.join({socket_id = websocketInfo.socket_id, group = "room"})
elseif websocketInfo.type == "data" then
  Websocket.send({group = "room", message = websocketInfo.message})
end
`

// FanoutConfig is one fan-out load: Conns sockets in one room, the first
// Senders of them sending, each its next message when its last one has
// come back to it through the room (a closed loop per sender).
type FanoutConfig struct {
	URL      string
	Conns    int
	Senders  int
	Size     int
	Duration time.Duration
}

// FanoutResult is what a fan-out load measured.
type FanoutResult struct {
	// Sent counts the messages the senders sent in the window, Delivered
	// the frames all sockets read in it, and Reached the deliveries of the
	// messages sent in it, whenever they arrived (until a drain after
	// the window).
	Sent, Delivered, Reached uint64
	Elapsed                  time.Duration
	// Lost counts the sockets whose connection ended during the load.
	Lost int
	// CPU is the server process's CPU time over the window, when its
	// process id was given.
	CPU time.Duration
}

// PerSec is deliveries per second.
func (r *FanoutResult) PerSec() float64 { return float64(r.Delivered) / r.Elapsed.Seconds() }

// Complete is the share of the sent messages' deliveries that arrived:
// 1 when every message reached every socket.
func (r *FanoutResult) Complete(conns int) float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.Reached) / float64(r.Sent*uint64(conns))
}

// The marks a sender puts after its number: whether it sent the message
// in the window.
const (
	inWindow  = 'w'
	outWindow = '-'
)

// fanoutSettle is how long a fan-out waits after connecting, for every
// socket to have joined the room before the first message.
const fanoutSettle = 500 * time.Millisecond

// fanoutDrain is how long a fan-out goes on reading after its window, for
// the messages sent in the window to arrive.
const fanoutDrain = 2 * time.Second

// LoadFanout runs cfg against a server and, when pid is not 0, reads that
// process's CPU time around the window.
func LoadFanout(ctx context.Context, cfg FanoutConfig, pid int) (*FanoutResult, error) {
	if cfg.Conns < 1 || cfg.Senders < 1 || cfg.Senders > cfg.Conns {
		return nil, fmt.Errorf("fan-out: %d senders among %d sockets: need 1 to all of them", cfg.Senders, cfg.Conns)
	}
	if err := checkLoopback(cfg.URL); err != nil {
		return nil, err
	}
	conns := make([]*websocket.Conn, 0, cfg.Conns)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range cfg.Conns {
		c, _, err := websocket.DefaultDialer.DialContext(ctx, cfg.URL, nil)
		if err != nil {
			return nil, fmt.Errorf("fan-out: connect socket %d: %w", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	time.Sleep(fanoutSettle)
	var (
		counting  atomic.Bool
		delivered atomic.Uint64
		reached   atomic.Uint64
		sent      atomic.Uint64
		lost      atomic.Int64
		wg        sync.WaitGroup
	)
	stop := make(chan struct{})
	// A sender's own messages start with its number and a space, then
	// inWindow or outWindow; the padding brings them to cfg.Size.
	pad := strings.Repeat("x", max(cfg.Size-8, 0))
	for i, c := range conns {
		var back chan struct{}
		var own []byte
		if i < cfg.Senders {
			back, own = make(chan struct{}, 1), []byte(strconv.Itoa(i)+" ")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, cfg.Size+16)
			for {
				_, r, err := c.NextReader()
				if err != nil {
					select {
					case <-stop:
					default:
						lost.Add(1)
					}
					return
				}
				b := bytes.NewBuffer(buf[:0])
				if _, err := io.Copy(b, r); err != nil {
					continue
				}
				if counting.Load() {
					delivered.Add(1)
				}
				if m := b.Bytes(); bytes.IndexByte(m, inWindow) == bytes.IndexByte(m, ' ')+1 {
					reached.Add(1)
				}
				if back != nil && bytes.HasPrefix(b.Bytes(), own) {
					select {
					case back <- struct{}{}:
					default:
					}
				}
			}
		}()
		if back == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := append(append(append([]byte(nil), own...), outWindow), pad...)
			for {
				select {
				case <-stop:
					return
				default:
				}
				in := counting.Load()
				msg[len(own)] = outWindow
				if in {
					msg[len(own)] = inWindow
				}
				if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
					return
				}
				if in {
					sent.Add(1)
				}
				select {
				case <-back:
				case <-stop:
					return
				case <-time.After(5 * time.Second): // a message lost: go on
				}
			}
		}()
	}
	cpu0, _ := CPUTime(pid)
	counting.Store(true)
	start := time.Now()
	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
	}
	counting.Store(false)
	res := &FanoutResult{Elapsed: time.Since(start)}
	cpu1, _ := CPUTime(pid)
	close(stop)
	// The senders stop; what they sent in the window arrives meanwhile.
	time.Sleep(fanoutDrain)
	res.Sent, res.Delivered, res.Reached, res.CPU = sent.Load(), delivered.Load(), reached.Load(), cpu1-cpu0
	for _, c := range conns {
		_ = c.Close()
	}
	conns = nil
	wg.Wait()
	res.Lost = int(lost.Load())
	return res, ctx.Err()
}

// clockTick is the unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on
// Linux on every architecture Go supports there.
const clockTick = 10 * time.Millisecond

// CPUTime returns the user and system CPU time process pid has used, from
// /proc/<pid>/stat; 0 for pid 0.
func CPUTime(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	// The command name, in parentheses, may hold spaces; the fields
	// after it are numbered from 3.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("process %d: /proc/%d/stat has %d fields", pid, pid, len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("process %d: CPU times %q %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

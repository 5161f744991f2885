package runtime

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// idleSweep is how often the poller looks for sockets whose reader has
// waited for a frame through parkSweeps of its looks, to park them, and
// for parked sockets whose read deadline has passed.
const idleSweep = 500 * time.Millisecond

// parkSweeps is how many sweeps a reader's wait must last before the
// socket parks: 2-2.5 s without a frame. A socket that gets a message
// every second or so stays on its goroutine: parking it after each would
// cost a wake, a goroutine and its stack's growth per message, and at
// 10,000 sockets sending once a second that took the p90 round trip from
// 1 ms to 16 ms when sockets parked after 0.5-1 s.
const parkSweeps = 4

// pollEvents is how many readiness events one look at the epoll set takes.
const pollEvents = 128

// poller waits for parked sockets to become readable, so that an idle
// socket holds no goroutine. Its epoll set is itself watched by the Go
// runtime's netpoller: the poller's goroutine sleeps there like any reader,
// and no thread blocks in epoll_wait. Each parked socket is armed once
// (EPOLLONESHOT) and handed back to a goroutine of its own when it becomes
// readable. The poller is started by the first socket that can park and
// stopped by Engine.Shutdown.
type poller struct {
	mu      sync.RWMutex // guards the fields below; held shared while the set is changed
	started bool
	closed  bool
	fd      int      // the epoll set
	file    *os.File // fd, in the netpoller
	socks   map[uint64]*parking
	next    uint64
	stop    chan struct{}
	done    sync.WaitGroup
}

// add makes pk's socket one of those that may park, and gives it its key;
// it reports false once the poller is closed, or when epoll is
// unavailable.
func (p *poller) add(pk *parking) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if !p.started {
		if err := p.startLocked(); err != nil {
			p.closed = true
			pk.s.e.cfg.Logger.Warn("sockets keep a goroutine each while idle", "error", err)
			return false
		}
	}
	p.next++
	pk.id = p.next
	p.socks[pk.id] = pk
	return true
}

func (p *poller) startLocked() error {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return fmt.Errorf("epoll: %w", err)
	}
	file := os.NewFile(uintptr(fd), "epoll")
	raw, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return fmt.Errorf("epoll: %w", err)
	}
	p.fd, p.file, p.started = fd, file, true
	p.socks = make(map[uint64]*parking)
	p.stop = make(chan struct{})
	p.done.Add(2)
	go p.wait(raw)
	go p.sweep()
	return nil
}

// forget removes the socket of key id, which has ended.
func (p *poller) forget(id uint64) {
	p.mu.Lock()
	delete(p.socks, id)
	p.mu.Unlock()
}

// arm asks for one wake of the socket of key id once raw, its connection,
// is readable or closed by the peer, and reports whether it could.
func (p *poller) arm(id uint64, raw syscall.RawConn, added bool) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	var err error
	// Within Control the connection cannot be closed, nor its descriptor
	// number reused.
	cerr := raw.Control(func(fd uintptr) {
		op := unix.EPOLL_CTL_ADD
		if added {
			op = unix.EPOLL_CTL_MOD
		}
		err = unix.EpollCtl(p.fd, op, int(fd), &ev)
	})
	return cerr == nil && err == nil
}

// wait hands each socket the epoll set reports back to a goroutine, until
// the poller closes.
func (p *poller) wait(raw syscall.RawConn) {
	defer p.done.Done()
	events := make([]unix.EpollEvent, pollEvents)
	var ready []*parking
	// The function returns false to wait until the set is readable again;
	// Read returns only once the file is closed.
	_ = raw.Read(func(fd uintptr) bool {
		for {
			n, err := unix.EpollWait(int(fd), events, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				return false
			}
			p.mu.RLock()
			for _, ev := range events[:n] {
				if pk := p.socks[uint64(uint32(ev.Fd))|uint64(uint32(ev.Pad))<<32]; pk != nil {
					ready = append(ready, pk)
				}
			}
			p.mu.RUnlock()
			// Outside p.mu: waking takes the socket's lock, which is held
			// while arming.
			ready = each(ready, (*parking).wake)
			if n < len(events) {
				return false
			}
		}
	})
}

// sweep parks the sockets idle since its last look, every idleSweep.
func (p *poller) sweep() {
	defer p.done.Done()
	tick := time.NewTicker(idleSweep)
	defer tick.Stop()
	var socks []*parking
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.RLock()
		for _, pk := range p.socks {
			socks = append(socks, pk)
		}
		p.mu.RUnlock()
		now := time.Now()
		socks = each(socks, func(pk *parking) { pk.sweep(now) })
	}
}

// each calls f for each of pks, and returns pks emptied for reuse.
func each(pks []*parking, f func(*parking)) []*parking {
	for _, pk := range pks {
		f(pk)
	}
	clear(pks)
	return pks[:0]
}

// close stops the poller. Sockets parked then are woken by what ends them
// (Drop), as no socket parks once it is closed.
func (p *poller) close() {
	p.mu.Lock()
	started := p.started && !p.closed
	p.closed = true
	p.mu.Unlock()
	if !started {
		return
	}
	close(p.stop)
	_ = p.file.Close()
	p.done.Wait()
}

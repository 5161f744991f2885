package runtime

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// connClosed reports whether the peer of c has closed its side, or the
// connection has failed or been closed here, without reading from it: the
// kernel knows of a peer's close (POLLRDHUP) while data the peer sent
// before it is still unread.
func connClosed(c net.Conn) bool {
	if t, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		n, err := unix.Poll(fds, 0)
		closed = err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
	})
	return closed || err != nil
}

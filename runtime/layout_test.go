package runtime

import (
	"testing"
	"unsafe"
)

// TestSocketMessagePathFitsFourLines keeps the order socket's comment
// describes: the fields a message touches, the last of them the flags
// under mu, in the first four 64-byte lines, and the socket in the
// 320-byte size class, whose objects start on a line. A field added
// among them that pushes the flags past the fourth line costs each
// message on a socket that is not busy another cache miss.
func TestSocketMessagePathFitsFourLines(t *testing.T) {
	var s socket
	if end := unsafe.Offsetof(s.timersStopped) + unsafe.Sizeof(s.timersStopped); end > 4*64 {
		t.Errorf("the message path's fields end at byte %d, past the fourth line", end)
	}
	if n := unsafe.Sizeof(s); n > 320 {
		t.Errorf("socket is %d bytes, past the 320-byte size class", n)
	}
}

//go:build !linux

package runtime

import (
	"time"

	"github.com/luagate/luagate/hub"
)

// poller would wait for idle sockets without a goroutine each; elsewhere
// than on Linux every socket keeps its reader goroutine.
type poller struct{}

func (*poller) close() {}

// parking would be the state of a socket that waits without a goroutine.
type parking struct{}

func (*Engine) parkingFor(*socket) *parking { return nil }

func (*parking) setReadDeadline(time.Time) error { return nil }

func (s *socket) read() (hub.CloseReason, bool) { return s.readLoop(), true }

func (*socket) dropped() {}

func (*socket) released() {}

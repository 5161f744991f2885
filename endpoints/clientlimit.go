package endpoints

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/scripts"
)

// maxRateClients bounds the client addresses one HTTP endpoint's rate limit
// remembers. Past it, the addresses whose bucket has refilled are
// forgotten (they are as good as new); if that is not enough, all are, so
// that a flood of addresses costs a burst each, not memory without end.
const maxRateClients = 1 << 16

// clientLimits is an HTTP endpoint's --#RATELIMIT: a token bucket per
// client, as the endpoint's policy sets it. A client is its credential on
// an endpoint that authenticates, as the platform limits per secret, and
// its address elsewhere.
type clientLimits struct {
	rl    scripts.RateLimit
	limit rate.Limit
	burst int

	mu      sync.Mutex
	clients map[client]*rate.Limiter
	// sweepAt is the number of clients at which the next sweep runs: twice
	// as many as the last one kept, so that sweeping costs O(1) a request.
	sweepAt int
}

// newClientLimits returns the limiter of rl, or nil for no limit.
func newClientLimits(rl *scripts.RateLimit) *clientLimits {
	if rl == nil || rl.Off {
		return nil
	}
	burst := rl.Burst
	if burst == 0 {
		burst = rl.Requests
	}
	return &clientLimits{
		rl:      *rl,
		limit:   rate.Limit(float64(rl.Requests) / rl.Window.Seconds()),
		burst:   burst,
		clients: map[client]*rate.Limiter{},
		sweepAt: 1024,
	}
}

// client is whom a bucket counts: a credential (an API key's id, or the
// user a token or script check proved), or else an address.
type client struct {
	addr       netip.Addr
	credential string
}

// clientOf is the client of a request from addr that authenticated as
// conn (nil or empty for none).
func clientOf(addr netip.Addr, conn *hub.Conn) client {
	switch {
	case conn == nil:
	case conn.Auth != nil && conn.Auth.KeyID != "":
		return client{credential: "key " + conn.Auth.KeyID}
	case conn.UserID != "":
		return client{credential: "user " + conn.UserID}
	}
	return client{addr: addr}
}

// allow takes a token of who's bucket.
func (c *clientLimits) allow(who client, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.clients[who]
	if l == nil {
		if len(c.clients) >= c.sweepAt {
			c.sweepLocked(now)
		}
		l = rate.NewLimiter(c.limit, c.burst)
		c.clients[who] = l
	}
	return l.AllowN(now, 1)
}

// sweepLocked forgets the clients whose bucket is full again. c.mu must be
// held.
func (c *clientLimits) sweepLocked(now time.Time) {
	for who, l := range c.clients {
		if l.TokensAt(now) >= float64(c.burst) {
			delete(c.clients, who)
		}
	}
	if len(c.clients) >= maxRateClients {
		// A new map: clearing one keeps its buckets' memory.
		c.clients = map[client]*rate.Limiter{}
	}
	c.sweepAt = min(maxRateClients, max(1024, 2*len(c.clients)))
}

package endpoints

import (
	"net/http"
	"sync"

	"github.com/luagate/luagate/auth"
)

// connLimits counts open sockets, in all and per client IP. It is touched
// on connect and disconnect only, never per message.
type connLimits struct {
	max, perIP int // zero means unlimited

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

// acquire reserves a place for a socket from ip, or says which limit is
// full.
func (l *connLimits) acquire(ip string) (ok bool, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return false, "the server is at its connection limit"
	}
	if l.perIP > 0 && l.byIP[ip] >= l.perIP {
		return false, "too many connections from " + ip
	}
	l.total++
	if l.byIP == nil {
		l.byIP = map[string]int{}
	}
	l.byIP[ip]++
	return true, ""
}

func (l *connLimits) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

// originChecker allows the listed origins ("https://app.example.com"), or
// any origin when the list is empty. A request without an Origin header
// (not from a browser) is always allowed: the check exists to stop other
// web pages from opening sockets with a visitor's browser.
func originChecker(allowed []string) func(*http.Request) bool {
	if len(allowed) == 0 {
		return func(*http.Request) bool { return true }
	}
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		set[auth.NormalizeOrigin(o)] = true
	}
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		return origin == "" || set["*"] || set[auth.NormalizeOrigin(origin)]
	}
}

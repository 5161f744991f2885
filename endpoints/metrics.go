package endpoints

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gorilla/websocket"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/runtime"
)

// serveMetrics answers the Prometheus scrape of the listener that serves
// the management API: it needs the admin token or a key with scope read,
// as the API's reading routes do. --metrics-addr serves the same without
// a credential (gateway).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.refuseBody(w, r, true)
	if err := s.authorize(r, auth.ScopeRead); err != nil {
		s.refuseAuth(w, r.URL.Path, err)
		return
	}
	s.cfg.Metrics.Handler().ServeHTTP(w, r)
}

func (s *Server) getStats(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	writeJSON(w, http.StatusOK, s.cfg.Metrics.Stats())
}

// countUpgrades counts each upgrade request to route by how h answered it.
// A plain GET, which h answers 426, is no upgrade and is not counted.
func (s *Server) countUpgrades(route string, h httprouter.Handle) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if !websocket.IsWebSocketUpgrade(r) {
			h(w, r, ps)
			return
		}
		rec := &upgradeRecorder{ResponseWriter: w}
		h(rec, r, ps)
		s.cfg.Engine.CountUpgrade(route, upgradeResult(rec.status))
	}
}

// upgradeResult names the outcome of an upgrade answered with status.
func upgradeResult(status int) runtime.UpgradeResult {
	switch {
	case status == http.StatusSwitchingProtocols:
		return runtime.UpgradeOK
	case status == http.StatusUnauthorized:
		return runtime.UpgradeUnauthorized
	case status == http.StatusForbidden:
		return runtime.UpgradeForbidden
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		return runtime.UpgradeLimited
	case status >= 400 && status < 500:
		return runtime.UpgradeBadRequest
	}
	return runtime.UpgradeError
}

// upgradeRecorder notes the status an upgrade handler answers with; a
// hijacked connection is the upgrade's 101.
type upgradeRecorder struct {
	http.ResponseWriter
	status int
}

func (u *upgradeRecorder) WriteHeader(status int) {
	if u.status == 0 {
		u.status = status
	}
	u.ResponseWriter.WriteHeader(status)
}

func (u *upgradeRecorder) Write(b []byte) (int, error) {
	if u.status == 0 {
		u.status = http.StatusOK
	}
	return u.ResponseWriter.Write(b)
}

// Hijack implements http.Hijacker, which gorilla/websocket's upgrade needs.
func (u *upgradeRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(u.ResponseWriter).Hijack()
	if err == nil && u.status == 0 {
		u.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (u *upgradeRecorder) Unwrap() http.ResponseWriter { return u.ResponseWriter }

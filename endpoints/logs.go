package endpoints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// Defaults of GET /logs.
const (
	// defaultLogLimit is how many records a listing, or a follow's
	// backlog, holds unless ?limit= says.
	defaultLogLimit = 100
	// logHeartbeat is how often a follow with nothing to send writes a
	// comment, so that proxies keep it open and a gone client is noticed.
	logHeartbeat = 15 * time.Second
)

// logQuery reads GET /logs' query: the filter, the limit and whether to
// follow.
func logQuery(q url.Values, ringSize int) (f logs.Filter, limit int, follow bool, err error) {
	f = logs.Filter{Route: q.Get("route"), SocketID: q.Get("socket_id"), UserID: q.Get("user_id"), Status: q.Get("status")}
	if f.Status != "" && f.Status != logs.StatusOK && f.Status != logs.StatusError {
		return f, 0, false, badRequest(fmt.Errorf("status=%s: ok or error", scripts.Elide(f.Status)))
	}
	if v := q.Get("since"); v != "" {
		if f.Since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return f, 0, false, badRequest(fmt.Errorf("since=%s: an RFC 3339 time (2026-01-02T15:04:05Z)", scripts.Elide(v)))
		}
	}
	limit = defaultLogLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 || limit > ringSize {
			return f, 0, false, badRequest(fmt.Errorf("limit=%s: a number from 0 to %d, the records the log keeps", scripts.Elide(v), ringSize))
		}
	}
	switch v := q.Get("follow"); v {
	case "", "0", "false":
	case "1", "true":
		follow = true
	default:
		return f, 0, false, badRequest(fmt.Errorf("follow=%s: 1 or 0", scripts.Elide(v)))
	}
	return f, limit, follow, nil
}

func (s *Server) getLogs(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	f, limit, follow, err := logQuery(r.URL.Query(), s.logs.Size())
	if err != nil {
		writeErr(w, err)
		return
	}
	if follow {
		s.followLogs(w, r, f, limit)
		return
	}
	var recs []logs.Record
	if s.cfg.ListLogs != nil {
		recs = s.cfg.ListLogs(f, limit)
	} else {
		recs = s.logs.Last(f, limit)
	}
	if recs == nil {
		recs = []logs.Record{}
	}
	writeJSON(w, http.StatusOK, wire.Logs{Records: recs})
}

// followLogs streams the newest limit records that pass f, then each new
// one, as Server-Sent Events whose data is a wire.LogRecord or a
// wire.LogsDropped, until the client leaves or the log closes.
func (s *Server) followLogs(w http.ResponseWriter, r *http.Request, f logs.Filter, limit int) {
	rc := http.NewResponseController(w)
	// The stream outlives the timeouts that cut off slow requests; a gone
	// client is noticed at the next write, within a heartbeat.
	if err := errors.Join(rc.SetReadDeadline(time.Time{}), rc.SetWriteDeadline(time.Time{})); err != nil {
		writeErr(w, fmt.Errorf("follow the script log: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	backlog, fl := s.logs.Follow(f, limit)
	defer fl.Stop()
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		return true
	}
	for i := range backlog {
		if !send(&backlog[i]) {
			return
		}
	}
	for {
		if rc.Flush() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), logHeartbeat)
		recs, dropped, err := fl.Next(ctx)
		cancel()
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return
			}
			continue
		case err != nil:
			return
		}
		if dropped > 0 && !send(wire.LogsDropped{Dropped: dropped}) {
			return
		}
		for i := range recs {
			if !send(&recs[i]) {
				return
			}
		}
	}
}

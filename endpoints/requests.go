package endpoints

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/wire"
)

// postRequest sends a request to a socket's client and answers its reply,
// as Websocket.request does for scripts: 200 with the content, 504 when no
// reply came in time, 404 for a socket that is not open or closed first,
// 502 when the client answered with an error.
func (s *Server) postRequest(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
	b, err := readBody(w, r, s.cfg.MaxScriptBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var body wire.RequestBody
	if err := decodeJSON(b, &body); err != nil {
		writeErr(w, err)
		return
	}
	timeout := runtime.DefaultRequestTimeout
	limit := s.cfg.Engine.MaxRequestTimeout()
	if body.Timeout != nil {
		timeout = time.Duration(*body.Timeout * float64(time.Second))
		if *body.Timeout <= 0 || timeout > limit {
			writeErr(w, badRequest(fmt.Errorf("timeout must be more than 0 and at most %g seconds, got %g", limit.Seconds(), *body.Timeout)))
			return
		}
	}
	if body.Event == "" || len(body.Event) > runtime.MaxEventBytes {
		writeErr(w, badRequest(fmt.Errorf(`"event" must be a string of 1 to %d bytes`, runtime.MaxEventBytes)))
		return
	}
	content := []byte(body.Content)
	if len(content) == 0 {
		content = []byte("null")
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	reply, err := s.hub.Request(ctx, ps.ByName("id"), body.Event, content)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return // the caller has gone
		}
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Reply{Content: reply})
}

package endpoints_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

func TestMetricsCountProxyRelaysPerRouteAndDirection(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	b := lgtesting.EchoBackend(t)
	g.Deploy("/raw/{room}", "--#ENDPOINT WEBSOCKET /raw/{room}\n--#BACKEND "+b.URL+"/echo/{room}\n")
	g.Deploy("/p/{room}", proxyEndpoint(b, `if websocketInfo.type ~= "data" then return end
if websocketInfo.message == "boom" then error("boom") end
if websocketInfo.direction == "upstream" and websocketInfo.message == "drop" then return false end
`))
	g.Deploy("/echo", "return websocketInfo.message")

	// Without code: a closed socket's relay and an open one's, folded.
	closed := g.Dial("/raw/a")
	for range 3 {
		closed.Send("hello")
		closed.Expect("hello")
	}
	closeNormally(t, closed)
	open := g.Dial("/raw/b")
	open.Send("hi")
	open.Expect("hi")
	// With a filter: each execution is an event of the route's.
	f := g.Dial("/p/x")
	f.Send("drop")
	f.Send("boom")
	f.Send("abc")
	f.Expect("abc") // after the two before it, which the reader filtered first
	e := g.Dial("/echo")
	e.Send("x")
	e.Expect("x")

	var m map[string]*dto.MetricFamily
	// The reader counts a frame upstream once its write to the backend
	// returns, which the backend's echo of it, counted downstream and
	// read by the client, may beat.
	lgtesting.Eventually(t, "the closed proxy socket and the last upstream frames to be counted", func() bool {
		m = scrape(t, g.URL("/metrics"), lgtesting.Token)
		return value(m, "luagate_closes_total", "route", "/raw/{room}", "code", "1000") == 1 &&
			value(m, "luagate_backend_frames_total", "route", "/raw/{room}", "direction", "upstream") == 4 &&
			value(m, "luagate_backend_frames_total", "route", "/p/{room}", "direction", "upstream") == 1
	})
	up, down := []string{"direction", "upstream"}, []string{"direction", "downstream"}
	route := func(r string, labels []string) []string { return append([]string{"route", r}, labels...) }
	checkSeries(t, m, []want{
		{"luagate_backend_frames_total", route("/raw/{room}", up), 4},
		{"luagate_backend_frames_total", route("/raw/{room}", down), 4},
		{"luagate_backend_bytes_total", route("/raw/{room}", up), 17},
		{"luagate_backend_bytes_total", route("/raw/{room}", down), 17},
		{"luagate_messages_in_total", route("/raw/{room}", nil), 4},
		{"luagate_messages_out_total", route("/raw/{room}", nil), 4},
		// A relay without code enters no Lua.
		{"luagate_events_total", route("/raw/{room}", []string{"type", "data", "result", "ok"}), 0},
		{"luagate_backend_frames_total", route("/p/{room}", up), 1},
		{"luagate_backend_frames_total", route("/p/{room}", down), 1},
		{"luagate_backend_bytes_total", route("/p/{room}", up), 3},
		{"luagate_backend_bytes_total", route("/p/{room}", down), 3},
		// drop and abc upstream, abc downstream; boom failed.
		{"luagate_events_total", route("/p/{room}", []string{"type", "data", "result", "ok"}), 3},
		{"luagate_events_total", route("/p/{room}", []string{"type", "data", "result", "error"}), 1},
		{"luagate_script_duration_seconds", route("/p/{room}", []string{"type", "data"}), 4},
		{"luagate_events_total", route("/p/{room}", []string{"type", "open", "result", "ok"}), 1},
		// A route without a backend has no relay series.
		{"luagate_backend_frames_total", route("/echo", up), -1},
	})
}

func TestMetricsCountPushByStatus(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	ann, bob := register(t, g, "ann", ""), register(t, g, "bob", "")
	a := lgtesting.Dial(t, ann.ConnectionURI)
	g.SocketIDs(1)

	// bob is offline: one kept, one that expires soon, one that expires
	// at once for want of an expiry, one cancelled.
	kept := pushTo(t, g, []string{"bob"}, "kept", inAnHour())[0].Item
	soon := time.Now().Add(200 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	swept := pushTo(t, g, []string{"bob"}, "swept", `,"expires_at":"`+soon+`"`)[0].Item
	if st := pushTo(t, g, []string{"bob"}, "nobody", "")[0].Item.Status; st != "EXPIRED" {
		t.Fatalf("push without expiry to an offline recipient: %s", st)
	}
	cancelled := pushTo(t, g, []string{"bob"}, "cancelled", inAnHour())[0].Item
	if status, body := g.API(http.MethodDelete, wire.Prefix+wire.PathPushMessages+"/"+cancelled.ID, ""); status != http.StatusOK {
		t.Fatalf("cancel: %d %s", status, body)
	}
	// ann is connected: delivered at once.
	pushTo(t, g, []string{"ann"}, "hi", "")
	if f := readFrame(t, a); f.Message != "hi" {
		t.Fatalf("ann got %+v", f)
	}
	waitStatus(t, g, swept.ID, "EXPIRED")

	var m map[string]*dto.MetricFamily
	expect := func(what string, pending, delivered float64) {
		t.Helper()
		lgtesting.Eventually(t, what, func() bool {
			m = scrape(t, g.URL("/metrics"), lgtesting.Token)
			// The sweep counts what it expired after its commit, which is
			// when waitStatus sees the status.
			return value(m, "luagate_push_messages_total", "status", "DELIVERED") == delivered &&
				value(m, "luagate_push_messages_total", "status", "EXPIRED") == 2 &&
				value(m, "luagate_push_pending") == pending
		})
		checkSeries(t, m, []want{
			{"luagate_push_messages_total", []string{"status", "PENDING"}, 4},
			{"luagate_push_messages_total", []string{"status", "CANCELLED"}, 1},
			{"luagate_push_messages_total", []string{"status", "EXPIRED"}, 2},
		})
	}
	expect("ann's delivery to be counted", 1, 1)

	b := lgtesting.Dial(t, bob.ConnectionURI)
	if f := readFrame(t, b); f.ID != kept.ID {
		t.Fatalf("bob got %+v, want the kept message", f)
	}
	expect("bob's delivery on connect to be counted", 0, 2)
	if got := m["luagate_push_pending"].GetHelp(); !strings.Contains(got, "PENDING") {
		t.Errorf("push_pending's help %q", got)
	}
}

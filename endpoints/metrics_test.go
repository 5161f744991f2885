package endpoints_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// scrape reads url's metrics with the Prometheus text parser.
func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := lgtesting.Request(t, token, http.MethodGet, url, "")
	if status != http.StatusOK {
		t.Fatalf("scrape %s: %d %s", url, status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the scrape of %s: %v", url, err)
	}
	return families
}

// value is the value of family's series with exactly labels (name=value
// pairs), or -1 when there is none.
func value(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := families[family]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels)/2 {
			continue
		}
		for i := 0; i < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// want is one series' expected value.
type want struct {
	family string
	labels []string
	value  float64
}

func checkSeries(t *testing.T, m map[string]*dto.MetricFamily, wants []want) {
	t.Helper()
	for _, w := range wants {
		if got := value(m, w.family, w.labels...); got != w.value {
			t.Errorf("%s%v = %g, want %g", w.family, w.labels, got, w.value)
		}
	}
}

// closeNormally sends a close frame with 1000 and waits for the server's.
func closeNormally(t *testing.T, c *lgtesting.Client) {
	t.Helper()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := c.Conn.WriteMessage(websocket.CloseMessage, msg); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.ExpectClose(); code != websocket.CloseNormalClosure {
		t.Fatalf("close code %d, want 1000", code)
	}
}

func TestMetricsCountAKnownWorkloadPerRoute(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/echo/{room}", `if websocketInfo.type == "data" then return websocketInfo.message end`)
	g.Deploy("/fail", `if websocketInfo.type == "data" then
  if websocketInfo.message == "loop" then while true do end end
  error("boom")
end`)
	g.Deploy("/limited", "--#ENDPOINT WEBSOCKET /limited\n--#RATELIMIT 1/min\nreturn websocketInfo.message")
	g.Deploy("/secure", "--#ENDPOINT WEBSOCKET /secure\n--#SECURITY apikey\nreturn nil")
	if status, _ := g.API(http.MethodPut, wire.Prefix+"/endpoints", `{"path":"/bad","script":"if then"}`); status != http.StatusBadRequest {
		t.Fatalf("a syntax error deployed: %d", status)
	}

	for _, room := range []string{"a", "b"} {
		c := g.Dial("/echo/" + room)
		for range 3 {
			c.Send("hi")
			c.Expect("hi")
		}
		closeNormally(t, c)
	}
	f := g.Dial("/fail")
	f.Send("x")
	f.Send("loop")
	l := g.Dial("/limited")
	for range 3 {
		l.Send("hey")
		l.Next()
	}
	if status, _ := lgtesting.DialRefused(t, g.WSURL("/secure"), nil); status != http.StatusUnauthorized {
		t.Fatalf("upgrade without a key: %d", status)
	}
	if status, _ := lgtesting.Request(t, "", http.MethodGet, g.URL("/secure"), ""); status != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d", status)
	}
	lgtesting.Eventually(t, "the failing events to be counted", func() bool {
		m := scrape(t, g.URL("/metrics"), lgtesting.Token)
		return value(m, "luagate_events_total", "route", "/fail", "type", "data", "result", "timeout") == 1
	})
	closeNormally(t, f)
	closeNormally(t, l)

	var m map[string]*dto.MetricFamily
	lgtesting.Eventually(t, "every close event to be counted", func() bool {
		m = scrape(t, g.URL("/metrics"), lgtesting.Token)
		return value(m, "luagate_events_total", "route", "/echo/{room}", "type", "close", "result", "ok") == 2 &&
			value(m, "luagate_events_total", "route", "/fail", "type", "close", "result", "ok") == 1 &&
			value(m, "luagate_events_total", "route", "/limited", "type", "close", "result", "ok") == 1
	})
	checkSeries(t, m, []want{
		{"luagate_sockets_open", []string{"route", "/echo/{room}"}, 0},
		{"luagate_upgrades_total", []string{"route", "/echo/{room}", "result", "ok"}, 2},
		{"luagate_upgrades_total", []string{"route", "/secure", "result", "unauthorized"}, 1},
		{"luagate_upgrades_total", []string{"route", "/secure", "result", "ok"}, 0},
		{"luagate_events_total", []string{"route", "/echo/{room}", "type", "open", "result", "ok"}, 2},
		{"luagate_events_total", []string{"route", "/echo/{room}", "type", "data", "result", "ok"}, 6},
		{"luagate_events_total", []string{"route", "/echo/{room}", "type", "data", "result", "error"}, 0},
		{"luagate_events_total", []string{"route", "/fail", "type", "data", "result", "error"}, 1},
		{"luagate_events_total", []string{"route", "/fail", "type", "data", "result", "timeout"}, 1},
		{"luagate_events_total", []string{"route", "/limited", "type", "data", "result", "ok"}, 1},
		{"luagate_script_duration_seconds", []string{"route", "/echo/{room}", "type", "data"}, 6},
		{"luagate_script_duration_seconds", []string{"route", "/fail", "type", "data"}, 2},
		{"luagate_messages_in_total", []string{"route", "/echo/{room}"}, 6},
		{"luagate_messages_out_total", []string{"route", "/echo/{room}"}, 6},
		{"luagate_bytes_in_total", []string{"route", "/echo/{room}"}, 12},
		{"luagate_bytes_out_total", []string{"route", "/echo/{room}"}, 12},
		{"luagate_messages_in_total", []string{"route", "/fail"}, 2},
		{"luagate_messages_out_total", []string{"route", "/fail"}, 0},
		{"luagate_messages_in_total", []string{"route", "/limited"}, 3},
		// The echo and two RateLimitError frames.
		{"luagate_messages_out_total", []string{"route", "/limited"}, 3},
		{"luagate_rate_limited_total", []string{"route", "/limited"}, 2},
		{"luagate_rate_limited_total", []string{"route", "/echo/{room}"}, 0},
		{"luagate_send_queue_full_total", []string{"route", "/echo/{room}"}, 0},
		{"luagate_closes_total", []string{"route", "/echo/{room}", "code", "1000"}, 2},
		{"luagate_closes_total", []string{"route", "/fail", "code", "1000"}, 1},
		{"luagate_deploys_total", []string{"result", "ok"}, 4},
		{"luagate_deploys_total", []string{"result", "error"}, 1},
		{"luagate_solution_revision", nil, 4},
	})
	if sum := m["luagate_script_duration_seconds"]; sum == nil {
		t.Fatal("no script durations")
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "luagate_lua_states"} {
		if m[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

func TestMetricsNeedTheAdminTokenOrAReadKey(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	read := createKey(t, g, wire.KeyRequest{Name: "prometheus", Scopes: []string{"read"}})
	connect := createKey(t, g, wire.KeyRequest{Name: "client", Scopes: []string{"connect"}})
	for _, c := range []struct {
		token string
		want  int
	}{
		{"", http.StatusUnauthorized},
		{"wrong", http.StatusUnauthorized},
		{connect.Secret, http.StatusForbidden},
		{read.Secret, http.StatusOK},
		{lgtesting.Token, http.StatusOK},
	} {
		status, body := lgtesting.Request(t, c.token, http.MethodGet, g.URL("/metrics"), "")
		if status != c.want {
			t.Errorf("token %.8q: %d %s, want %d", c.token, status, body, c.want)
		}
		if status == http.StatusOK && !strings.Contains(body, "luagate_solution_revision") {
			t.Errorf("token %.8q: no luagate metrics in %.200s", c.token, body)
		}
	}
}

func TestStatsAnswerTheConsolesShape(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	read := createKey(t, g, wire.KeyRequest{Name: "console", Scopes: []string{"read"}})
	status, body := lgtesting.Request(t, read.Secret, http.MethodGet, "http://"+g.AdminAddr()+wire.StatsPath, "")
	if status != http.StatusOK {
		t.Fatalf("stats: %d %s", status, body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["interval_seconds"]) != "1" || string(raw["last_deploy"]) != "null" || raw["samples"] == nil {
		t.Fatalf("stats before any deploy: %s", body)
	}
	g.Deploy("/echo", "return websocketInfo.message")
	c := g.Dial("/echo")
	c.Send("x")
	c.Expect("x")
	var stats wire.Stats
	lgtesting.Eventually(t, "a sample with the socket open", func() bool {
		_, body = g.API(http.MethodGet, wire.StatsPath, "")
		stats = wire.Stats{}
		if err := json.Unmarshal([]byte(body), &stats); err != nil {
			t.Fatal(err)
		}
		n := len(stats.Samples)
		return n > 0 && stats.Samples[n-1].SocketsOpen == 1
	})
	if d := stats.LastDeploy; d == nil || d.Revision != 1 || d.Result != wire.DeployOK || d.Time.IsZero() {
		t.Fatalf("last deploy %+v in %s", d, body)
	}
	for _, field := range []string{`"time":`, `"sockets_open":`, `"messages_in_per_second":`, `"messages_out_per_second":`, `"errors_per_second":`, `"script_p95_ms":`} {
		if !strings.Contains(body, field) {
			t.Errorf("no %s in %s", field, body)
		}
	}
	connect := createKey(t, g, wire.KeyRequest{Name: "client", Scopes: []string{"connect"}})
	if status, _ := g.APIAs(connect.Secret, http.MethodGet, wire.StatsPath, ""); status != http.StatusForbidden {
		t.Fatalf("stats with a connect key: %d", status)
	}
}

func TestMetricsCountFullQueuesAndForgetRemovedEndpoints(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Runtime.SendQueue = 1 })
	// While its event runs, nothing writes the socket's queue: the first
	// send fills it and the other three find it full.
	g.Deploy("/burst", `if websocketInfo.type == "open" then
  for i = 1, 4 do Websocket.send({socket_id = websocketInfo.socket_id, message = "m" .. i}) end
end`)
	c := g.Dial("/burst")
	c.Expect("m1")
	closeNormally(t, c)
	var m map[string]*dto.MetricFamily
	lgtesting.Eventually(t, "the close event to be counted", func() bool {
		m = scrape(t, g.URL("/metrics"), lgtesting.Token)
		return value(m, "luagate_events_total", "route", "/burst", "type", "close", "result", "ok") == 1
	})
	if got := value(m, "luagate_send_queue_full_total", "route", "/burst"); got != 3 {
		t.Fatalf("send_queue_full_total %g, want 3", got)
	}
	if status, body := g.API(http.MethodDelete, wire.Prefix+"/endpoints?path=/burst", ""); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, body)
	}
	m = scrape(t, g.URL("/metrics"), lgtesting.Token)
	if got := value(m, "luagate_messages_out_total", "route", "/burst"); got != -1 {
		t.Fatalf("a removed endpoint without sockets still has series: messages_out_total %g", got)
	}
	// An endpoint removed while a socket is open goes once the socket has.
	g.Deploy("/held", "return nil")
	h := g.Dial("/held")
	if status, body := g.API(http.MethodDelete, wire.Prefix+"/endpoints?path=/held", ""); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, body)
	}
	if code, _ := h.ExpectClose(); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want 1001", code)
	}
	lgtesting.Eventually(t, "the removed endpoint's series to go", func() bool {
		m = scrape(t, g.URL("/metrics"), lgtesting.Token)
		return value(m, "luagate_sockets_open", "route", "/held") == -1
	})
	if got := value(m, "luagate_solution_revision"); got != 4 {
		t.Fatalf("revision %g, want 4", got)
	}
}

// TestCountersNeverGoDownWhileSocketsClose scrapes while sockets come and
// go: a socket's counts move from the open sockets to its route's as it
// closes, and a scrape between the two must count them once.
func TestCountersNeverGoDownWhileSocketsClose(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/echo", "return websocketInfo.message")
	const sockets, messages = 20, 5
	done := make(chan struct{})
	went := make(chan string, 1)
	go func() {
		var last uint64
		for {
			select {
			case <-done:
				went <- ""
				return
			default:
			}
			for _, r := range g.Engine().Counters().Routes {
				if r.Route != "/echo" {
					continue
				}
				if r.MessagesIn < last {
					went <- fmt.Sprintf("messages in went from %d to %d", last, r.MessagesIn)
					return
				}
				last = r.MessagesIn
			}
		}
	}()
	for range sockets {
		c := g.Dial("/echo")
		for range messages {
			c.Send("x")
			c.Expect("x")
		}
		closeNormally(t, c)
	}
	lgtesting.Eventually(t, "every socket to close", func() bool {
		for _, r := range g.Engine().Counters().Routes {
			if r.Route == "/echo" {
				return r.SocketsOpen == 0 && r.MessagesIn == sockets*messages && r.MessagesOut == sockets*messages
			}
		}
		return false
	})
	close(done)
	if msg := <-went; msg != "" {
		t.Fatal(msg)
	}
}

package endpoints_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/wire"
)

// logScript prints on open, fails on data at line 3 and is silent on close.
const logScript = `if websocketInfo.type == "open" then print("hello", websocketInfo.parameters.user) end
if websocketInfo.type == "data" then
  error("bad message " .. websocketInfo.message)
end`

func listLogs(t *testing.T, g *lgtesting.Gateway, q url.Values) []wire.LogRecord {
	t.Helper()
	var out wire.Logs
	g.GetJSON(wire.LogsPath+"?"+q.Encode(), &out)
	return out.Records
}

func TestScriptLogRecordsPrintsFailuresAndDeploys(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/log", logScript)
	c := g.Dial("/log?user=ann")
	c.Send("x")
	lgtesting.Eventually(t, "the failure's record", func() bool {
		return len(listLogs(t, g, url.Values{"status": {"error"}})) == 1
	})
	_ = c.Conn.Close()

	all := listLogs(t, g, nil)
	if len(all) != 3 {
		t.Fatalf("want the deploy, the open's print and the failure, newest last; got %+v", all)
	}
	deploy, open, fail := all[0], all[1], all[2]
	if deploy.EventType != logs.EventDeploy || deploy.Status != logs.StatusOK || !strings.HasPrefix(deploy.ScriptOutput[0], "revision 1:") {
		t.Errorf("deploy record: %+v", deploy)
	}
	if open.Route != "/log" || open.EventType != "open" || open.Status != logs.StatusOK ||
		len(open.ScriptOutput) != 1 || open.ScriptOutput[0] != "hello\tann" || open.SocketID == "" {
		t.Errorf("open record: %+v", open)
	}
	if fail.EventType != "data" || fail.Status != logs.StatusError || !strings.Contains(fail.Error, "/log:3: bad message x") ||
		fail.SocketID != open.SocketID || fail.ExecutionTimeUS < 0 {
		t.Errorf("failure record: %+v", fail)
	}
	if got := listLogs(t, g, url.Values{"socket_id": {open.SocketID}, "limit": {"1"}}); len(got) != 1 || got[0].EventType != "data" {
		t.Errorf("socket filter with limit 1: %+v", got)
	}
	if got := listLogs(t, g, url.Values{"route": {"/other"}}); len(got) != 0 {
		t.Errorf("route filter: %+v", got)
	}
	if got := listLogs(t, g, url.Values{"since": {fail.Time.Format(time.RFC3339Nano)}}); len(got) != 1 || got[0].EventType != "data" {
		t.Errorf("since the failure: %+v", got)
	}
	for _, q := range []string{"status=maybe", "since=yesterday", "limit=-1", "follow=maybe"} {
		if status, body := g.API(http.MethodGet, wire.LogsPath+"?"+q, ""); status != http.StatusBadRequest {
			t.Errorf("?%s: %d %s", q, status, body)
		}
	}
}

func TestRefusedDeployIsRecordedWithItsProblems(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	status, _ := g.API(http.MethodPut, wire.Prefix+"/endpoints", `{"path":"/bad","script":"x = = 1"}`)
	if status != http.StatusBadRequest {
		t.Fatalf("deploy of a syntax error: %d", status)
	}
	recs := listLogs(t, g, url.Values{"status": {"error"}})
	if len(recs) != 1 || recs[0].EventType != logs.EventDeploy || len(recs[0].ScriptOutput) != 1 ||
		!strings.HasPrefix(recs[0].ScriptOutput[0], "/bad:1:") {
		t.Fatalf("records: %+v", recs)
	}
}

func TestSilentExecutionsAreLoggedOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	for every, want := range map[bool]string{false: "close ", true: "open data close "} {
		g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Runtime.LogExecutions = every })
		g.Deploy("/quiet", `if websocketInfo.type == "close" then print("bye") end`)
		c := g.Dial("/quiet")
		c.Send("x")
		_ = c.Conn.Close()
		var got string
		lgtesting.Eventually(t, "the close event's print", func() bool {
			got = ""
			recs := listLogs(t, g, url.Values{"route": {"/quiet"}})
			for _, r := range recs {
				got += r.EventType + " "
			}
			return len(recs) > 0 && recs[len(recs)-1].EventType == "close"
		})
		if got != want {
			t.Errorf("log executions %v: records of %q, want %q", every, got, want)
		}
	}
}

// TestFollowStreamsBacklogThenNewRecords follows the log as Server-Sent
// Events: the backlog first, then each new record as it comes, past the
// timeout that cuts off slow requests, until the gateway stops.
func TestFollowStreamsBacklogThenNewRecords(t *testing.T) {
	t.Parallel()
	const requestTimeout = 200 * time.Millisecond
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Server.RequestTimeout = requestTimeout })
	g.Deploy("/log", logScript)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.URL(wire.LogsPath+"?follow=1"), nil)
	req.Header.Set("Authorization", "Bearer "+lgtesting.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("follow: %d %s", resp.StatusCode, ct)
	}
	events := bufio.NewScanner(resp.Body)
	next := func() wire.LogRecord {
		t.Helper()
		for events.Scan() {
			if data, ok := strings.CutPrefix(events.Text(), "data: "); ok {
				var r wire.LogRecord
				if err := json.Unmarshal([]byte(data), &r); err != nil {
					t.Fatal(err)
				}
				return r
			}
		}
		t.Fatalf("stream ended: %v", events.Err())
		return wire.LogRecord{}
	}
	if r := next(); r.EventType != logs.EventDeploy {
		t.Fatalf("backlog: %+v", r)
	}
	// Only time passing can show that the stream outlives the timeouts
	// net/http enforces (read, and write twice as long).
	time.Sleep(3 * requestTimeout)
	c := g.Dial("/log?user=bob")
	if r := next(); r.EventType != "open" || r.ScriptOutput[0] != "hello\tbob" {
		t.Fatalf("live record: %+v", r)
	}
	_ = c.Conn.Close()
	g.Stop()
	for events.Scan() {
	}
	if err := events.Err(); err != nil {
		t.Errorf("the stream did not end cleanly at shutdown: %v", err)
	}
}

// TestRecordTimesTheExecution checks execution_time_us against a script
// that spends 20 ms of CPU time: it cannot have taken less.
func TestRecordTimesTheExecution(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	g.Deploy("/slow", `if websocketInfo.type == "open" then
  local t = os.clock() while os.clock() - t < 0.02 do end
  print("done")
end`)
	g.Dial("/slow")
	var recs []wire.LogRecord
	lgtesting.Eventually(t, "the open event's record", func() bool {
		recs = listLogs(t, g, url.Values{"route": {"/slow"}})
		return len(recs) == 1
	})
	if us := recs[0].ExecutionTimeUS; us < 20_000 {
		t.Fatalf("execution_time_us %d for 20 ms of work", us)
	}
}

func TestLogsNeedTheReadScope(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	for scope, want := range map[string]int{"read": http.StatusOK, "push": http.StatusForbidden} {
		status, body := g.API(http.MethodPost, wire.Prefix+"/keys", `{"name":"k","scopes":["`+scope+`"]}`)
		if status != http.StatusCreated {
			t.Fatalf("create key: %d %s", status, body)
		}
		var key wire.Key
		if err := json.Unmarshal([]byte(body), &key); err != nil {
			t.Fatal(err)
		}
		if status, body := g.APIAs(key.Secret, http.MethodGet, wire.LogsPath, ""); status != want {
			t.Errorf("a %s key: %d %s, want %d", scope, status, body, want)
		}
	}
}

package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// askScript asks the socket named in a data message ("<id> <timeout>")
// and answers the reply, or the error table, as JSON.
const askScript = `--#ENDPOINT WEBSOCKET /ask
if websocketInfo.type ~= "data" then return end
local id, timeout = websocketInfo.message:match("^(%S+) (%S+)$")
local reply, err = Websocket.request{socket_id = id, event = "ping", content = {n = 1}, timeout = tonumber(timeout)}
if err then return to_json(err) end
return to_json({reply = reply})
`

// answer makes c's client answer every request with answerFor's frame
// (given the request id and content), until its connection ends. It
// returns how the test writes to c meanwhile.
func answer(c *lgtesting.Client, answerFor func(id string, content json.RawMessage) string) (write func(string) error) {
	var mu sync.Mutex
	write = func(msg string) error {
		mu.Lock()
		defer mu.Unlock()
		return c.Conn.WriteMessage(websocket.TextMessage, []byte(msg))
	}
	go func() {
		for {
			_, msg, err := c.Conn.ReadMessage()
			if err != nil {
				return
			}
			var req struct {
				RequestID string          `json:"request_id"`
				Event     string          `json:"event"`
				Content   json.RawMessage `json:"content"`
			}
			if json.Unmarshal(msg, &req) != nil || req.RequestID == "" || req.Event != "ping" {
				continue
			}
			if a := answerFor(req.RequestID, req.Content); a != "" {
				_ = write(a)
			}
		}
	}()
	return write
}

// askGateway starts a gateway with askScript at /ask and a client at
// /client, whose data events log what they get, and returns the client and
// its socket id.
func askGateway(t *testing.T, opts ...lgtesting.Option) (*lgtesting.Gateway, *lgtesting.Client, string) {
	t.Helper()
	g := lgtesting.NewGateway(t, append([]lgtesting.Option{lgtesting.NoRateLimit}, opts...)...)
	g.Deploy("/ask", askScript)
	g.Deploy("/client", "--#ENDPOINT WEBSOCKET /client\nprint('data event ran: ' .. websocketInfo.message)\n")
	client := g.Dial("/client")
	return g, client, g.SocketIDs(1)[0]
}

func echoContent(id string, content json.RawMessage) string {
	return `{"response_to":"` + id + `","content":{"echo":` + string(content) + `}}`
}

func TestRequestReturnsTheClientsReply(t *testing.T) {
	t.Parallel()
	g, client, id := askGateway(t)
	write := answer(client, echoContent)
	asker := g.Dial("/ask")
	asker.Send(id + " 2")
	asker.Expect(`{"reply":{"echo":{"n":1}}}`)

	status, body := g.API(http.MethodPost, wire.Prefix+"/sockets/"+id+"/requests", `{"event":"ping","content":[1,2],"timeout":2}`)
	if status != http.StatusOK || body != `{"content":{"echo":[1,2]}}`+"\n" {
		t.Fatalf("HTTP request: %d %s", status, body)
	}
	// A reply to no request is the gateway's too: no data event sees it.
	if err := write(`{"response_to":"999","content":1}`); err != nil {
		t.Fatal(err)
	}
	lgtesting.Eventually(t, "the stray reply to be logged", func() bool {
		return strings.Contains(g.Logs.String(), "reply dropped: no request waits for it")
	})
	if strings.Contains(g.Logs.String(), "data event ran") {
		t.Fatal("a reply reached the data event")
	}
}

func TestRequestFailsWithTheClientsError(t *testing.T) {
	t.Parallel()
	g, client, id := askGateway(t)
	answer(client, func(id string, _ json.RawMessage) string {
		return `{"response_to":"` + id + `","error":"no such order"}`
	})
	asker := g.Dial("/ask")
	asker.Send(id + " 2")
	if m := asker.Next(); !strings.Contains(m, `"status":502`) || !strings.Contains(m, "no such order") {
		t.Fatalf("got %s, want a 502 with the client's error", m)
	}
	status, body := g.API(http.MethodPost, wire.Prefix+"/sockets/"+id+"/requests", `{"event":"ping"}`)
	if status != http.StatusBadGateway || !strings.Contains(body, "no such order") {
		t.Fatalf("HTTP request: %d %s", status, body)
	}
}

func TestRequestTimesOutWithoutHoldingUpThePool(t *testing.T) {
	t.Parallel()
	// Two states, and a wait four times the script timeout (500 ms): the
	// wait is not running, and the pool serves the echo meanwhile.
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit, func(c *gateway.Config) {
		c.Runtime.LuaStates, c.Runtime.EndpointStates = 2, 2
	})
	g.Deploy("/ask", askScript)
	g.Deploy("/echo", "--#ENDPOINT WEBSOCKET /echo\nreturn websocketInfo.message\n")
	silent := g.Dial("/echo")
	id := g.SocketIDs(1)[0]
	asker := g.Dial("/ask")
	start := time.Now()
	asker.Send(id + " 2")
	echo := g.Dial("/echo")
	echo.Send("still served")
	echo.Expect("still served")
	if m := asker.Next(); !strings.Contains(m, `"status":504`) {
		t.Fatalf("got %s, want a 504", m)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Fatalf("the request failed after %s, before its timeout", waited)
	}
	status, body := g.API(http.MethodPost, wire.Prefix+"/sockets/"+id+"/requests", `{"event":"ping","timeout":0.2}`)
	if status != http.StatusGatewayTimeout {
		t.Fatalf("HTTP request: %d %s", status, body)
	}
	_ = silent
}

func TestRequestFailsWhenTheSocketClosesFirst(t *testing.T) {
	t.Parallel()
	g, client, id := askGateway(t)
	answer(client, func(string, json.RawMessage) string {
		client.Conn.Close()
		return ""
	})
	asker := g.Dial("/ask")
	asker.Send(id + " 5")
	if m := asker.Next(); !strings.Contains(m, `"status":404`) {
		t.Fatalf("got %s, want a 404", m)
	}
	status, body := g.API(http.MethodPost, wire.Prefix+"/sockets/"+id+"/requests", `{"event":"ping"}`)
	if status != http.StatusNotFound {
		t.Fatalf("HTTP request: %d %s", status, body)
	}
}

func TestRequestsWaitingAtOnceAreBounded(t *testing.T) {
	t.Parallel()
	g, _, id := askGateway(t, func(c *gateway.Config) { c.Runtime.MaxWaitingRequests = 1 })
	first := g.Dial("/ask")
	first.Send(id + " 1")
	lgtesting.Eventually(t, "the request frame", func() bool {
		sn, err := g.Hub().Socket(id)
		return err == nil && sn.MessagesOut == 1
	})
	second := g.Dial("/ask")
	second.Send(id + " 1")
	if m := second.Next(); !strings.Contains(m, `"status":503`) || !strings.Contains(m, "TooManyWaitingError") {
		t.Fatalf("got %s, want a 503 at once", m)
	}
	if m := first.Next(); !strings.Contains(m, `"status":504`) {
		t.Fatalf("first: got %s, want its 504", m)
	}
}

func TestSendWithWaitReturnsOnceWritten(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/send", `--#ENDPOINT WEBSOCKET /send
if websocketInfo.type ~= "data" then return end
local err = Websocket.send{socket_id = websocketInfo.message, message = "delivered", wait = true, timeout = 2}
return to_json(err or {ok = true})
`)
	g.Deploy("/client", "--#ENDPOINT WEBSOCKET /client\n")
	client := g.Dial("/client")
	id := g.SocketIDs(1)[0]
	sender := g.Dial("/send")
	sender.Send(id)
	sender.Expect(`{"ok":true}`)
	client.Expect("delivered")
	sender.Send("nosuchsocket")
	if m := sender.Next(); !strings.Contains(m, `"status":404`) {
		t.Fatalf("got %s, want a 404", m)
	}
}

func TestRequestArgumentsAreChecked(t *testing.T) {
	t.Parallel()
	g, _, id := askGateway(t)
	asker := g.Dial("/ask")
	for _, timeout := range []string{"31", "-1", "0"} {
		asker.Send(id + " " + timeout)
		if m := asker.Next(); !strings.Contains(m, `"status":400`) || !strings.Contains(m, "timeout") {
			t.Errorf("timeout %s: %s, want a 400 about the timeout", timeout, m)
		}
	}
	for _, body := range []string{`{"event":""}`, `{"event":"x","timeout":31}`, `{"event":"x","other":1}`} {
		if status, resp := g.API(http.MethodPost, wire.Prefix+"/sockets/"+id+"/requests", body); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, status, resp)
		}
	}
}

func TestRequestToTheEventsOwnSocketIsRefused(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/self", `--#ENDPOINT WEBSOCKET /self
if websocketInfo.type ~= "data" then return end
local _, err = Websocket.request{socket_id = websocketInfo.socket_id, event = "ping", timeout = 5}
local err2 = Websocket.send{socket_id = websocketInfo.socket_id, message = "x", wait = true}
return err.status .. " " .. err2.status
`)
	c := g.Dial("/self")
	c.Send("go")
	c.Expect("400 400")
}

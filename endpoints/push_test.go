package endpoints_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// pushGateway starts a gateway whose sweeper runs often.
func pushGateway(t *testing.T, opts ...lgtesting.Option) *lgtesting.Gateway {
	t.Helper()
	opts = append([]lgtesting.Option{func(c *gateway.Config) { c.Push.SweepInterval = 20 * time.Millisecond }}, opts...)
	return lgtesting.NewGateway(t, opts...)
}

// register registers recipient with the extra JSON fields and returns
// the registration.
func register(t *testing.T, g *lgtesting.Gateway, recipient, extra string) wire.PushRegistration {
	t.Helper()
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushRecipients, `{"recipient":"`+recipient+`"`+extra+`}`)
	if status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", recipient, status, body)
	}
	var reg wire.PushRegistration
	if err := json.Unmarshal([]byte(body), &reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

// pushTo pushes message to recipients with the extra JSON fields and
// returns the items.
func pushTo(t *testing.T, g *lgtesting.Gateway, recipients []string, message, extra string) []wire.PushItem {
	t.Helper()
	rs, _ := json.Marshal(recipients)
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushMessages,
		fmt.Sprintf(`{"recipients":%s,"message":%q%s}`, rs, message, extra))
	if status != http.StatusOK {
		t.Fatalf("push: %d %s", status, body)
	}
	var items []wire.PushItem
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// frame is what a push socket receives.
type frame struct {
	ID, Message, Topic string
	CreatedAt          time.Time `json:"created_at"`
}

func readFrame(t *testing.T, c *lgtesting.Client) frame {
	t.Helper()
	var f frame
	if err := json.Unmarshal([]byte(c.Next()), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// messageStatus returns the status of message id.
func messageStatus(t *testing.T, g *lgtesting.Gateway, id string) string {
	t.Helper()
	status, body := g.API(http.MethodGet, wire.Prefix+wire.PathPushMessages+"/"+id, "")
	if status != http.StatusOK {
		t.Fatalf("get message %s: %d %s", id, status, body)
	}
	var m wire.PushMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func waitStatus(t *testing.T, g *lgtesting.Gateway, id, want string) {
	t.Helper()
	lgtesting.Eventually(t, "message "+id+" "+want, func() bool { return messageStatus(t, g, id) == want })
}

func TestPushReachesAConnectedRecipient(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reg := register(t, g, "alice", "")
	if !strings.HasPrefix(reg.ConnectionURI, "ws://"+g.Addr()+"/push?token=") {
		t.Fatalf("connection_uri %s", reg.ConnectionURI)
	}
	c := lgtesting.Dial(t, reg.ConnectionURI)
	g.SocketIDs(1)
	items := pushTo(t, g, []string{"alice"}, "hello", "")
	if len(items) != 1 || items[0].Item == nil || items[0].Item.Recipient != "alice" {
		t.Fatalf("items %+v", items)
	}
	f := readFrame(t, c)
	if f.Message != "hello" || f.ID != items[0].Item.ID {
		t.Fatalf("frame %+v", f)
	}
	waitStatus(t, g, f.ID, "DELIVERED")
}

// inAnHour is an expires_at an hour from now, in Unix seconds.
func inAnHour() string { return fmt.Sprintf(`,"expires_at":%d`, time.Now().Add(time.Hour).Unix()) }

func TestPushToAnOfflineRecipientIsDeliveredInOrderOnConnect(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reg := register(t, g, "bob", "")
	var ids []string
	for i := range 10 {
		items := pushTo(t, g, []string{"bob"}, fmt.Sprintf("m%d", i), inAnHour())
		if items[0].Item.Status != "PENDING" {
			t.Fatalf("offline push %d is %s, want PENDING", i, items[0].Item.Status)
		}
		ids = append(ids, items[0].Item.ID)
	}
	c := lgtesting.Dial(t, reg.ConnectionURI)
	for i := range 10 {
		if f := readFrame(t, c); f.ID != ids[i] || f.Message != fmt.Sprintf("m%d", i) {
			t.Fatalf("frame %d: %+v, want %s", i, f, ids[i])
		}
	}
	for _, id := range ids {
		waitStatus(t, g, id, "DELIVERED")
	}
	// A later push comes after them, and the socket got nothing more.
	pushTo(t, g, []string{"bob"}, "later", "")
	if f := readFrame(t, c); f.Message != "later" {
		t.Fatalf("got %+v, want the later message", f)
	}
}

func TestPushExpiresWhileOfflineAndIsNeverDelivered(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reg := register(t, g, "carol", "")
	soon := time.Now().Add(300 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	old := pushTo(t, g, []string{"carol"}, "too late", `,"expires_at":"`+soon+`"`)[0].Item
	waitStatus(t, g, old.ID, "EXPIRED")
	// Without an expiry and nobody connected, it expires at once.
	if st := pushTo(t, g, []string{"carol"}, "nobody there", "")[0].Item.Status; st != "EXPIRED" {
		t.Fatalf("push without expiry to an offline recipient: %s, want EXPIRED", st)
	}
	c := lgtesting.Dial(t, reg.ConnectionURI)
	g.SocketIDs(1)
	pushTo(t, g, []string{"carol"}, "fresh", "")
	if f := readFrame(t, c); f.Message != "fresh" {
		t.Fatalf("got %+v: an expired message was delivered", f)
	}
}

func TestPushCancelledMessageIsNotDelivered(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reg := register(t, g, "dave", "")
	m := pushTo(t, g, []string{"dave"}, "cancel me", inAnHour())[0].Item
	path := wire.Prefix + wire.PathPushMessages + "/" + m.ID
	if status, body := g.API(http.MethodDelete, path, ""); status != http.StatusOK || !strings.Contains(body, `"CANCELLED"`) {
		t.Fatalf("cancel: %d %s", status, body)
	}
	if status, body := g.API(http.MethodDelete, path, ""); status != http.StatusConflict {
		t.Fatalf("cancel again: %d %s, want 409", status, body)
	}
	if status, _ := g.API(http.MethodDelete, wire.Prefix+wire.PathPushMessages+"/nope", ""); status != http.StatusNotFound {
		t.Fatalf("cancel unknown: %d, want 404", status)
	}
	c := lgtesting.Dial(t, reg.ConnectionURI)
	g.SocketIDs(1)
	pushTo(t, g, []string{"dave"}, "after", "")
	if f := readFrame(t, c); f.Message != "after" {
		t.Fatalf("got %+v: a cancelled message was delivered", f)
	}
}

func TestPushGlobalReachesConnectedAndLaterRecipientsOnce(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	a, b := register(t, g, "ann", ""), register(t, g, "ben", "")
	ca := lgtesting.Dial(t, a.ConnectionURI)
	g.SocketIDs(1)
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushGlobal, `{"message":"to all"`+inAnHour()+`}`)
	if status != http.StatusCreated {
		t.Fatalf("global: %d %s", status, body)
	}
	var gm wire.PushGlobalMessage
	_ = json.Unmarshal([]byte(body), &gm)
	if f := readFrame(t, ca); f.Message != "to all" {
		t.Fatalf("connected recipient got %+v", f)
	}
	cb := lgtesting.Dial(t, b.ConnectionURI)
	if f := readFrame(t, cb); f.Message != "to all" {
		t.Fatalf("later recipient got %+v", f)
	}
	// Once: a reconnect gets nothing again.
	_ = ca.Conn.Close()
	ca = lgtesting.Dial(t, a.ConnectionURI)
	g.SocketIDs(2)
	pushTo(t, g, []string{"ann"}, "next", "")
	if f := readFrame(t, ca); f.Message != "next" {
		t.Fatalf("reconnected recipient got %+v: the global message twice", f)
	}
	q := wire.Prefix + wire.PathPushMessages + "?global_message_id=" + gm.ID
	lgtesting.Eventually(t, "two DELIVERED copies", func() bool {
		_, body := g.API(http.MethodGet, q+"&status=DELIVERED", "")
		var page wire.PushMessages
		_ = json.Unmarshal([]byte(body), &page)
		return len(page.Messages) == 2
	})
	if status, body := g.API(http.MethodGet, wire.Prefix+wire.PathPushGlobal+"?topic=", ""); status != http.StatusOK || !strings.Contains(body, gm.ID) {
		t.Fatalf("list global: %d %s", status, body)
	}
}

func TestPushTopicsOnTokensAndMessages(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	news := register(t, g, "fay", `,"topic":"news"`)
	plain := register(t, g, "fay", "")
	cn, cp := lgtesting.Dial(t, news.ConnectionURI), lgtesting.Dial(t, plain.ConnectionURI)
	g.SocketIDs(2)
	pushTo(t, g, []string{"fay"}, "sport", `,"topic":"sport"`)
	pushTo(t, g, []string{"fay"}, "news", `,"topic":"news"`)
	pushTo(t, g, []string{"fay"}, "all", "")
	if f := readFrame(t, cn); f.Message != "news" || f.Topic != "news" {
		t.Fatalf("news socket got %+v first", f)
	}
	if f := readFrame(t, cn); f.Message != "all" {
		t.Fatalf("news socket got %+v second", f)
	}
	if f := readFrame(t, cp); f.Message != "all" {
		t.Fatalf("socket without topic got %+v: a topic message reached it", f)
	}
}

func TestPushTokenRestrictionsRefuseBeforeUpgrade(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	ip := register(t, g, "gus", `,"source_ip":"10.1.2.3"`)
	if status, body := lgtesting.DialRefused(t, ip.ConnectionURI, nil); status != http.StatusForbidden {
		t.Fatalf("wrong source IP: %d %s, want 403", status, body)
	}
	origin := register(t, g, "gus", `,"origin":"https://app.example.com"`)
	if status, body := lgtesting.DialRefused(t, origin.ConnectionURI, http.Header{"Origin": {"https://evil.example.com"}}); status != http.StatusForbidden {
		t.Fatalf("wrong origin: %d %s, want 403", status, body)
	}
	lgtesting.DialHeader(t, origin.ConnectionURI, http.Header{"Origin": {"https://app.example.com"}})
	local := register(t, g, "gus", `,"source_ip":"127.0.0.1"`)
	lgtesting.Dial(t, local.ConnectionURI)
	g.SocketIDs(2)
	if status, _ := lgtesting.DialRefused(t, g.WSURL("/push?token=lgp_nothing"), nil); status != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d, want 401", status)
	}
	if status, _ := lgtesting.DialRefused(t, g.WSURL("/push"), nil); status != http.StatusUnauthorized {
		t.Fatalf("no token: %d, want 401", status)
	}
}

func TestPushRevokedTokenClosesAndRefuses(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reg := register(t, g, "hal", "")
	c := lgtesting.Dial(t, reg.ConnectionURI)
	g.SocketIDs(1)
	status, body := g.API(http.MethodDelete, wire.Prefix+wire.PathPushRecipients+"/hal/tokens", "")
	if status != http.StatusOK || strings.TrimSpace(body) != `{"revoked":1,"closed":1}` {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if code, _ := c.ExpectClose(); code != 1008 {
		t.Fatalf("close code %d, want 1008", code)
	}
	if status, _ := lgtesting.DialRefused(t, reg.ConnectionURI, nil); status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", status)
	}
}

func TestPushPerRecipientCap(t *testing.T) {
	t.Parallel()
	g := pushGateway(t, func(c *gateway.Config) { c.Push.MaxPending = 2 })
	pushTo(t, g, []string{"ida"}, "1", inAnHour())
	pushTo(t, g, []string{"ida"}, "2", inAnHour())
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushMessages, `{"recipients":["ida"],"message":"3"`+inAnHour()+`}`)
	if status != http.StatusTooManyRequests || !strings.Contains(body, `"recipient":"ida"`) {
		t.Fatalf("past the cap: %d %s, want 429 naming ida", status, body)
	}
	items := pushTo(t, g, []string{"ida", "jo"}, "4", inAnHour())
	if items[0].Error == nil || items[0].Error.Status != http.StatusTooManyRequests || items[1].Item == nil {
		t.Fatalf("mixed push: %+v", items)
	}
}

func TestPushEndpointPathIsReserved(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	body, _ := json.Marshal(map[string]string{"path": "/push", "script": "--#ENDPOINT WEBSOCKET /push\n"})
	if status, resp := g.API(http.MethodPut, wire.Prefix+"/endpoints", string(body)); status != http.StatusBadRequest || !strings.Contains(resp, "reserved") {
		t.Fatalf("deploy at /push: %d %s, want 400 reserved", status, resp)
	}
}

func TestPushScopes(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	key := func(scope string) string {
		_, body := g.API(http.MethodPost, wire.Prefix+"/keys", `{"name":"k","scopes":["`+scope+`"]}`)
		var k wire.Key
		_ = json.Unmarshal([]byte(body), &k)
		return k.Secret
	}
	reader, pusher := key("read"), key("push")
	send := `{"recipients":["kim"],"message":"x"}`
	if status, _ := g.APIAs(reader, http.MethodPost, wire.Prefix+wire.PathPushMessages, send); status != http.StatusForbidden {
		t.Fatalf("push with a read key: %d, want 403", status)
	}
	if status, body := g.APIAs(pusher, http.MethodPost, wire.Prefix+wire.PathPushMessages, send); status != http.StatusOK {
		t.Fatalf("push with a push key: %d %s", status, body)
	}
	for _, k := range []string{reader, pusher} {
		if status, _ := g.APIAs(k, http.MethodGet, wire.Prefix+wire.PathPushMessages, ""); status != http.StatusOK {
			t.Fatalf("list: %d, want 200", status)
		}
	}
	if status, _ := g.APIAs(reader, http.MethodPost, wire.Prefix+wire.PathPushRecipients, `{"recipient":"kim"}`); status != http.StatusForbidden {
		t.Fatalf("register with a read key: %d, want 403", status)
	}
}

func TestPushAckRedeliversWhatWasNotAcknowledged(t *testing.T) {
	t.Parallel()
	g := pushGateway(t, func(c *gateway.Config) { c.Push.Ack = true })
	reg := register(t, g, "lee", "")
	// More than the rate limit's burst: acknowledgements are not events.
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = pushTo(t, g, []string{"lee"}, "ack me", inAnHour())[0].Item.ID
	}
	c := lgtesting.Dial(t, reg.ConnectionURI)
	for _, id := range ids {
		if f := readFrame(t, c); f.ID != id {
			t.Fatalf("got %+v, want %s", f, id)
		}
	}
	_ = c.Conn.Close()
	g.SocketIDs(0)
	if st := messageStatus(t, g, ids[0]); st != "PENDING" {
		t.Fatalf("unacknowledged message is %s, want PENDING", st)
	}
	c = lgtesting.Dial(t, reg.ConnectionURI)
	for _, id := range ids {
		if f := readFrame(t, c); f.ID != id {
			t.Fatalf("redelivery got %+v, want %s", f, id)
		}
		c.Send(`{"ack":"` + id + `"}`)
	}
	for _, id := range ids {
		waitStatus(t, g, id, "DELIVERED")
	}
	// An id is no credential: acknowledging another's message does nothing.
	other := pushTo(t, g, []string{"mo"}, "not lee's", inAnHour())[0].Item.ID
	c.Send(`{"ack":"` + other + `"}`)
	c.Send(`{"ack":"` + ids[0] + `"}`)
	mine := pushTo(t, g, []string{"lee"}, "last", inAnHour())[0].Item.ID
	if f := readFrame(t, c); f.ID != mine {
		t.Fatalf("got %+v", f)
	}
	c.Send(`{"ack":"` + mine + `"}`)
	waitStatus(t, g, mine, "DELIVERED")
	if st := messageStatus(t, g, other); st != "PENDING" {
		t.Fatalf("another recipient's message acknowledged: %s", st)
	}
}

func TestPushReachesAScriptedTokenEndpoint(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	g.Deploy("/orders", "--#SECURITY token\nif websocketInfo.type == \"data\" then websocketInfo.send(\"user \" .. websocketInfo.user_id) end\n")
	reg := register(t, g, "max", "")
	c := lgtesting.Dial(t, g.WSURL("/orders?token="+reg.Token))
	g.SocketIDs(1)
	pushTo(t, g, []string{"max"}, "order shipped", "")
	if f := readFrame(t, c); f.Message != "order shipped" {
		t.Fatalf("got %+v", f)
	}
	c.Send("who")
	c.Expect("user max")
}

func TestPushListingPagesByAThousandWithEachFilter(t *testing.T) {
	t.Parallel()
	g := pushGateway(t, func(c *gateway.Config) { c.Push.MaxPending = -1 })
	noise := make([]string, 10)
	for i := range noise {
		noise[i] = "eve"
	}
	pushTo(t, g, noise, "noise", `,"topic":"u"`)
	time.Sleep(2 * time.Millisecond) // created_from below must fall between the two batches
	since := time.Now()
	expires := time.Now().Add(time.Hour)
	for _, n := range []int{1000, 1000, 500} {
		rs := make([]string, n)
		for i := range rs {
			rs[i] = "bob"
		}
		pushTo(t, g, rs, "paged", fmt.Sprintf(`,"topic":"t","expires_at":%d`, expires.Unix()))
	}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	for _, filter := range []string{
		"recipient=bob", "topic=t", "status=PENDING", "created_from=" + ts(since),
		"created_from=" + ts(since) + "&created_to=" + ts(time.Now()),
		"expires_from=" + ts(expires.Add(-time.Minute)) + "&expires_to=" + ts(expires.Add(time.Minute)),
	} {
		seen := map[string]bool{}
		var sizes []int
		token, last := "", time.Now().Add(time.Hour)
		for {
			q := wire.Prefix + wire.PathPushMessages + "?" + filter
			if token != "" {
				q += "&next_token=" + token
			}
			status, body := g.API(http.MethodGet, q, "")
			if status != http.StatusOK {
				t.Fatalf("%s: %d %s", filter, status, body)
			}
			var page wire.PushMessages
			if err := json.Unmarshal([]byte(body), &page); err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(page.Messages))
			for _, m := range page.Messages {
				if seen[m.ID] || m.Recipient != "bob" || m.CreatedAt.After(last) {
					t.Fatalf("%s: message %s repeated, not bob's or out of order", filter, m.ID)
				}
				seen[m.ID], last = true, m.CreatedAt
			}
			if token = page.NextToken; token == "" {
				break
			}
		}
		if fmt.Sprint(sizes) != "[1000 1000 500]" || len(seen) != 2500 {
			t.Fatalf("%s: pages %v, %d messages", filter, sizes, len(seen))
		}
	}
	if status, _ := g.API(http.MethodGet, wire.Prefix+wire.PathPushMessages+"?next_token=garbage!", ""); status != http.StatusBadRequest {
		t.Fatalf("bad next_token: %d, want 400", status)
	}
}

func TestPushFromLua(t *testing.T) {
	t.Parallel()
	g := pushGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/shop", `
if websocketInfo.type ~= "data" then return end
local cmd = websocketInfo.message
local later = os.date("!%Y-%m-%dT%H:%M:%S", os.time() + 3600)
if cmd == "register" then
  local r = Push.register{recipient = "owner", topic = "orders"}
  websocketInfo.send(r.connection_uri)
elseif cmd == "order" then
  local items = Push.send{recipient = "owner", message = "new order", topic = "orders", expires_at = later}
  websocketInfo.send(items[1].item.status .. " " .. items[1].item.id)
elseif cmd:sub(1, 7) == "status " then
  websocketInfo.send(Push.status{id = cmd:sub(8)}.status)
elseif cmd:sub(1, 7) == "cancel " then
  local m = Push.cancel{id = cmd:sub(8)}
  websocketInfo.send(m.error and (m.type .. " " .. m.status) or m.status)
elseif cmd == "global" then
  websocketInfo.send(Push.global{message = "sale", expires_at = os.time() + 60}.message)
elseif cmd == "bad" then
  local e = Push.send{recipients = {"a", 5}, message = "x"}
  local f = Push.send{recipients = {}, message = "x"}
  local g = Push.send{recipient = "x", message = "x", expires_at = "tomorrow"}
  local h = Push.send{recipients = {"ok", ""}, message = "x"}
  websocketInfo.send(e.status .. " " .. f.status .. " " .. g.status .. " " .. h[2].error.type .. " " .. tostring(h[1].item ~= nil))
end
`)
	shop := g.Dial("/shop")
	shop.Send("register")
	uri := shop.Next()
	shop.Send("order")
	status, id, _ := strings.Cut(shop.Next(), " ")
	if status != "PENDING" {
		t.Fatalf("order pushed to an offline owner is %s", status)
	}
	owner := lgtesting.Dial(t, uri)
	if f := readFrame(t, owner); f.ID != id || f.Topic != "orders" {
		t.Fatalf("owner got %+v", f)
	}
	waitStatus(t, g, id, "DELIVERED")
	shop.Send("status " + id)
	shop.Expect("DELIVERED")
	shop.Send("cancel " + id)
	shop.Expect("ConflictError 409")
	shop.Send("global")
	shop.Expect("sale")
	shop.Send("bad")
	shop.Expect("400 400 400 BadRequestError true")
}

func TestPushTokenExpiryClosesItsSockets(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reg := register(t, g, "nia", `,"expires_in":1`)
	c := lgtesting.Dial(t, reg.ConnectionURI)
	if code, text := c.ExpectClose(); code != 1008 || text != "token expired" {
		t.Fatalf("close %d %q, want 1008 token expired", code, text)
	}
	if status, _ := lgtesting.DialRefused(t, reg.ConnectionURI, nil); status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d, want 401", status)
	}
}

func TestPushOnConnectWaitsForAFullQueueToDrain(t *testing.T) {
	t.Parallel()
	g := pushGateway(t, func(c *gateway.Config) { c.Runtime.SendQueue = 4 })
	reg := register(t, g, "ray", "")
	rs := make([]string, 50)
	for i := range rs {
		rs[i] = "ray"
	}
	items := pushTo(t, g, rs, "queued", inAnHour())
	c := lgtesting.Dial(t, reg.ConnectionURI)
	for i, it := range items {
		if f := readFrame(t, c); f.ID != it.Item.ID {
			t.Fatalf("frame %d: %+v, want %s", i, f, it.Item.ID)
		}
	}
}

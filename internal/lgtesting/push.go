package lgtesting

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/wire"
)

// RegisterRecipient registers recipient on g with the extra JSON fields
// (`,"topic":"t"`) and returns its token.
func (g *Gateway) RegisterRecipient(recipient, extra string) string {
	g.tb.Helper()
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushRecipients, `{"recipient":"`+recipient+`"`+extra+`}`)
	if status != http.StatusCreated {
		g.tb.Fatalf("register %s: %d %s", recipient, status, body)
	}
	var reg wire.PushRegistration
	if err := json.Unmarshal([]byte(body), &reg); err != nil {
		g.tb.Fatal(err)
	}
	return reg.Token
}

// PushTo pushes message to recipients on g with the extra JSON fields and
// returns the items.
func (g *Gateway) PushTo(recipients []string, message, extra string) []wire.PushItem {
	g.tb.Helper()
	rs, _ := json.Marshal(recipients)
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushMessages,
		fmt.Sprintf(`{"recipients":%s,"message":%q%s}`, rs, message, extra))
	if status != http.StatusOK {
		g.tb.Fatalf("push: %d %s", status, body)
	}
	var items []wire.PushItem
	if err := json.Unmarshal([]byte(body), &items); err != nil {
		g.tb.Fatal(err)
	}
	return items
}

// InAnHour is the extra field of a push that keeps it an hour.
func InAnHour() string { return fmt.Sprintf(`,"expires_at":%d`, time.Now().Add(time.Hour).Unix()) }

// DialPush connects to g's push endpoint with token, trying again until
// g knows the token: a token registered on another node reaches this one
// a moment later.
func (g *Gateway) DialPush(token string) *Client {
	g.tb.Helper()
	var ws *websocket.Conn
	Eventually(g.tb, "the push token to open a socket", func() bool {
		var err error
		ws, _, err = websocket.DefaultDialer.Dial(g.WSURL("/push?token="+url.QueryEscape(token)), nil)
		return err == nil
	})
	g.tb.Cleanup(func() { ws.Close() })
	return Wrap(g.tb, ws)
}

// PushFrame is what a push socket receives.
type PushFrame struct {
	ID, Message, Topic string
	CreatedAt          time.Time `json:"created_at"`
}

// NextFrame reads the next push frame.
func (c *Client) NextFrame() PushFrame {
	c.tb.Helper()
	var f PushFrame
	if err := json.Unmarshal([]byte(c.Next()), &f); err != nil {
		c.tb.Fatal(err)
	}
	return f
}

// PushMessages lists the push messages on g with the query (`?recipient=r`).
func (g *Gateway) PushMessages(query string) wire.PushMessages {
	g.tb.Helper()
	var page wire.PushMessages
	g.GetJSON(wire.Prefix+wire.PathPushMessages+query, &page)
	return page
}

// Drain reads frames until the connection ends, signalling each on got,
// then closes got: for a benchmark's reader goroutine.
func (c *Client) Drain(got chan<- struct{}) {
	for {
		if _, _, err := c.Conn.ReadMessage(); err != nil {
			close(got)
			return
		}
		got <- struct{}{}
	}
}

// PushRate pushes req with svc b.N times and reports pushes per second.
// With got not nil, each push waits for a frame on it (Client.Drain's
// channel) before the next, and must have been written to a socket (req
// then has no expiry, so that pending means written); every push must
// succeed for each recipient.
func PushRate(b *testing.B, svc *push.Service, req push.SendRequest, got <-chan struct{}) {
	b.Helper()
	send := func() []push.Item {
		b.Helper()
		items, err := svc.Send(req)
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range items {
			if it.Err != nil {
				b.Fatal(it.Err)
			}
		}
		return items
	}
	if got != nil {
		// A socket's upgrade ends before the server takes it as its
		// recipient's, and a push without an expiry to a recipient with no
		// socket expires unread: the clock starts once a push is written.
		Eventually(b, "a push to reach the recipient's socket", func() bool {
			if !written(send()) {
				return false
			}
			<-got
			return true
		})
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		items := send()
		if got != nil {
			if !written(items) {
				b.Fatalf("a push was not written to the recipient's socket: %+v", *items[0].Message)
			}
			<-got
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pushes/s")
}

// written reports whether each of items' messages was written to a
// socket: one without an expiry is pending only then.
func written(items []push.Item) bool {
	for _, it := range items {
		if it.Message.Status != push.Pending {
			return false
		}
	}
	return true
}

// DeliverPendingRate times, b.N times, what a connect costs a recipient
// with 1,000 PENDING messages: svc stores them, a token is registered for
// host, dial connects with it, and the clock runs until all 1,000 frames
// are read. Each round waits, off the clock, for the deliveries to be
// recorded, so that the next starts with none pending.
func DeliverPendingRate(b *testing.B, svc *push.Service, host string, dial func(token string) *Client) {
	b.Helper()
	recipients := make([]string, 1000)
	for i := range recipients {
		recipients[i] = "later"
	}
	for range b.N {
		b.StopTimer()
		if _, err := svc.Send(push.SendRequest{Recipients: recipients, Message: "queued", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		reg, err := svc.Register(auth.TokenSpec{Recipient: "later"}, host, false)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c := dial(reg.Token)
		for range recipients {
			if _, _, err := c.Conn.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		_ = c.Conn.Close()
		Eventually(b, "the deliveries recorded", func() bool {
			page, err := svc.Messages(push.Query{Filter: push.Filter{Recipient: "later", Status: push.Pending}, Limit: 1})
			return err == nil && len(page.Messages) == 0
		})
		b.StartTimer()
	}
}

package lgtesting

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Client is a real WebSocket client whose mistakes fail its test.
type Client struct {
	tb testing.TB
	// Conn is the connection, for what the helpers do not cover.
	Conn *websocket.Conn
}

// Dial connects to url (ws://...) and closes the connection when the test
// ends.
func Dial(tb testing.TB, url string) *Client {
	tb.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	tb.Cleanup(func() { ws.Close() })
	return &Client{tb: tb, Conn: ws}
}

// Wrap makes a Client of a connection dialled some other way.
func Wrap(tb testing.TB, ws *websocket.Conn) *Client { return &Client{tb: tb, Conn: ws} }

// Send sends a text message.
func (c *Client) Send(msg string) {
	c.tb.Helper()
	if err := c.Conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.tb.Fatalf("send %q: %v", msg, err)
	}
}

// Read returns the next message and its type, failing the test after
// WaitLimit.
func (c *Client) Read() (int, string) {
	c.tb.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(WaitLimit))
	typ, b, err := c.Conn.ReadMessage()
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return typ, string(b)
}

// Next returns the next message.
func (c *Client) Next() string {
	c.tb.Helper()
	_, msg := c.Read()
	return msg
}

// Expect fails the test unless the next message is want.
func (c *Client) Expect(want string) {
	c.tb.Helper()
	if got := c.Next(); got != want {
		c.tb.Fatalf("got message %q, want %q", got, want)
	}
}

// ExpectClose reads until the server closes the connection and returns the
// close frame's code and text.
func (c *Client) ExpectClose() (int, string) {
	c.tb.Helper()
	_ = c.Conn.SetReadDeadline(time.Now().Add(WaitLimit))
	for {
		_, _, err := c.Conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		c.tb.Fatalf("expected a close frame, got %v", err)
	}
}

// Request sends an HTTP request with body, and the bearer token unless it
// is empty, and returns the status and body of the answer.
func Request(tb testing.TB, token, method, url, body string) (int, string) {
	tb.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	resp, b := Do(tb, method, url, body, h)
	return resp.StatusCode, b
}

// Do sends an HTTP request with body and the headers h, and returns the
// answer, its body read and closed.
func Do(tb testing.TB, method, url, body string, h http.Header) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for name, values := range h {
		req.Header[name] = values
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read answer: %v", method, url, err)
	}
	return resp, string(b)
}

// RawConn opens a TCP connection to addr and writes head to it, for
// requests no well-behaved client would send. The connection closes when
// the test ends.
func RawConn(tb testing.TB, addr, head string) net.Conn {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		tb.Fatal(err)
	}
	return conn
}

// ClosedByServer reports whether the server closes conn within WaitLimit,
// reading whatever it sends first.
func ClosedByServer(tb testing.TB, conn net.Conn) bool {
	tb.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(WaitLimit))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// DialHeader connects to url with the request headers h, and closes the
// connection when the test ends.
func DialHeader(tb testing.TB, url string, h http.Header) *Client {
	tb.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		status, body := 0, ""
		if resp != nil {
			status = resp.StatusCode
			b, _ := io.ReadAll(resp.Body)
			body = string(b)
		}
		tb.Fatalf("dial %s: %v (status %d %s)", url, err, status, body)
	}
	tb.Cleanup(func() { ws.Close() })
	return &Client{tb: tb, Conn: ws}
}

// DialRefused tries to connect to url with the request headers h, fails
// the test if the upgrade succeeds, and returns the refusal's status and
// body.
func DialRefused(tb testing.TB, url string, h http.Header) (int, string) {
	tb.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		ws.Close()
		tb.Fatalf("dial %s: the upgrade succeeded, want a refusal", url)
	}
	if resp == nil {
		tb.Fatalf("dial %s: %v, without an answer", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Ask sends a text message and returns the next message.
func (c *Client) Ask(msg string) string {
	c.tb.Helper()
	c.Send(msg)
	return c.Next()
}

package bench

import (
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// ChatHubEnv, set to "1", makes the load tool serve the raw broadcast hub
// instead: see ServeChatHub.
const ChatHubEnv = "LUAGATE_BENCH_CHAT_HUB"

// The chat example's limits, as gorilla/websocket's examples/chat names
// them.
const (
	chatWriteWait  = 10 * time.Second
	chatSendBuffer = 256
)

// chatHub is the baseline a fan-out is measured against, built as
// gorilla/websocket's chat example builds it: one goroutine owns the set
// of clients and broadcasts every message any client sends to all of
// them, each client has a read pump and a write pump, and a client whose
// buffer of 256 messages is full is dropped.
type chatHub struct {
	clients    map[*chatClient]bool
	broadcast  chan []byte
	register   chan *chatClient
	unregister chan *chatClient
}

type chatClient struct {
	hub  *chatHub
	conn *websocket.Conn
	send chan []byte
}

func (h *chatHub) run() {
	for {
		select {
		case c := <-h.register:
			h.clients[c] = true
		case c := <-h.unregister:
			if h.clients[c] {
				delete(h.clients, c)
				close(c.send)
			}
		case msg := <-h.broadcast:
			for c := range h.clients {
				select {
				case c.send <- msg:
				default:
					close(c.send)
					delete(h.clients, c)
				}
			}
		}
	}
}

func (c *chatClient) readPump() {
	defer func() {
		c.hub.unregister <- c
		c.conn.Close()
	}()
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		c.hub.broadcast <- msg
	}
}

// writePump writes each message as a frame of its own: the chat example
// joins queued messages with newlines into one frame, which the load
// tool's clients would count as one delivery.
func (c *chatClient) writePump() {
	defer c.conn.Close()
	for msg := range c.send {
		_ = c.conn.SetWriteDeadline(time.Now().Add(chatWriteWait))
		if err := c.conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return
		}
	}
	_ = c.conn.WriteMessage(websocket.CloseMessage, nil)
}

// ServeChatHub serves the raw broadcast hub on a loopback port at every
// path, writes its address as a line on out, and serves until in is
// closed.
func ServeChatHub(in io.Reader, out io.Writer) error {
	h := &chatHub{clients: map[*chatClient]bool{}, broadcast: make(chan []byte),
		register: make(chan *chatClient), unregister: make(chan *chatClient)}
	go h.run()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return serveAsChild(in, out, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &chatClient{hub: h, conn: ws, send: make(chan []byte, chatSendBuffer)}
		h.register <- c
		go c.writePump()
		go c.readPump()
	}))
}

package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// signIn opens the console of g and signs in with token.
func signIn(t *testing.T, ctx context.Context, g *lgtesting.Gateway, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(g.URL("/console/")),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`#nav`)))
}

// card reads the value an Overview card shows.
func card(title string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#overview-cards .card')].find(c => c.querySelector('h3').textContent === %q)?.querySelector('.value')?.textContent`, title)
}

// traffic keeps clients sending until stop: each round every client sends
// between one and four echoed messages, the number rising and falling, and
// every seventh round fail gets a message its script raises on. It uses
// the connections only from its own goroutine, and ends at a failure.
func traffic(clients []*websocket.Conn, fail *websocket.Conn, stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for round := 0; ; round++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		n := 1 + []int{0, 1, 2, 3, 2, 1}[(round/10)%6]
		for _, c := range clients {
			for range n {
				if c.WriteMessage(websocket.TextMessage, []byte("hello")) != nil {
					return
				}
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}
		if round%7 == 0 && fail.WriteMessage(websocket.TextMessage, []byte("boom")) != nil {
			return
		}
	}
}

// overviewShowsTheServersNumbers signs in with a read key to a gateway
// with clients connected and sending, and reads the Overview's figures from the real
// GET /stats: the open sockets exactly, messages per second above zero.
// With LUAGATE_CONSOLE_DOCS=1 it lets twenty seconds of samples gather and
// writes the README's screenshot.
func overviewShowsTheServersNumbers(t *testing.T, ctx context.Context) {
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/chat/{room}", "return websocketInfo.message")
	g.Deploy("/fail", `if websocketInfo.type == "data" then error("boom") end`)
	var clients []*websocket.Conn
	for i := range 3 {
		clients = append(clients, g.Dial(fmt.Sprintf("/chat/room%d", i)).Conn)
	}
	fail := g.Dial("/fail").Conn
	stop := make(chan struct{})
	var done sync.WaitGroup
	done.Add(1)
	go traffic(clients, fail, stop, &done)
	t.Cleanup(func() {
		close(stop)
		done.Wait()
	})

	// A key with scope read is all the Overview needs.
	signIn(t, ctx, g, g.CreateKey(wire.KeyRequest{Name: "console", Scopes: []string{"read"}}).Secret)
	samples := 3
	if os.Getenv(docsEnv) == "1" {
		samples = 20
	}
	run(t, ctx, "the stats of the clients",
		chromedp.Poll[chromedp.Void](card("Open sockets")+` === "4"`, chromedp.WithPollingMutation()),
		chromedp.Poll[chromedp.Void](`Number(`+card("Messages in /s")+`) > 0`, chromedp.WithPollingMutation()),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`document.querySelector('#overview-cards polyline')?.getAttribute('points').split(' ').length >= %d`, samples),
			chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(time.Minute)))
	if hidden := get(t, ctx, "no-data note", chromedp.Evaluate[bool](`document.querySelector('#overview-nodata').hidden`)); !hidden {
		t.Error(`"no data" shown for a server that samples`)
	}
	if said := get(t, ctx, "the cards' notes", chromedp.Evaluate[string](`document.querySelector('#overview-cards').textContent`)); strings.Contains(said, "no data") {
		t.Errorf(`a card says "no data" beside the server's samples: %s`, said)
	}
	overview := screenshot(t, ctx, shotsDir(t), "overview-live")
	if os.Getenv(docsEnv) == "1" {
		b, err := os.ReadFile(overview)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "console-overview.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// pushTo pushes message to recipients through the REST API and returns
// the messages' ids.
func pushTo(t *testing.T, g *lgtesting.Gateway, recipients []string, message, extra string) []string {
	t.Helper()
	rs, _ := json.Marshal(recipients)
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushMessages,
		fmt.Sprintf(`{"recipients":%s,"message":%q%s}`, rs, message, extra))
	var items []wire.PushItem
	if err := json.Unmarshal([]byte(body), &items); status != http.StatusOK || err != nil {
		t.Fatalf("push: %d %s", status, body)
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Item.ID
	}
	return ids
}

// pushMessagesListsPendingFirstAndPages pushes to a recipient who is
// offline and to one who is connected, and reads both in the Push
// messages view, the PENDING one marked as such; filters by status; and
// pages past the first hundred.
func pushMessagesListsPendingFirstAndPages(t *testing.T, ctx context.Context) {
	g := lgtesting.NewGateway(t)
	status, body := g.API(http.MethodPost, wire.Prefix+wire.PathPushRecipients, `{"recipient":"bea"}`)
	var reg wire.PushRegistration
	if err := json.Unmarshal([]byte(body), &reg); status != http.StatusCreated || err != nil {
		t.Fatalf("register: %d %s", status, body)
	}
	bea := lgtesting.Dial(t, reg.ConnectionURI)
	g.SocketIDs(1)
	delivered := pushTo(t, g, []string{"bea"}, "you are here", "")[0]
	bea.Next()
	hour := fmt.Sprintf(`,"expires_at":%d,"topic":"orders"`, time.Now().Add(time.Hour).Unix())
	pending := pushTo(t, g, []string{"ann"}, "order 42 shipped", hour)[0]
	lgtesting.Eventually(t, "the delivery to be recorded", func() bool {
		_, body := g.API(http.MethodGet, wire.Prefix+wire.PathPushMessages+"/"+delivered, "")
		return strings.Contains(body, `"DELIVERED"`)
	})

	signIn(t, ctx, g, lgtesting.Token)
	pendingRow := `tr[data-message="` + pending + `"]`
	view(t, ctx, "push", pendingRow)
	got := get(t, ctx, "read the rows", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#push-table tbody tr')].map(r => r.dataset.message + ' ' + r.querySelector('.badge').className + ' ' + r.querySelector('.badge').textContent)`))
	want := []string{pending + " badge st-pending PENDING", delivered + " badge st-delivered DELIVERED"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("rows, newest first:\n%q\nwant\n%q", got, want)
	}
	screenshot(t, ctx, shotsDir(t), "push")

	run(t, ctx, "filter by status from the keyboard",
		chromedp.SetValue(chromedp.CSS(`#push-status`), "DELIVERED"),
		chromedp.SendKeys(chromedp.CSS(`#push-recipient`), "bea\r"),
		chromedp.WaitNotPresent(chromedp.CSS(pendingRow)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-message="`+delivered+`"]`)))

	many := make([]string, 120)
	for i := range many {
		many[i] = fmt.Sprintf("r%03d", i)
	}
	pushTo(t, g, many, "to many", hour)
	get(t, ctx, "clear the recipient", chromedp.Evaluate[string](`document.querySelector('#push-recipient').value = ''`))
	run(t, ctx, "a first page, then the next",
		chromedp.SetValue(chromedp.CSS(`#push-status`), "PENDING"),
		chromedp.SendKeys(chromedp.CSS(`#push-topic`), "orders\r"),
		chromedp.WaitVisible(chromedp.CSS(`#push-more`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#push-table tbody tr').length === 100`, chromedp.WithPollingMutation()),
		chromedp.Focus(chromedp.CSS(`#push-more`)), chromedp.KeyEvent("\r"),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#push-table tbody tr').length === 121`, chromedp.WithPollingMutation()),
		chromedp.WaitNotVisible(chromedp.CSS(`#push-more`)))

	run(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#push-table tbody tr`)))
	if get(t, ctx, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
		t.Error("the push view is wider than a phone's screen")
	}
	screenshot(t, ctx, shotsDir(t), "push-phone")
}

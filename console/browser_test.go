package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

func TestMain(m *testing.M) { lgtesting.Main(m) }

// browserTimeout bounds a whole browser test: starting Chromium takes a
// second or two, each step a fraction of one.
const browserTimeout = 90 * time.Second

// docsEnv, set to 1, also writes the Overview's screenshot where the
// README shows it; shotsEnv names a directory that keeps every screenshot
// instead of the test's temporary one.
const (
	docsEnv  = "LUAGATE_CONSOLE_DOCS"
	shotsEnv = "LUAGATE_CONSOLE_SHOTS"
)

// browser starts a headless Chromium at 1280×800 for one test. Without a
// browser the test is skipped, unless CI=true, where .ci/run installs one
// and its absence is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium, chromium-browser or google-chrome on PATH: .ci/run installs Debian's chromium")
		}
		t.Skip("no chromium, chromium-browser or google-chrome on PATH: install one (apt-get install chromium) to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1280, 800),
		// CI runs as root, where Chromium's sandbox does not start.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return bctx
}

// shotsDir is where a test saves its screenshots.
func shotsDir(t *testing.T) string {
	if dir := os.Getenv(shotsEnv); dir != "" {
		return dir
	}
	return t.TempDir()
}

// desktop gives a tab's page exactly 1280×800: the window's size holds
// its frame too.
var desktop = chromedp.EmulateViewport(1280, 800)

// run runs the actions in the browser, failing the test with what was
// being done.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that answers a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot saves the page as name.png in dir.
func screenshot(t *testing.T, ctx context.Context, dir, name string) string {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// view opens a view from the navigation, as a keyboard user would, and
// waits for sel to show.
func view(t *testing.T, ctx context.Context, name, sel string) {
	t.Helper()
	run(t, ctx, "open "+name, chromedp.Focus(chromedp.CSS(`#nav a[data-view="`+name+`"]`)),
		chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(sel)))
}

const (
	broken = `--#ENDPOINT WEBSOCKET /console-test
if websocketInfo.type == "close" then
  x = = 1
end
`
	fixed = `--#ENDPOINT WEBSOCKET /console-test
if websocketInfo.type == "close" then
  print("closed " .. websocketInfo.socket_id)
end
`
)

// TestConsoleInABrowser runs the console's browser tests one after the
// other, each in a tab of its own of one Chromium: starting the browser is
// most of their time.
func TestConsoleInABrowser(t *testing.T) {
	browserCtx := browser(t)
	for name, test := range map[string]func(*testing.T, context.Context){
		"DeploysSendsDisconnectsAndFollowsLogs": deploysSendsDisconnectsAndFollowsLogs,
		"OverviewDrawsTheStatsShape":            overviewDrawsTheStatsShape,
		"OverviewShowsTheServersNumbers":        overviewShowsTheServersNumbers,
		"PushMessagesListsPendingFirstAndPages": pushMessagesListsPendingFirstAndPages,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(browserCtx)
			t.Cleanup(cancel)
			run(t, ctx, "open a tab", desktop)
			test(t, ctx)
		})
	}
}

// deploysSendsDisconnectsAndFollowsLogs drives the console through an
// operator's round: sign in, deploy a script with a syntax error and see
// it at its line, fix it, watch a client's socket appear, send it a
// message, disconnect it and read its close event's print in the log.
func deploysSendsDisconnectsAndFollowsLogs(t *testing.T, ctx context.Context) {
	g := lgtesting.NewGateway(t)
	shots := shotsDir(t)

	run(t, ctx, "sign in",
		chromedp.Navigate(g.URL("/console")),
		chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), lgtesting.Token+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`#nav`)),
		chromedp.WaitVisible(chromedp.CSS(`#overview-cards .card`)))
	screenshot(t, ctx, shots, "overview")

	view(t, ctx, "endpoints", `#new-endpoint`)
	run(t, ctx, "deploy a syntax error",
		chromedp.Click(chromedp.CSS(`#new-endpoint`)),
		chromedp.SetValue(chromedp.CSS(`#editor-text`), broken),
		chromedp.Click(chromedp.CSS(`#deploy`)),
		chromedp.WaitVisible(chromedp.CSS(`#gutter div.error[data-line="3"]`)))
	marked := get(t, ctx, "read the marked lines", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#gutter div.error')].map(d => d.dataset.line + ': ' + d.title)`))
	if len(marked) != 1 || !strings.HasPrefix(marked[0], "3: ") {
		t.Fatalf("lines marked in the editor: %q, want line 3 only", marked)
	}
	screenshot(t, ctx, shots, "endpoints-refused")
	run(t, ctx, "deploy the fix",
		chromedp.SetValue(chromedp.CSS(`#editor-text`), fixed),
		chromedp.Click(chromedp.CSS(`#deploy`)),
		chromedp.WaitVisible(`//span[@id="deploy-result"][starts-with(., "Deployed")]`),
		chromedp.WaitVisible(`//ul[@id="endpoint-list"]//button[.="/console-test"]`))
	result := get(t, ctx, "read the result", chromedp.Text(chromedp.CSS(`#deploy-result`)))
	if n := len(queryAll(t, ctx, `#gutter div.error`)); n != 0 {
		t.Fatalf("%d lines still marked after a good deploy (%s)", n, result)
	}
	screenshot(t, ctx, shots, "endpoints")

	client := g.Dial("/console-test?user=ann")
	id := g.SocketIDs(1)[0]
	row := `tr[data-socket="` + id + `"]`
	view(t, ctx, "sockets", row)
	screenshot(t, ctx, shots, "sockets")
	run(t, ctx, "send a message",
		chromedp.Click(chromedp.CSS(`button[aria-label="Send a message to socket `+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#send-text`)),
		chromedp.SendKeys(chromedp.CSS(`#send-text`), "hello from the console\r"))
	client.Expect("hello from the console")
	// The send form hides once the browser has the answer, which the
	// client's message may come before; the table then moves up, and a
	// click aimed at it before would land beside the button.
	run(t, ctx, "disconnect",
		chromedp.WaitNotVisible(chromedp.CSS(`#send-form`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Disconnect socket `+id+`"]`)))
	if code, _ := client.ExpectClose(); code != 1000 {
		t.Errorf("closed with %d, want 1000", code)
	}
	run(t, ctx, "the socket leaves the table", chromedp.WaitNotPresent(chromedp.CSS(row)))

	view(t, ctx, "logs", `#log-list`)
	run(t, ctx, "the close event's print",
		chromedp.WaitVisible(`//ol[@id="log-list"]/li[contains(., "closed `+id+`")]`),
		chromedp.WaitVisible(`//ol[@id="log-list"]/li[contains(@class, "error")][contains(., "deploy")]`))
	screenshot(t, ctx, shots, "logs")

	view(t, ctx, "sessions", `#sessions-table tbody tr`)
	screenshot(t, ctx, shots, "sessions")

	run(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-table tbody tr`)))
	for _, name := range []string{"sessions", "push", "logs", "sockets", "endpoints", "overview"} {
		view(t, ctx, name, "#view-"+name)
		if get(t, ctx, "measure", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)) {
			t.Errorf("the %s view is wider than a phone's screen", name)
		}
		screenshot(t, ctx, shots, name+"-phone")
	}
	t.Logf("screenshots in %s", shots)
}

// queryAll returns the outer HTML of the elements matching sel.
func queryAll(t *testing.T, ctx context.Context, sel string) []string {
	t.Helper()
	return get(t, ctx, "query "+sel, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+sel+`')].map(e => e.outerHTML)`))
}

// statsSample is GET /stats in the shape the Overview reads: three
// samples, oldest first, and the last deploy.
const statsSample = `{"interval_seconds":1,"samples":[
{"time":"2026-01-02T15:04:05Z","sockets_open":3,"messages_in_per_second":1,"messages_out_per_second":2,"errors_per_second":0,"script_p95_ms":0.5},
{"time":"2026-01-02T15:04:06Z","sockets_open":5,"messages_in_per_second":4,"messages_out_per_second":8,"errors_per_second":0.5,"script_p95_ms":1.25},
{"time":"2026-01-02T15:04:07Z","sockets_open":4,"messages_in_per_second":2.5,"messages_out_per_second":5,"errors_per_second":0,"script_p95_ms":0.75}],
"last_deploy":{"revision":7,"time":"2026-01-02T15:00:00Z","result":"ok"}}`

// overviewDrawsTheStatsShape shows the Overview a GET /stats answer of the
// documented shape, put in front of a real gateway, and reads back the
// newest figures and a sparkline per figure.
func overviewDrawsTheStatsShape(t *testing.T, ctx context.Context) {
	g := lgtesting.NewGateway(t)
	target, _ := url.Parse(g.URL("/"))
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == wire.Prefix+"/stats" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, statsSample)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	run(t, ctx, "sign in",
		chromedp.Navigate(front.URL+"/console/"),
		chromedp.SendKeys(chromedp.CSS(`#token`), lgtesting.Token+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`#overview-cards svg polyline`)))
	cards := get(t, ctx, "read the cards", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#overview-cards .card')].map(c => c.querySelector('h3').textContent + '=' + c.querySelector('.value').textContent + (c.querySelector('polyline') ? ' ~' : ''))`))
	want := []string{"Open sockets=4 ~", "Messages in /s=2.5 ~", "Messages out /s=5.0 ~", "Errors /s=0.00 ~", "Script p95=0.75 ms ~", "Last deploy=rev 7"}
	if strings.Join(cards, "|") != strings.Join(want, "|") {
		t.Fatalf("cards %q\nwant  %q", cards, want)
	}
	screenshot(t, ctx, shotsDir(t), "overview-stats")
	if hidden := get(t, ctx, "no-data note", chromedp.Evaluate[bool](`document.querySelector('#overview-nodata').hidden`)); !hidden {
		t.Error(`"no data" shown beside data`)
	}
}

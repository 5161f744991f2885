package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// HTTPScript is the trivial HTTP endpoint luagate serves in an HTTP
// comparison: GET /hello answers "hello", as the plain handler does.
const HTTPScript = "--#ENDPOINT GET /hello\nreturn \"hello\"\n"

// HTTPConfig describes one HTTP load run: Clients keep-alive clients, each
// sending its next GET when the answer to the last is back, for Duration.
type HTTPConfig struct {
	// URL is the http:// address to load, on 127.0.0.0/8 or localhost.
	URL string
	// Clients is how many clients, each with a connection of its own, send
	// at once. Zero means 100.
	Clients int
	// Duration is the length of the load window. Zero means 10s.
	Duration time.Duration
}

// HTTPResult is what one HTTP run measured.
type HTTPResult struct {
	// Requests counts the answers with status 200 in the window; Failed
	// the others and the requests that got none.
	Requests uint64         `json:"requests"`
	Failed   uint64         `json:"failed"`
	Elapsed  time.Duration  `json:"elapsed_ns"`
	Errors   map[string]int `json:"errors,omitempty"`
	Latency  *Histogram     `json:"-"`
}

// PerSec is the requests answered per second.
func (r *HTTPResult) PerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Merge adds o, measured in a later round, to r.
func (r *HTTPResult) Merge(o *HTTPResult) {
	r.Requests += o.Requests
	r.Failed += o.Failed
	r.Elapsed += o.Elapsed
	if r.Latency == nil {
		r.Latency = &Histogram{}
	}
	r.Latency.Merge(o.Latency)
	for k, n := range o.Errors {
		if r.Errors == nil {
			r.Errors = map[string]int{}
		}
		r.Errors[k] += n
	}
}

// LoadHTTP runs cfg's load and returns what it measured.
func LoadHTTP(ctx context.Context, cfg HTTPConfig) (*HTTPResult, error) {
	if cfg.Clients == 0 {
		cfg.Clients = 100
	}
	if cfg.Duration == 0 {
		cfg.Duration = 10 * time.Second
	}
	switch {
	case cfg.Clients < 0 || cfg.Clients > MaxConns:
		return nil, fmt.Errorf("clients %d: must be between 1 and %d", cfg.Clients, MaxConns)
	case cfg.Duration < 0 || cfg.Duration > MaxDuration:
		return nil, fmt.Errorf("duration %s: must be between 0 and %s", cfg.Duration, MaxDuration)
	}
	if err := checkHTTPLoopback(cfg.URL); err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: dialTimeout}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var (
		mu    sync.Mutex
		total = &HTTPResult{Latency: &Histogram{}}
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := &HTTPResult{Latency: &Histogram{}}
			for ctx.Err() == nil {
				t := time.Now()
				err := get(ctx, client, cfg.URL)
				switch {
				case err == nil:
					own.Requests++
					own.Latency.Record(time.Since(t))
				case ctx.Err() != nil: // the window ended under it
				default:
					own.Failed++
					if own.Errors == nil {
						own.Errors = map[string]int{}
					}
					own.Errors[err.Error()]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			total.Merge(own)
		}()
	}
	wg.Wait()
	total.Elapsed = time.Since(start)
	return total, nil
}

// get sends one GET and reads its answer to the end, so the connection is
// kept.
func get(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("request: %w", errorKind(err))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("read: %w", errorKind(err))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// errorKind drops the address and URL from err, so that errors of one
// kind count together.
func errorKind(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return err
}

// checkHTTPLoopback refuses any target but 127.0.0.0/8 and localhost.
func checkHTTPLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("url %q: scheme must be http", raw)
	}
	u.Scheme = "ws"
	return checkLoopback(u.String())
}

// PlainHTTPEnv, set to "1", makes the load tool serve the plain net/http
// baseline instead: see ServePlainHTTP.
const PlainHTTPEnv = "LUAGATE_BENCH_PLAIN_HTTP"

// ServePlainHTTP is the baseline an HTTP endpoint is measured against: a
// net/http handler answering "hello" at every path, with no routing and
// no scripting. It listens on a loopback port, writes its address as a
// line on out, and serves until in is closed.
func ServePlainHTTP(in io.Reader, out io.Writer) error {
	return serveAsChild(in, out, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "hello")
	}))
}

// serveAsChild serves h on a loopback port, writes its address as one line
// to out for the parent (startChildServer), and serves until in is closed.
func serveAsChild(in io.Reader, out io.Writer, h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	if _, err := fmt.Fprintln(out, ln.Addr().String()); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, in)
	return srv.Close()
}

// ChildServer is a baseline running in a process of its own, as luagate
// does, so that neither shares a scheduler with the clients.
type ChildServer struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
}

// StartPlainHTTP runs exe (the load tool) with PlainHTTPEnv set.
func StartPlainHTTP(exe string) (*ChildServer, error) {
	return startChildServer(exe, PlainHTTPEnv, "the plain net/http server")
}

// StartEchoChild runs exe (the load tool) with EchoEnv set.
func StartEchoChild(exe string) (*ChildServer, error) {
	return startChildServer(exe, EchoEnv, "the second raw echo")
}

// StartChatHub runs exe (the load tool) with ChatHubEnv set.
func StartChatHub(exe string) (*ChildServer, error) {
	return startChildServer(exe, ChatHubEnv, "the raw broadcast hub")
}

func startChildServer(exe, env, name string) (*ChildServer, error) {
	cmd, in, out, err := startSelf(exe, env)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%s did not start: %w", name, err)
	}
	return &ChildServer{cmd: cmd, stdin: in, addr: strings.TrimSpace(line)}, nil
}

// URL is the http:// address of path on the baseline.
func (p *ChildServer) URL(path string) string { return "http://" + p.addr + path }

// Pid is the baseline's process id.
func (p *ChildServer) Pid() int { return p.cmd.Process.Pid }

// WSURL is the ws:// address of path on the baseline.
func (p *ChildServer) WSURL(path string) string { return "ws://" + p.addr + path }

// Stop ends the baseline and waits for it.
func (p *ChildServer) Stop() {
	_ = p.stdin.Close()
	_ = p.cmd.Wait()
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// Config describes one load run. A zero field means its default.
type Config struct {
	// URL is the ws:// address to load. Its host must be a loopback IP or
	// "localhost". Required.
	URL string
	// Conns is how many connections to open. Zero means 1,000.
	Conns int
	// Size is the length of each message in bytes; at least the 17 bytes of
	// the timestamp every message carries. Zero means 64.
	Size int
	// Rate is the messages per second each connection sends. Zero means as
	// fast as replies come back: one message in flight per connection.
	Rate float64
	// Duration is how long the load lasts once every connection is open.
	// Zero means 10s.
	Duration time.Duration
	// Idle opens the connections and sends nothing.
	Idle bool
	// Sources is how many source addresses (127.0.0.2, 127.0.0.3, ...) the
	// connections are spread over, each good for about 28,000 connections
	// to one server port. Zero means 8.
	Sources int
	// FirstSource is the index of the first source address, so that child
	// processes can use different ones: 0 means 127.0.0.2.
	FirstSource int
	// DialConcurrency bounds the connections being opened at once, so that
	// the server's accept backlog does not overflow. Zero means 64.
	DialConcurrency int
	// Slot and Classes sort the round trips by when their message was
	// sent: the load window is cut into slots of Slot each from its
	// start, and a message sent in slot k counts toward the class
	// Classes[k%len(Classes)] in Result.Classes ('-' for none), besides
	// Latency. A benchmark that changes what the server does in step with
	// the slots reads each phase's round trips from its class. Zero means
	// no classes.
	Slot    time.Duration
	Classes string
}

// Limits that keep every run bounded.
const (
	MaxConns    = 100_000
	MaxDuration = 10 * time.Minute
	// stampLen is the message prefix carrying the send time: 16 hex digits
	// and a space.
	stampLen    = 17
	dialTimeout = 10 * time.Second
	// drainWait is how long replies still in flight are awaited after the
	// load ends.
	drainWait = 2 * time.Second
)

func (c Config) withDefaults() (Config, error) {
	if c.Conns == 0 {
		c.Conns = 1000
	}
	if c.Size == 0 {
		c.Size = 64
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Sources == 0 {
		c.Sources = 8
	}
	if c.DialConcurrency == 0 {
		c.DialConcurrency = 64
	}
	switch {
	case c.Conns < 0 || c.Conns > MaxConns:
		return c, fmt.Errorf("conns %d: must be between 1 and %d", c.Conns, MaxConns)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return c, fmt.Errorf("duration %s: must be between 0 and %s", c.Duration, MaxDuration)
	case c.Size < stampLen:
		return c, fmt.Errorf("size %d: must be at least %d, the timestamp each message carries", c.Size, stampLen)
	case c.Rate < 0:
		return c, fmt.Errorf("rate %g: must not be negative", c.Rate)
	case c.Slot < 0 || c.Slot > 0 && c.Classes == "":
		return c, fmt.Errorf("slot %s: must not be negative, and needs classes", c.Slot)
	case c.Sources < 0 || c.FirstSource < 0 || c.FirstSource+c.Sources > 250:
		return c, fmt.Errorf("sources %d from %d: must fit in 127.0.0.2-127.0.0.251", c.Sources, c.FirstSource)
	}
	return c, checkLoopback(c.URL)
}

// checkLoopback refuses any target but 127.0.0.0/8 and localhost.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "ws" {
		return fmt.Errorf("url %q: scheme must be ws", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return fmt.Errorf("url %q: load only targets 127.0.0.0/8", raw)
	}
	return nil
}

// Result is what one run measured.
type Result struct {
	Established int `json:"established"`
	Failed      int `json:"failed"`
	// Sent and Received count messages during the load window (replies in
	// flight when it ended are awaited briefly and counted).
	Sent     uint64        `json:"sent"`
	Received uint64        `json:"received"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	// Errors counts failures by kind: "dial: connection refused", ...
	Errors map[string]int `json:"errors,omitempty"`
	// Limit says which system limit stopped connections, if one did.
	Limit   string     `json:"limit,omitempty"`
	Latency *Histogram `json:"-"`
	// Classes holds the round trips by class, when Config.Slot is set.
	Classes map[string]*Histogram `json:"classes,omitempty"`
}

// Merge adds o, measured at the same time in another process, to r.
func (r *Result) Merge(o *Result) {
	r.Established += o.Established
	r.Failed += o.Failed
	r.Sent += o.Sent
	r.Received += o.Received
	r.Elapsed = max(r.Elapsed, o.Elapsed)
	for k, v := range o.Errors {
		if r.Errors == nil {
			r.Errors = map[string]int{}
		}
		r.Errors[k] += v
	}
	if r.Limit == "" {
		r.Limit = o.Limit
	}
	if o.Latency != nil {
		if r.Latency == nil {
			r.Latency = &Histogram{}
		}
		r.Latency.Merge(o.Latency)
	}
	for k, h := range o.Classes {
		r.class(k).Merge(h)
	}
}

// class returns the histogram of class k, adding it if r has none.
func (r *Result) class(k string) *Histogram {
	if r.Classes == nil {
		r.Classes = map[string]*Histogram{}
	}
	h := r.Classes[k]
	if h == nil {
		h = &Histogram{}
		r.Classes[k] = h
	}
	return h
}

// Runner holds the connections of one run: Connect opens them, then Load
// sends on them and closes them.
type Runner struct {
	cfg   Config
	conns []*conn
	start time.Time // origin of the timestamps in messages
	begin time.Time // the load window's start, set before any reader starts
	// windowEnd, if set, is called once the window and its drain are
	// over, before the connections close.
	windowEnd func()

	mu      sync.Mutex // guards errors, limit, failed and classes
	errors  map[string]int
	limit   string
	failed  int
	classes Result // only its Classes
}

// conn is one client connection and what it measured. Only its own
// goroutines touch it until Load has waited for them.
type conn struct {
	ws       *websocket.Conn
	sent     atomic.Uint64
	received atomic.Uint64
	hist     Histogram     // written by the reader goroutine only
	replies  chan struct{} // closed-loop mode: the reader tells the writer a reply came
}

// NewRunner checks cfg and returns a runner with no connections yet.
func NewRunner(cfg Config) (*Runner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg, errors: map[string]int{}, start: time.Now()}, nil
}

// Connect opens the configured connections, at most DialConcurrency at
// once, and returns when every dial has succeeded or failed. When a system
// limit (open files, ephemeral ports) stops dials, it stops dialing and says
// so in the result rather than retrying.
func (r *Runner) Connect(ctx context.Context) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		stopped atomic.Bool
		sem     = make(chan struct{}, r.cfg.DialConcurrency)
	)
	for i := range r.cfg.Conns {
		if stopped.Load() || ctx.Err() != nil {
			r.fail("dial: not attempted", nil)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, err := r.dial(ctx, i)
			if err != nil {
				if r.fail("dial", err) {
					stopped.Store(true)
				}
				return
			}
			mu.Lock()
			r.conns = append(r.conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
}

func (r *Runner) dial(ctx context.Context, i int) (*conn, error) {
	src := net.IPv4(127, 0, 0, byte(2+r.cfg.FirstSource+i%r.cfg.Sources))
	d := websocket.Dialer{
		NetDialContext:   (&net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: dialTimeout}).DialContext,
		HandshakeTimeout: dialTimeout,
	}
	ws, resp, err := d.DialContext(ctx, r.cfg.URL, nil)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("status %d: %w", resp.StatusCode, err)
		}
		return nil, err
	}
	return &conn{ws: ws, replies: make(chan struct{}, 1)}, nil
}

// fail counts an error by kind, and a failed connection when dialing
// failed. It reports whether the error is a system limit that further dials
// would also hit.
func (r *Runner) fail(op string, err error) bool {
	kind, limit := classify(op, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
	if strings.HasPrefix(op, "dial") {
		r.failed++
	}
	if limit != "" && r.limit == "" {
		r.limit = limit
	}
	return limit != ""
}

// classify names an error's kind, and the system limit it means, if any.
func classify(op string, err error) (kind, limit string) {
	switch {
	case err == nil:
		return op, ""
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return op + ": too many open files", "open files: the process or system file limit (ulimit -n) stopped new connections; use --procs to spread the client side"
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return op + ": no free local port", "ephemeral ports: no free local port; use more --sources"
	case errors.Is(err, syscall.ECONNREFUSED):
		return op + ": connection refused", ""
	case errors.Is(err, syscall.ECONNRESET):
		return op + ": connection reset", ""
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return op + ": timeout", ""
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return op + ": timeout", ""
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return op + ": closed by server " + strconv.Itoa(ce.Code), ""
	}
	if errors.Is(err, websocket.ErrBadHandshake) {
		return op + ": bad handshake", ""
	}
	return op + ": other", ""
}

// Load runs the load window on the open connections (or, in idle mode,
// keeps them open for its length), waits briefly for replies still in
// flight, closes every connection and returns what was measured.
func (r *Runner) Load(ctx context.Context) *Result {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	var (
		readers, writers sync.WaitGroup
		ending           atomic.Bool
	)
	begin := time.Now()
	r.begin = begin
	for i, c := range r.conns {
		_ = c.ws.SetWriteDeadline(begin.Add(r.cfg.Duration + drainWait + dialTimeout))
		readers.Add(1)
		go func() {
			defer readers.Done()
			r.read(c, &ending)
		}()
		if r.cfg.Idle {
			continue
		}
		writers.Add(1)
		go func() {
			defer writers.Done()
			r.write(ctx, c, i)
		}()
	}
	<-ctx.Done()
	writers.Wait()
	elapsed := time.Since(begin)
	r.drain()
	if r.windowEnd != nil {
		r.windowEnd()
	}
	ending.Store(true)
	for _, c := range r.conns {
		_ = c.ws.NetConn().Close()
	}
	readers.Wait()

	res := &Result{Established: len(r.conns), Elapsed: elapsed, Latency: &Histogram{}}
	for _, c := range r.conns {
		res.Sent += c.sent.Load()
		res.Received += c.received.Load()
		res.Latency.Merge(&c.hist)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Failed, res.Limit, res.Classes = r.failed, r.limit, r.classes.Classes
	if len(r.errors) > 0 {
		res.Errors = r.errors
	}
	return res
}

// drain waits up to drainWait for every sent message's reply.
func (r *Runner) drain() {
	deadline := time.Now().Add(drainWait)
	for time.Now().Before(deadline) {
		pending := false
		for _, c := range r.conns {
			if c.received.Load() < c.sent.Load() {
				pending = true
				break
			}
		}
		if !pending {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// write sends c's messages until ctx ends: at the configured rate, or each
// as soon as the previous one's reply came back. Connection i starts i/n of
// an interval late so that rated connections do not all send at once.
func (r *Runner) write(ctx context.Context, c *conn, i int) {
	msg := make([]byte, r.cfg.Size)
	for j := range msg {
		msg[j] = 'x'
	}
	msg[stampLen-1] = ' '
	send := func() bool {
		stamp(msg, time.Since(r.start))
		if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
			if ctx.Err() == nil {
				r.fail("write", err)
			}
			return false
		}
		c.sent.Add(1)
		return true
	}
	if r.cfg.Rate == 0 {
		for ctx.Err() == nil && send() {
			select {
			case <-c.replies:
			case <-ctx.Done():
			}
		}
		return
	}
	interval := time.Duration(float64(time.Second) / r.cfg.Rate)
	timer := time.NewTimer(interval * time.Duration(i) / time.Duration(len(r.conns)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if !send() {
			return
		}
		timer.Reset(interval)
	}
}

// read records the round trip of every reply on c until the connection
// ends. A message without a timestamp (a server's greeting) is not a reply.
func (r *Runner) read(c *conn, ending *atomic.Bool) {
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			if !ending.Load() {
				r.fail("read", err)
			}
			return
		}
		sentAt, ok := parseStamp(msg)
		if !ok {
			continue
		}
		rtt := time.Since(r.start) - sentAt
		c.hist.Record(rtt)
		if r.cfg.Slot > 0 {
			r.classify(sentAt-r.begin.Sub(r.start), rtt)
		}
		c.received.Add(1)
		select {
		case c.replies <- struct{}{}:
		default:
		}
	}
}

// classify counts a round trip of rtt, of a message sent at since into the
// load window, toward its slot's class.
func (r *Runner) classify(since, rtt time.Duration) {
	if since < 0 {
		return
	}
	k := r.cfg.Classes[int(since/r.cfg.Slot)%len(r.cfg.Classes)]
	if k == '-' {
		return
	}
	r.mu.Lock()
	r.classes.class(string(k)).Record(rtt)
	r.mu.Unlock()
}

const hexDigits = "0123456789abcdef"

// stamp writes d as 16 hex digits at the start of msg.
func stamp(msg []byte, d time.Duration) {
	v := uint64(d)
	for i := 15; i >= 0; i-- {
		msg[i] = hexDigits[v&0xf]
		v >>= 4
	}
}

// parseStamp reads what stamp wrote, if msg starts with it.
func parseStamp(msg []byte) (time.Duration, bool) {
	if len(msg) < stampLen || msg[stampLen-1] != ' ' {
		return 0, false
	}
	var v uint64
	for _, b := range msg[:stampLen-1] {
		switch {
		case b >= '0' && b <= '9':
			v = v<<4 | uint64(b-'0')
		case b >= 'a' && b <= 'f':
			v = v<<4 | uint64(b-'a'+10)
		default:
			return 0, false
		}
	}
	return time.Duration(v), true
}

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// ChildEnv, set to "1" in a process's environment, makes the load tool run
// as a child of another: see ServeChild.
const ChildEnv = "LUAGATE_BENCH_CHILD"

// childReport is what a child writes on stdout: once when its connections
// are open, then once with its result.
type childReport struct {
	Ready bool `json:"ready,omitempty"`
	// WindowEnd says the load window and its drain are over; the child
	// closes its connections once told to, with a line on its input.
	WindowEnd bool       `json:"window_end,omitempty"`
	Result    *Result    `json:"result,omitempty"`
	Latency   *Histogram `json:"latency,omitempty"`
}

// ServeChild runs one share of a load for a parent process: it reads its
// Config as JSON from in, opens its connections, reports that it is ready,
// waits for a line on in to start the load window, reports the window's
// end, waits for another line to close its connections, and then reports
// its result.
func ServeChild(ctx context.Context, in io.Reader, out io.Writer) error {
	_, _ = RaiseFileLimit()
	lines := bufio.NewReader(in)
	line, err := lines.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(line, &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	r, err := NewRunner(cfg)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	r.Connect(ctx)
	if err := enc.Encode(childReport{Ready: true}); err != nil {
		return err
	}
	if _, err := lines.ReadBytes('\n'); err != nil {
		return fmt.Errorf("wait for start: %w", err)
	}
	var ended error
	r.windowEnd = func() {
		if ended = enc.Encode(childReport{WindowEnd: true}); ended == nil {
			_, ended = lines.ReadBytes('\n')
		}
	}
	res := r.Load(ctx)
	if ended != nil {
		return fmt.Errorf("end of the window: %w", ended)
	}
	return enc.Encode(childReport{Result: res, Latency: res.Latency})
}

// ServeAsChild runs this process as the part of a measurement its
// environment names (ChildEnv, ChatHubEnv, PlainHTTPEnv, EchoEnv), if it
// names one, and returns the exit code. The load tool calls it first
// thing, and so can a test binary, whose benchmarks then run their
// clients or baselines in processes of their own.
func ServeAsChild(ctx context.Context) (code int, ok bool) {
	var err error
	switch {
	case os.Getenv(ChildEnv) == "1":
		err = ServeChild(ctx, os.Stdin, os.Stdout)
	case os.Getenv(ChatHubEnv) == "1":
		err = ServeChatHub(os.Stdin, os.Stdout)
	case os.Getenv(PlainHTTPEnv) == "1":
		err = ServePlainHTTP(os.Stdin, os.Stdout)
	case os.Getenv(EchoEnv) == "1":
		err = ServeEchoChild(os.Stdin, os.Stdout)
	default:
		return 0, false
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "luagate-bench child: %v\n", err)
		return 1, true
	}
	return 0, true
}

// Procs is a load split over child processes, each running exe with
// ChildEnv set.
type Procs struct {
	children []*child
}

type child struct {
	cmd         *exec.Cmd
	in          io.WriteCloser
	out         *json.Decoder
	windowEnded bool // its WindowEnd report has been read
}

// StartProcs starts n children of exe that share cfg's connections and
// source addresses, and returns once every child has opened its
// connections.
func StartProcs(ctx context.Context, exe string, cfg Config, n int) (*Procs, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if n > cfg.Sources {
		cfg.Sources = n
	}
	p := &Procs{}
	for i := range n {
		share := cfg
		share.Conns = cfg.Conns/n + btoi(i < cfg.Conns%n)
		share.Sources = max(1, cfg.Sources/n)
		share.FirstSource = cfg.FirstSource + i*share.Sources
		c, err := startChild(exe, share)
		if err != nil {
			p.Kill()
			return nil, err
		}
		p.children = append(p.children, c)
	}
	for _, c := range p.children {
		var rep childReport
		if err := c.out.Decode(&rep); err != nil || !rep.Ready {
			p.Kill()
			return nil, fmt.Errorf("child %d did not get ready: %v", c.cmd.Process.Pid, err)
		}
	}
	return p, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// startSelf runs exe, the load tool, with env set to "1", talking to it
// over its stdin and stdout.
func startSelf(exe, env string) (*exec.Cmd, io.WriteCloser, io.Reader, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	return cmd, in, out, nil
}

func startChild(exe string, cfg Config) (*child, error) {
	cmd, in, out, err := startSelf(exe, ChildEnv)
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	if err := json.NewEncoder(in).Encode(cfg); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("configure child: %w", err)
	}
	return &child{cmd: cmd, in: in, out: json.NewDecoder(out)}, nil
}

// Load starts every child's load window at once and returns their merged
// result.
func (p *Procs) Load() (*Result, error) {
	if err := p.Start(); err != nil {
		return nil, err
	}
	return p.Wait()
}

// Start starts every child's load window at once, for a caller that does
// something in step with it before Wait.
func (p *Procs) Start() error {
	for _, c := range p.children {
		if _, err := io.WriteString(c.in, "go\n"); err != nil {
			p.Kill()
			return fmt.Errorf("start child %d: %w", c.cmd.Process.Pid, err)
		}
	}
	return nil
}

// WaitWindows returns once every child's load window and its drain are
// over. The children keep their connections open until Wait: a server's
// work from then on is their teardown, not the load's.
func (p *Procs) WaitWindows() error {
	for _, c := range p.children {
		if c.windowEnded {
			continue
		}
		var rep childReport
		if err := c.out.Decode(&rep); err != nil || !rep.WindowEnd {
			p.Kill()
			return fmt.Errorf("child %d did not end its window: %v", c.cmd.Process.Pid, err)
		}
		c.windowEnded = true
	}
	return nil
}

// Wait has the children close their connections once their load windows
// are over, and returns the merged result of the windows Start began once
// every child has reported.
func (p *Procs) Wait() (*Result, error) {
	if err := p.WaitWindows(); err != nil {
		return nil, err
	}
	for _, c := range p.children {
		if _, err := io.WriteString(c.in, "close\n"); err != nil {
			p.Kill()
			return nil, fmt.Errorf("end child %d's window: %w", c.cmd.Process.Pid, err)
		}
	}
	total := &Result{Latency: &Histogram{}}
	var firstErr error
	for _, c := range p.children {
		var rep childReport
		err := c.out.Decode(&rep)
		if err == nil && rep.Result == nil {
			err = fmt.Errorf("no result")
		}
		_ = c.in.Close()
		if werr := c.cmd.Wait(); err == nil && werr != nil {
			err = werr
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("child %d: %w", c.cmd.Process.Pid, err)
			}
			continue
		}
		rep.Result.Latency = rep.Latency
		total.Merge(rep.Result)
	}
	return total, firstErr
}

// Kill stops every child.
func (p *Procs) Kill() {
	for _, c := range p.children {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	}
}

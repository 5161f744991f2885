package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Luagate is a luagate server process started for a run.
type Luagate struct {
	cmd  *exec.Cmd
	dir  string
	addr string
	done chan error
}

// startTimeout bounds how long a started luagate may take to listen.
const startTimeout = 30 * time.Second

// addrPoll is how often a started luagate's address file is looked for.
const addrPoll = 10 * time.Millisecond

// StartLuagate runs the luagate binary at bin on a random loopback port
// with a temporary data dir and the rate limit off, and deploys script (a
// raw endpoint body such as the echo example) to it.
func StartLuagate(ctx context.Context, bin string, script []byte) (*Luagate, error) {
	dir, err := os.MkdirTemp("", "luagate-bench-")
	if err != nil {
		return nil, err
	}
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])
	addrFile := filepath.Join(dir, "addr")
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir,
		"--admin-token", token, "--rate-limit", "0", "--addr-file", addrFile)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	l := &Luagate{cmd: cmd, dir: dir, done: make(chan error, 1)}
	go func() { l.done <- cmd.Wait() }()
	// serve --addr-file writes the address once it serves, through a
	// rename, so the file is either absent or whole.
	tick := time.NewTicker(addrPoll)
	defer tick.Stop()
	deadline := time.After(startTimeout)
	for l.addr == "" {
		select {
		case err := <-l.done:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("luagate exited before listening: %v", err)
		case <-deadline:
			l.Stop()
			return nil, fmt.Errorf("luagate did not listen within %s", startTimeout)
		case <-tick.C:
			if b, err := os.ReadFile(addrFile); err == nil {
				l.addr = strings.TrimSpace(string(b))
			}
		}
	}
	if err := l.deploy(ctx, token, script); err != nil {
		l.Stop()
		return nil, err
	}
	return l, nil
}

func (l *Luagate) deploy(ctx context.Context, token string, script []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+l.addr+"/api/v1/solution/endpoints", bytes.NewReader(script))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("deploy: %d %s", resp.StatusCode, body)
	}
	return nil
}

// URL is the ws:// address of path on the server.
func (l *Luagate) URL(path string) string { return "ws://" + l.addr + path }

// HTTPURL is the http:// address of path on the server.
func (l *Luagate) HTTPURL(path string) string { return "http://" + l.addr + path }

// Pid is the server's process id.
func (l *Luagate) Pid() int { return l.cmd.Process.Pid }

// Stop interrupts the server, waits for it to exit (killing it if shutdown
// takes too long) and removes its data dir.
func (l *Luagate) Stop() {
	_ = l.cmd.Process.Signal(os.Interrupt)
	select {
	case <-l.done:
	case <-time.After(startTimeout):
		_ = l.cmd.Process.Kill()
		<-l.done
	}
	os.RemoveAll(l.dir)
}

// BuildLuagate builds cmd/luagate into dir and returns the binary's path.
// It must run inside the luagate module.
func BuildLuagate(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "luagate")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/luagate/luagate/cmd/luagate").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build luagate (run from the luagate repository, or pass --luagate-bin): %v: %s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

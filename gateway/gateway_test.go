package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

func TestMain(m *testing.M) { lgtesting.Main(m) }

func TestAGeneratedTokenIsKeptPrivateAndReusedOnRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := lgtesting.StartGateway(t, dir, func(c *gateway.Config) { c.AdminToken = "" })
	token := first.Token()
	if len(token) < 32 {
		t.Fatalf("generated token %q is too short", token)
	}
	info, err := os.Stat(gateway.TokenPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("token file mode %o, want 600", perm)
	}
	if status, _ := first.APIAs(token, http.MethodGet, "/api/v1/solution", ""); status != http.StatusOK {
		t.Fatalf("generated token refused: %d", status)
	}
	first.Stop()
	second := lgtesting.StartGateway(t, dir, func(c *gateway.Config) { c.AdminToken = "" })
	if second.Token() != token {
		t.Fatalf("restart generated a new token")
	}
	if got, err := gateway.ReadToken(dir); err != nil || got != token {
		t.Fatalf("ReadToken %q %v", got, err)
	}
}

func TestAdminAddrServesTheManagementAPIApart(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.AdminAddr = "127.0.0.1:0" })
	if g.AdminAddr() == g.Addr() {
		t.Fatal("the admin API shares the main listener")
	}
	// A project whose socket lives under /api/ deploys and serves.
	g.Deploy("/api/subscribe", `return "subscribed"`)
	g.Dial("/api/subscribe").Expect("subscribed")

	status, body := lgtesting.Request(t, lgtesting.Token, http.MethodGet, g.URL("/api/v1/solution"), "")
	if status != http.StatusNotFound || !strings.Contains(body, "not served on this address") {
		t.Fatalf("management API on the main listener: %d %s", status, body)
	}
	for _, url := range []string{g.URL("/api/v1/solution/health"), "http://" + g.AdminAddr() + "/api/v1/solution/health"} {
		if status, body := lgtesting.Request(t, "", http.MethodGet, url, ""); status != http.StatusOK || body != "OK" {
			t.Fatalf("health at %s: %d %s", url, status, body)
		}
	}
	if status, _ := lgtesting.Request(t, "", http.MethodGet, "http://"+g.AdminAddr()+"/api/subscribe", ""); status != http.StatusNotFound {
		t.Fatalf("the admin listener serves endpoints: %d", status)
	}
}

func TestReservedPathsAreRefusedWithTheReason(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t)
	for _, path := range []string{"/api/v1/solution", "/api/v1/solution/x", "/console", "/console/app", "/metrics"} {
		status, body := g.API(http.MethodPut, "/api/v1/solution/endpoints", `{"path":"`+path+`","script":"return 1"}`)
		if status != http.StatusBadRequest || !strings.Contains(body, "is reserved") {
			t.Errorf("deploy %s: %d %s", path, status, body)
		}
	}
	for _, path := range []string{"/api/v1", "/consoles", "/metrics2", "/api/x"} {
		g.Deploy(path, `return 1`)
	}
}

func TestTheAddressFileNamesTheListener(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "addr")
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.AddrFile = file })
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != g.Addr()+"\n" {
		t.Fatalf("address file %q, want %q", got, g.Addr())
	}
}

func TestWatchRedeploysAndKeepsTheLastGoodRevision(t *testing.T) {
	t.Parallel()
	project := t.TempDir()
	script := filepath.Join(project, "endpoints", "w.lua")
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(script, []byte("--#ENDPOINT WEBSOCKET /w\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`return "one"`)
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.Project, c.Watch = project, true })
	g.Dial("/w").Expect("one")
	write(`return "two"`)
	lgtesting.Eventually(t, "the change to be deployed", func() bool {
		return strings.Contains(g.Logs.String(), "solution deployed")
	})
	lgtesting.Eventually(t, "the new revision to answer", func() bool {
		return g.Dial("/w").Next() == "two"
	})
	write("local x = = 1\n")
	lgtesting.Eventually(t, "the broken save to be logged", func() bool {
		return strings.Contains(g.Logs.String(), "w.lua:2")
	})
	g.Dial("/w").Expect("two")
}

func TestRunShutsDownInOrderWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := lgtesting.StartGateway(t, dir)
	g.Deploy("/s", `if websocketInfo.type == "close" then print("closed " .. websocketInfo.close_code) end`)
	c := g.Dial("/s")
	g.SocketIDs(1)
	g.Stop()
	if code, _ := c.ExpectClose(); code != 1001 {
		t.Fatalf("close code %d, want 1001", code)
	}
	if !strings.Contains(g.Logs.String(), "closed 1001") {
		t.Fatal("the close event did not run before shutdown returned")
	}
	// The store was closed: another gateway can open it, and finds the
	// solution.
	again := lgtesting.StartGateway(t, dir)
	if status, body := again.API(http.MethodGet, "/api/v1/solution/endpoints", ""); status != http.StatusOK || !strings.Contains(body, `"/s"`) {
		t.Fatalf("after restart: %d %s", status, body)
	}
}

func TestRunReturnsWhenItsContextIsCancelled(t *testing.T) {
	t.Parallel()
	g, err := gateway.New(gateway.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", AdminToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	lgtesting.Eventually(t, "the gateway to answer health checks", func() bool {
		resp, err := http.Get("http://" + g.Addr() + "/api/v1/solution/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lgtesting.WaitLimit):
		t.Fatal("Run did not return")
	}
}

func TestBadConfigurationsAreRefused(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]gateway.Config{
		"no data dir":      {},
		"cert without key": {DataDir: t.TempDir(), TLSCert: "c.pem"},
		"watch no project": {DataDir: t.TempDir(), Watch: true},
		"busy address":     {DataDir: t.TempDir(), Addr: "127.0.0.1:-1"},
		"negative groups":  {DataDir: t.TempDir(), Hub: hub.Config{MaxGroupsPerSocket: -1}},
	} {
		if _, err := gateway.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestAdminListenerServesProfilesToTheAdminOnly(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.AdminAddr = "127.0.0.1:0" })
	profiles := "http://" + g.AdminAddr() + "/debug/pprof/"
	status, body := lgtesting.Request(t, lgtesting.Token, http.MethodGet, profiles+"goroutine?debug=1", "")
	if status != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Fatalf("goroutine profile with the admin token: %d %.200s", status, body)
	}
	if status, _ := lgtesting.Request(t, "", http.MethodGet, profiles, ""); status != http.StatusUnauthorized {
		t.Errorf("profiles without a credential: %d, want 401", status)
	}
	req, _ := json.Marshal(wire.KeyRequest{Name: "reader", Scopes: []string{"read"}})
	status, resp := g.API(http.MethodPost, wire.Prefix+"/keys", string(req))
	var key wire.Key
	if status != http.StatusCreated || json.Unmarshal([]byte(resp), &key) != nil {
		t.Fatalf("create key: %d %s", status, resp)
	}
	if status, _ := lgtesting.Request(t, key.Secret, http.MethodGet, profiles+"heap", ""); status != http.StatusForbidden {
		t.Errorf("profiles with a read key: %d, want 403", status)
	}
	if status, _ := lgtesting.Request(t, lgtesting.Token, http.MethodGet, g.URL("/debug/pprof/"), ""); status != http.StatusNotFound {
		t.Errorf("the main listener serves profiles: %d, want 404", status)
	}
}

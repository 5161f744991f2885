package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/luagate/luagate/gateway"
)

func TestBadSecurityConfigurationStopsTheStart(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(*gateway.Config){
		"unknown default":  func(c *gateway.Config) { c.Server.DefaultSecurity = "magic" },
		"script default":   func(c *gateway.Config) { c.Server.DefaultSecurity = "script auth.check" },
		"missing key file": func(c *gateway.Config) { c.Server.JWT.KeyFiles = []string{filepath.Join(c.DataDir, "none.pem")} },
		"jwt without keys": func(c *gateway.Config) { c.Server.DefaultSecurity = "jwt" },
	} {
		cfg := gateway.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", AdminToken: "t"}
		edit(&cfg)
		g, err := gateway.New(cfg)
		if err == nil {
			g.Shutdown(t.Context())
			t.Errorf("%s: the gateway started", name)
			continue
		}
		if !strings.Contains(err.Error(), "security") && !strings.Contains(err.Error(), "JWT") {
			t.Errorf("%s: %v does not say what is wrong", name, err)
		}
	}
}

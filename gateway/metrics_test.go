package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
)

func TestMetricsAddrServesMetricsWithoutACredential(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if g.MetricsAddr() == "" || g.MetricsAddr() == g.Addr() {
		t.Fatalf("metrics address %q beside %q", g.MetricsAddr(), g.Addr())
	}
	g.Deploy("/echo", "return websocketInfo.message")
	c := g.Dial("/echo")
	c.Send("x")
	c.Expect("x")
	status, body := lgtesting.Request(t, "", http.MethodGet, "http://"+g.MetricsAddr()+"/metrics", "")
	if status != http.StatusOK || !strings.Contains(body, `luagate_sockets_open{route="/echo"} 1`) {
		t.Fatalf("metrics without a credential: %d %.300s", status, body)
	}
	for _, path := range []string{"/api/v1/solution", "/echo"} {
		if status, _ := lgtesting.Request(t, lgtesting.Token, http.MethodGet, "http://"+g.MetricsAddr()+path, ""); status != http.StatusNotFound {
			t.Errorf("the metrics listener serves %s: %d", path, status)
		}
	}
	if status, _ := lgtesting.Request(t, "", http.MethodGet, g.URL("/metrics"), ""); status != http.StatusUnauthorized {
		t.Fatalf("metrics on the main listener without a credential: %d", status)
	}
}

func TestMetricsFollowTheManagementAPIToItsAddress(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, func(c *gateway.Config) { c.AdminAddr = "127.0.0.1:0" })
	if status, _ := lgtesting.Request(t, lgtesting.Token, http.MethodGet, g.URL("/metrics"), ""); status != http.StatusNotFound {
		t.Fatalf("metrics on the public listener: %d", status)
	}
	if status, _ := lgtesting.Request(t, lgtesting.Token, http.MethodGet, "http://"+g.AdminAddr()+"/metrics", ""); status != http.StatusOK {
		t.Fatalf("metrics on the management listener: %d", status)
	}
}

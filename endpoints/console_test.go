package endpoints_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/luagate/luagate/gateway"
	"github.com/luagate/luagate/internal/lgtesting"
)

// TestConsoleIsServedWhereTheAPIIs serves the console on the listener of
// the management API, since its pages call the API on their own origin.
func TestConsoleIsServedWhereTheAPIIs(t *testing.T) {
	t.Parallel()
	one := lgtesting.NewGateway(t)
	split := lgtesting.NewGateway(t, func(c *gateway.Config) { c.AdminAddr = "127.0.0.1:0" })
	for _, c := range []struct {
		url    string
		status int
	}{
		{one.URL("/console/"), http.StatusOK},
		{"http://" + split.AdminAddr() + "/console/", http.StatusOK},
		{split.URL("/console/"), http.StatusNotFound},
	} {
		status, body := lgtesting.Request(t, "", http.MethodGet, c.url, "")
		if status != c.status || (status == http.StatusOK) != strings.Contains(body, "luagate console") {
			t.Errorf("GET %s: %d, want %d", c.url, status, c.status)
		}
	}
}

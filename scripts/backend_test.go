package scripts_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/luagate/luagate/scripts"
)

func TestBackendLinesAreParsed(t *testing.T) {
	c, err := scripts.Compile(scripts.Solution{Endpoints: []*scripts.Endpoint{
		{Path: "/p/{room}", Script: "--#ENDPOINT WEBSOCKET /p/{room}\n--#BACKEND wss://chat.example.com/rooms/{room}?v=2\n" +
			"--#BACKEND_HEADERS x-user: {user_id}\n--#BACKEND_HEADERS Authorization: Bearer s3cret\n"},
		{Path: "/f", Script: "--#ENDPOINT WEBSOCKET /f\n--#BACKEND ws://127.0.0.1:9/\n-- a comment\nreturn false\n"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.Endpoint("/p/{room}")
	b := p.Policy.Backend
	want := &scripts.Backend{URL: "wss://chat.example.com/rooms/{room}?v=2", Line: 2,
		Headers: []scripts.BackendHeader{{Name: "X-User", Value: "{user_id}"}, {Name: "Authorization", Value: "Bearer s3cret"}}}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("backend %+v, want %+v", b, want)
	}
	if got := b.FillBackendURL(map[string]string{"room": "a/b c"}, "x=1"); got != "wss://chat.example.com/rooms/a%2Fb%20c?v=2&x=1" {
		t.Errorf("URL %q", got)
	}
	if h := b.FillHeaders("sock1", "ann"); !reflect.DeepEqual(h, http.Header{"X-User": {"ann"}, "Authorization": {"Bearer s3cret"}}) {
		t.Errorf("headers %v", h)
	}
	f, _ := c.Endpoint("/f")
	if !f.Policy.Backend.Filter {
		t.Error("an endpoint with code does not filter")
	}
	if b.Filter {
		t.Error("an endpoint without code filters")
	}
}

func TestBadBackendLinesAreRefusedAtTheirLine(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"--#BACKEND http://example.com/", "the scheme must be ws or wss"},
		{"--#BACKEND ws:///nohost", "has no host"},
		{"--#BACKEND ws://example.com/{user}", "{user} is not a path parameter"},
		{"--#BACKEND ws://example.com/#frag", "no fragment"},
		{"--#BACKEND", "write --#BACKEND <ws-or-wss-url>"},
		{"--#BACKEND ws://a/\n--#BACKEND_HEADERS Upgrade: h2c", "Upgrade is set by the handshake"},
		{"--#BACKEND ws://a/\n--#BACKEND_HEADERS X-A: {password}", "{password}: a header value may hold"},
		{"--#BACKEND ws://a/\n--#BACKEND_HEADERS no colon", "write --#BACKEND_HEADERS <name>: <value>"},
		{"--#BACKEND_HEADERS X-A: b", "the endpoint has no --#BACKEND"},
		{"--#BACKEND ws://a/\n--#BACKEND ws://b/", "declared twice"},
	} {
		_, err := compileOne("--#ENDPOINT WEBSOCKET /p\n"+tc.line+"\n", nil, scripts.Config{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/p:") {
			t.Errorf("%q: error %v, want one at its line saying %q", tc.line, err, tc.want)
		}
	}
}

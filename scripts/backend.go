package scripts

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Backend is an endpoint's --#BACKEND line and its --#BACKEND_HEADERS: the
// WebSocket server each of its sockets is relayed to.
type Backend struct {
	// URL is the backend's ws:// or wss:// URL as written, with {name}
	// placeholders for the endpoint's path parameters.
	URL string
	// Headers are sent with the backend's upgrade, in the order written;
	// their values may hold {user_id} and {socket_id}.
	Headers []BackendHeader
	// Filter is set when the endpoint's script has code: it then runs for
	// every frame. Without code, frames are relayed without Lua.
	Filter bool
	// Line is the --#BACKEND line in the endpoint's script.
	Line int
}

// BackendHeader is one --#BACKEND_HEADERS line.
type BackendHeader struct {
	Name, Value string
}

// placeholderRE is a {name} in a backend URL or header value.
var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// backendHeaderValues are the placeholders a header value may hold.
var backendHeaderValues = map[string]bool{"user_id": true, "socket_id": true}

// handshakeHeaders are set by the WebSocket handshake itself, so a
// --#BACKEND_HEADERS line may not give them.
var handshakeHeaders = map[string]bool{"Upgrade": true, "Connection": true, "Sec-Websocket-Key": true,
	"Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true, "Host": true}

// parseBackendURL checks a --#BACKEND URL: ws or wss, a host, no
// fragment, and placeholders only of the endpoint's path parameters
// (params; nil skips that check).
func parseBackendURL(raw string, params []string) error {
	if raw == "" || strings.ContainsAny(raw, " \t") {
		return fmt.Errorf("write --#BACKEND <ws-or-wss-url>, got %q", Elide(raw))
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(raw, -1) {
		if params != nil && !slices.Contains(params, m[1]) {
			return fmt.Errorf("{%s} is not a path parameter of the endpoint", Elide(m[1]))
		}
	}
	u, err := url.Parse(placeholderRE.ReplaceAllString(raw, "x"))
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %w", Elide(raw), err)
	case u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("%q: the scheme must be ws or wss", Elide(raw))
	case u.Host == "":
		return fmt.Errorf("%q has no host", Elide(raw))
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%q: a backend URL has no fragment", Elide(raw))
	}
	return nil
}

// parseBackendHeader reads "<name>: <value>".
func parseBackendHeader(args string) (BackendHeader, error) {
	name, value, ok := strings.Cut(args, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || !tokenRE.MatchString(name) {
		return BackendHeader{}, fmt.Errorf("write --#BACKEND_HEADERS <name>: <value>, got %q", Elide(args))
	}
	name = http.CanonicalHeaderKey(name)
	if handshakeHeaders[name] {
		return BackendHeader{}, fmt.Errorf("%s is set by the handshake itself", name)
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return BackendHeader{}, fmt.Errorf("the value of %s holds a control character", name)
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(value, -1) {
		if !backendHeaderValues[m[1]] {
			return BackendHeader{}, fmt.Errorf("{%s}: a header value may hold {user_id} and {socket_id}", Elide(m[1]))
		}
	}
	return BackendHeader{Name: name, Value: value}, nil
}

// hasCode reports whether script has a line that is not blank, a comment
// or a header line: whether it has code to run.
func hasCode(script string) bool {
	for _, line := range strings.Split(script, "\n") {
		if !isBlankOrComment(line) {
			return true
		}
	}
	return false
}

// FillBackendURL is b's URL for a socket: each {name} replaced by the path
// parameter of that name, escaped for a path, and the client's query
// string appended.
func (b *Backend) FillBackendURL(params map[string]string, rawQuery string) string {
	u := placeholderRE.ReplaceAllStringFunc(b.URL, func(m string) string {
		return url.PathEscape(params[m[1:len(m)-1]])
	})
	if rawQuery == "" {
		return u
	}
	if strings.Contains(u, "?") {
		return u + "&" + rawQuery
	}
	return u + "?" + rawQuery
}

// FillHeaders is the headers b sends for the socket id of user.
func (b *Backend) FillHeaders(id, user string) http.Header {
	h := make(http.Header, len(b.Headers))
	for _, bh := range b.Headers {
		v := strings.NewReplacer("{user_id}", user, "{socket_id}", id).Replace(bh.Value)
		h.Add(bh.Name, v)
	}
	return h
}

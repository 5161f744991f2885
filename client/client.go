// Package client is the luagate management API as Go calls: what the
// command line's deploy, pull, sockets, sessions, logs, send and close
// commands use.
//
// Every error is one line a person can act on: an unreachable server, a
// rejected token, or the API's own error message. client imports only
// scripts, wire and the standard library.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// DefaultServer is where a client looks for luagate when not told.
const DefaultServer = "http://127.0.0.1:8080"

// requestTimeout bounds one API call, so a server that accepts the
// connection but never answers does not hang the terminal.
const requestTimeout = 30 * time.Second

// ErrUnauthorized is returned when the server rejects the admin token.
var ErrUnauthorized = errors.New("the server rejected the admin token: pass the right one with --admin-token or LUAGATE_ADMIN_TOKEN")

// APIError is an error answer of the management API.
type APIError = wire.Error

// Client calls one luagate server.
type Client struct {
	server string
	token  string
	http   *http.Client
}

// New returns a client of the server at base URL server ("" means
// DefaultServer) authenticating with token.
func New(server, token string) *Client {
	if server == "" {
		server = DefaultServer
	}
	return &Client{server: strings.TrimRight(server, "/"), token: token, http: &http.Client{Timeout: requestTimeout}}
}

// Socket is an open socket as the management API lists it.
type Socket = wire.Socket

// Solution returns the deployed solution.
func (c *Client) Solution(ctx context.Context) (scripts.Solution, error) {
	var sol scripts.Solution
	if err := c.do(ctx, http.MethodGet, "", nil, &sol); err != nil {
		return scripts.Solution{}, err
	}
	if err := sol.CheckDecoded(); err != nil {
		return scripts.Solution{}, fmt.Errorf("solution answered: %w", err)
	}
	sol.Normalize()
	return sol, nil
}

// Deploy replaces the deployed solution with sol in one request, and
// returns how the init script went when the deploy ran it (nil when it
// did not).
func (c *Client) Deploy(ctx context.Context, sol scripts.Solution) (*wire.InitResult, error) {
	sol.Normalize()
	var out wire.Deployed
	err := c.do(ctx, http.MethodPut, "", sol, &out)
	return out.Init, err
}

// Sockets lists the open sockets.
func (c *Client) Sockets(ctx context.Context) ([]Socket, error) {
	var out []Socket
	err := c.do(ctx, http.MethodGet, "/sockets", nil, &out)
	return out, err
}

// Send pushes a text message to one socket.
func (c *Client) Send(ctx context.Context, socketID, message string) error {
	body := wire.SendRequest{Message: &message, Type: wire.MessageText}
	return c.do(ctx, http.MethodPost, "/sockets/"+url.PathEscape(socketID)+"/messages", body, nil)
}

// Close closes one socket.
func (c *Client) Close(ctx context.Context, socketID string) error {
	return c.do(ctx, http.MethodDelete, "/sockets/"+url.PathEscape(socketID), nil, nil)
}

// CloseAll closes every socket and returns how many there were.
func (c *Client) CloseAll(ctx context.Context) (int, error) {
	var out wire.Closed
	err := c.do(ctx, http.MethodDelete, "/sockets", nil, &out)
	return out.Closed, err
}

// UserSockets lists the open sockets of one user.
func (c *Client) UserSockets(ctx context.Context, userID string) ([]Socket, error) {
	var out []Socket
	err := c.do(ctx, http.MethodGet, userRoute(userID, "sockets"), nil, &out)
	return out, err
}

// SendToUser pushes a text message to every open socket of one user and
// returns how many it reached (0 is not an error).
func (c *Client) SendToUser(ctx context.Context, userID, message string) (int, error) {
	body := wire.SendRequest{Message: &message, Type: wire.MessageText}
	var out wire.Sent
	err := c.do(ctx, http.MethodPost, userRoute(userID, "messages"), body, &out)
	return out.Sent, err
}

// CloseUser closes every open socket of one user and returns how many
// there were.
func (c *Client) CloseUser(ctx context.Context, userID string) (int, error) {
	var out wire.Closed
	err := c.do(ctx, http.MethodDelete, userRoute(userID, "sockets"), nil, &out)
	return out.Closed, err
}

func userRoute(userID, what string) string {
	return "/users/" + url.PathEscape(userID) + "/" + what
}

// Session is one socket's life as the management API shows it.
type Session = wire.Session

// SessionQuery selects sessions; an empty field selects all.
type SessionQuery struct {
	// Status is "active", "closed" or "" for both.
	Status, Route, UserID, SessionName string
	// Limit is the page's size; zero means the server's largest.
	Limit int
	// NextToken is the previous page's, "" for the first.
	NextToken string
}

// Sessions returns one page of sessions, newest first.
func (c *Client) Sessions(ctx context.Context, q SessionQuery) (wire.Sessions, error) {
	v := query(map[string]string{"status": q.Status, "route": q.Route, "user_id": q.UserID,
		"session_name": q.SessionName, "next_token": q.NextToken}, q.Limit)
	var out wire.Sessions
	err := c.do(ctx, http.MethodGet, "/sessions?"+v.Encode(), nil, &out)
	return out, err
}

// Key is an API key as the management API shows it.
type Key = wire.Key

// CreateKey creates an API key; the answer holds its secret, shown this
// once.
func (c *Client) CreateKey(ctx context.Context, req wire.KeyRequest) (Key, error) {
	var out Key
	err := c.do(ctx, http.MethodPost, "/keys", req, &out)
	return out, err
}

// Keys lists the API keys, without their secrets.
func (c *Client) Keys(ctx context.Context) ([]Key, error) {
	var out []Key
	err := c.do(ctx, http.MethodGet, "/keys", nil, &out)
	return out, err
}

// RevokeKey deletes an API key and returns how many of its sockets were
// closed.
func (c *Client) RevokeKey(ctx context.Context, id string) (int, error) {
	var out wire.Closed
	err := c.do(ctx, http.MethodDelete, "/keys/"+url.PathEscape(id), nil, &out)
	return out.Closed, err
}

// do sends body (when not nil) as JSON and decodes a successful answer into
// out (when not nil).
func (c *Client) do(ctx context.Context, method, route string, body, out any) error {
	return c.decode(ctx, method, route, body, out, false)
}

// decode is do, and with failedToo it also decodes into out a failed
// answer that is not the API's error shape (a push's items).
func (c *Client) decode(ctx context.Context, method, route string, body, out any, failedToo bool) error {
	resp, err := c.send(ctx, c.http, method, route, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer of %s: %w", c.server, err)
	}
	if err := answerError(resp, b); err != nil {
		var apiErr *APIError
		if failedToo && out != nil && !errors.As(err, &apiErr) && resp.StatusCode != http.StatusUnauthorized && json.Unmarshal(b, out) == nil {
			return nil
		}
		return err
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s is not answering as luagate does: %w", c.server, err)
		}
	}
	return nil
}

// send sends one request through hc with the token, body (when not nil)
// as JSON.
func (c *Client) send(ctx context.Context, hc *http.Client, method, route string, body any) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+wire.Prefix+route, r)
	if err != nil {
		return nil, fmt.Errorf("bad server address %q: %w", c.server, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach luagate at %s: %w", c.server, rootCause(err))
	}
	return resp, nil
}

// answerError is the error an answer with body b stands for, nil for a
// success.
func answerError(resp *http.Response, b []byte) error {
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case resp.StatusCode >= 300:
		apiErr := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(b, apiErr) != nil || apiErr.Message == "" {
			return fmt.Errorf("%s %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status)
		}
		return apiErr
	}
	return nil
}

// rootCause drops the URL and operation wrappers of a transport error, which
// repeat what the caller already says, keeping "connection refused".
func rootCause(err error) error {
	for {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
			continue
		}
		inner := errors.Unwrap(err)
		if inner == nil {
			return err
		}
		err = inner
	}
}

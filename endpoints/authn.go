package endpoints

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
)

// maxSessionName bounds a session name, in characters.
const maxSessionName = 128

// querySessionName is where a client names its session.
const querySessionName = "session_name"

// upgradeRequest is what an upgrade's authentication reads and changes:
// the socket's record as the upgrade will register it.
type upgradeRequest struct {
	route string
	// key, for an HTTP endpoint's request, is the endpoint's key, whose
	// --#SECURITY applies; "" for an upgrade.
	key    string
	r      *http.Request
	id     string
	remote netip.Addr
	conn   *hub.Conn
}

// security is the scheme of the endpoint of u: its --#SECURITY line, or
// the server's default.
func (s *Server) security(u upgradeRequest) scripts.Security {
	if s.cfg.Push != nil && u.key == "" && u.route == s.cfg.Push.Path() {
		return scripts.Security{Scheme: scripts.SecurityToken}
	}
	c := s.cfg.Engine.Solution()
	ep, ok := c.Endpoint(u.route)
	if u.key != "" {
		ep, ok = c.HTTPEndpoint(u.key)
	}
	if ok && ep.Policy.Security != nil {
		return *ep.Policy.Security
	}
	return s.defaultSecurity
}

// authenticate checks the upgrade's credential against its endpoint's
// scheme and fills the identity into u.conn. A refusal is an
// *auth.Refusal, or a statusError for a bad session name; any other error
// is the server's.
func (s *Server) authenticate(u upgradeRequest) error {
	sec := s.security(u)
	if sec.Scheme == scripts.SecurityNone && u.key != "" {
		// A request has no session to name.
		return nil
	}
	query := u.r.URL.Query()
	if u.key == "" {
		name := query.Get(querySessionName)
		if err := checkSessionName(name); err != nil {
			return err
		}
		u.conn.SessionName = name
	}
	switch sec.Scheme {
	case scripts.SecurityNone:
		return nil
	case scripts.SecurityScript:
		return s.checkScript(sec, u)
	}
	who, err := s.auth.Connect(auth.Scheme(sec.Scheme), &auth.Request{
		Header: u.r.Header, Query: query, Route: u.route, Path: u.r.URL.Path, RemoteAddr: u.remote,
		KeyIn: sec.KeyIn, KeyName: sec.KeyName,
	})
	if err != nil {
		return err
	}
	u.conn.UserID = who.UserID
	u.conn.Auth = &hub.Auth{Scheme: string(who.Scheme), KeyID: who.KeyID, KeyName: who.KeyName, Claims: who.Claims,
		ExpiresAt: who.ExpiresAt, TokenHash: who.TokenHash}
	hidden := []string{auth.QueryAPIKey, auth.QueryAccessToken}
	if who.Scheme == auth.SchemeToken {
		hidden = append(hidden, auth.QueryToken)
	}
	stripCredentials(u.conn, sec, hidden)
	return nil
}

// checkSecurity refuses, at its line, a --#SECURITY jwt endpoint on a
// server that has no JWT keys: it could never be opened. A stored solution
// loads all the same (its endpoint refuses every token), so that a server
// restarted without its keys still starts.
func (s *Server) checkSecurity(c *scripts.Compiled) error {
	if s.auth.HasJWT() {
		return nil
	}
	var problems scripts.Problems
	for _, eps := range [][]*scripts.CompiledEndpoint{c.Endpoints, c.HTTP} {
		for _, ep := range eps {
			if sec := ep.Policy.Security; sec != nil && sec.Scheme == scripts.SecurityJWT {
				problems = append(problems, scripts.Problem{File: ep.Key(), Line: sec.Line,
					Message: "--#SECURITY jwt: the server has no JWT keys: start it with --jwt-key or --jwt-secret-file"})
			}
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// checkScript runs the endpoint's script check.
func (s *Server) checkScript(sec scripts.Security, u upgradeRequest) error {
	ans, err := s.cfg.Engine.CheckAuth(sec.Module, sec.Function, runtime.AuthRequest{
		ID: u.id, URI: u.conn.URI, Route: u.route, Headers: u.conn.Headers, Parameters: u.conn.Parameters,
		RemoteAddr: u.remote.String(),
	})
	if err != nil {
		return err
	}
	if !ans.Accept {
		return auth.Refused(ans.Status, ans.Message)
	}
	if ans.SessionName != "" {
		if err := checkSessionName(ans.SessionName); err != nil {
			return fmt.Errorf("%w: its session_name: %w", runtime.ErrAuthCheck, err)
		}
		u.conn.SessionName = ans.SessionName
	}
	u.conn.UserID = ans.UserID
	u.conn.Auth = &hub.Auth{Scheme: scripts.SecurityScript, Claims: ans.Claims}
	return nil
}

func checkSessionName(name string) error {
	if n := utf8.RuneCountInString(name); n > maxSessionName {
		return badRequest(fmt.Errorf("session_name of %d characters: at most %d", n, maxSessionName))
	}
	return nil
}

// stripCredentials removes the credential, and the query parameters
// named, from what scripts see of the upgrade, so that no script logs or
// forwards it by accident. A scheme declared with its own place for the
// key names one more to remove; a cookie goes with the whole Cookie
// header, as scripts see it joined.
func stripCredentials(c *hub.Conn, sec scripts.Security, query []string) {
	delete(c.Headers, "authorization")
	delete(c.Headers, "x-api-key")
	switch sec.KeyIn {
	case scripts.KeyInHeader:
		delete(c.Headers, strings.ToLower(sec.KeyName))
	case scripts.KeyInCookie:
		delete(c.Headers, "cookie")
	case scripts.KeyInQuery:
		query = append(query, sec.KeyName)
	}
	for _, name := range query {
		delete(c.Parameters, name)
	}
	u, err := url.Parse(c.URI)
	if err != nil {
		return
	}
	q := u.Query()
	if !slices.ContainsFunc(query, q.Has) {
		return
	}
	for _, name := range query {
		q.Del(name)
	}
	u.RawQuery = q.Encode()
	c.URI = u.String()
}

// refuseAuth answers a request, an upgrade or a management call, whose
// authentication failed.
func (s *Server) refuseAuth(w http.ResponseWriter, route string, err error) {
	if ref, ok := auth.AsRefusal(err); ok {
		if ref.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="luagate"`)
		}
		writeError(w, ref.Status, ref.Type, ref.Message)
		return
	}
	var se statusError
	if errors.As(err, &se) {
		writeError(w, se.status, se.typ, se.Error())
		return
	}
	// A script check that raised has logged its failure with its line
	// already; this says that the upgrade was refused for it.
	s.cfg.Logger.Error("request refused: authentication failed", "route", route, "error", err)
	writeError(w, http.StatusInternalServerError, "AuthCheckError", "the endpoint's authentication failed on the server")
}

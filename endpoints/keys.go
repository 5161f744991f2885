package endpoints

import (
	"errors"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/wire"
)

// KeyStore keeps API keys: what auth needs, and a key by its id, to tell
// whether a socket's key is still in force. storage implements it in
// bbolt, a cluster in its shared store.
type KeyStore interface {
	auth.KeyStore
	KeyByID(id string) (auth.Key, error)
}

// Credentials is where KeyRevoked looks up the credential of a socket:
// its API key or its push token.
type Credentials interface {
	KeyByID(id string) (auth.Key, error)
	TokenByHash(hash []byte) (auth.PushToken, error)
}

// maxKeyRequestBytes bounds the body of POST /keys.
const maxKeyRequestBytes = 64 << 10

func keyView(k auth.Key, secret string) wire.Key {
	v := wire.Key{ID: k.ID, CreatedAt: k.CreatedAt, Secret: secret, KeyRequest: wire.KeyRequest{
		Name: k.Name, UserID: k.UserID, Routes: k.Routes,
		AllowedOrigins: k.AllowedOrigins, AllowedCIDRs: k.AllowedCIDRs,
	}}
	for _, sc := range k.Scopes {
		v.Scopes = append(v.Scopes, string(sc))
	}
	if !k.ExpiresAt.IsZero() {
		at := k.ExpiresAt
		v.ExpiresAt = &at
	}
	return v
}

// postKey creates an API key and answers its secret, this once.
func (s *Server) postKey(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	b, err := readBody(w, r, maxKeyRequestBytes)
	if err != nil {
		writeErr(w, err)
		return
	}
	var req wire.KeyRequest
	if err := decodeJSON(b, &req); err != nil {
		writeErr(w, err)
		return
	}
	spec := auth.KeySpec{Name: req.Name, UserID: req.UserID, Routes: req.Routes,
		AllowedOrigins: req.AllowedOrigins, AllowedCIDRs: req.AllowedCIDRs}
	for _, sc := range req.Scopes {
		spec.Scopes = append(spec.Scopes, auth.Scope(sc))
	}
	if req.ExpiresAt != nil {
		spec.ExpiresAt = *req.ExpiresAt
	}
	k, secret, err := auth.NewKey(spec, time.Now())
	if err != nil {
		writeErr(w, badRequest(err))
		return
	}
	if err := s.cfg.Keys.PutKey(k); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, keyView(k, secret))
}

func (s *Server) getKeys(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) {
	keys, err := s.cfg.Keys.Keys()
	if err != nil {
		writeErr(w, err)
		return
	}
	out := make([]wire.Key, len(keys))
	for i, k := range keys {
		out[i] = keyView(k, "")
	}
	writeJSON(w, http.StatusOK, out)
}

// KeyRevoked returns what runtime.Config.Revoked needs: whether the API key
// or push token a socket connected with is gone from store. Sockets
// without one are never revoked here.
func KeyRevoked(store Credentials) func(hub.Conn) bool {
	return func(c hub.Conn) bool {
		switch {
		case c.Auth == nil:
			return false
		case c.Auth.TokenHash != nil:
			_, err := store.TokenByHash(c.Auth.TokenHash)
			return errors.Is(err, auth.ErrUnknownToken)
		case c.Auth.KeyID != "":
			_, err := store.KeyByID(c.Auth.KeyID)
			return errors.Is(err, auth.ErrUnknownKey)
		}
		return false
	}
}

// deleteKey revokes a key at once: it opens nothing from now on, and the
// sockets it opened are closed: those listed now here, those registering
// by runtime.Config.Revoked (KeyRevoked), as the key is deleted first.
func (s *Server) deleteKey(w http.ResponseWriter, _ *http.Request, ps httprouter.Params) {
	id := ps.ByName("id")
	if _, err := s.cfg.Keys.DeleteKey(id); err != nil {
		if errors.Is(err, auth.ErrUnknownKey) {
			err = missing("no API key %s", scripts.Elide(id))
		}
		writeErr(w, err)
		return
	}
	n := s.hub.DisconnectIf(hub.CloseCredentialRevoked, func(c *hub.Conn) bool {
		return c.Auth != nil && c.Auth.KeyID == id
	})
	writeJSON(w, http.StatusOK, wire.Closed{Closed: n})
}

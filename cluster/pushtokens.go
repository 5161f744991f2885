package cluster

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/push"
)

// tokenStore keeps the push tokens in the tokens bucket, one key per
// token (<recipient in base64url>.<hash in hex>, so that a recipient's
// tokens are listed by prefix), and mirrors them into bbolt as keyStore
// does the API keys: a connect looks its token up locally, registering and
// revoking go to the bucket first and are refused without it.
type tokenStore struct {
	shared
	mirrorMu sync.Mutex // orders the watch's and this node's writes to the mirror
}

// PushTokens is what push.Config.Tokens needs in a cluster: the tokens
// every node shares.
func (n *Node) PushTokens() push.TokenStore { return &n.tokens }

func tokenKey(t *auth.PushToken) string {
	return recipientKey(t.Recipient) + "." + hex.EncodeToString(t.Hash)
}

// PutToken implements push.TokenStore.
func (s *tokenStore) PutToken(t auth.PushToken) error {
	if err := s.create(tokenKey(&t), t, "push token of "+t.Recipient); err != nil {
		return err
	}
	s.mirrorMu.Lock()
	defer s.mirrorMu.Unlock()
	return s.node.store.PutToken(t)
}

// TokenByHash implements auth.TokenStore, from the mirror.
func (s *tokenStore) TokenByHash(hash []byte) (auth.PushToken, error) {
	return s.node.store.TokenByHash(hash)
}

// DeleteTokens implements push.TokenStore. Each node that mirrors the
// tokens closes the recipient's push sockets it holds when it sees them
// go; the count is of the tokens the bucket held.
func (s *tokenStore) DeleteTokens(recipient string) (int, error) {
	kv, err := s.bucket()
	if err != nil {
		return 0, err
	}
	ctx, cancel := s.node.op()
	defer cancel()
	keys, err := keysOf(ctx, kv, recipientKey(recipient)+".*")
	if err != nil {
		return 0, unavailable("list push tokens of "+recipient, err)
	}
	for _, k := range keys {
		if err := kv.Purge(ctx, k); err != nil {
			return 0, unavailable("delete push token of "+recipient, err)
		}
	}
	s.mirrorMu.Lock()
	defer s.mirrorMu.Unlock()
	if _, err := s.node.store.DeleteTokens(recipient); err != nil {
		return 0, err
	}
	return len(keys), nil
}

// watch mirrors the bucket into bbolt until ctx ends. The watch sees the
// bucket's changes in the order they were made, so a recipient's tokens
// revoked and then registered again end registered. Once the current
// tokens are read, a mirrored token the bucket has never held (made
// before this node joined) is shared, as API keys are; one it holds a
// deletion marker of stays revoked.
func (s *tokenStore) watch(ctx context.Context, kv jetstream.KeyValue) error {
	seen := map[string]bool{} // token key → the bucket has held it
	return follow(ctx, kv, jetstream.AllKeys, func(e jetstream.KeyValueEntry, initial bool) {
		if initial {
			seen[e.Key()] = true
		}
		if e.Operation() != jetstream.KeyValuePut {
			s.revoke(ctx, kv, e.Key())
			return
		}
		var t auth.PushToken
		if err := json.Unmarshal(e.Value(), &t); err != nil {
			s.node.log.Warn("cluster: malformed shared push token", "key", e.Key(), "err", err)
			return
		}
		s.mirrorMu.Lock()
		err := s.node.store.PutToken(t)
		s.mirrorMu.Unlock()
		if err != nil {
			s.node.log.Warn("cluster: mirror push token", "recipient", t.Recipient, "err", err)
		}
	}, func() { s.share(ctx, kv, seen) })
}

// share puts the mirrored tokens the bucket has never held into it.
func (s *tokenStore) share(ctx context.Context, kv jetstream.KeyValue, seen map[string]bool) {
	tokens, err := s.node.store.Tokens()
	if err != nil {
		s.node.log.Warn("cluster: list push tokens to share", "err", err)
		return
	}
	for _, t := range tokens {
		key := tokenKey(&t)
		if seen[key] {
			continue
		}
		b, err := json.Marshal(t)
		if err == nil {
			_, err = kv.Create(ctx, key, b)
		}
		if err != nil {
			s.node.log.Warn("cluster: share push token", "recipient", t.Recipient, "err", err)
		}
	}
}

// revoke makes the mirror of the recipient key names hold what the bucket
// holds of it, and closes the push sockets here whose token it no longer
// has. It reads the bucket rather than trusting the event: a watch opened
// again replays the markers of tokens revoked long ago, and the recipient
// may have tokens registered since.
func (s *tokenStore) revoke(ctx context.Context, kv jetstream.KeyValue, key string) {
	enc, _, _ := strings.Cut(key, ".")
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return
	}
	recipient := string(b)
	keys, err := keysOf(ctx, kv, enc+".*")
	if err != nil {
		s.node.log.Warn("cluster: push tokens of a recipient", "recipient", recipient, "err", err)
		return
	}
	var kept []auth.PushToken
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		var t auth.PushToken
		if err != nil || json.Unmarshal(e.Value(), &t) != nil {
			continue
		}
		kept = append(kept, t)
	}
	s.mirrorMu.Lock()
	err = s.node.store.ReplaceTokens(recipient, kept)
	s.mirrorMu.Unlock()
	if err != nil {
		s.node.log.Warn("cluster: mirror push tokens of a recipient", "recipient", recipient, "err", err)
	}
	s.node.hub.DisconnectIf(hub.CloseCredentialRevoked, func(c *hub.Conn) bool {
		return c.UserID == recipient && c.Auth != nil && c.Auth.Scheme == string(auth.SchemeToken) &&
			!slices.ContainsFunc(kept, func(t auth.PushToken) bool { return bytes.Equal(t.Hash, c.Auth.TokenHash) })
	})
}

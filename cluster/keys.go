package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/endpoints"
	"github.com/luagate/luagate/hub"
)

// keyStore keeps the API keys in the keys bucket, one key per API key id,
// and mirrors them into bbolt: lookups read the mirror, so they cost no
// network and go on while NATS is away; changes go to the bucket first and
// are refused without it.
type keyStore struct {
	shared
	// mirrorMu serializes changes to the mirror: the watch and a change
	// made here both write it.
	mirrorMu sync.Mutex
}

// Keys is what endpoints.Config.Keys needs: the cluster's API keys.
func (n *Node) Keys() endpoints.KeyStore { return &n.keys }

// PutKey implements auth.KeyStore.
func (k *keyStore) PutKey(key auth.Key) error {
	if err := k.create(key.ID, key, "key "+key.ID); err != nil {
		return err
	}
	return k.mirror(key)
}

// mirror stores key in bbolt unless it is there.
func (k *keyStore) mirror(key auth.Key) error {
	k.mirrorMu.Lock()
	defer k.mirrorMu.Unlock()
	if _, err := k.node.store.KeyByID(key.ID); err == nil {
		return nil
	}
	return k.node.store.PutKey(key)
}

// KeyByHash implements auth.KeyStore.
func (k *keyStore) KeyByHash(hash []byte) (auth.Key, error) { return k.node.store.KeyByHash(hash) }

// KeyByID implements endpoints.KeyStore.
func (k *keyStore) KeyByID(id string) (auth.Key, error) { return k.node.store.KeyByID(id) }

// Keys implements auth.KeyStore.
func (k *keyStore) Keys() ([]auth.Key, error) { return k.node.store.Keys() }

// DeleteKey implements auth.KeyStore.
func (k *keyStore) DeleteKey(id string) (auth.Key, error) {
	kv, err := k.bucket()
	if err != nil {
		return auth.Key{}, err
	}
	key, err := k.node.store.KeyByID(id)
	if err != nil {
		return auth.Key{}, err
	}
	ctx, cancel := k.node.op()
	defer cancel()
	if err := kv.Purge(ctx, id); err != nil {
		return auth.Key{}, unavailable("delete key "+id, err)
	}
	if _, err := k.node.store.DeleteKey(id); err != nil && !errors.Is(err, auth.ErrUnknownKey) {
		return auth.Key{}, err
	}
	return key, nil
}

// watch mirrors the bucket into bbolt until ctx ends, and closes the
// sockets of each key revoked elsewhere. Once the current keys are read,
// a mirrored key the bucket marks deleted is revoked here too, and one it
// has never held (made before this node joined) is shared.
func (k *keyStore) watch(ctx context.Context, kv jetstream.KeyValue) error {
	seen := map[string]bool{} // key id → held (false: deleted)
	return follow(ctx, kv, jetstream.AllKeys, func(e jetstream.KeyValueEntry, initial bool) {
		if e.Operation() != jetstream.KeyValuePut {
			if initial {
				seen[e.Key()] = false
			}
			k.revoke(e.Key())
			return
		}
		var key auth.Key
		if err := json.Unmarshal(e.Value(), &key); err != nil {
			k.node.log.Warn("cluster: malformed shared key", "key", e.Key(), "err", err)
			return
		}
		if initial {
			seen[key.ID] = true
		}
		if err := k.mirror(key); err != nil {
			k.node.log.Warn("cluster: mirror key", "key", key.ID, "err", err)
		}
	}, func() { k.share(ctx, kv, seen) })
}

// share puts the mirrored keys the bucket has never held into it.
func (k *keyStore) share(ctx context.Context, kv jetstream.KeyValue, seen map[string]bool) {
	keys, err := k.node.store.Keys()
	if err != nil {
		return
	}
	for _, key := range keys {
		if _, known := seen[key.ID]; known {
			continue
		}
		b, err := json.Marshal(key)
		if err == nil {
			_, err = kv.Create(ctx, key.ID, b)
		}
		if err != nil {
			k.node.log.Warn("cluster: share key", "key", key.ID, "err", err)
		}
	}
}

// revoke removes the mirrored key id and closes its sockets here.
func (k *keyStore) revoke(id string) {
	k.mirrorMu.Lock()
	_, _ = k.node.store.DeleteKey(id)
	k.mirrorMu.Unlock()
	k.node.hub.DisconnectIf(hub.CloseCredentialRevoked, func(c *hub.Conn) bool {
		return c.Auth != nil && c.Auth.KeyID == id
	})
}

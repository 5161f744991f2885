package runtime

import (
	"github.com/luagate/luagate/keystore"
	"github.com/luagate/luagate/luaapi"
)

// luaKeystore is a keystore.Keystore as the Keystore module sees it.
type luaKeystore struct{ *keystore.Keystore }

func (k luaKeystore) Info() (luaapi.KeystoreInfo, error) {
	i, err := k.Keystore.Info()
	return luaapi.KeystoreInfo{
		MaxKeys: i.MaxKeys, MaxValueBytes: i.MaxValueBytes, MaxBytes: i.MaxBytes,
		Keys: i.Keys, Bytes: i.Bytes,
	}, err
}

// luaKeystoreOf is the Keystore module's backing for Config.Keystore:
// none when there is no keystore.
func luaKeystoreOf(k *keystore.Keystore) luaapi.Keystore {
	if k == nil {
		return nil
	}
	return luaKeystore{k}
}

package runtime

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/luagate/luagate/keystore"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/storage"
)

// benchKeystore dispatches data events through script with a Keystore in a
// real bbolt file: BenchmarkDispatchData is the same without the calls.
func benchKeystore(b *testing.B, script string) {
	s, err := storage.Open(filepath.Join(b.TempDir(), "luagate.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	k, err := keystore.New(s, keystore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := k.Set("k", "hello"); err != nil {
		b.Fatal(err)
	}
	benchDispatchOn(b, benchEngineWith(b, Config{Keystore: k}, script), luaapi.EventData)
}

// BenchmarkKeystoreGetFromLua is one Keystore.get per event: a bbolt read.
func BenchmarkKeystoreGetFromLua(b *testing.B) {
	benchKeystore(b, `if websocketInfo.type == "data" then local v = Keystore.get({key = "k"}).value end`)
}

// BenchmarkKeystoreSetFromLua is one Keystore.set per event: a bbolt write
// transaction, synced to disk.
func BenchmarkKeystoreSetFromLua(b *testing.B) {
	benchKeystore(b, `if websocketInfo.type == "data" then Keystore.set({key = "k", value = websocketInfo.message}) end`)
}

// BenchmarkKeystoreIncrFromLua is one Keystore.command incr per event.
func BenchmarkKeystoreIncrFromLua(b *testing.B) {
	benchKeystore(b, `if websocketInfo.type == "data" then Keystore.command({key = "n", command = "incr"}) end`)
}

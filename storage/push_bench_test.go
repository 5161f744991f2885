package storage_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/luagate/luagate/push"
	"github.com/luagate/luagate/storage"
)

// BenchmarkPendingCount is what a scrape pays for luagate_push_pending
// with 10,000 recipients who each have a message pending.
func BenchmarkPendingCount(b *testing.B) {
	s, err := storage.Open(filepath.Join(b.TempDir(), "luagate.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	const recipients = 10_000
	now := time.Now()
	msgs := make([]push.Message, recipients)
	for i := range msgs {
		msgs[i] = pending(fmt.Sprintf("user-%05d", i), now, now.Add(time.Hour))
	}
	if _, err := s.AddMessages(msgs, 0); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if n, err := s.PendingCount(); err != nil || n != recipients {
			b.Fatalf("%d pending, %v", n, err)
		}
	}
}

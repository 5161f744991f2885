package workpool_test

import (
	"sync"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/workpool"
)

// deep uses about depth × 128 bytes of stack, as a socket's write does
// through gorilla/websocket and net.
//
//go:noinline
func deep(depth int) int {
	var pad [16]int
	pad[depth%16] = depth
	if depth == 0 {
		return pad[0]
	}
	return deep(depth-1) + pad[depth%16]
}

// fanout runs 100 tasks that each need a deep stack, as a fan-out's idle
// writers do, through start, and waits for them.
func fanout(b *testing.B, start func(workpool.Task)) {
	var wg sync.WaitGroup
	task := fn(func() {
		deep(64)
		wg.Done()
	})
	for b.Loop() {
		wg.Add(100)
		for range 100 {
			start(task)
		}
		wg.Wait()
	}
}

// BenchmarkDeepTasks compares a go statement per task with the pool.
func BenchmarkDeepTasks(b *testing.B) {
	b.Run("go", func(b *testing.B) { fanout(b, func(t workpool.Task) { go t.Run() }) })
	b.Run("pool", func(b *testing.B) {
		p := workpool.New(256, time.Hour)
		defer p.Close()
		fanout(b, p.Go)
	})
}

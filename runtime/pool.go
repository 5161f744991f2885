package runtime

import (
	"sync"
	"sync/atomic"

	"github.com/luagate/luagate/luaapi"
)

// pooledVM is a Lua state and the execution running on it.
type pooledVM struct {
	vm *luaapi.VM
	running
}

// pool hands out Lua states, creating them on demand up to a bound so an
// idle gateway holds few. A caller that finds the pool exhausted waits for a
// state to come back; executions are bounded by the script timeout, so the
// wait is too.
type pool struct {
	newVM func() *luaapi.VM
	free  chan *pooledVM
	slots chan struct{} // one token per state that may still be created

	created atomic.Int64 // states in existence

	mu  sync.Mutex // guards all
	all []*pooledVM
}

func newPool(size int, newVM func() *luaapi.VM) *pool {
	p := &pool{newVM: newVM, free: make(chan *pooledVM, size), slots: make(chan struct{}, size)}
	for range size {
		p.slots <- struct{}{}
	}
	return p
}

func (p *pool) get() *pooledVM {
	select {
	case pv := <-p.free:
		return pv
	default:
	}
	select {
	case pv := <-p.free:
		return pv
	case <-p.slots:
		pv := &pooledVM{vm: p.newVM()}
		p.created.Add(1)
		p.mu.Lock()
		p.all = append(p.all, pv)
		p.mu.Unlock()
		return pv
	}
}

func (p *pool) put(pv *pooledVM) { p.free <- pv }

// discard closes a state instead of returning it, so that whatever its last
// execution left in its registers (a memory hog's data) is freed, and lets
// a fresh state take its place.
func (p *pool) discard(pv *pooledVM) {
	p.mu.Lock()
	for i, x := range p.all {
		if x == pv {
			p.all = append(p.all[:i], p.all[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	pv.vm.Close()
	p.created.Add(-1)
	p.slots <- struct{}{}
}

// inUse is how many states are running an execution, give or take one
// changing hands; the watchdog uses it only to choose how often to look.
func (p *pool) inUse() int64 { return p.created.Load() - int64(len(p.free)) }

// overLimit returns the states whose execution has grown the heap past
// limit. Only the watchdog calls it, so the lock is off the hot path.
func (p *pool) overLimit(heap, limit uint64) []*pooledVM {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*pooledVM
	for _, pv := range p.all {
		if pv.over(heap, limit) {
			out = append(out, pv)
		}
	}
	return out
}

// close releases every state; no execution may be running.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pv := range p.all {
		pv.vm.Close()
	}
	p.all = nil
}

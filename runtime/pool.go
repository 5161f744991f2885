package runtime

import (
	"sync"
	"sync/atomic"

	"github.com/luagate/luagate/luaapi"
)

// pooledVM is a Lua state and, for the watchdog, the execution running on
// it.
type pooledVM struct {
	vm *luaapi.VM
	running
}

// pool hands out Lua states, creating them on demand up to a bound so an
// idle gateway holds few. A caller that finds every state busy waits for
// one to come back; executions are bounded by the script timeout, so the
// wait is too.
//
// Idle states are a stack: the state used last is handed out next, so a
// busy gateway keeps running on the few states whose memory is still in
// the CPU's caches instead of cycling through all of them.
type pool struct {
	newVM  func() *luaapi.VM
	tokens chan struct{} // one per state not in use, existing or not yet created
	busy   atomic.Int64  // states handed out and not yet back

	mu   sync.Mutex // guards idle and all
	idle []*pooledVM
	all  []*pooledVM
}

func newPool(size int, newVM func() *luaapi.VM) *pool {
	p := &pool{newVM: newVM, tokens: make(chan struct{}, size)}
	for range size {
		p.tokens <- struct{}{}
	}
	return p
}

func (p *pool) get() *pooledVM {
	<-p.tokens
	p.busy.Add(1)
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		pv := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return pv
	}
	p.mu.Unlock()
	pv := &pooledVM{vm: p.newVM()}
	p.mu.Lock()
	p.all = append(p.all, pv)
	p.mu.Unlock()
	return pv
}

func (p *pool) put(pv *pooledVM) {
	p.mu.Lock()
	p.idle = append(p.idle, pv)
	p.mu.Unlock()
	p.busy.Add(-1)
	p.tokens <- struct{}{}
}

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
	p.busy.Add(-1)
	p.tokens <- struct{}{}
}

// inUse is how many states are running an execution; the watchdog uses it
// only to choose how often to look.
func (p *pool) inUse() int64 { return p.busy.Load() }

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
	p.all, p.idle = nil, nil
}

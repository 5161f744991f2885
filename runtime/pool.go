package runtime

import (
	"sync"

	"github.com/luagate/luagate/luaapi"
)

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

	mu   sync.Mutex // guards idle and all
	idle []*luaapi.VM
	all  []*luaapi.VM
}

func newPool(size int, newVM func() *luaapi.VM) *pool {
	p := &pool{newVM: newVM, tokens: make(chan struct{}, size)}
	for range size {
		p.tokens <- struct{}{}
	}
	return p
}

func (p *pool) get() *luaapi.VM {
	<-p.tokens
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		vm := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return vm
	}
	p.mu.Unlock()
	vm := p.newVM()
	p.mu.Lock()
	p.all = append(p.all, vm)
	p.mu.Unlock()
	return vm
}

func (p *pool) put(vm *luaapi.VM) {
	p.mu.Lock()
	p.idle = append(p.idle, vm)
	p.mu.Unlock()
	p.tokens <- struct{}{}
}

// close releases every state; no execution may be running.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, vm := range p.all {
		vm.Close()
	}
	p.all, p.idle = nil, nil
}

package runtime

import (
	"sync"

	"github.com/luagate/luagate/luaapi"
)

// pool hands out Lua states, creating them on demand up to a bound so an
// idle gateway holds few. A caller that finds the pool exhausted waits for a
// state to come back; executions are bounded by the script timeout, so the
// wait is too.
type pool struct {
	newVM func() *luaapi.VM
	free  chan *luaapi.VM
	slots chan struct{} // one token per state that may still be created

	mu  sync.Mutex
	all []*luaapi.VM
}

func newPool(size int, newVM func() *luaapi.VM) *pool {
	p := &pool{newVM: newVM, free: make(chan *luaapi.VM, size), slots: make(chan struct{}, size)}
	for range size {
		p.slots <- struct{}{}
	}
	return p
}

func (p *pool) get() *luaapi.VM {
	select {
	case vm := <-p.free:
		return vm
	default:
	}
	select {
	case vm := <-p.free:
		return vm
	case <-p.slots:
		vm := p.newVM()
		p.mu.Lock()
		p.all = append(p.all, vm)
		p.mu.Unlock()
		return vm
	}
}

func (p *pool) put(vm *luaapi.VM) { p.free <- vm }

// close releases every state; no execution may be running.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, vm := range p.all {
		vm.Close()
	}
	p.all = nil
}

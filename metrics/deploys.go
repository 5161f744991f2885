package metrics

import (
	"sync"
	"time"

	"github.com/luagate/luagate/wire"
)

// Deploys records the changes to the solution and the revision running.
type Deploys struct {
	mu       sync.Mutex
	ok, err  uint64
	revision uint64
	last     *wire.LastDeploy
}

// Loaded records the revision a server started with, which is no deploy.
func (d *Deploys) Loaded(revision uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.revision = revision
}

// Deployed records a change to the solution: revision is the one it made,
// or, when err says it was refused, ignored.
func (d *Deploys) Deployed(revision uint64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	result := wire.DeployOK
	if err != nil {
		d.err++
		result = wire.DeployError
	} else {
		d.ok++
		d.revision = revision
	}
	d.last = &wire.LastDeploy{Revision: d.revision, Time: time.Now().UTC().Truncate(time.Second), Result: result}
}

// counts returns the deploys by result, the running revision and a copy of
// the last deploy (nil for none).
func (d *Deploys) counts() (ok, failed, revision uint64, last *wire.LastDeploy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil {
		l := *d.last
		last = &l
	}
	return d.ok, d.err, d.revision, last
}

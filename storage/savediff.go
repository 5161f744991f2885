package storage

import (
	"encoding/json"
	"fmt"
	"github.com/luagate/luagate/internal/yield"
	"maps"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/scripts"
)

// savedSolution is what the content buckets hold: each endpoint's value
// by key, and the modules' and event handlers' sources by name.
type savedSolution struct {
	endpoints         map[string]storedEndpoint
	modules, handlers map[string]string
}

// savedOf is what writing sol leaves in the content buckets.
func savedOf(sol scripts.Solution) *savedSolution {
	s := &savedSolution{
		endpoints: make(map[string]storedEndpoint, len(sol.Endpoints)),
		modules:   maps.Clone(sol.Modules),
		handlers:  maps.Clone(sol.EventHandlers),
	}
	for _, e := range sol.Endpoints {
		s.endpoints[e.Key()] = storedEndpoint{Script: e.Script, UpdatedAt: e.UpdatedAt, ContentType: e.ContentType}
	}
	return s
}

// writeChanges turns the content buckets from what prev says they hold
// into next, sol's: it puts only the values that differ and deletes the
// keys next lacks, so that changing one endpoint of a thousand writes one
// value (and the pages on its way) instead of encoding and rewriting them
// all, which was a quarter of such a deploy.
func writeChanges(tx *bolt.Tx, prev, next *savedSolution, sol scripts.Solution) error {
	eb, err := tx.CreateBucketIfNotExists(bucketEndpoints)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketEndpoints, err)
	}
	// In sol's order, which is the keys' order: bbolt fills its pages
	// best when keys come sorted.
	var y yield.Yielder
	for _, e := range sol.Endpoints {
		y.Step()
		k := e.Key()
		se := next.endpoints[k]
		if p, ok := prev.endpoints[k]; ok && p.Script == se.Script && p.ContentType == se.ContentType && p.UpdatedAt.Equal(se.UpdatedAt) {
			continue
		}
		v, err := json.Marshal(se)
		if err == nil {
			err = eb.Put([]byte(k), v)
		}
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", k, err)
		}
	}
	for k := range prev.endpoints {
		if _, ok := next.endpoints[k]; !ok {
			if err := eb.Delete([]byte(k)); err != nil {
				return fmt.Errorf("delete endpoint %q: %w", k, err)
			}
		}
	}
	for _, m := range []struct {
		bucket     []byte
		kind       string
		prev, next map[string]string
	}{{bucketModules, "module", prev.modules, next.modules}, {bucketEventHandlers, "event handler", prev.handlers, next.handlers}} {
		if err := putChangedSources(tx, m.bucket, m.kind, m.prev, m.next); err != nil {
			return err
		}
	}
	return nil
}

// putChangedSources is writeChanges for a bucket of sources by name.
func putChangedSources(tx *bolt.Tx, bucket []byte, kind string, prev, next map[string]string) error {
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	for k, v := range next {
		if p, ok := prev[k]; ok && p == v {
			continue
		}
		if err := b.Put([]byte(k), []byte(v)); err != nil {
			return fmt.Errorf("%s %q: %w", kind, k, err)
		}
	}
	for k := range prev {
		if _, ok := next[k]; !ok {
			if err := b.Delete([]byte(k)); err != nil {
				return fmt.Errorf("delete %s %q: %w", kind, k, err)
			}
		}
	}
	return nil
}

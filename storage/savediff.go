package storage

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/scripts"
)

// savedSolution is what the content buckets hold: the endpoints, sorted
// as scripts.Solution.Normalize sorts them, and the modules' and event
// handlers' sources by name. Its endpoints are the saved solution's own
// slice, not a copy (a map of them cost a change of one endpoint of a
// thousand 160 KB).
type savedSolution struct {
	endpoints         []scripts.Endpoint
	modules, handlers map[string]string
}

// savedOf is what writing sol, normalized, leaves in the content buckets.
func savedOf(sol scripts.Solution) *savedSolution {
	return &savedSolution{endpoints: sol.Endpoints, modules: maps.Clone(sol.Modules), handlers: maps.Clone(sol.EventHandlers)}
}

// readSavedOf is savedOf for a solution read from the buckets, in their
// order.
func readSavedOf(sol scripts.Solution) *savedSolution {
	slices.SortFunc(sol.Endpoints, endpointOrder)
	return savedOf(sol)
}

// endpointOrder is Normalize's order: by path, then method.
func endpointOrder(a, b scripts.Endpoint) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Method, b.Method)
}

// find returns the saved endpoint with e's path and method.
func (s *savedSolution) find(e scripts.Endpoint) (scripts.Endpoint, bool) {
	i, ok := slices.BinarySearchFunc(s.endpoints, e, endpointOrder)
	if !ok {
		return scripts.Endpoint{}, false
	}
	return s.endpoints[i], true
}

// writeChanges turns the content buckets from what prev says they hold
// into next: it puts only the values that differ and deletes the
// keys next lacks, so that changing one endpoint of a thousand writes one
// value (and the pages on its way) instead of encoding and rewriting them
// all, which was a quarter of such a deploy.
func writeChanges(tx *bolt.Tx, prev, next *savedSolution) error {
	eb, err := tx.CreateBucketIfNotExists(bucketEndpoints)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketEndpoints, err)
	}
	// In path order, near the keys' order: bbolt fills its pages best
	// when keys come sorted.
	var y yield.Yielder
	for _, e := range next.endpoints {
		y.Step()
		k := e.Key()
		if p, ok := prev.find(e); ok && p.Script == e.Script && p.ContentType == e.ContentType && p.UpdatedAt.Equal(e.UpdatedAt) {
			continue
		}
		v, err := json.Marshal(storedEndpoint{Script: e.Script, UpdatedAt: e.UpdatedAt, ContentType: e.ContentType})
		if err == nil {
			err = eb.Put([]byte(k), v)
		}
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", k, err)
		}
	}
	for _, e := range prev.endpoints {
		if _, ok := next.find(e); !ok {
			k := e.Key()
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

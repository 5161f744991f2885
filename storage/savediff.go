package storage

import (
	"encoding/json"
	"fmt"
	"iter"
	"maps"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/internal/yield"
	"github.com/luagate/luagate/scripts"
)

// savedSolution is what the content buckets hold: the endpoints, sorted
// as scripts.Solution.Normalize sorts them (read and prepare both
// normalize), and the modules' and event handlers' sources by name. Its
// endpoints are the saved solution's own slice, not a copy (a map of them
// cost a change of one endpoint of a thousand 160 KB).
type savedSolution struct {
	endpoints         []*scripts.Endpoint
	modules, handlers map[string]string
}

// savedOf is what writing sol, normalized, leaves in the content buckets.
func savedOf(sol scripts.Solution) *savedSolution {
	return &savedSolution{endpoints: sol.Endpoints, modules: maps.Clone(sol.Modules), handlers: maps.Clone(sol.EventHandlers)}
}

// pairs walks prev and next, both in scripts.CompareEndpoints's order
// without two of one key, and yields the index of every endpoint of
// either with that of its namesake in the other, -1 where there is none.
// It is a merge, since a search of prev per endpoint of next was a third
// of a change of one endpoint of a thousand.
func pairs(prev, next []*scripts.Endpoint) iter.Seq2[int, int] {
	return func(visit func(i, j int) bool) {
		i, j := 0, 0
		for i < len(prev) || j < len(next) {
			pi, nj := i, j
			switch {
			case j == len(next):
				nj = -1
			case i == len(prev):
				pi = -1
			default:
				switch c := scripts.CompareEndpoints(prev[i], next[j]); {
				case c < 0:
					nj = -1
				case c > 0:
					pi = -1
				}
			}
			if pi >= 0 {
				i++
			}
			if nj >= 0 {
				j++
			}
			if !visit(pi, nj) {
				return
			}
		}
	}
}

// at is eps[i], or nil for -1.
func at(eps []*scripts.Endpoint, i int) *scripts.Endpoint {
	if i < 0 {
		return nil
	}
	return eps[i]
}

// endpointWrite is one change to the endpoints bucket: the value to put
// at key, or a delete if value is nil.
type endpointWrite struct {
	key   string
	value []byte
}

// endpointWrites is what turns the endpoints bucket from what prev says
// it holds into next: a put of each endpoint whose value differs, encoded
// here, and a delete of each key next lacks, so that changing one
// endpoint of a thousand writes one value (and the pages on its way)
// instead of encoding and rewriting them all, which was a quarter of such
// a deploy. It runs before the transaction, where a deploy's encoding is
// paced (yield.Paced) and holds up no other writer of the store. The
// writes are in path order, near the keys' order: bbolt fills its pages
// best when keys come sorted.
func endpointWrites(prev, next *savedSolution) ([]endpointWrite, error) {
	var writes []endpointWrite
	var y yield.Paced
	for i, j := range pairs(prev.endpoints, next.endpoints) {
		y.Step()
		p, e := at(prev.endpoints, i), at(next.endpoints, j)
		switch {
		case e == nil:
			writes = append(writes, endpointWrite{key: p.Key()})
			continue
		case p != nil && p.Script == e.Script && p.ContentType == e.ContentType && p.UpdatedAt.Equal(e.UpdatedAt):
			continue
		}
		k := e.Key()
		v, err := json.Marshal(storedEndpoint{Script: e.Script, UpdatedAt: e.UpdatedAt, ContentType: e.ContentType})
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", k, err)
		}
		writes = append(writes, endpointWrite{key: k, value: v})
	}
	return writes, nil
}

// writeChanges makes the content buckets hold next, where they held prev:
// it applies writes, the endpoints' (see endpointWrites), and puts and
// deletes the modules and event handlers that changed.
func writeChanges(tx *bolt.Tx, writes []endpointWrite, prev, next *savedSolution) error {
	eb, err := tx.CreateBucketIfNotExists(bucketEndpoints)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketEndpoints, err)
	}
	var y yield.Yielder
	for _, w := range writes {
		y.Step()
		if w.value == nil {
			if err := eb.Delete([]byte(w.key)); err != nil {
				return fmt.Errorf("delete endpoint %q: %w", w.key, err)
			}
		} else if err := eb.Put([]byte(w.key), w.value); err != nil {
			return fmt.Errorf("endpoint %q: %w", w.key, err)
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

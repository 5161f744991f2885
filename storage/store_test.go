package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/luagate/luagate/scripts"
)

// testTimeout is short so lock tests are quick, and long enough that a
// healthy Open never comes near it.
const testTimeout = 200 * time.Millisecond

// newTestStore opens a store on a new file in t.TempDir. Cleanup closes it
// and checks that bbolt still finds the file consistent.
func newTestStore(t *testing.T) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := Open(path, testTimeout)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
		checkConsistent(t, path)
	})
	return s
}

// checkConsistent runs bbolt's own page check on a closed database file.
// Reopening also proves the store released its lock.
func checkConsistent(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("reopen %s for check: %v", path, err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check view: %v", err)
	}
}

func fullSolution() scripts.Solution {
	return scripts.Solution{
		Endpoints: []*scripts.Endpoint{
			{Path: "/echo", Script: "-- @endpoint /echo\nreturn function(ev) websocket.send(ev.data) end\n"},
			{Path: "/chat/{room}", Script: "local u = require('src.utils')\nreturn u.chat\n"},
			{Path: "/api/v1/ws", Script: "return function() end\n"},
		},
		Modules: map[string]string{
			"src.utils": "local M = {}\nfunction M.chat() end\nreturn M\n",
			"src.json":  "return {}\n",
		},
		EventHandlers: map[string]string{
			scripts.EventHandlerWebsocketInfo: "function " + scripts.HandlerFunction + "(ev) end\n",
		},
	}
}

// bulkSolution spreads over many pages, so damage to the file lands inside
// live data.
func bulkSolution() scripts.Solution {
	sol := fullSolution()
	for i := range 40 {
		sol.Endpoints = append(sol.Endpoints, &scripts.Endpoint{
			Path: fmt.Sprintf("/bulk/%02d", i), Script: strings.Repeat("-- filler\n", 300),
		})
	}
	return sol
}

func mustSave(t *testing.T, s *Store, sol scripts.Solution) (scripts.Solution, uint64) {
	t.Helper()
	got, rev, err := s.Save(sol)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	return got, rev
}

func mustLoad(t *testing.T, s *Store) (scripts.Solution, uint64) {
	t.Helper()
	got, rev, err := s.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return got, rev
}

// sameContent compares everything but UpdatedAt, which callers check apart.
func sameContent(t *testing.T, got, want scripts.Solution) {
	t.Helper()
	want = want.Clone()
	if len(got.Endpoints) != len(want.Endpoints) {
		t.Fatalf("endpoints: got %d %v, want %d", len(got.Endpoints), paths(got), len(want.Endpoints))
	}
	for i := range want.Endpoints {
		g, w := got.Endpoints[i], want.Endpoints[i]
		if g.Path != w.Path || g.Script != w.Script {
			t.Errorf("endpoint %d: got %q %q, want %q %q", i, g.Path, g.Script, w.Path, w.Script)
		}
	}
	sameMap(t, "modules", got.Modules, want.Modules)
	sameMap(t, "eventhandlers", got.EventHandlers, want.EventHandlers)
}

func sameMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil map, want a normalised empty one", what)
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s[%q]: got %q (present %v), want %q", what, k, g, ok, w)
		}
	}
}

func sameUpdatedAt(t *testing.T, got, want scripts.Solution) {
	t.Helper()
	for _, w := range want.Endpoints {
		g, ok := got.Endpoint(w.Path)
		if !ok {
			t.Errorf("endpoint %s missing", w.Path)
			continue
		}
		if !g.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("endpoint %s UpdatedAt: got %v, want %v", w.Path, g.UpdatedAt, w.UpdatedAt)
		}
	}
}

func paths(sol scripts.Solution) []string {
	var ps []string
	for _, e := range sol.Endpoints {
		ps = append(ps, e.Path)
	}
	return ps
}

// waitForNextMillisecond returns once the millisecond clock has moved past
// t, so a Save after it must stamp a later UpdatedAt.
func waitForNextMillisecond(t *testing.T, after time.Time) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !time.Now().UTC().Truncate(time.Millisecond).After(after) {
		if time.Now().After(deadline) {
			t.Fatalf("clock did not pass %v", after)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoadOfNewDatabaseIsEmptyAtRevisionZero(t *testing.T) {
	s := newTestStore(t)
	sol, rev := mustLoad(t, s)
	if rev != 0 {
		t.Errorf("revision: got %d, want 0", rev)
	}
	if sol.Endpoints == nil || len(sol.Endpoints) != 0 {
		t.Errorf("endpoints: got %#v, want empty non-nil", sol.Endpoints)
	}
	sameMap(t, "modules", sol.Modules, nil)
	sameMap(t, "eventhandlers", sol.EventHandlers, nil)
}

func TestSaveThenLoadRoundTripsWholeSolution(t *testing.T) {
	s := newTestStore(t)
	before := time.Now().UTC().Truncate(time.Millisecond)
	saved, rev := mustSave(t, s, fullSolution())
	after := time.Now().UTC()

	sameContent(t, saved, fullSolution())
	for _, e := range saved.Endpoints {
		u := e.UpdatedAt
		if u.Before(before) || u.After(after) {
			t.Errorf("%s UpdatedAt %v not within [%v, %v]", e.Path, u, before, after)
		}
		if u.Location() != time.UTC || !u.Equal(u.Truncate(time.Millisecond)) {
			t.Errorf("%s UpdatedAt %v: want UTC, whole milliseconds", e.Path, u)
		}
	}

	loaded, loadedRev := mustLoad(t, s)
	if loadedRev != rev {
		t.Errorf("Load revision %d, Save said %d", loadedRev, rev)
	}
	sameContent(t, loaded, fullSolution())
	sameUpdatedAt(t, loaded, saved)
	if got := paths(loaded); !slices.IsSorted(got) {
		t.Errorf("Load endpoints not sorted by path: %v", got)
	}
}

func TestSaveIncrementsRevision(t *testing.T) {
	s := newTestStore(t)
	for want := uint64(1); want <= 3; want++ {
		// Unchanged content still counts: every Save is a deploy.
		if _, rev := mustSave(t, s, fullSolution()); rev != want {
			t.Fatalf("Save %d returned revision %d", want, rev)
		}
	}
	if _, rev := mustLoad(t, s); rev != 3 {
		t.Errorf("Load revision: got %d, want 3", rev)
	}
}

// Save stamps the endpoints of the solution it takes over by replacing
// them, as they may be shared with another solution (a running revision's,
// which a change was cloned from), whose endpoints it leaves as they were.
func TestSaveStampsCopiesOfSharedEndpoints(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	sol := fullSolution()
	other := sol.Clone()
	saved, _ := mustSave(t, s, sol)
	for i, e := range other.Endpoints {
		if !e.UpdatedAt.IsZero() {
			t.Errorf("the other solution's %s was stamped %v", e.Path, e.UpdatedAt)
		}
		if saved.Endpoints[i].UpdatedAt.IsZero() {
			t.Errorf("the saved %s has no time", saved.Endpoints[i].Path)
		}
	}
}

func TestSaveKeepsUpdatedAtOfUnchangedScriptsAndAdvancesChangedOnes(t *testing.T) {
	s := newTestStore(t)
	first, _ := mustSave(t, s, fullSolution())
	stamp := first.Endpoints[0].UpdatedAt
	waitForNextMillisecond(t, stamp)

	next := fullSolution()
	next.Endpoints[0].Script += "-- edited\n" // /echo
	next.Endpoints = append(next.Endpoints, &scripts.Endpoint{Path: "/new", Script: "return nil\n"})
	// A caller-supplied UpdatedAt must not leak into the store.
	next.Endpoints[1].UpdatedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	second, _ := mustSave(t, s, next)

	for _, e := range second.Endpoints {
		prev, _ := first.Endpoint(e.Path)
		switch e.Path {
		case "/echo", "/new":
			if !e.UpdatedAt.After(stamp) {
				t.Errorf("%s changed, but UpdatedAt %v is not after %v", e.Path, e.UpdatedAt, stamp)
			}
		default:
			if !e.UpdatedAt.Equal(prev.UpdatedAt) {
				t.Errorf("%s unchanged, but UpdatedAt moved from %v to %v", e.Path, prev.UpdatedAt, e.UpdatedAt)
			}
		}
	}
	loaded, _ := mustLoad(t, s)
	sameUpdatedAt(t, loaded, second)
}

func TestSaveReplacesWholeSolution(t *testing.T) {
	s := newTestStore(t)
	mustSave(t, s, fullSolution())

	smaller := scripts.Solution{
		Endpoints: []*scripts.Endpoint{{Path: "/echo", Script: "return 1\n"}},
		Modules:   map[string]string{"src.json": "return {}\n"},
	}
	saved, _ := mustSave(t, s, smaller)
	sameContent(t, saved, smaller)
	loaded, _ := mustLoad(t, s)
	sameContent(t, loaded, smaller)
}

// Save takes the caller's solution over instead of copying it, which was
// a third of what a change of one endpoint of a thousand allocated: what
// it returns is sol's own endpoints, sorted and stamped.
func TestSaveTakesTheSolutionOver(t *testing.T) {
	s := newTestStore(t)
	sol := fullSolution()
	got, _ := mustSave(t, s, sol)
	if &got.Endpoints[0] != &sol.Endpoints[0] {
		t.Fatal("Save returned a copy of the endpoints")
	}
	if !slices.IsSortedFunc(sol.Endpoints, scripts.CompareEndpoints) || sol.Endpoints[0].UpdatedAt.IsZero() {
		t.Errorf("the endpoints were not sorted and stamped in place: %+v", sol.Endpoints)
	}
}

func TestSaveRefusesDuplicateEndpointPaths(t *testing.T) {
	s := newTestStore(t)
	mustSave(t, s, fullSolution())
	dup := fullSolution()
	dup.Endpoints = append(dup.Endpoints, &scripts.Endpoint{Path: "/echo", Script: "return 2\n"})
	if _, _, err := s.Save(dup); err == nil || !strings.Contains(err.Error(), `"/echo"`) {
		t.Fatalf("Save with /echo twice: got %v, want an error naming it", err)
	}
	loaded, rev := mustLoad(t, s)
	if rev != 1 {
		t.Errorf("revision after refused Save: got %d, want 1", rev)
	}
	sameContent(t, loaded, fullSolution())
}

func TestLoadedValuesSurviveLaterSaves(t *testing.T) {
	s := newTestStore(t)
	mustSave(t, s, fullSolution())
	loaded, _ := mustLoad(t, s)
	// Rewrite every page a few times: values still pointing into the mmap
	// would change or fault.
	for i := range 5 {
		big := scripts.Solution{Modules: map[string]string{}}
		for j := range 50 {
			big.Modules[fmt.Sprintf("m%d", j)] = strings.Repeat(fmt.Sprint(i), 4000)
		}
		mustSave(t, s, big)
	}
	sameContent(t, loaded, fullSolution())
}

func TestReopenReturnsSameSolution(t *testing.T) {
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := Open(path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, scripts.Solution{Endpoints: []*scripts.Endpoint{{Path: "/old", Script: "x"}}})
	saved, rev := mustSave(t, s, fullSolution())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, testTimeout)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	loaded, loadedRev := mustLoad(t, s)
	if loadedRev != rev {
		t.Errorf("revision after reopen: got %d, want %d", loadedRev, rev)
	}
	sameContent(t, loaded, fullSolution())
	sameUpdatedAt(t, loaded, saved)
	if _, next := mustSave(t, s, loaded); next != rev+1 {
		t.Errorf("first Save after reopen: revision %d, want %d", next, rev+1)
	}
}

func TestSecondOpenFailsWithErrLockedAfterTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "luagate.db")
	first, err := Open(path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}

	// flock locks belong to the open file description, so a second open(2)
	// in this process contends exactly like another process would.
	start := time.Now()
	second, err := Open(path, testTimeout)
	waited := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open succeeded while the first holds the file")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want ErrLocked", err)
	}
	for _, want := range []string{path, "another luagate process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// bbolt polls the lock every 50ms and stops one poll short of the limit.
	if waited < testTimeout/2 || waited > testTimeout+2*time.Second {
		t.Errorf("gave up after %v, want about %v", waited, testTimeout)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Open(path, testTimeout)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	third.Close()
}

// expectCorrupt opens path twice: the second time proves a failed Open let
// go of the lock (else it would be ErrLocked), and that it wrote nothing.
func expectCorrupt(t *testing.T, path string) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := Open(path, testTimeout)
		if err == nil {
			s.Close()
			t.Fatal("Open succeeded on a damaged file")
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: got %v, want ErrCorrupt", err)
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file", err)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("Open wrote to a damaged file")
	}
}

func TestOpenRandomBytesIsErrCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{100, 4096, 64 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			path := filepath.Join(t.TempDir(), "random.db")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			expectCorrupt(t, path)
		})
	}
}

func TestOpenTruncatedDatabaseIsErrCorrupt(t *testing.T) {
	path := savedBulkDatabase(t)

	var pageSize int
	var used int64
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	pageSize = db.Info().PageSize
	_ = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	db.Close()
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	cuts := map[string]int64{
		"inside first meta page":  100,
		"inside second meta page": int64(pageSize) + 100,
		"after meta pages":        2 * int64(pageSize),
		"half the data":           used / 2,
		"last used page":          used - int64(pageSize),
	}
	for name, n := range cuts {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "truncated.db")
			if err := os.WriteFile(p, whole[:n], 0o600); err != nil {
				t.Fatal(err)
			}
			expectCorrupt(t, p)
		})
	}
}

func TestOpenDamagedPageIsErrCorrupt(t *testing.T) {
	path := savedBulkDatabase(t)

	// Ask bbolt which pages hold something; damage to a free page is
	// harmless and must not be reported.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := db.Info().PageSize
	live := map[int]string{}
	_ = db.View(func(tx *bolt.Tx) error {
		for id := 2; int64(id*pageSize) < tx.Size(); id++ {
			if info, err := tx.Page(id); err == nil && info != nil {
				switch info.Type {
				case "leaf", "branch", "freelist":
					live[id] = info.Type
				}
			}
		}
		return nil
	})
	db.Close()
	if len(live) < 3 {
		t.Fatalf("only %d live pages (%v); the test needs a bigger solution", len(live), live)
	}
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	for id, typ := range live {
		t.Run(fmt.Sprintf("%s page %d", typ, id), func(t *testing.T) {
			damaged := bytes.Clone(whole)
			copy(damaged[id*pageSize:(id+1)*pageSize], bytes.Repeat([]byte{0x5a}, pageSize))
			p := filepath.Join(t.TempDir(), "damaged.db")
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			if typ != "freelist" {
				expectCorrupt(t, p)
				return
			}
			// bbolt reads the freelist inside a read-write bolt.Open, before
			// there is a handle to close, and the mapping it leaves keeps the
			// lock. So only the first Open is ErrCorrupt; a gateway stops
			// there anyway.
			s, err := Open(p, testTimeout)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded with a damaged freelist")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open: got %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestOpenRefusesUnknownSchemaWithoutCallingItCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "luagate.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keySchema, []byte("2"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err := Open(path, testTimeout)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted schema 2")
	}
	if errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"2"`) {
		t.Errorf("Open: got %v, want a non-ErrCorrupt error naming schema \"2\"", err)
	}
}

func TestOperationsAfterCloseFailWithErrClosed(t *testing.T) {
	s := newTestStore(t)
	mustSave(t, s, fullSolution())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(); !errors.Is(err, ErrClosed) {
		t.Errorf("Load: got %v, want ErrClosed", err)
	}
	if _, _, err := s.Save(fullSolution()); !errors.Is(err, ErrClosed) {
		t.Errorf("Save: got %v, want ErrClosed", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: got %v, want ErrClosed", err)
	}
	if s.Path() == "" {
		t.Error("Path is empty after Close; messages still need it")
	}
}

func TestLoadDuringSavesSeesOneWholeRevision(t *testing.T) {
	s := newTestStore(t)
	const saves = 30
	tagged := func(rev uint64) scripts.Solution {
		tag := fmt.Sprintf("rev %d\n", rev)
		sol := fullSolution()
		for i := range sol.Endpoints {
			sol.Endpoints[i].Script = tag
		}
		for k := range sol.Modules {
			sol.Modules[k] = tag
		}
		// Vary the set too, so a mix of two revisions would show in its size.
		for i := range rev % 5 {
			sol.Modules[fmt.Sprintf("extra%d", i)] = tag
		}
		return sol
	}

	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				sol, rev, err := s.Load()
				if err != nil {
					t.Errorf("Load: %v", err)
					return
				}
				if rev == 0 {
					continue
				}
				want := tagged(rev)
				if len(sol.Endpoints) != len(want.Endpoints) || len(sol.Modules) != len(want.Modules) {
					t.Errorf("revision %d: %d endpoints, %d modules; want %d, %d",
						rev, len(sol.Endpoints), len(sol.Modules), len(want.Endpoints), len(want.Modules))
					return
				}
				for _, e := range sol.Endpoints {
					if e.Script != want.Endpoints[0].Script {
						t.Errorf("revision %d: endpoint %s has %q", rev, e.Path, e.Script)
						return
					}
				}
			}
		})
	}
	for rev := uint64(1); rev <= saves; rev++ {
		if _, got := mustSave(t, s, tagged(rev)); got != rev {
			t.Errorf("Save returned revision %d, want %d", got, rev)
		}
	}
	close(done)
	wg.Wait()
}

// savedBulkDatabase returns the path of a closed database holding
// bulkSolution.
func savedBulkDatabase(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := Open(path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, bulkSolution())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Save writes only what changed since its last commit, or since it read
// the file: what it leaves out, changes or removes must read back so,
// after a reopen too.
func TestSaveOfAChangeLeavesTheFileHoldingExactlyTheNewSolution(t *testing.T) {
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := Open(path, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, fullSolution())
	s.Close()
	changed := fullSolution()
	changed.Endpoints = changed.Endpoints[1:] // /echo goes
	changed.Endpoints[0].Script = "return 2\n"
	changed.Modules["src.json"] = "return {changed = true}\n"
	delete(changed.Modules, "src.utils")
	changed.EventHandlers = nil
	for _, step := range []scripts.Solution{changed, fullSolution(), changed} {
		s, err = Open(path, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		mustSave(t, s, fullSolution()) // first Save after opening: read, then diffed
		mustSave(t, s, step)           // diffed against the last commit
		s.Close()
		s, err = Open(path, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		loaded, _ := mustLoad(t, s)
		sameContent(t, loaded, step)
		s.Close()
	}
}

package scripts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Fingerprint hashes the names and contents of every file of the project in
// dir (its layout files, .env, init.lua and the files of its sections), so
// that a poller can tell when anything in it changed. Contents are hashed
// rather than modification times compared because some file systems keep
// times to the second, and an editor may save twice within one.
func Fingerprint(dir string) (string, error) {
	sums, err := fileSums(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, rel := range slices.Sorted(maps.Keys(sums)) {
		sum := sums[rel]
		h.Write([]byte(rel + "\x00"))
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileSums hashes the contents of every file of the project in dir, by its
// slash-separated path: the layout files (a change to one may move the
// sections), then the files of each section where the layout puts it.
func fileSums(dir string) (map[string][sha256.Size]byte, error) {
	files := []string{MuranoFile, SolutionFile, EnvFile, InitFile}
	l, _ := readLayout(dir)
	for _, sec := range l.sections {
		if sec.files != nil {
			files = append(files, sec.files...)
			continue
		}
		tree, err := luaTree(dir, sec.location)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files = append(files, tree...)
	}
	sums := make(map[string][sha256.Size]byte, len(files))
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sums[rel] = sha256.Sum256(b)
	}
	return sums, nil
}

// Watcher tells when the files of a project change, and which. It polls,
// using only the standard library, instead of subscribing to file system
// events; a project is a few small files, so hashing them is cheap.
type Watcher struct {
	dir  string
	last map[string][sha256.Size]byte
}

// NewWatcher remembers the project in dir as it is now: taken before a
// deploy, it makes sure no save after that deploy goes unseen.
func NewWatcher(dir string) *Watcher {
	last, _ := fileSums(dir)
	return &Watcher{dir: dir, last: last}
}

// Run polls every interval until ctx ends and calls onChange each time the
// files differ from the previous poll, with the paths of those added,
// changed or removed, sorted. A poll that cannot read the project (a file
// removed mid-save) is retried on the next tick.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, onChange func(changed []string)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sums, err := fileSums(w.dir)
		if err != nil || maps.Equal(sums, w.last) {
			continue
		}
		changed := changedFiles(w.last, sums)
		w.last = sums
		onChange(changed)
	}
}

// changedFiles lists the paths whose sums differ between from and to.
func changedFiles(from, to map[string][sha256.Size]byte) []string {
	var out []string
	for rel, sum := range to {
		if old, ok := from[rel]; !ok || old != sum {
			out = append(out, rel)
		}
	}
	for rel := range from {
		if _, ok := to[rel]; !ok {
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return out
}

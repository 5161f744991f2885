package scripts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Fingerprint hashes the names and contents of every file of the project in
// dir (its layout files, .env, init.lua and the files of its sections), so that a poller can tell when anything in it changed. Contents are
// hashed rather than modification times compared because some file systems
// keep times to the second, and an editor may save twice within one.
func Fingerprint(dir string) (string, error) {
	h := sha256.New()
	add := func(rel string) error {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.Write([]byte(rel + "\x00"))
		h.Write(sum[:])
		return nil
	}
	// The layout files first: a change to one may move the sections.
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
			return "", err
		}
		files = append(files, tree...)
	}
	for _, rel := range files {
		if err := add(rel); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Watcher tells when the files of a project change. It polls, using only
// the standard library, instead of subscribing to file system events; a
// project is a few small files, so hashing them is cheap.
type Watcher struct {
	dir  string
	last string
}

// NewWatcher remembers the project in dir as it is now: taken before a
// deploy, it makes sure no save after that deploy goes unseen.
func NewWatcher(dir string) *Watcher {
	last, _ := Fingerprint(dir)
	return &Watcher{dir: dir, last: last}
}

// Run polls every interval until ctx ends and calls onChange each time the
// files differ from the previous poll. A poll that cannot read the project
// (a file removed mid-save) is retried on the next tick.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, onChange func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fp, err := Fingerprint(w.dir)
		if err != nil || fp == w.last {
			continue
		}
		w.last = fp
		onChange()
	}
}

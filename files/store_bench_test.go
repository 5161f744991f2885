package files_test

import (
	"fmt"
	"testing"

	"github.com/luagate/luagate/files"
)

// storeWithFiles is a store in which n sockets keep a file each.
func storeWithFiles(b *testing.B, n int) *files.Store {
	s := open(b, files.Config{})
	for i := range n {
		if _, err := s.Put(fmt.Sprintf("s%d", i), "f", []byte("x")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	return s
}

// BenchmarkRemoveSessionWithoutFiles is a close of a socket that wrote no
// file, while 1,000 other sockets keep one each: what most closes cost.
func BenchmarkRemoveSessionWithoutFiles(b *testing.B) {
	s := storeWithFiles(b, 1000)
	for b.Loop() {
		s.RemoveSession("none")
	}
}

// BenchmarkRemoveSessionWithFiles is a socket writing a file and closing,
// among 1,000 sockets with one each.
func BenchmarkRemoveSessionWithFiles(b *testing.B) {
	s := storeWithFiles(b, 1000)
	for b.Loop() {
		if _, err := s.Put("mine", "f", []byte("x")); err != nil {
			b.Fatal(err)
		}
		s.RemoveSession("mine")
	}
}

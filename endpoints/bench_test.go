package endpoints

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/luagate/luagate/runtime"
	"github.com/luagate/luagate/scripts"
	"github.com/luagate/luagate/storage"
)

// BenchmarkRouteLookup finds the endpoint of an upgrade request among 40.
func BenchmarkRouteLookup(b *testing.B) {
	engine, err := runtime.New(runtime.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = engine.Shutdown(context.Background()) })
	store, err := storage.Open(filepath.Join(b.TempDir(), "luagate.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	s, err := New(Config{Engine: engine, Store: store, AdminToken: "t"})
	if err != nil {
		b.Fatal(err)
	}
	var sol scripts.Solution
	for i := range 20 {
		sol.Endpoints = append(sol.Endpoints,
			scripts.Endpoint{Path: fmt.Sprintf("/app%d/{room}/{user}", i), Script: "return nil"},
			scripts.Endpoint{Path: fmt.Sprintf("/static%d", i), Script: "return nil"})
	}
	compiled, err := scripts.Compile(sol)
	if err != nil {
		b.Fatal(err)
	}
	s.activate(compiled)
	b.ReportAllocs()
	for b.Loop() {
		if h, _, _ := s.routes.Load().Lookup(http.MethodGet, "/app13/lobby/ann"); h == nil {
			b.Fatal("no route")
		}
	}
}

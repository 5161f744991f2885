package storage_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/storage"
)

func TestKeysAreKeptByHashAndSurviveARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "luagate.db")
	s, err := storage.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByHash(auth.HashSecret("lg_x")); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("lookup in a new database: %v, want ErrUnknownKey", err)
	}
	k, secret, err := auth.NewKey(auth.KeySpec{Name: "app", UserID: "ann", Scopes: []auth.Scope{auth.ScopeConnect}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutKey(k); err != nil {
		t.Fatal(err)
	}
	if err := s.PutKey(k); err == nil {
		t.Error("the same key stored twice")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = storage.Open(path, time.Second); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.KeyByHash(auth.HashSecret(secret))
	if err != nil || got.ID != k.ID || got.UserID != "ann" {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
	if byID, err := s.KeyByID(k.ID); err != nil || byID.Name != "app" {
		t.Fatalf("by id: %+v, %v", byID, err)
	}
	if all, err := s.Keys(); err != nil || len(all) != 1 {
		t.Fatalf("keys: %v, %v", all, err)
	}
	if _, err := s.DeleteKey(k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KeyByHash(auth.HashSecret(secret)); !errors.Is(err, auth.ErrUnknownKey) {
		t.Errorf("a deleted key is found: %v", err)
	}
	if _, err := s.KeyByID(k.ID); !errors.Is(err, auth.ErrUnknownKey) {
		t.Errorf("a deleted key is found by id: %v", err)
	}
	if _, err := s.DeleteKey(k.ID); !errors.Is(err, auth.ErrUnknownKey) {
		t.Errorf("deleting again: %v", err)
	}
}

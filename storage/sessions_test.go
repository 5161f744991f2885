package storage_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/luagate/luagate/session"
	"github.com/luagate/luagate/storage"
)

// closedSessions makes n closed sessions, connected a millisecond apart
// from base; every third is ann's, every other on /b.
func closedSessions(base time.Time, from, n int) []session.Record {
	out := make([]session.Record, 0, n)
	for i := from; i < from+n; i++ {
		s := session.Record{
			SocketID: fmt.Sprintf("s%05d", i), Route: "/a", UserID: "bob", RemoteAddr: "127.0.0.1",
			ConnectedAt: base.Add(time.Duration(i) * time.Millisecond), ClosedAt: base.Add(time.Hour),
			CloseCode: 1000, CloseReason: "bye", MessagesIn: uint64(i), BytesOut: 7, Status: session.Closed,
		}
		if i%3 == 0 {
			s.UserID = "ann"
		}
		if i%2 == 0 {
			s.Route = "/b"
		}
		out = append(out, s)
	}
	return out
}

func openStore(t *testing.T, path string) *storage.Store {
	t.Helper()
	s, err := storage.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// page walks the store's closed sessions matching f, limit at a time, and
// returns their ids and the number of pages.
func page(t *testing.T, s *storage.Store, f session.Filter, limit int) (ids []string, pages int) {
	t.Helper()
	var after session.Cursor
	for {
		got, err := s.ClosedSessions(f, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, rec := range got {
			ids = append(ids, rec.SocketID)
		}
		if len(got) < limit {
			return ids, pages
		}
		last := got[len(got)-1]
		after = session.Cursor{ConnectedAt: last.ConnectedAt, SocketID: last.SocketID}
	}
}

func TestSessionHistoryPagesNewestFirstAndSurvivesARestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "luagate.db")
	s := openStore(t, path)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	all := closedSessions(base, 0, 2500)
	for i := 0; i < len(all); i += 500 { // in batches, as the runtime writes them
		if err := s.PutSessions(all[i:i+500], 100_000); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	ids, pages := page(t, s, session.Filter{}, 1000)
	if len(ids) != 2500 || pages != 3 {
		t.Fatalf("%d sessions in %d pages, want 2500 in 3", len(ids), pages)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("s%05d", 2499-i); id != want {
			t.Fatalf("position %d holds %s, want %s: not newest first", i, id, want)
		}
	}
	got, err := s.ClosedSession("s00042")
	if err != nil {
		t.Fatal(err)
	}
	want := all[42]
	if got.Route != want.Route || got.UserID != want.UserID || !got.ConnectedAt.Equal(want.ConnectedAt) ||
		!got.ClosedAt.Equal(want.ClosedAt) || got.CloseCode != 1000 || got.CloseReason != "bye" ||
		got.MessagesIn != 42 || got.BytesOut != 7 || got.RemoteAddr != "127.0.0.1" || got.Status != session.Closed {
		t.Fatalf("session read back as %+v, stored %+v", got, want)
	}
	if _, err := s.ClosedSession("nope"); !errors.Is(err, session.ErrUnknown) {
		t.Fatalf("unknown session: %v", err)
	}
}

func TestSessionHistoryFilters(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "luagate.db"))
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.PutSessions(closedSessions(base, 0, 300), 100_000); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		f     session.Filter
		count int
		first string
	}{
		"user":       {session.Filter{UserID: "ann"}, 100, "s00297"},
		"route":      {session.Filter{Route: "/a"}, 150, "s00299"},
		"both":       {session.Filter{UserID: "ann", Route: "/b"}, 50, "s00294"},
		"since":      {session.Filter{Since: base.Add(200 * time.Millisecond)}, 100, "s00299"},
		"until":      {session.Filter{Until: base.Add(99 * time.Millisecond)}, 100, "s00099"},
		"window":     {session.Filter{Since: base.Add(10 * time.Millisecond), Until: base.Add(19 * time.Millisecond)}, 10, "s00019"},
		"name":       {session.Filter{SessionName: "none-has-it"}, 0, ""},
		"status":     {session.Filter{Status: session.Active}, 0, ""},
		"unfiltered": {session.Filter{}, 300, "s00299"},
	} {
		ids, _ := page(t, s, c.f, 7)
		if len(ids) != c.count || (c.count > 0 && ids[0] != c.first) {
			t.Errorf("%s: %d sessions starting %v, want %d starting %s", name, len(ids), ids[:min(len(ids), 3)], c.count, c.first)
		}
	}
}

func TestSessionHistoryKeepsTheNewest(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "luagate.db"))
	base := time.Now()
	if err := s.PutSessions(closedSessions(base, 100, 60), 50); err != nil {
		t.Fatal(err)
	}
	// Older ones arriving later go first; a session stored again is not
	// counted twice.
	again := closedSessions(base, 150, 10)
	if err := s.PutSessions(append(closedSessions(base, 0, 5), again...), 50); err != nil {
		t.Fatal(err)
	}
	ids, _ := page(t, s, session.Filter{}, 1000)
	if len(ids) != 50 || ids[0] != "s00159" || ids[49] != "s00110" {
		t.Fatalf("kept %d: %s..%s, want the 50 newest s00159..s00110", len(ids), ids[0], ids[len(ids)-1])
	}
	if _, err := s.ClosedSession("s00109"); !errors.Is(err, session.ErrUnknown) {
		t.Fatalf("a dropped session is still found by id: %v", err)
	}
}

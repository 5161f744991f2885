package logs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func newRing(t *testing.T, size int) *Ring {
	t.Helper()
	r, err := NewRing(size)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rec(i int, status string) Record {
	return Record{Time: time.Unix(int64(i), 0), Route: fmt.Sprintf("/r%d", i%2), SocketID: fmt.Sprint(i), Status: status}
}

func ids(recs []Record) string {
	s := ""
	for _, r := range recs {
		s += r.SocketID + " "
	}
	return s
}

func TestRingKeepsTheNewestRecordsNewestLast(t *testing.T) {
	t.Parallel()
	r := newRing(t, 3)
	for i := range 5 {
		r.Add(rec(i, StatusOK))
	}
	if got := ids(r.Last(Filter{}, 0)); got != "2 3 4 " {
		t.Fatalf("kept %q, want the last three", got)
	}
	if got := ids(r.Last(Filter{}, 2)); got != "3 4 " {
		t.Fatalf("last 2: %q", got)
	}
}

func TestFilterSelectsByEveryField(t *testing.T) {
	t.Parallel()
	r := newRing(t, 10)
	for i := range 6 {
		st := StatusOK
		if i%3 == 0 {
			st = StatusError
		}
		r.Add(rec(i, st))
	}
	for _, c := range []struct {
		f    Filter
		want string
	}{
		{Filter{Route: "/r1"}, "1 3 5 "},
		{Filter{Status: StatusError}, "0 3 "},
		{Filter{SocketID: "4"}, "4 "},
		{Filter{Since: time.Unix(4, 0)}, "4 5 "},
		{Filter{Route: "/r1", Status: StatusError}, "3 "},
	} {
		if got := ids(r.Last(c.f, 0)); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}

func TestFollowerReadsNewRecordsAfterItsBacklog(t *testing.T) {
	t.Parallel()
	r := newRing(t, 10)
	r.Add(rec(0, StatusOK))
	r.Add(rec(1, StatusOK))
	backlog, f := r.Follow(Filter{Route: "/r1"}, 5)
	defer f.Stop()
	if got := ids(backlog); got != "1 " {
		t.Fatalf("backlog %q", got)
	}
	got := make(chan string)
	go func() {
		recs, dropped, err := f.Next(context.Background())
		got <- fmt.Sprint(ids(recs), dropped, err)
	}()
	r.Add(rec(3, StatusOK))
	if g := <-got; g != "3 0 <nil>" {
		t.Fatalf("next: %q", g)
	}
}

// A follower that does not read never holds up Add, and learns how many
// records it missed.
func TestSlowFollowerMissesRecordsAndIsToldHowMany(t *testing.T) {
	t.Parallel()
	r := newRing(t, 4)
	_, f := r.Follow(Filter{}, 0)
	defer f.Stop()
	for i := range 10 {
		r.Add(rec(i, StatusOK))
	}
	recs, dropped, err := f.Next(context.Background())
	if err != nil || dropped != 6 || ids(recs) != "6 7 8 9 " {
		t.Fatalf("got %q dropped %d err %v; want the last 4 and 6 dropped", ids(recs), dropped, err)
	}
}

func TestFollowerEndsWithTheRingOrItsContext(t *testing.T) {
	t.Parallel()
	r := newRing(t, 4)
	_, f := r.Follow(Filter{}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	r.Close()
	if _, _, err := f.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed ring: %v", err)
	}
	f.Stop()
	r.Add(rec(1, StatusOK))
	if n := len(r.Last(Filter{}, 0)); n != 0 {
		t.Fatalf("a closed ring took %d records", n)
	}
}

func TestNewRingRefusesANegativeSize(t *testing.T) {
	t.Parallel()
	if _, err := NewRing(-1); err == nil {
		t.Fatal("no error")
	}
	if r := newRing(t, 0); r.Size() != DefaultSize {
		t.Fatalf("size %d", r.Size())
	}
}

func TestLineStartsWithTheTime(t *testing.T) {
	t.Parallel()
	r := Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Route: "/chat/{room}", SocketID: "s1",
		EventType: "data", Status: StatusError, Error: "/chat/{room}:2: boom", ExecutionTimeUS: 1500,
		ScriptOutput: []string{"a", "b\nc"}}
	want := `2026-01-02T03:04:05.006Z /chat/{room} s1 - data error 1.5ms error: /chat/{room}:2: boom output: a | b\nc`
	if got := r.Line(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func BenchmarkRingAdd(b *testing.B) {
	r, _ := NewRing(DefaultSize)
	_, f := r.Follow(Filter{}, 0)
	defer f.Stop()
	x := Record{Route: "/echo", SocketID: "s", Status: StatusOK, ScriptOutput: []string{"line"}}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Add(x)
		}
	})
}

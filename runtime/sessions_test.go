package runtime

import (
	"errors"
	"testing"
	"time"
)

func TestASocketBothOpenAndClosedIsListedOnceAsClosed(t *testing.T) {
	t.Parallel()
	at := time.Unix(100, 0)
	got := newestFirst([]Session{
		{SocketID: "a", ConnectedAt: at, Status: SessionActive},
		{SocketID: "old", ConnectedAt: at.Add(-time.Second), Status: SessionClosed},
		{SocketID: "a", ConnectedAt: at, Status: SessionClosed},
		{SocketID: "b", ConnectedAt: at, Status: SessionActive},
	})
	if len(got) != 3 || got[0].SocketID != "b" || got[1].SocketID != "a" || got[1].Status != SessionClosed || got[2].SocketID != "old" {
		t.Fatalf("sorted %+v", got)
	}
}

func TestPageTokensRoundTripAndRefuseJunk(t *testing.T) {
	t.Parallel()
	c := SessionCursor{ConnectedAt: time.Unix(5, 123), SocketID: "abc"}
	back, err := DecodeCursor(EncodeCursor(c))
	if err != nil || !back.ConnectedAt.Equal(c.ConnectedAt) || back.SocketID != "abc" {
		t.Fatalf("round trip %+v %v", back, err)
	}
	if !c.Before(&Session{SocketID: "abb", ConnectedAt: c.ConnectedAt}) || c.Before(&Session{SocketID: "abc", ConnectedAt: c.ConnectedAt}) ||
		c.Before(&Session{ConnectedAt: time.Unix(6, 0)}) {
		t.Fatal("the cursor's order is not newest first, then id descending")
	}
	for _, junk := range []string{"!!", "AAA"} {
		if _, err := DecodeCursor(junk); !errors.Is(err, ErrBadSessionQuery) {
			t.Errorf("token %q: %v", junk, err)
		}
	}
}

package session

import (
	"errors"
	"testing"
	"time"
)

func TestPageTokensRoundTripAndRefuseJunk(t *testing.T) {
	t.Parallel()
	c := Cursor{ConnectedAt: time.Unix(5, 123), SocketID: "abc"}
	back, err := DecodeCursor(EncodeCursor(c))
	if err != nil || !back.ConnectedAt.Equal(c.ConnectedAt) || back.SocketID != "abc" {
		t.Fatalf("round trip %+v %v", back, err)
	}
	if !c.Before(&Record{SocketID: "abb", ConnectedAt: c.ConnectedAt}) || c.Before(&Record{SocketID: "abc", ConnectedAt: c.ConnectedAt}) ||
		c.Before(&Record{ConnectedAt: time.Unix(6, 0)}) {
		t.Fatal("the cursor's order is not newest first, then id descending")
	}
	for _, junk := range []string{"!!", "AAA"} {
		if _, err := DecodeCursor(junk); !errors.Is(err, ErrBadQuery) {
			t.Errorf("token %q: %v", junk, err)
		}
	}
}

package push_test

import (
	"errors"
	"testing"
	"time"

	"github.com/luagate/luagate/push"
)

func TestParseTimeTakesTheSeedsFormatAsGMT(t *testing.T) {
	t.Parallel()
	want := time.Date(2023, 7, 18, 15, 0, 0, 0, time.UTC)
	for _, s := range []string{"2023-07-18T15:00:00", "2023-07-18T17:00:00+02:00", "1689692400"} {
		got, err := push.ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := push.ParseTime("tomorrow"); !errors.Is(err, push.ErrBadRequest) {
		t.Errorf("ParseTime(tomorrow): %v, want ErrBadRequest", err)
	}
}

func TestFilterJoinsItsFieldsByAnd(t *testing.T) {
	t.Parallel()
	now := time.Now()
	m := push.Message{Recipient: "a", Topic: "t", Status: push.Pending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, tc := range []struct {
		f    push.Filter
		want bool
	}{
		{push.Filter{}, true},
		{push.Filter{Recipient: "a", Topic: "t", Status: push.Pending}, true},
		{push.Filter{Recipient: "a", Topic: "u"}, false},
		{push.Filter{Created: push.Range{From: now, To: now}}, true},
		{push.Filter{Created: push.Range{From: now.Add(time.Second)}}, false},
		{push.Filter{Expires: push.Range{To: now}}, false},
	} {
		if got := tc.f.Match(&m); got != tc.want {
			t.Errorf("%+v matched %v, want %v", tc.f, got, tc.want)
		}
	}
	// A message without an expiry is outside every expiry range.
	m.ExpiresAt = time.Time{}
	if (&push.Filter{Expires: push.Range{From: now.Add(-time.Hour)}}).Match(&m) {
		t.Error("a message without expiry matched an expiry range")
	}
}

func TestStatusesAreParsedInAnyCase(t *testing.T) {
	t.Parallel()
	if st, err := push.ParseStatus("delivered"); err != nil || st != push.Delivered {
		t.Fatalf("ParseStatus(delivered) = %v, %v", st, err)
	}
	if _, err := push.ParseStatus("LOST"); !errors.Is(err, push.ErrBadRequest) {
		t.Fatalf("ParseStatus(LOST): %v", err)
	}
}

package storage_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/push"
)

func pending(recipient string, created time.Time, expires time.Time) push.Message {
	return push.Message{ID: push.NewID(), Recipient: recipient, Message: "m", Status: push.Pending,
		CreatedAt: created, ExpiresAt: expires}
}

func TestPushMessagesLifecycleInBolt(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "luagate.db"))
	now := time.Now()
	if _, err := s.Message("nope"); !errors.Is(err, push.ErrUnknown) {
		t.Fatalf("message in a new database: %v, want ErrUnknown", err)
	}
	if n, err := s.PendingCount(); n != 0 || err != nil {
		t.Fatalf("pending count in a new database: %d, %v", n, err)
	}
	msgs := []push.Message{pending("a", now, now.Add(time.Hour)), pending("a", now.Add(time.Millisecond), now.Add(time.Second)),
		pending("a", now.Add(2*time.Millisecond), now.Add(time.Hour))}
	errs, err := s.AddMessages(msgs, 2)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], push.ErrTooManyPending) {
		t.Fatalf("cap of 2: %v", errs)
	}
	// Cancelling one frees a place under the cap.
	if m, err := s.Cancel(msgs[0].ID, now); err != nil || m.Status != push.Cancelled {
		t.Fatalf("cancel: %v %v", m.Status, err)
	}
	if _, err := s.Cancel(msgs[0].ID, now); !errors.Is(err, push.ErrConflict) {
		t.Fatalf("cancel twice: %v, want ErrConflict", err)
	}
	if errs, _ := s.AddMessages(msgs[2:], 2); errs[0] != nil {
		t.Fatalf("under the cap again: %v", errs[0])
	}
	got, err := s.Pending("a", now)
	if err != nil || len(got) != 2 || got[0].ID != msgs[1].ID || got[1].ID != msgs[2].ID {
		t.Fatalf("pending oldest first: %v %v", got, err)
	}
	// Delivered once, whatever the repeats.
	if n, err := s.PendingCount(); err != nil || n != 2 {
		t.Fatalf("pending count %d, %v, want 2", n, err)
	}
	if n, err := s.MarkDelivered([]string{msgs[2].ID, msgs[2].ID, msgs[0].ID, "gone"}, now); err != nil || n != 1 {
		t.Fatalf("marked %d delivered, %v, want 1", n, err)
	}
	if n, _ := s.PendingCount(); n != 1 {
		t.Fatalf("pending count %d after a delivery, want 1", n)
	}
	if m, _ := s.Message(msgs[0].ID); m.Status != push.Cancelled {
		t.Fatalf("a cancelled message was marked %s", m.Status)
	}
	// The sweep expires the one past its expiry, then forgets what
	// finished before the retention cut.
	expired, forgotten, err := s.Sweep(now.Add(2*time.Second), now.Add(-time.Hour), 100)
	if err != nil || expired != 1 || forgotten != 0 {
		t.Fatalf("sweep: %d expired, %d forgotten, %v", expired, forgotten, err)
	}
	if m, _ := s.Message(msgs[1].ID); m.Status != push.Expired {
		t.Fatalf("swept message is %s, want EXPIRED", m.Status)
	}
	if n, _ := s.PendingCount(); n != 0 {
		t.Fatalf("pending count %d after the sweep, want 0", n)
	}
	if _, forgotten, _ := s.Sweep(now.Add(2*time.Second), now.Add(time.Hour), 100); forgotten != 3 {
		t.Fatalf("forgot %d, want the 3 finished", forgotten)
	}
	if page, _ := s.Messages(push.Query{}); len(page.Messages) != 0 {
		t.Fatalf("%d messages left after forgetting", len(page.Messages))
	}
}

func TestPushGlobalIsClaimedOncePerRecipient(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "luagate.db"))
	now := time.Now()
	g := push.Global{ID: push.NewID(), Message: "all", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.AddGlobal(g); err != nil {
		t.Fatal(err)
	}
	if live, err := s.LiveGlobals(now); err != nil || len(live) != 1 {
		t.Fatalf("live: %v %v", live, err)
	}
	if live, _ := s.LiveGlobals(now.Add(2 * time.Hour)); len(live) != 0 {
		t.Fatalf("an expired global message is live")
	}
	copyFor := func(r string) push.Message {
		m := pending(r, now, g.ExpiresAt)
		m.GlobalMessageID = g.ID
		return m
	}
	for _, want := range []bool{true, false} {
		if claimed, err := s.ClaimGlobal(copyFor("a")); err != nil || claimed != want {
			t.Fatalf("claim: %v %v, want %v", claimed, err, want)
		}
	}
	if claimed, _ := s.ClaimGlobal(copyFor("b")); !claimed {
		t.Fatal("another recipient's claim refused")
	}
	page, err := s.Messages(push.Query{Filter: push.Filter{GlobalMessageID: g.ID}})
	if err != nil || len(page.Messages) != 2 {
		t.Fatalf("copies: %d %v", len(page.Messages), err)
	}
}

func TestPushTokensAreKeptHashedAndRevokedByRecipient(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "luagate.db"))
	var hashes [][]byte
	for _, r := range []string{"a", "a", "ab"} {
		tok, _, err := auth.NewPushToken(auth.TokenSpec{Recipient: r}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutToken(tok); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, tok.Hash)
	}
	if n, err := s.DeleteTokens("a"); err != nil || n != 2 {
		t.Fatalf("revoke a: %d %v", n, err)
	}
	if _, err := s.TokenByHash(hashes[0]); !errors.Is(err, auth.ErrUnknownToken) {
		t.Fatalf("revoked token: %v", err)
	}
	if tok, err := s.TokenByHash(hashes[2]); err != nil || tok.Recipient != "ab" {
		t.Fatalf("another recipient's token: %v %v", tok, err)
	}
}

// TestReplacedTokensAreNeverMissing replaces a recipient's tokens over and
// over while another goroutine looks up the one always kept: it is found
// every time, and the one dropped is gone.
func TestReplacedTokensAreNeverMissing(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "luagate.db"))
	var toks []auth.PushToken
	for range 2 {
		tok, _, err := auth.NewPushToken(auth.TokenSpec{Recipient: "a"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutToken(tok); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	kept := toks[:1]
	stop := make(chan struct{})
	missed := make(chan error, 1)
	go func() {
		defer close(missed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.TokenByHash(kept[0].Hash); err != nil {
				missed <- err
				return
			}
		}
	}()
	for range 50 {
		if err := s.ReplaceTokens("a", kept); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-missed; err != nil {
		t.Fatalf("the kept token went missing during a replace: %v", err)
	}
	if _, err := s.TokenByHash(toks[1].Hash); !errors.Is(err, auth.ErrUnknownToken) {
		t.Fatalf("the dropped token: %v", err)
	}
}

package cluster

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/luagate/luagate/push"
)

// AddGlobal implements push.MessageStore.
func (s *messageStore) AddGlobal(g push.Global) error {
	return s.create(prefixGlobal+g.ID, g, "global message "+g.ID)
}

// Global implements push.MessageStore.
func (s *messageStore) Global(id string) (push.Global, error) {
	kv, err := s.bucket()
	if err != nil {
		return push.Global{}, err
	}
	if !validID(id) {
		return push.Global{}, push.ErrUnknown
	}
	ctx, cancel := s.node.op()
	defer cancel()
	e, err := kv.Get(ctx, prefixGlobal+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return push.Global{}, push.ErrUnknown
	}
	if err != nil {
		return push.Global{}, unavailable("read global message "+id, err)
	}
	var g push.Global
	if err := json.Unmarshal(e.Value(), &g); err != nil {
		return push.Global{}, fmt.Errorf("global message %s: %w", id, err)
	}
	return g, nil
}

// ClaimGlobal implements push.MessageStore: the copy's key is created
// once, whichever node gets there first.
func (s *messageStore) ClaimGlobal(m push.Message) (bool, error) {
	kv, err := s.bucket()
	if err != nil {
		return false, err
	}
	ctx, cancel := s.node.op()
	defer cancel()
	_, err = kv.Create(ctx, copyKey(m.GlobalMessageID, m.Recipient), []byte(m.ID))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, unavailable("claim global message "+m.GlobalMessageID, err)
	}
	return true, s.createMessage(ctx, kv, &m)
}

// all reads every value of the push bucket under prefix, decoded.
func all[T any](s *messageStore, prefix string) ([]T, []uint64, error) {
	kv, err := s.bucket()
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := s.node.listing()
	defer cancel()
	entries, err := snapshot(ctx, kv, prefix+"*")
	if err != nil {
		return nil, nil, unavailable("list push messages", err)
	}
	out, revs := make([]T, 0, len(entries)), make([]uint64, 0, len(entries))
	for _, e := range entries {
		var v T
		if json.Unmarshal(e.Value(), &v) == nil {
			out, revs = append(out, v), append(revs, e.Revision())
		}
	}
	return out, revs, nil
}

// page cuts the newest-first page q asks for out of items, sorted by at
// and id: its token is where the page ended.
func page[T any](items []T, q push.Query, at func(*T) time.Time, id func(*T) string) ([]T, string, error) {
	slices.SortFunc(items, func(a, b T) int {
		if c := at(&b).Compare(at(&a)); c != 0 {
			return c
		}
		return strings.Compare(id(&b), id(&a))
	})
	start := 0
	if q.NextToken != "" {
		after, afterID, err := decodeToken(q.NextToken)
		if err != nil {
			return nil, "", err
		}
		start, _ = slices.BinarySearchFunc(items, struct{}{}, func(it T, _ struct{}) int {
			if c := after.Compare(at(&it)); c != 0 {
				return c
			}
			if id(&it) >= afterID {
				return -1 // the token's own item is on the page before
			}
			return 1
		})
	}
	limit := q.Limit
	if limit <= 0 || limit > push.MaxPage {
		limit = push.MaxPage
	}
	items = items[start:]
	if len(items) <= limit {
		return items, "", nil
	}
	last := &items[limit-1]
	return items[:limit], encodeToken(at(last), id(last)), nil
}

func encodeToken(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixNano(), 10) + "." + id))
}

func decodeToken(tok string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	at, id, ok := strings.Cut(string(b), ".")
	ns, perr := strconv.ParseInt(at, 10, 64)
	if err != nil || !ok || perr != nil {
		return time.Time{}, "", fmt.Errorf("next_token is not one this listing gave: %w", push.ErrBadRequest)
	}
	return time.Unix(0, ns), id, nil
}

// Messages implements push.MessageStore. It reads every message the
// bucket holds, so a page costs what the whole listing does.
func (s *messageStore) Messages(q push.Query) (push.Page, error) {
	recs, _, err := all[pushRecord](s, prefixMessage)
	if err != nil {
		return push.Page{}, err
	}
	var msgs []push.Message
	for i := range recs {
		if q.Filter.Match(&recs[i].Message) {
			msgs = append(msgs, recs[i].Message)
		}
	}
	msgs, next, err := page(msgs, q, func(m *push.Message) time.Time { return m.CreatedAt }, func(m *push.Message) string { return m.ID })
	return push.Page{Messages: msgs, NextToken: next}, err
}

// Globals implements push.MessageStore.
func (s *messageStore) Globals(q push.Query) (push.GlobalPage, error) {
	gs, _, err := all[push.Global](s, prefixGlobal)
	if err != nil {
		return push.GlobalPage{}, err
	}
	gs = slices.DeleteFunc(gs, func(g push.Global) bool { return !q.Filter.MatchGlobal(&g) })
	gs, next, err := page(gs, q, func(g *push.Global) time.Time { return g.CreatedAt }, func(g *push.Global) string { return g.ID })
	return push.GlobalPage{Globals: gs, NextToken: next}, err
}

// LiveGlobals implements push.MessageStore.
func (s *messageStore) LiveGlobals(now time.Time) ([]push.Global, error) {
	gs, _, err := all[push.Global](s, prefixGlobal)
	if err != nil {
		return nil, err
	}
	gs = slices.DeleteFunc(gs, func(g push.Global) bool { return !g.ExpiresAt.After(now) })
	slices.SortFunc(gs, func(a, b push.Global) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return gs, nil
}

// Sweep implements push.MessageStore. Every node sweeps; the changes are
// compare-and-sets, so two sweeps of one message change it once.
func (s *messageStore) Sweep(now, forgetBefore time.Time, batch int) (expired, forgotten int, err error) {
	recs, revs, err := all[pushRecord](s, prefixMessage)
	if err != nil {
		return 0, 0, err
	}
	kv, err := s.bucket()
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := s.node.listing()
	defer cancel()
	var errs []error
	gone := 0
	for i := range recs {
		m := &recs[i].Message
		switch {
		case m.Status == push.Pending && !m.Deadline().After(now) && expired < batch:
			if _, err := s.change(ctx, kv, m.ID, finish(push.Expired, now)); err == nil {
				expired++
			} else if !errors.Is(err, push.ErrConflict) && !errors.Is(err, push.ErrUnknown) {
				errs = append(errs, err)
			}
		case m.Status != push.Pending && m.FinishedAt().Before(forgetBefore) && gone < batch:
			if err := kv.Purge(ctx, prefixMessage+m.ID, jetstream.LastRevision(revs[i])); err == nil {
				gone++
			}
		}
	}
	globals, grevs, err := all[push.Global](s, prefixGlobal)
	if err != nil {
		return expired, gone, err
	}
	globalsGone := 0
	for i := range globals {
		g := &globals[i]
		end := g.ExpiresAt
		if end.IsZero() {
			end = g.CreatedAt
		}
		if globalsGone >= batch || !end.Before(forgetBefore) {
			continue
		}
		if err := kv.Purge(ctx, prefixGlobal+g.ID, jetstream.LastRevision(grevs[i])); err == nil {
			globalsGone++
			copies, _ := keysOf(ctx, kv, prefixCopy+g.ID+".*")
			for _, k := range copies {
				_ = kv.Purge(ctx, k)
			}
		}
	}
	// Each message that left PENDING, and each one forgotten, left a
	// purge marker; drop those older than the server's default, half an
	// hour, so that the bucket does not grow with them.
	_ = kv.PurgeDeletes(ctx)
	return expired, max(gone, globalsGone), errors.Join(errs...)
}

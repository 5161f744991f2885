package push

import (
	"time"

	"github.com/luagate/luagate/auth"
)

// MaxPage is the most records one page lists.
const MaxPage = 1000

// Range is the seed's DateTimeFilter: either end may be zero, for open.
type Range struct{ From, To time.Time }

// In reports whether t is within r, ends included. A zero t (no expiry)
// is within an open range only.
func (r Range) In(t time.Time) bool {
	if r.From.IsZero() && r.To.IsZero() {
		return true
	}
	if t.IsZero() {
		return false
	}
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || !t.After(r.To))
}

// Filter selects messages or global messages; its fields are joined by
// AND, and a zero field selects everything. Recipient, GlobalMessageID and
// Status do not apply to global messages.
type Filter struct {
	Recipient       string
	GlobalMessageID string
	Topic           string
	Status          Status
	Created         Range
	Expires         Range
}

// Match reports whether m passes f.
func (f *Filter) Match(m *Message) bool {
	return (f.Recipient == "" || m.Recipient == f.Recipient) &&
		(f.GlobalMessageID == "" || m.GlobalMessageID == f.GlobalMessageID) &&
		(f.Topic == "" || m.Topic == f.Topic) &&
		(f.Status == "" || m.Status == f.Status) &&
		f.Created.In(m.CreatedAt) && f.Expires.In(m.ExpiresAt)
}

// MatchGlobal reports whether g passes f.
func (f *Filter) MatchGlobal(g *Global) bool {
	return (f.Topic == "" || g.Topic == f.Topic) && f.Created.In(g.CreatedAt) && f.Expires.In(g.ExpiresAt)
}

// Query is a page of a listing: newest first, at most Limit (zero means
// MaxPage), after the page NextToken ended.
type Query struct {
	Filter    Filter
	Limit     int
	NextToken string
}

// Page is one page of messages; NextToken is empty on the last.
type Page struct {
	Messages  []Message
	NextToken string
}

// GlobalPage is one page of global messages.
type GlobalPage struct {
	Globals   []Global
	NextToken string
}

// MessageStore keeps messages and global messages. A push answered 2xx
// has been committed by it. Every status change is a compare-and-set from
// PENDING, so that a cluster engine implementing it can let one node claim
// each delivery.
type MessageStore interface {
	// AddMessages commits msgs, each a new PENDING or EXPIRED message, in
	// one transaction, and answers an error per message: ErrTooManyPending
	// for one whose recipient has max PENDING messages already (zero: no
	// cap).
	AddMessages(msgs []Message, max int) ([]error, error)
	// Message returns the message id, or ErrUnknown.
	Message(id string) (Message, error)
	// Pending returns recipient's PENDING messages whose deadline is after
	// now, oldest first.
	Pending(recipient string, now time.Time) ([]Message, error)
	// Cancel marks a PENDING message CANCELLED at at; ErrConflict when it
	// is not PENDING, ErrUnknown when there is none.
	Cancel(id string, at time.Time) (Message, error)
	// MarkDelivered marks each of ids DELIVERED at at if it is still
	// PENDING, leaves the others as they are, and says how many it marked.
	MarkDelivered(ids []string, at time.Time) (int, error)
	// PendingCount says how many messages are PENDING.
	PendingCount() (int, error)
	// Messages pages over the messages newest first.
	Messages(q Query) (Page, error)

	// AddGlobal commits a new global message.
	AddGlobal(g Global) error
	// Global returns the global message id, or ErrUnknown.
	Global(id string) (Global, error)
	// Globals pages over the global messages newest first.
	Globals(q Query) (GlobalPage, error)
	// LiveGlobals returns the global messages with an expiry after now,
	// oldest first.
	LiveGlobals(now time.Time) ([]Global, error)
	// ClaimGlobal commits m, recipient's copy of its global message,
	// unless the recipient has one already, and reports whether it did.
	ClaimGlobal(m Message) (bool, error)

	// Sweep marks EXPIRED the PENDING messages whose deadline is at or
	// before now, and deletes the messages and global messages that
	// finished (or, for global messages, expired or were created) before
	// forgetBefore. It does at most batch of each per call and says how
	// many it changed.
	Sweep(now, forgetBefore time.Time, batch int) (expired, forgotten int, err error)
}

// TokenStore keeps the recipients' connection tokens, hashed. Looking one
// up is auth.TokenStore's.
type TokenStore interface {
	auth.TokenStore
	// PutToken stores a new token.
	PutToken(t auth.PushToken) error
	// DeleteTokens deletes every token of recipient and says how many.
	DeleteTokens(recipient string) (int, error)
}

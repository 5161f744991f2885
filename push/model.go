package push

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Status is where a message is in its life.
type Status string

// The statuses. EXPIRED is luagate's addition to the seed's three, so that
// nothing stays PENDING forever.
const (
	Pending   Status = "PENDING"
	Delivered Status = "DELIVERED"
	Cancelled Status = "CANCELLED"
	Expired   Status = "EXPIRED"
)

// ParseStatus reads a status in any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToUpper(s))
	switch st {
	case Pending, Delivered, Cancelled, Expired:
		return st, nil
	}
	return "", fmt.Errorf("status %q: PENDING, DELIVERED, CANCELLED or EXPIRED: %w", s, ErrBadRequest)
}

// Message is one message to one recipient: the seed's Message type.
type Message struct {
	ID        string    `json:"id"`
	Recipient string    `json:"recipient"`
	Message   string    `json:"message"`
	Topic     string    `json:"topic,omitempty"`
	Status    Status    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt is zero for a message without an expiry.
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// ExpiredAt is when the sweeper (or the push, for a recipient nobody
	// could reach) marked it EXPIRED.
	ExpiredAt time.Time `json:"expired_at,omitzero"`
	// GlobalMessageID names the global message this one delivered.
	GlobalMessageID string `json:"global_message_id,omitempty"`
}

// Deadline is when a PENDING message expires: its ExpiresAt, or, for one
// without, NoExpiryGrace after its creation, which is the time its frame
// has to be written to the sockets that were open when it was pushed.
func (m *Message) Deadline() time.Time {
	if m.ExpiresAt.IsZero() {
		return m.CreatedAt.Add(NoExpiryGrace)
	}
	return m.ExpiresAt
}

// FinishedAt is when a message left PENDING; zero while it is.
func (m *Message) FinishedAt() time.Time {
	switch m.Status {
	case Delivered:
		return m.DeliveredAt
	case Cancelled:
		return m.CancelledAt
	case Expired:
		return m.ExpiredAt
	}
	return time.Time{}
}

// Finish moves a PENDING message to status at at: ErrConflict for one
// that is not PENDING. It changes only m; the store commits it.
func (m *Message) Finish(status Status, at time.Time) error {
	if m.Status != Pending {
		return ErrConflict
	}
	m.Status = status
	switch status {
	case Delivered:
		m.DeliveredAt = at
	case Cancelled:
		m.CancelledAt = at
	case Expired:
		m.ExpiredAt = at
	}
	return nil
}

// Global is a message to every recipient: the seed's GlobalMessage type.
type Global struct {
	ID        string    `json:"id"`
	Message   string    `json:"message"`
	Topic     string    `json:"topic,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// NoExpiryGrace is how long a message pushed without expires_at to a
// connected recipient stays PENDING for its frame to be written.
const NoExpiryGrace = time.Minute

// matches is the topic rule: a message without a topic reaches every
// socket of its recipient, one with a topic only the sockets whose token
// has that topic.
func matches(msgTopic, socketTopic string) bool {
	return msgTopic == "" || msgTopic == socketTopic
}

// NewID returns an unguessable message id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// seedTime is the seed's DateTime format, in GMT.
const seedTime = "2006-01-02T15:04:05"

// ParseTime reads a time as the seed writes it (2023-07-18T15:00:00, GMT),
// as RFC 3339, or as Unix seconds.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(seedTime, s, time.UTC); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, fmt.Errorf("time %q: 2023-07-18T15:00:00 (GMT), RFC 3339 or Unix seconds: %w", s, ErrBadRequest)
}

// Sentinel errors. Each names its error type and HTTP status (Classify),
// which the management API answers and scripts see in their error tables.
var (
	// ErrUnknown is a message or global message that does not exist.
	ErrUnknown error = &classified{"no such message", "NotFoundError", http.StatusNotFound}
	// ErrConflict is a status change from a status the message is no
	// longer in.
	ErrConflict error = &classified{"message is no longer pending", "ConflictError", http.StatusConflict}
	// ErrTooManyPending is a recipient at its cap of pending messages.
	ErrTooManyPending error = &classified{"too many pending messages", "TooManyPendingError", http.StatusTooManyRequests}
	// ErrBadRequest is an invalid argument.
	ErrBadRequest error = &classified{"invalid push request", "BadRequestError", http.StatusBadRequest}
)

type classified struct {
	msg, typ string
	status   int
}

func (c *classified) Error() string { return c.msg }

// ErrorStatus names the error's type and HTTP status.
func (c *classified) ErrorStatus() (string, int) { return c.typ, c.status }

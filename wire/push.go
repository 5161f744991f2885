package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The push API's paths, under Prefix.
const (
	PathPushRecipients = "/push/recipients"
	PathPushMessages   = "/push/messages"
	PathPushGlobal     = "/push/global"
	PathPushGraphQL    = "/push/graphql"
)

// PushRecipient registers a recipient: POST /push/recipients.
type PushRecipient struct {
	Recipient string `json:"recipient"`
	SourceIP  string `json:"source_ip,omitempty"`
	Origin    string `json:"origin,omitempty"`
	Topic     string `json:"topic,omitempty"`
	// ExpiresIn is the token's lifetime in seconds; zero for none.
	ExpiresIn int64 `json:"expires_in,omitempty"`
}

// PushRegistration answers a registration.
type PushRegistration struct {
	Token         string `json:"token"`
	ConnectionURI string `json:"connection_uri"`
}

// PushTime is a time as a push request gives it: Unix seconds, the seed's
// "2023-07-18T15:00:00" (GMT) or RFC 3339. Its text is kept as given;
// the server parses it.
type PushTime string

// UnmarshalJSON takes a number or a string.
func (t *PushTime) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return fmt.Errorf("a time in Unix seconds must be a whole number, not %s", n)
		}
		*t = PushTime(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a time is Unix seconds or a string like 2023-07-18T15:00:00")
	}
	*t = PushTime(s)
	return nil
}

// PushSend is a push to recipients: POST /push/messages.
type PushSend struct {
	Recipients []string `json:"recipients"`
	Message    string   `json:"message"`
	Topic      string   `json:"topic,omitempty"`
	ExpiresAt  PushTime `json:"expires_at,omitempty"`
}

// PushGlobalSend is a push to everyone: POST /push/global.
type PushGlobalSend struct {
	Message   string   `json:"message"`
	Topic     string   `json:"topic,omitempty"`
	ExpiresAt PushTime `json:"expires_at,omitempty"`
}

// PushMessage is a message and its status.
type PushMessage struct {
	ID              string     `json:"id"`
	Recipient       string     `json:"recipient"`
	Message         string     `json:"message"`
	Topic           *string    `json:"topic"`
	Status          string     `json:"status"`
	ExpiresAt       *time.Time `json:"expires_at"`
	CreatedAt       time.Time  `json:"created_at"`
	DeliveredAt     *time.Time `json:"delivered_at"`
	CancelledAt     *time.Time `json:"cancelled_at"`
	ExpiredAt       *time.Time `json:"expired_at"`
	GlobalMessageID *string    `json:"global_message_id"`
}

// PushGlobalMessage is a global message.
type PushGlobalMessage struct {
	ID        string     `json:"id"`
	Message   string     `json:"message"`
	Topic     *string    `json:"topic"`
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// PushItem is one recipient's answer to a push: its message or its error
// (the seed's {item, error}).
type PushItem struct {
	Item  *PushMessage `json:"item"`
	Error *PushError   `json:"error"`
}

// PushError is why a recipient got no message.
type PushError struct {
	Recipient string `json:"recipient"`
	Type      string `json:"type"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
}

// PushMessages is a page of GET /push/messages.
type PushMessages struct {
	Messages  []PushMessage `json:"messages"`
	NextToken string        `json:"next_token,omitempty"`
}

// PushGlobalMessages is a page of GET /push/global.
type PushGlobalMessages struct {
	GlobalMessages []PushGlobalMessage `json:"global_messages"`
	NextToken      string              `json:"next_token,omitempty"`
}

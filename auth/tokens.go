package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// SchemeToken takes a push connection token in ?token=: the socket's
// user_id is the token's recipient.
const SchemeToken Scheme = "token"

// QueryToken is where a push client puts its connection token.
const QueryToken = "token"

// TokenPrefix starts every push connection token.
const TokenPrefix = "lgp_"

// Limits of a push token's fields.
const (
	MaxRecipient = 256
	maxTokenText = 256
)

// ErrUnknownToken is what a TokenStore answers for a token it does not hold.
var ErrUnknownToken = errors.New("no such push token")

// PushToken is a recipient's connection token as it is stored: the
// secret's SHA-256 and the restrictions the secret carries.
type PushToken struct {
	Hash      []byte `json:"hash"`
	Recipient string `json:"recipient"`
	// SourceIP, when set, is the only address the token connects from.
	SourceIP string `json:"source_ip,omitempty"`
	// Origin, when set, is the only browser origin the token connects from.
	Origin string `json:"origin,omitempty"`
	// Topic labels the sockets the token opens.
	Topic     string    `json:"topic,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when not zero, is when the token stops opening sockets
	// and the sockets it opened are closed.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// TokenSpec is what a new push token carries.
type TokenSpec struct {
	Recipient, SourceIP, Origin, Topic string
	// ExpiresIn is the token's lifetime; zero for none.
	ExpiresIn time.Duration
}

// TokenStore finds push tokens by the hash of their secret.
type TokenStore interface {
	// TokenByHash returns the token whose secret hashes to hash, or
	// ErrUnknownToken.
	TokenByHash(hash []byte) (PushToken, error)
}

// NewPushToken checks spec and returns the token to store and its secret,
// which is shown once and never stored.
func NewPushToken(spec TokenSpec, now time.Time) (PushToken, string, error) {
	switch {
	case spec.Recipient == "":
		return PushToken{}, "", errors.New("recipient is required")
	case len(spec.Recipient) > MaxRecipient:
		return PushToken{}, "", fmt.Errorf("recipient of %d bytes: at most %d", len(spec.Recipient), MaxRecipient)
	case len(spec.SourceIP) > maxTokenText || len(spec.Origin) > maxTokenText || len(spec.Topic) > maxTokenText:
		return PushToken{}, "", fmt.Errorf("source_ip, origin and topic: at most %d bytes each", maxTokenText)
	case spec.ExpiresIn < 0:
		return PushToken{}, "", fmt.Errorf("expires_in %s: it must not be negative", spec.ExpiresIn)
	}
	t := PushToken{Recipient: spec.Recipient, Topic: spec.Topic, CreatedAt: now}
	if spec.SourceIP != "" {
		ip, err := netip.ParseAddr(spec.SourceIP)
		if err != nil {
			return PushToken{}, "", fmt.Errorf("source_ip %q: %w", spec.SourceIP, err)
		}
		t.SourceIP = ip.Unmap().String()
	}
	if spec.Origin != "" {
		t.Origin = NormalizeOrigin(spec.Origin)
	}
	if spec.ExpiresIn > 0 {
		t.ExpiresAt = now.Add(spec.ExpiresIn)
	}
	var b [secretBytes]byte
	_, _ = rand.Read(b[:])
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	t.Hash = HashSecret(secret)
	return t, secret, nil
}

// connectToken checks a push token and its restrictions.
func (a *Authenticator) connectToken(req *Request, now time.Time) (Identity, error) {
	secret := req.Query.Get(QueryToken)
	switch {
	case secret == "":
		return Identity{}, unauthorized("this endpoint needs a push token: connect with ?%s=", QueryToken)
	case a.cfg.Tokens == nil:
		return Identity{}, unauthorized("push tokens are not available on this server")
	}
	hash := HashSecret(secret)
	t, err := a.cfg.Tokens.TokenByHash(hash)
	switch {
	case errors.Is(err, ErrUnknownToken):
		return Identity{}, unauthorized("unknown or revoked push token")
	case err != nil:
		return Identity{}, fmt.Errorf("look up push token: %w", err)
	}
	if subtle.ConstantTimeCompare(hash, t.Hash) != 1 {
		return Identity{}, unauthorized("unknown or revoked push token")
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return Identity{}, unauthorized("push token expired at %s", t.ExpiresAt.Format(time.RFC3339))
	}
	if t.SourceIP != "" && req.RemoteAddr.Unmap().String() != t.SourceIP {
		return Identity{}, forbidden("this push token may not be used from %s", req.RemoteAddr)
	}
	if t.Origin != "" && NormalizeOrigin(req.Header.Get("Origin")) != t.Origin {
		return Identity{}, forbidden("this push token may not be used from origin %q", req.Header.Get("Origin"))
	}
	who := Identity{Scheme: SchemeToken, UserID: t.Recipient, ExpiresAt: t.ExpiresAt, TokenHash: t.Hash}
	if t.Topic != "" {
		who.Claims = map[string]any{ClaimTopic: t.Topic}
	}
	return who, nil
}

// ClaimTopic is the claim a push token's topic is in.
const ClaimTopic = "topic"

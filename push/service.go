package push

import (
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/luagate/luagate/auth"
)

// Defaults of Config.
const (
	DefaultMaxPending    = 1000
	DefaultRetention     = 7 * 24 * time.Hour
	DefaultPath          = "/push"
	DefaultSweepInterval = time.Minute
	// maxMessageBytes bounds one message's text.
	maxMessageBytes = 64 << 10
	// maxRecipients bounds the recipients of one push.
	maxRecipients = 1000
)

// Config configures a Service.
type Config struct {
	// Messages keeps the messages. Required.
	Messages MessageStore
	// Tokens keeps the connection tokens. Required.
	Tokens TokenStore
	// Sockets reaches the recipients' open sockets. Required.
	Sockets Sockets
	// MaxPending caps a recipient's PENDING messages; a push past it fails
	// for that recipient with ErrTooManyPending. Zero means
	// DefaultMaxPending; negative means no cap.
	MaxPending int
	// Retention is how long DELIVERED, CANCELLED and EXPIRED messages are
	// kept. Zero means DefaultRetention.
	Retention time.Duration
	// Ack makes a message DELIVERED only when the client answers
	// {"ack":"<id>"}, instead of once its frame is written.
	Ack bool
	// Path is the built-in push endpoint's path. Empty means DefaultPath.
	Path string
	// PublicURL, when set, is the base of connection URIs
	// (https://push.example.com); without it they are built from the
	// request's host.
	PublicURL string
	// SweepInterval is how often expired messages are marked and old ones
	// forgotten. Zero means DefaultSweepInterval.
	SweepInterval time.Duration
	// Logger: nil means slog.Default().
	Logger *slog.Logger
}

// Service is push: registering recipients, pushing, delivering, listing.
// Its methods are safe for concurrent use; REST, GraphQL and Lua all call
// it.
type Service struct {
	cfg   Config
	seed  maphash.Seed
	locks [64]sync.Mutex // striped by recipient: see the package doc
	marks marker
	// reached counts the statuses messages reached (Counts).
	reached reached
	stop    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
}

// New checks cfg, fills its defaults and starts the sweeper and the
// delivery marker; Close stops them.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Messages == nil || cfg.Tokens == nil || cfg.Sockets == nil:
		return nil, errors.New("push: Config.Messages, Tokens and Sockets are required")
	case cfg.Retention < 0 || cfg.SweepInterval < 0:
		return nil, fmt.Errorf("push: retention %s and sweep interval %s must not be negative", cfg.Retention, cfg.SweepInterval)
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if !strings.HasPrefix(cfg.Path, "/") || strings.HasSuffix(cfg.Path, "/") {
		return nil, fmt.Errorf("push: path %q must start with / and not end with one", cfg.Path)
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("push: public URL %q: give scheme and host, like https://push.example.com", cfg.PublicURL)
		}
	}
	if cfg.SweepInterval == 0 {
		cfg.SweepInterval = DefaultSweepInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, seed: maphash.MakeSeed(), stop: make(chan struct{})}
	s.marks.init(cfg.Messages, cfg.Logger, &s.reached)
	s.done.Add(2)
	go s.marks.run(&s.done)
	go s.sweep()
	return s, nil
}

// Path is the built-in endpoint's path.
func (s *Service) Path() string { return s.cfg.Path }

// Ack says whether deliveries wait for the client's acknowledgement.
func (s *Service) Ack() bool { return s.cfg.Ack }

// Close stops the sweeper and commits the deliveries seen so far.
func (s *Service) Close() {
	s.once.Do(func() {
		close(s.stop)
		s.marks.close()
		s.done.Wait()
	})
}

// lock takes recipient's stripe.
func (s *Service) lock(recipient string) func() {
	mu := &s.locks[maphash.String(s.seed, recipient)%uint64(len(s.locks))]
	mu.Lock()
	return mu.Unlock
}

// Registration is what registering a recipient answers.
type Registration struct {
	Token         string `json:"token"`
	ConnectionURI string `json:"connection_uri"`
}

// Register stores a connection token for spec's recipient. host is the
// request's Host and tls whether it came over TLS, for the connection URI
// when Config.PublicURL is not set.
func (s *Service) Register(spec auth.TokenSpec, host string, tls bool) (Registration, error) {
	if err := checkRecipient(spec.Recipient); err != nil {
		return Registration{}, err
	}
	t, secret, err := auth.NewPushToken(spec, time.Now())
	if err != nil {
		return Registration{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err := s.cfg.Tokens.PutToken(t); err != nil {
		return Registration{}, err
	}
	return Registration{Token: secret, ConnectionURI: s.connectionURI(secret, host, tls)}, nil
}

func (s *Service) connectionURI(token, host string, tls bool) string {
	base := "ws://" + host
	if tls {
		base = "wss://" + host
	}
	if s.cfg.PublicURL != "" {
		u, _ := url.Parse(s.cfg.PublicURL)
		scheme := "ws"
		if u.Scheme == "https" || u.Scheme == "wss" {
			scheme = "wss"
		}
		base = scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/")
	}
	return base + s.cfg.Path + "?" + auth.QueryToken + "=" + url.QueryEscape(token)
}

// Revoke deletes every token of recipient and says how many; closing the
// sockets they opened is the caller's, which holds them.
func (s *Service) Revoke(recipient string) (int, error) {
	return s.cfg.Tokens.DeleteTokens(recipient)
}

func checkRecipient(r string) error {
	switch {
	case r == "":
		return fmt.Errorf("a recipient is required: %w", ErrBadRequest)
	case len(r) > auth.MaxRecipient:
		return fmt.Errorf("recipient of %d bytes: at most %d: %w", len(r), auth.MaxRecipient, ErrBadRequest)
	case strings.ContainsRune(r, 0):
		return fmt.Errorf("recipient holds a NUL byte: %w", ErrBadRequest)
	}
	return nil
}

func checkText(message, topic string) error {
	switch {
	case len(message) > maxMessageBytes:
		return fmt.Errorf("message of %d bytes: at most %d: %w", len(message), maxMessageBytes, ErrBadRequest)
	case len(topic) > 256:
		return fmt.Errorf("topic of %d bytes: at most 256: %w", len(topic), ErrBadRequest)
	}
	return nil
}

// Get returns the message id.
func (s *Service) Get(id string) (Message, error) { return s.cfg.Messages.Message(id) }

// GetGlobal returns the global message id.
func (s *Service) GetGlobal(id string) (Global, error) { return s.cfg.Messages.Global(id) }

// Cancel cancels a PENDING message: ErrConflict for one that is not.
func (s *Service) Cancel(id string) (Message, error) {
	m, err := s.cfg.Messages.Cancel(id, time.Now())
	if err == nil {
		s.reached.add(Cancelled, 1)
	}
	return m, err
}

// Messages pages over the messages, newest first.
func (s *Service) Messages(q Query) (Page, error) { return s.cfg.Messages.Messages(q) }

// Globals pages over the global messages, newest first.
func (s *Service) Globals(q Query) (GlobalPage, error) { return s.cfg.Messages.Globals(q) }

package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Outlet is one open socket a recipient's frames can be written to.
type Outlet interface {
	// Recipient is the socket's user_id.
	Recipient() string
	// Topic is its token's topic, "" for none.
	Topic() string
	// Send queues frame and calls written once it has been written to the
	// connection (never, if the connection ends first). It fails at once
	// when the socket's queue is full or the socket is closing.
	Send(frame []byte, written func()) error
	// Full reports whether err, from Send, is a full queue that a wait
	// may clear.
	Full(err error) bool
	// Ready reports whether Connected has delivered what waited for the
	// socket, and SetReady records it. Until then a live push leaves its
	// message PENDING for Connected, which would otherwise send it a
	// second time: a push between the socket's registration and its
	// Connected finds it both open and pending.
	Ready() bool
	SetReady()
}

// Sockets finds the open push sockets: the ones a push token opened.
type Sockets interface {
	// Outlets returns recipient's open push sockets, or with "" every
	// open push socket.
	Outlets(recipient string) []Outlet
}

// drainWait bounds how long a connect delivery waits for a full queue to
// drain before it leaves the rest PENDING for the next connect; it tries
// again every drainPoll meanwhile, so that a socket closing (which drains
// nothing) ends the wait at once.
const (
	drainWait = 10 * time.Second
	drainPoll = 50 * time.Millisecond
)

// frame is what a push socket receives for a message.
type frame struct {
	ID        string    `json:"id"`
	Message   string    `json:"message"`
	Topic     string    `json:"topic,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func encodeFrame(m *Message) []byte {
	b, _ := json.Marshal(frame{ID: m.ID, Message: m.Message, Topic: m.Topic, CreatedAt: m.CreatedAt})
	return b
}

// SendRequest is a push to recipients.
type SendRequest struct {
	Recipients []string
	Message    string
	Topic      string
	// ExpiresAt keeps the message PENDING until then for a recipient not
	// connected now; zero for no expiry.
	ExpiresAt time.Time
}

// Item is one recipient's answer to a push: its message, or why there is
// none (the seed's {item, error}).
type Item struct {
	Recipient string
	Message   *Message
	Err       error
}

// Send stores a message per recipient and writes it to each recipient's
// open sockets. A bad request fails whole; a recipient's own failure (a
// bad name, the cap) is its item's error.
func (s *Service) Send(req SendRequest) ([]Item, error) {
	now := time.Now()
	switch {
	case len(req.Recipients) == 0:
		return nil, fmt.Errorf("at least one recipient is required: %w", ErrBadRequest)
	case len(req.Recipients) > maxRecipients:
		return nil, fmt.Errorf("%d recipients: at most %d per push: %w", len(req.Recipients), maxRecipients, ErrBadRequest)
	case !req.ExpiresAt.IsZero() && !req.ExpiresAt.After(now):
		return nil, fmt.Errorf("expires_at %s is not in the future: %w", req.ExpiresAt.UTC().Format(time.RFC3339), ErrBadRequest)
	}
	if err := checkText(req.Message, req.Topic); err != nil {
		return nil, err
	}
	items := make([]Item, len(req.Recipients))
	var msgs []Message
	var at []int
	for i, r := range req.Recipients {
		items[i].Recipient = r
		if err := checkRecipient(r); err != nil {
			items[i].Err = err
			continue
		}
		// A nanosecond apart, so that a recipient named twice gets its
		// messages in the order given: creation order is delivery order.
		m := Message{ID: NewID(), Recipient: r, Message: req.Message, Topic: req.Topic, Status: Pending,
			CreatedAt: now.Add(time.Duration(i)), ExpiresAt: req.ExpiresAt}
		if req.ExpiresAt.IsZero() && len(s.outlets(r, req.Topic)) == 0 {
			// Nobody to write it to, and no time to wait for one.
			m.Status, m.ExpiredAt = Expired, now
		}
		msgs = append(msgs, m)
		at = append(at, i)
	}
	errs, err := s.cfg.Messages.AddMessages(msgs, max(s.cfg.MaxPending, 0))
	if err != nil {
		return nil, err
	}
	for j := range msgs {
		i := at[j]
		if items[i].Err = errs[j]; errs[j] != nil {
			continue
		}
		m := msgs[j]
		items[i].Message = &m
		s.reached.add(m.Status, 1)
		if m.Status == Pending {
			unlock := s.lock(m.Recipient)
			s.write(&m, s.outlets(m.Recipient, m.Topic))
			unlock()
		}
	}
	return items, nil
}

// outlets returns recipient's open sockets that a message with topic
// reaches.
func (s *Service) outlets(recipient, topic string) []Outlet {
	out := s.cfg.Sockets.Outlets(recipient)
	return slices.DeleteFunc(out, func(o Outlet) bool { return !matches(topic, o.Topic()) })
}

// write sends m to each of outs that is ready, best effort: a socket that
// cannot take it now gets it on its next connect, as m stays PENDING, and
// one not ready yet gets it from its Connected, which waits for the lock
// the caller holds.
func (s *Service) write(m *Message, outs []Outlet) {
	if len(outs) == 0 {
		return
	}
	f, written := encodeFrame(m), s.written(m.ID)
	for _, o := range outs {
		if o.Ready() {
			_ = o.Send(f, written)
		}
	}
}

// written is what runs once m's frame is written: nothing with Config.Ack,
// where the client's ack marks it.
func (s *Service) written(id string) func() {
	if s.cfg.Ack {
		return nil
	}
	return func() { s.marks.add(id) }
}

// GlobalRequest is a push to every recipient.
type GlobalRequest struct {
	Message string
	Topic   string
	// ExpiresAt is until when recipients who connect receive it; zero for
	// those connected now only.
	ExpiresAt time.Time
}

// Global stores a global message and delivers a copy to every recipient
// connected now.
func (s *Service) Global(req GlobalRequest) (Global, error) {
	now := time.Now()
	if !req.ExpiresAt.IsZero() && !req.ExpiresAt.After(now) {
		return Global{}, fmt.Errorf("expires_at %s is not in the future: %w", req.ExpiresAt.UTC().Format(time.RFC3339), ErrBadRequest)
	}
	if err := checkText(req.Message, req.Topic); err != nil {
		return Global{}, err
	}
	g := Global{ID: NewID(), Message: req.Message, Topic: req.Topic, CreatedAt: now, ExpiresAt: req.ExpiresAt}
	if err := s.cfg.Messages.AddGlobal(g); err != nil {
		return Global{}, err
	}
	byRecipient := map[string][]Outlet{}
	for _, o := range s.cfg.Sockets.Outlets("") {
		if matches(g.Topic, o.Topic()) {
			byRecipient[o.Recipient()] = append(byRecipient[o.Recipient()], o)
		}
	}
	for r := range byRecipient {
		unlock := s.lock(r)
		err := s.claimAndWrite(&g, r, now, func(m *Message) { s.write(m, s.outlets(r, g.Topic)) })
		unlock()
		if err != nil {
			return g, err
		}
	}
	return g, nil
}

// claimAndWrite gives recipient its copy of g unless it had one, and
// calls write with it.
func (s *Service) claimAndWrite(g *Global, recipient string, now time.Time, write func(*Message)) error {
	m := Message{ID: NewID(), Recipient: recipient, Message: g.Message, Topic: g.Topic, Status: Pending,
		CreatedAt: now, ExpiresAt: g.ExpiresAt, GlobalMessageID: g.ID}
	claimed, err := s.cfg.Messages.ClaimGlobal(m)
	if err != nil || !claimed {
		return err
	}
	s.reached.add(Pending, 1)
	write(&m)
	return nil
}

// Connected delivers o's recipient what is waiting for it: its PENDING
// messages oldest first, then the live global messages it has not had. It
// runs before the socket's first message is read, and waits for a full
// queue to drain.
func (s *Service) Connected(o Outlet) error {
	r, topic, now := o.Recipient(), o.Topic(), time.Now()
	unlock := s.lock(r)
	defer unlock()
	pending, err := s.cfg.Messages.Pending(r, now)
	if err != nil {
		return err
	}
	drained := make(chan struct{}, 1)
	send := func(m *Message) error {
		f, written := encodeFrame(m), s.written(m.ID)
		signal := func() {
			if written != nil {
				written()
			}
			select {
			case drained <- struct{}{}:
			default:
			}
		}
		deadline := time.Now().Add(drainWait)
		for {
			err := o.Send(f, signal)
			if err == nil || !o.Full(err) || time.Now().After(deadline) {
				return err
			}
			select {
			case <-drained:
			case <-time.After(drainPoll):
			}
		}
	}
	for i := range pending {
		if !matches(pending[i].Topic, topic) {
			continue
		}
		if err := send(&pending[i]); err != nil {
			return nil // the socket went, or stopped reading: the rest waits
		}
	}
	globals, err := s.cfg.Messages.LiveGlobals(now)
	if err != nil {
		return err
	}
	for i := range globals {
		if !matches(globals[i].Topic, topic) {
			continue
		}
		var sendErr error
		if err := s.claimAndWrite(&globals[i], r, now, func(m *Message) { sendErr = send(m) }); err != nil {
			return err
		}
		if sendErr != nil {
			return nil
		}
	}
	o.SetReady()
	return nil
}

// ackFrame is what a client sends with Config.Ack.
type ackFrame struct {
	Ack string `json:"ack"`
}

// Received handles a frame a client sent on the built-in endpoint: an
// acknowledgement with Config.Ack, else nothing.
func (s *Service) Received(o Outlet, msg []byte) {
	if !s.cfg.Ack {
		return
	}
	var a ackFrame
	if json.Unmarshal(msg, &a) != nil || a.Ack == "" {
		return
	}
	// Only the recipient's own messages: an id is no credential.
	m, err := s.cfg.Messages.Message(a.Ack)
	if err == nil && m.Recipient == o.Recipient() {
		s.marks.add(a.Ack)
	} else if err != nil && !errors.Is(err, ErrUnknown) {
		s.cfg.Logger.Warn("push: ack not recorded", "recipient", o.Recipient(), "error", err)
	}
}

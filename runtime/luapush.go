package runtime

import (
	"time"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/push"
)

// LuaPusher is svc as the Lua Push module reaches it.
func LuaPusher(svc *push.Service) luaapi.Pusher { return luaPusher{svc} }

type luaPusher struct{ svc *push.Service }

func expiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return push.ParseTime(s)
}

func (p luaPusher) Send(a luaapi.PushArgs) ([]luaapi.PushItem, error) {
	at, err := expiry(a.ExpiresAt)
	if err != nil {
		return nil, err
	}
	items, err := p.svc.Send(push.SendRequest{Recipients: a.Recipients, Message: a.Message, Topic: a.Topic, ExpiresAt: at})
	if err != nil {
		return nil, err
	}
	out := make([]luaapi.PushItem, len(items))
	for i, it := range items {
		if out[i].Err = it.Err; it.Err == nil {
			out[i].Record = messageRecord(it.Message)
		}
	}
	return out, nil
}

func (p luaPusher) Global(a luaapi.PushArgs) (map[string]string, error) {
	at, err := expiry(a.ExpiresAt)
	if err != nil {
		return nil, err
	}
	g, err := p.svc.Global(push.GlobalRequest{Message: a.Message, Topic: a.Topic, ExpiresAt: at})
	if err != nil {
		return nil, err
	}
	rec := map[string]string{"id": g.ID, "message": g.Message}
	setText(rec, "topic", g.Topic)
	setTime(rec, "created_at", g.CreatedAt)
	setTime(rec, "expires_at", g.ExpiresAt)
	return rec, nil
}

func (p luaPusher) Status(id string) (map[string]string, error) {
	m, err := p.svc.Get(id)
	if err != nil {
		return nil, err
	}
	return messageRecord(&m), nil
}

func (p luaPusher) Cancel(id string) (map[string]string, error) {
	m, err := p.svc.Cancel(id)
	if err != nil {
		return nil, err
	}
	return messageRecord(&m), nil
}

func (p luaPusher) Register(r luaapi.PushRegistration) (string, string, error) {
	reg, err := p.svc.Register(auth.TokenSpec{Recipient: r.Recipient, SourceIP: r.SourceIP, Origin: r.Origin,
		Topic: r.Topic, ExpiresIn: r.ExpiresIn}, r.Host, r.TLS)
	return reg.Token, reg.ConnectionURI, err
}

func messageRecord(m *push.Message) map[string]string {
	rec := map[string]string{"id": m.ID, "recipient": m.Recipient, "message": m.Message, "status": string(m.Status)}
	setText(rec, "topic", m.Topic)
	setText(rec, "global_message_id", m.GlobalMessageID)
	for name, t := range map[string]time.Time{"created_at": m.CreatedAt, "expires_at": m.ExpiresAt,
		"delivered_at": m.DeliveredAt, "cancelled_at": m.CancelledAt, "expired_at": m.ExpiredAt} {
		setTime(rec, name, t)
	}
	return rec
}

func setText(rec map[string]string, name, v string) {
	if v != "" {
		rec[name] = v
	}
}

func setTime(rec map[string]string, name string, t time.Time) {
	if !t.IsZero() {
		rec[name] = t.UTC().Format(time.RFC3339Nano)
	}
}

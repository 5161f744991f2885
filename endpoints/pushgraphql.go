package endpoints

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/julienschmidt/httprouter"

	"github.com/luagate/luagate/auth"
	"github.com/luagate/luagate/push"
)

// pushSchema is the seed's GraphQL contract: the resolvers below must
// answer it, and ParseSchema checks that they do at start.
//
//go:embed push.graphql
var pushSchema string

// PushAPIVersion is what the GraphQL version query answers.
const PushAPIVersion = "luagate-push/1"

// Bounds of a GraphQL request, against queries built to cost a lot.
const (
	maxGraphQLDepth  = 8
	maxGraphQLLength = 64 << 10
)

// newPushGraphQL parses the schema against the resolvers over svc.
func newPushGraphQL(svc *push.Service) (*graphql.Schema, error) {
	schema, err := graphql.ParseSchema(pushSchema, &gqlRoot{svc: svc}, graphql.UseFieldResolvers(),
		graphql.MaxDepth(maxGraphQLDepth), graphql.MaxQueryLength(maxGraphQLLength))
	if err != nil {
		return nil, fmt.Errorf("push GraphQL schema: %w", err)
	}
	return schema, nil
}

// canPushKey is the context key saying whether the caller has the push
// scope, which mutations need.
type canPushKey struct{}

func (s *Server) postPushGraphQL(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	b, err := readBody(w, r, maxPushRequestBytes)
	if err == nil {
		err = json.Unmarshal(b, &req)
		if err != nil {
			err = badRequest(fmt.Errorf("invalid JSON body: %w", err))
		}
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx := context.WithValue(r.Context(), canPushKey{}, s.authorize(r, auth.ScopePush) == nil)
	ctx = context.WithValue(ctx, hostKey{}, hostInfo{r.Host, r.TLS != nil})
	writeJSON(w, http.StatusOK, s.pushGraphQL.Exec(ctx, req.Query, req.OperationName, req.Variables))
}

// gqlRoot resolves the schema's queries and mutations through the same
// push.Service as the REST routes.
type gqlRoot struct{ svc *push.Service }

func mayPush(ctx context.Context) error {
	if ok, _ := ctx.Value(canPushKey{}).(bool); !ok {
		return fmt.Errorf("mutations need an API key with the %s scope", auth.ScopePush)
	}
	return nil
}

// dateTime is the schema's DateTime scalar.
type dateTime struct{ time.Time }

func (dateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }

func (t *dateTime) UnmarshalGraphQL(input any) error {
	switch v := input.(type) {
	case string:
		at, err := push.ParseTime(v)
		t.Time = at
		return err
	case int32:
		t.Time = time.Unix(int64(v), 0)
	case int64:
		t.Time = time.Unix(v, 0)
	case float64:
		t.Time = time.Unix(int64(v), 0)
	default:
		return fmt.Errorf("DateTime: a string like 2023-07-18T15:00:00 or Unix seconds, not %T", input)
	}
	return nil
}

func (t dateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// token is the schema's Token scalar.
type token string

func (token) ImplementsGraphQLType(name string) bool { return name == "Token" }

func (t *token) UnmarshalGraphQL(input any) error {
	s, ok := input.(string)
	if !ok {
		return fmt.Errorf("a Token is a string, not %T", input)
	}
	*t = token(s)
	return nil
}

func (t token) MarshalJSON() ([]byte, error) { return json.Marshal(string(t)) }

func gqlTime(t time.Time) *dateTime {
	if t.IsZero() {
		return nil
	}
	return &dateTime{t}
}

func gqlID(s string) *graphql.ID {
	if s == "" {
		return nil
	}
	id := graphql.ID(s)
	return &id
}

type gqlMessage struct {
	ID              *graphql.ID
	Recipient       *string
	Message         *string
	Topic           *string
	Status          *string
	ExpiresAt       *dateTime
	CreatedAt       *dateTime
	DeliveredAt     *dateTime
	CancelledAt     *dateTime
	GlobalMessageID *graphql.ID
}

func gqlMessageOf(m *push.Message) *gqlMessage {
	status := string(m.Status)
	return &gqlMessage{ID: gqlID(m.ID), Recipient: &m.Recipient, Message: &m.Message, Topic: optional(m.Topic),
		Status: &status, ExpiresAt: gqlTime(m.ExpiresAt), CreatedAt: gqlTime(m.CreatedAt),
		DeliveredAt: gqlTime(m.DeliveredAt), CancelledAt: gqlTime(m.CancelledAt), GlobalMessageID: gqlID(m.GlobalMessageID)}
}

type gqlGlobal struct {
	ID        *graphql.ID
	Message   *string
	Topic     *string
	ExpiresAt *dateTime
	CreatedAt *dateTime
}

func gqlGlobalOf(g *push.Global) *gqlGlobal {
	return &gqlGlobal{ID: gqlID(g.ID), Message: &g.Message, Topic: optional(g.Topic),
		ExpiresAt: gqlTime(g.ExpiresAt), CreatedAt: gqlTime(g.CreatedAt)}
}

type gqlRange struct{ From, To *string }

// into fills r from the seed's DateTimeFilter.
func (f *gqlRange) into(r *push.Range) error {
	if f == nil {
		return nil
	}
	for _, e := range []struct {
		s  *string
		at *time.Time
	}{{f.From, &r.From}, {f.To, &r.To}} {
		if e.s == nil || *e.s == "" {
			continue
		}
		at, err := push.ParseTime(*e.s)
		if err != nil {
			return err
		}
		*e.at = at
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type gqlMessagesFilter struct {
	Recipient       *string
	GlobalMessageID *graphql.ID
	CreatedAt       *gqlRange
	ExpiresAt       *gqlRange
	Topic           *string
	Status          *string
}

type gqlMessagesResult struct {
	Items     *[]*gqlMessage
	NextToken *string
}

func (r *gqlRoot) Messages(args struct {
	Filter    *gqlMessagesFilter
	NextToken *string
}) (*gqlMessagesResult, error) {
	q := push.Query{NextToken: deref(args.NextToken)}
	if f := args.Filter; f != nil {
		q.Filter.Recipient, q.Filter.Topic = deref(f.Recipient), deref(f.Topic)
		if f.GlobalMessageID != nil {
			q.Filter.GlobalMessageID = string(*f.GlobalMessageID)
		}
		if f.Status != nil {
			q.Filter.Status = push.Status(*f.Status)
		}
		if err := f.CreatedAt.into(&q.Filter.Created); err != nil {
			return nil, err
		}
		if err := f.ExpiresAt.into(&q.Filter.Expires); err != nil {
			return nil, err
		}
	}
	page, err := r.svc.Messages(q)
	if err != nil {
		return nil, err
	}
	items := make([]*gqlMessage, len(page.Messages))
	for i := range page.Messages {
		items[i] = gqlMessageOf(&page.Messages[i])
	}
	return &gqlMessagesResult{Items: &items, NextToken: optional(page.NextToken)}, nil
}

type gqlGlobalsFilter struct {
	CreatedAt *gqlRange
	ExpiresAt *gqlRange
	Topic     *string
}

type gqlGlobalsResult struct {
	Items     *[]*gqlGlobal
	NextToken *string
}

func (r *gqlRoot) GlobalMessages(args struct {
	Filter    *gqlGlobalsFilter
	NextToken *string
}) (*gqlGlobalsResult, error) {
	q := push.Query{NextToken: deref(args.NextToken)}
	if f := args.Filter; f != nil {
		q.Filter.Topic = deref(f.Topic)
		if err := f.CreatedAt.into(&q.Filter.Created); err != nil {
			return nil, err
		}
		if err := f.ExpiresAt.into(&q.Filter.Expires); err != nil {
			return nil, err
		}
	}
	page, err := r.svc.Globals(q)
	if err != nil {
		return nil, err
	}
	items := make([]*gqlGlobal, len(page.Globals))
	for i := range page.Globals {
		items[i] = gqlGlobalOf(&page.Globals[i])
	}
	return &gqlGlobalsResult{Items: &items, NextToken: optional(page.NextToken)}, nil
}

func (r *gqlRoot) Version() *string {
	v := PushAPIVersion
	return &v
}

type gqlRegistration struct {
	Token         *token
	ConnectionURI *string
}

func (r *gqlRoot) RegisterRecipient(ctx context.Context, args struct {
	Input struct {
		Recipient string
		SourceIP  *string
		Origin    *string
		Topic     *string
		ExpiresIn *int32
	}
}) (*gqlRegistration, error) {
	if err := mayPush(ctx); err != nil {
		return nil, err
	}
	in := args.Input
	spec := auth.TokenSpec{Recipient: in.Recipient, SourceIP: deref(in.SourceIP), Origin: deref(in.Origin), Topic: deref(in.Topic)}
	if in.ExpiresIn != nil {
		spec.ExpiresIn = time.Duration(*in.ExpiresIn) * time.Second
	}
	host, tls := requestHost(ctx)
	reg, err := r.svc.Register(spec, host, tls)
	if err != nil {
		return nil, err
	}
	t := token(reg.Token)
	return &gqlRegistration{Token: &t, ConnectionURI: &reg.ConnectionURI}, nil
}

type gqlError struct {
	Message   *string
	Recipient *string
	Type      *string
	Status    *int32
}

type gqlMessageResult struct {
	Item  *gqlMessage
	Error *gqlError
}

func (r *gqlRoot) PushMessage(ctx context.Context, args struct {
	Input struct {
		Recipients []string
		Message    string
		Topic      *string
		ExpiresAt  *dateTime
	}
}) (*[]*gqlMessageResult, error) {
	if err := mayPush(ctx); err != nil {
		return nil, err
	}
	req := push.SendRequest{Recipients: args.Input.Recipients, Message: args.Input.Message, Topic: deref(args.Input.Topic)}
	if args.Input.ExpiresAt != nil {
		req.ExpiresAt = args.Input.ExpiresAt.Time
	}
	items, err := r.svc.Send(req)
	if err != nil {
		return nil, err
	}
	out := make([]*gqlMessageResult, len(items))
	for i, it := range PushItems(items) {
		out[i] = &gqlMessageResult{}
		if e := it.Error; e != nil {
			status := int32(e.Status)
			out[i].Error = &gqlError{Message: &e.Message, Recipient: &e.Recipient, Type: &e.Type, Status: &status}
			continue
		}
		out[i].Item = gqlMessageOf(items[i].Message)
	}
	return &out, nil
}

func (r *gqlRoot) PushGlobalMessage(ctx context.Context, args struct {
	Input struct {
		Message   string
		Topic     *string
		ExpiresAt *dateTime
	}
}) (*gqlGlobal, error) {
	if err := mayPush(ctx); err != nil {
		return nil, err
	}
	req := push.GlobalRequest{Message: args.Input.Message, Topic: deref(args.Input.Topic)}
	if args.Input.ExpiresAt != nil {
		req.ExpiresAt = args.Input.ExpiresAt.Time
	}
	g, err := r.svc.Global(req)
	if err != nil {
		return nil, err
	}
	return gqlGlobalOf(&g), nil
}

// hostKey carries the request's host and TLS into the resolvers, for
// connection URIs.
type hostKey struct{}

type hostInfo struct {
	host string
	tls  bool
}

func requestHost(ctx context.Context) (string, bool) {
	h, _ := ctx.Value(hostKey{}).(hostInfo)
	return h.host, h.tls
}

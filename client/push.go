package client

import (
	"context"
	"net/http"

	"github.com/luagate/luagate/wire"
)

// Push pushes a message to recipients and returns one item per recipient,
// each with its message or its error, also when every one failed.
func (c *Client) Push(ctx context.Context, req wire.PushSend) ([]wire.PushItem, error) {
	var out []wire.PushItem
	err := c.decode(ctx, http.MethodPost, wire.PathPushMessages, req, &out, true)
	return out, err
}

// MessageQuery selects pushed messages; an empty field selects all.
type MessageQuery struct {
	Recipient, Status, Topic, GlobalMessageID string
	// Limit is the page's size; zero means the server's largest.
	Limit int
	// NextToken is the previous page's, "" for the first.
	NextToken string
}

// Messages returns one page of pushed messages, newest first.
func (c *Client) Messages(ctx context.Context, q MessageQuery) (wire.PushMessages, error) {
	v := query(map[string]string{"recipient": q.Recipient, "status": q.Status, "topic": q.Topic,
		"global_message_id": q.GlobalMessageID, "next_token": q.NextToken}, q.Limit)
	var out wire.PushMessages
	err := c.do(ctx, http.MethodGet, wire.PathPushMessages+"?"+v.Encode(), nil, &out)
	return out, err
}

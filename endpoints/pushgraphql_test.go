package endpoints_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/wire"
)

// The seed's two example mutations and their variables, verbatim.
const (
	seedRegister = `mutation registerRecipient($input:RegisterRecipientInput!) {
      registerRecipient(input:$input) {
        token
        connectionUri
      }
    }`
	seedRegisterVars = `{
      "input": {
        "recipient": "d9f3c17a-c6de-4e5e-b42b-98fbfb46a108"
      }
    }`
	seedPush = `mutation pushMessage($input:MessageInput!) {
      pushMessage(input:$input) {
        item {
          id
          message
          status
          expiresAt
          createdAt
          deliveredAt
          cancelledAt
          globalMessageId
        }
        error{
          message
        }
      }
    }`
	seedPushVars = `{
      "input": {
        "recipients": ["d9f3c17a-c6de-4e5e-b42b-98fbfb46a108"],
        "message": "The quick brown fox jumps over the lazy dog"
      }
    }`
)

// graphQL posts query with variables (JSON, or "") as the seed's clients
// do, with the key in x-api-key, and returns the status and body.
func graphQL(t *testing.T, g *lgtesting.Gateway, key, query, vars string) (int, string) {
	t.Helper()
	if vars == "" {
		vars = "null"
	}
	q, _ := json.Marshal(query)
	req, err := http.NewRequest(http.MethodPost, g.URL(wire.Prefix+wire.PathPushGraphQL),
		strings.NewReader(`{"query":`+string(q)+`,"variables":`+vars+`}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func apiKey(t *testing.T, g *lgtesting.Gateway, scopes string) string {
	t.Helper()
	status, body := g.API(http.MethodPost, wire.Prefix+"/keys", `{"name":"gql","scopes":[`+scopes+`]}`)
	if status != http.StatusCreated {
		t.Fatalf("create key: %d %s", status, body)
	}
	var k wire.Key
	_ = json.Unmarshal([]byte(body), &k)
	return k.Secret
}

func TestPushGraphQLSeedExamplesRunVerbatim(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	key := apiKey(t, g, `"push"`)
	status, body := graphQL(t, g, key, seedRegister, seedRegisterVars)
	var reg struct {
		Data struct {
			RegisterRecipient struct{ Token, ConnectionURI string }
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &reg); status != http.StatusOK || err != nil || reg.Errors != nil {
		t.Fatalf("registerRecipient: %d %s", status, body)
	}
	uri := reg.Data.RegisterRecipient.ConnectionURI
	if !strings.HasSuffix(uri, "/push?token="+reg.Data.RegisterRecipient.Token) {
		t.Fatalf("connectionUri %s", uri)
	}
	c := lgtesting.Dial(t, uri)
	g.SocketIDs(1)
	status, body = graphQL(t, g, key, seedPush, seedPushVars)
	var pushed struct {
		Data struct {
			PushMessage []struct {
				Item struct {
					ID, Message, Status string
					CreatedAt           time.Time
					ExpiresAt           *time.Time
				}
				Error *struct{ Message string }
			}
		}
		Errors []any
	}
	if err := json.Unmarshal([]byte(body), &pushed); status != http.StatusOK || err != nil || pushed.Errors != nil || len(pushed.Data.PushMessage) != 1 {
		t.Fatalf("pushMessage: %d %s", status, body)
	}
	item := pushed.Data.PushMessage[0].Item
	if item.Message != "The quick brown fox jumps over the lazy dog" || item.Status != "PENDING" || item.CreatedAt.IsZero() || pushed.Data.PushMessage[0].Error != nil {
		t.Fatalf("pushMessage item %s", body)
	}
	if f := readFrame(t, c); f.ID != item.ID || f.Message != item.Message {
		t.Fatalf("frame %+v", f)
	}
	waitStatus(t, g, item.ID, "DELIVERED")
}

func TestPushGraphQLQueryWithEveryFilter(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	key := apiKey(t, g, `"read","push"`)
	expires := time.Now().Add(2 * time.Hour).UTC().Format("2006-01-02T15:04:05")
	status, body := graphQL(t, g, key, `mutation { pushGlobalMessage(input: {message: "all", topic: "t", expiresAt: "`+expires+`"}) { id topic expiresAt } }`, "")
	var global struct {
		Data struct{ PushGlobalMessage struct{ ID, Topic string } }
	}
	if err := json.Unmarshal([]byte(body), &global); err != nil || status != http.StatusOK || global.Data.PushGlobalMessage.ID == "" {
		t.Fatalf("pushGlobalMessage: %d %s", status, body)
	}
	reg := register(t, g, "quinn", `,"topic":"t"`)
	lgtesting.Dial(t, reg.ConnectionURI)
	pushTo(t, g, []string{"quinn"}, "other", `,"topic":"u"`+inAnHour())
	from := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05")
	to := time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05")
	query := `query { messages(filter: {recipient: "quinn", globalMessageId: "` + global.Data.PushGlobalMessage.ID + `",
		createdAt: {from: "` + from + `", to: "` + to + `"}, expiresAt: {from: "` + from + `", to: "` + expires + `"}, topic: "t"}) {
		items { id recipient message topic status globalMessageId } nextToken } 
		globalMessages(filter: {createdAt: {from: "` + from + `", to: "` + to + `"}, expiresAt: {from: "` + from + `"}, topic: "t"}) { items { id message } nextToken }
		version }`
	lgtesting.Eventually(t, "the global copy listed", func() bool {
		_, body = graphQL(t, g, key, query, "")
		return strings.Contains(body, `"recipient":"quinn"`)
	})
	var got struct {
		Data struct {
			Messages struct {
				Items []struct {
					Recipient, Message, Topic, GlobalMessageID string
				}
				NextToken *string
			}
			GlobalMessages struct {
				Items []struct{ ID string }
			}
			Version string
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	m := got.Data.Messages
	if len(m.Items) != 1 || m.Items[0].Message != "all" || m.Items[0].GlobalMessageID != global.Data.PushGlobalMessage.ID || m.NextToken != nil {
		t.Fatalf("messages: %s", body)
	}
	if len(got.Data.GlobalMessages.Items) != 1 || got.Data.Version == "" {
		t.Fatalf("globalMessages and version: %s", body)
	}
}

func TestPushGraphQLMutationsNeedThePushScope(t *testing.T) {
	t.Parallel()
	g := pushGateway(t)
	reader := apiKey(t, g, `"read"`)
	_, body := graphQL(t, g, reader, seedPush, seedPushVars)
	if !strings.Contains(body, "push scope") || strings.Contains(body, `"item"`) {
		t.Fatalf("pushMessage with a read key: %s", body)
	}
	if _, body := graphQL(t, g, reader, `{ version }`, ""); !strings.Contains(body, `"version"`) {
		t.Fatalf("version with a read key: %s", body)
	}
	if status, _ := graphQL(t, g, "lg_wrong", `{ version }`, ""); status != http.StatusUnauthorized {
		t.Fatalf("bad key: %d, want 401", status)
	}
}

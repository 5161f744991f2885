package endpoints_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/luagate/luagate/internal/lgtesting"
	"github.com/luagate/luagate/session"
	"github.com/luagate/luagate/storage"
	"github.com/luagate/luagate/wire"
)

const echoScript = `if websocketInfo.type == "data" then return websocketInfo.message end`

// listSessions gets one page of GET /sessions with the query q.
func listSessions(t *testing.T, g *lgtesting.Gateway, q url.Values) wire.Sessions {
	t.Helper()
	var page wire.Sessions
	g.GetJSON(wire.Prefix+"/sessions?"+q.Encode(), &page)
	return page
}

func getSession(t *testing.T, g *lgtesting.Gateway, id string) wire.Session {
	t.Helper()
	status, body := g.API(http.MethodGet, wire.Prefix+"/sessions/"+id, "")
	if status != http.StatusOK {
		t.Fatalf("GET /sessions/%s: %d %s", id, status, body)
	}
	var s wire.Session
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSessionsPageOverActiveAndClosed pages over 2,500 closed sessions in
// the gateway's database and three open sockets, 1,000 at a time.
func TestSessionsPageOverActiveAndClosed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := storage.Open(filepath.Join(dir, "luagate.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour)
	var closed []session.Record
	for i := range 2500 {
		closed = append(closed, session.Record{SocketID: fmt.Sprintf("old%04d", i), Route: "/echo",
			ConnectedAt: base.Add(time.Duration(i) * time.Millisecond), ClosedAt: base.Add(time.Minute),
			CloseCode: 1001, CloseReason: "idle timeout", Status: session.Closed})
	}
	if err := st.PutSessions(closed, 100_000); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	g := lgtesting.StartGateway(t, dir)
	g.Deploy("/echo", echoScript)
	for range 3 {
		g.Dial("/echo")
	}
	live := g.SocketIDs(3)

	var seen []wire.Session
	q := url.Values{"limit": {"1000"}}
	pages := 0
	for {
		page := listSessions(t, g, q)
		pages++
		seen = append(seen, page.Sessions...)
		if page.NextToken == "" {
			break
		}
		if pages > 3 {
			t.Fatal("more than 3 pages")
		}
		q.Set("next_token", page.NextToken)
	}
	if len(seen) != 2503 || pages != 3 {
		t.Fatalf("%d sessions in %d pages, want 2503 in 3", len(seen), pages)
	}
	ids := map[string]bool{}
	for i, s := range seen {
		if ids[s.SocketID] {
			t.Fatalf("%s listed twice", s.SocketID)
		}
		ids[s.SocketID] = true
		if i > 0 && s.ConnectedAt.After(seen[i-1].ConnectedAt) {
			t.Fatalf("position %d is newer than the one before it", i)
		}
		if active := slices.Contains(live, s.SocketID); active != (i < 3) || active != (s.Status == "active") {
			t.Fatalf("position %d: %s is %s; the three open sockets, newest, come first", i, s.SocketID, s.Status)
		}
	}
	if last := seen[len(seen)-1]; last.SocketID != "old0000" || last.CloseCode == nil || *last.CloseCode != 1001 || last.ClosedAt == nil {
		t.Fatalf("oldest session %+v", last)
	}
	if first := seen[0]; first.ClosedAt != nil || first.CloseCode != nil || first.RemoteAddr != "127.0.0.1" {
		t.Fatalf("an open session %+v", first)
	}
	if page := listSessions(t, g, url.Values{}); len(page.Sessions) != session.MaxPage || page.NextToken == "" {
		t.Fatalf("default page: %d sessions, token %q", len(page.Sessions), page.NextToken)
	}
}

// TestAClosedSocketBecomesAClosedSession follows one socket from open to
// closed, with its counters, through a graceful restart.
func TestAClosedSocketBecomesAClosedSession(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := lgtesting.StartGateway(t, dir)
	g.Deploy("/echo", echoScript)
	gone := g.Dial("/echo?session_name=desk")
	g.Dial("/echo") // open until the shutdown closes it
	gone.Send("hello")
	gone.Expect("hello")
	ids := g.SocketIDs(2)
	var goneID string
	for _, id := range ids {
		if s := getSession(t, g, id); s.SessionName == "desk" {
			goneID = id
		}
	}
	// The writer counts a reply once it has written it, which the client
	// may read first.
	lgtesting.Eventually(t, "the open session's counts", func() bool {
		s := getSession(t, g, goneID)
		return s.Status == "active" && s.MessagesIn == 1 && s.MessagesOut == 1 && s.BytesIn == 5 && s.BytesOut == 5 && s.ClosedAt == nil
	})
	_ = gone.Conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	lgtesting.Eventually(t, "the socket to close", func() bool { return g.Hub().Registered() == 1 })
	check := func(when string) {
		s := getSession(t, g, goneID)
		if s.Status != "closed" || s.CloseCode == nil || *s.CloseCode != 1000 || s.CloseReason != "bye" ||
			s.ClosedAt == nil || s.ClosedAt.Before(s.ConnectedAt) || s.BytesIn != 5 || s.BytesOut != 5 ||
			s.MessagesIn != 1 || s.SessionName != "desk" || s.Route != "/echo" {
			t.Fatalf("%s: closed session %+v", when, s)
		}
	}
	check("before the restart")
	for q, want := range map[string]int{
		"status=active": 1, "status=closed": 1, "session_name=desk": 1, "route=/echo": 2, "route=/other": 0,
		"since=" + url.QueryEscape(time.Now().Add(time.Minute).Format(time.RFC3339)):  0,
		"until=" + url.QueryEscape(time.Now().Add(-time.Minute).Format(time.RFC3339)): 0,
	} {
		v, _ := url.ParseQuery(q)
		if got := len(listSessions(t, g, v).Sessions); got != want {
			t.Errorf("?%s: %d sessions, want %d", q, got, want)
		}
	}
	for _, bad := range []string{"status=gone", "limit=0", "limit=1001", "since=yesterday", "next_token=%21%21"} {
		if status, body := g.API(http.MethodGet, wire.Prefix+"/sessions?"+bad, ""); status != http.StatusBadRequest {
			t.Errorf("?%s: %d %s, want 400", bad, status, body)
		}
	}
	if status, _ := g.API(http.MethodGet, wire.Prefix+"/sessions/nope", ""); status != http.StatusNotFound {
		t.Errorf("unknown session: %d, want 404", status)
	}
	read := createKey(t, g, wire.KeyRequest{Name: "reader", Scopes: []string{"read"}})
	push := createKey(t, g, wire.KeyRequest{Name: "pusher", Scopes: []string{"push"}})
	if status, _ := g.APIAs(read.Secret, http.MethodGet, wire.Prefix+"/sessions", ""); status != http.StatusOK {
		t.Errorf("a read key: %d", status)
	}
	if status, _ := g.APIAs(push.Secret, http.MethodGet, wire.Prefix+"/sessions/"+goneID, ""); status != http.StatusForbidden {
		t.Errorf("a push key: %d, want 403", status)
	}
	g.Stop()
	g = lgtesting.StartGateway(t, dir)
	check("after the restart")
	if page := listSessions(t, g, url.Values{"status": {"closed"}}); len(page.Sessions) != 2 {
		t.Fatalf("after the restart %d closed sessions, want both: the one the shutdown closed too", len(page.Sessions))
	}
}

// TestSocketsThatComeAndGoKeepTheirOwnCounts closes sockets one after
// another beside one that stays open, then opens one more: every session,
// open or closed, keeps the counts of its own messages, none of another's,
// and the route's add up to all of them.
func TestSocketsThatComeAndGoKeepTheirOwnCounts(t *testing.T) {
	t.Parallel()
	g := lgtesting.NewGateway(t, lgtesting.NoRateLimit)
	g.Deploy("/echo", echoScript)
	held := g.Dial("/echo?session_name=held")
	held.Send("a")
	held.Expect("a")
	const closing = 3
	for i := 1; i <= closing; i++ {
		c := g.Dial(fmt.Sprintf("/echo?session_name=s%d", i))
		for range i {
			c.Send("xx")
			c.Expect("xx")
		}
		closeNormally(t, c)
		lgtesting.Eventually(t, "the socket to leave", func() bool { return g.Hub().Registered() == 1 })
	}
	g.Dial("/echo?session_name=fresh")
	// Each way, messages and bytes: a reply is counted once written, which
	// the client may read first, so the counts are waited for.
	type counts struct{ in, out, bytesIn, bytesOut uint64 }
	want := map[string]counts{"held": {1, 1, 1, 1}, "s1": {1, 1, 2, 2}, "s2": {2, 2, 4, 4}, "s3": {3, 3, 6, 6}, "fresh": {}}
	var got map[string]counts
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sessions' counts %v, want %v", got, want)
		}
	})
	lgtesting.Eventually(t, "every session's counts", func() bool {
		got = map[string]counts{}
		for _, s := range listSessions(t, g, url.Values{}).Sessions {
			got[s.SessionName] = counts{s.MessagesIn, s.MessagesOut, s.BytesIn, s.BytesOut}
		}
		return maps.Equal(got, want)
	})
	for _, r := range g.Engine().Counters().Routes {
		if r.Route == "/echo" && (r.SocketsOpen != 2 || r.MessagesIn != 7 || r.MessagesOut != 7 || r.BytesIn != 13) {
			t.Fatalf("route counters %+v, want 2 open, 7 messages each way, 13 bytes in", r)
		}
	}
}

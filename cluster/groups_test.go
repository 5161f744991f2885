package cluster_test

import (
	"fmt"
	"testing"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/internal/lgtesting"
)

func TestSendsToUsersAndGroupsReachEachSocketOnceOnEveryNode(t *testing.T) {
	gws := newCluster(t)
	const per = 2 // sockets per node, users u0 and u1
	var members []*lgtesting.Client
	for _, g := range gws {
		for j := range per {
			c := g.Dial(fmt.Sprintf("/c?user=u%d", j))
			if got := c.Ask("join self all"); got != "joined nil" {
				t.Fatalf("join: %q", got)
			}
			members = append(members, c)
		}
	}
	total := per * len(gws)
	admin := gws[0].Dial("/c?user=admin")
	lgtesting.Eventually(t, "node1 to count every member", func() bool {
		return admin.Ask("presence all") == fmt.Sprintf("presence %d u0=%d,u1=%d", total, len(gws), len(gws))
	})
	for _, g := range gws[1:] {
		c := g.Dial("/c?user=watcher")
		lgtesting.Eventually(t, "every node to count every member", func() bool {
			return c.Ask("members all") == fmt.Sprintf("members %d", total)
		})
	}
	if got := admin.Ask("send group all hello"); got != fmt.Sprintf("sent %d", total) {
		t.Fatalf("group send: %q", got)
	}
	if got := admin.Ask("send user_id u1 to-u1"); got != fmt.Sprintf("sent %d", len(gws)) {
		t.Fatalf("user send: %q", got)
	}
	for i, c := range members {
		c.Expect("hello")
		if i%per == 1 {
			c.Expect("to-u1")
		}
		// Nothing more: each socket got its copy once.
		if got := c.Ask("ping"); got != "pong" {
			t.Fatalf("extra message %q", got)
		}
	}
	if got := admin.Ask("presence all u0"); got != fmt.Sprintf("presence %d", len(gws)) {
		t.Fatalf("user presence: %q", got)
	}
	if got := admin.Ask("close group all"); got != fmt.Sprintf("closed %d", total) {
		t.Fatalf("group close: %q", got)
	}
	for _, c := range members {
		c.ExpectClose()
	}
	lgtesting.Eventually(t, "the group to be empty everywhere", func() bool {
		return admin.Ask("presence all") == "presence 0 "
	})
}

func TestANodeWithoutMembersGetsNoGroupTraffic(t *testing.T) {
	gws := newCluster(t)
	c := gws[1].Dial("/c?user=a")
	if got := c.Ask("join self blue"); got != "joined nil" {
		t.Fatalf("join: %q", got)
	}
	sender := gws[0].Dial("/c?user=s")
	lgtesting.Eventually(t, "node1 to know node2 holds blue", func() bool {
		return sender.Ask("presence blue") == "presence 1 a=1"
	})
	if holders := gws[0].Cluster().Holders(hub.Target{By: hub.ByGroup, Key: "blue"}); len(holders) != 1 || holders[0] != "node2" {
		t.Fatalf("holders of blue: %v", holders)
	}
	if got := sender.Ask("send group blue x"); got != "sent 1" {
		t.Fatalf("send: %q", got)
	}
	c.Expect("x")
	if got := c.Ask("leave self blue"); got != "left nil" {
		t.Fatalf("leave: %q", got)
	}
	lgtesting.Eventually(t, "node1 to know nobody holds blue", func() bool {
		return len(gws[0].Cluster().Holders(hub.Target{By: hub.ByGroup, Key: "blue"})) == 0
	})
}

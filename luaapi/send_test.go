package luaapi_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/luagate/luagate/luaapi"
)

// bytesPeer keeps the slices a script sends, as a socket's queue does.
type bytesPeer struct{ sent [][]byte }

func (p *bytesPeer) Send(msg []byte, _ bool) error { p.sent = append(p.sent, msg); return nil }
func (p *bytesPeer) Close() error                  { return nil }

// TestASentStringIsNotCopied sends one Lua string twice: both sends must
// hand the socket the string's own bytes, not a copy each.
func TestASentStringIsNotCopied(t *testing.T) {
	t.Parallel()
	vm := luaapi.NewVM(luaapi.Options{Sockets: noSockets{}})
	defer vm.Close()
	proto := compile(t, "/s", `local websocketInfo = ...
local s = string.rep("x", 64)
websocketInfo.send(s)
websocketInfo.send(s)
websocketInfo.send("")`)
	p := &bytesPeer{}
	ev := newEvent(luaapi.EventData, nil)
	ev.Peer = p
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := vm.Run(ctx, &luaapi.Program{Proto: proto}, ev); err != nil {
		t.Fatal(err)
	}
	if len(p.sent) != 3 || string(p.sent[0]) != strings.Repeat("x", 64) || string(p.sent[1]) != string(p.sent[0]) {
		t.Fatalf("sent %q", p.sent)
	}
	if unsafe.SliceData(p.sent[0]) != unsafe.SliceData(p.sent[1]) {
		t.Error("each send of the same string was given a copy of its bytes")
	}
	if p.sent[2] == nil || len(p.sent[2]) != 0 {
		t.Errorf("an empty message was sent as %#v, want an empty, non-nil slice", p.sent[2])
	}
}

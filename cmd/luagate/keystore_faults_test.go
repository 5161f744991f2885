package main

import (
	"encoding/json"
	mathrand "math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// keystoreWriter, on "w", increments a counter, sets the 50 fields of a
// hash to its value in one command and appends it to a list; on "check" it
// answers what is stored, and whether the usage totals match the keys.
const keystoreWriter = `
if websocketInfo.type ~= "data" then return end
if websocketInfo.message == "w" then
  local n = Keystore.command({key = "n", command = "incr"}).value
  local args = {}
  for i = 1, 50 do args[#args + 1] = "f" .. i; args[#args + 1] = tostring(n) end
  Keystore.command({key = "h", command = "hmset", args = args})
  Keystore.command({key = "log", command = "rpush", args = {n}})
  return tostring(n)
end
local n = tonumber(Keystore.get({key = "n"}).value or "0")
local fields = Keystore.command({key = "h", command = "hvals"}).value
local same = true
for _, v in ipairs(fields) do if v ~= fields[1] then same = false end end
local keys, cursor = 0, nil
repeat
  local page = Keystore.list({count = 1000, cursor = cursor})
  keys, cursor = keys + #page.keys, page.cursor
until cursor == "0"
local info = Keystore.info()
return to_json({n = n, fields = #fields, same = same, hash = tonumber(fields[1] or "0"),
  log = Keystore.command({key = "log", command = "llen"}).value, keys = keys, usage = info.usage.keys})
`

// TestKillDuringKeystoreWritesLosesNothingAcknowledged kills the server
// with SIGKILL while scripts write to the Keystore, 15 times. After each
// restart every acknowledged increment is there (and at most the one in
// flight beyond it), no command is half applied, and the usage totals
// agree with the keys stored.
func TestKillDuringKeystoreWritesLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	acked, writes, logLen := 0, 0, 0
	for round := range 15 {
		s := startServer(t, dir, nil, "--rate-limit", "0")
		if round == 0 {
			s.deploy("/w", keystoreWriter)
		}
		c := s.dial("/w")
		c.say("check")
		var got struct {
			N, Fields, Hash, Log, Keys, Usage int
			Same                              bool
		}
		if err := json.Unmarshal([]byte(c.next()), &got); err != nil {
			t.Fatalf("round %d: check: %v", round, err)
		}
		switch {
		case got.N < acked || got.N > acked+1:
			t.Fatalf("round %d: counter %d after %d acknowledged increments", round, got.N, acked)
		case !got.Same || (got.N > 0 && got.Fields != 50):
			t.Fatalf("round %d: hash half written: %+v", round, got)
		case got.Hash < acked || got.Hash > got.N:
			// An acknowledged write set the hash; a kill between an
			// increment and the hash's command may leave it behind.
			t.Fatalf("round %d: hash holds %d, counter %d, %d acknowledged", round, got.Hash, got.N, acked)
		case got.Log < logLen || got.Log > got.N:
			// A kill between the increment and the push loses the push.
			t.Fatalf("round %d: list length %d, was %d, counter %d", round, got.Log, logLen, got.N)
		case got.Keys != got.Usage:
			t.Fatalf("round %d: info counts %d keys, list finds %d", round, got.Usage, got.Keys)
		}
		acked, logLen = got.N, got.Log
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				if c.conn.WriteMessage(websocket.TextMessage, []byte("w")) != nil {
					return
				}
				_, b, err := c.conn.ReadMessage()
				if err != nil {
					return // killed
				}
				if n, err := strconv.Atoi(string(b)); err == nil {
					acked = n
					writes++
				}
			}
		}()
		time.Sleep(time.Duration(20+mathrand.IntN(100)) * time.Millisecond)
		if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-s.done
		close(stop)
		<-done
	}
	if writes < 15 {
		t.Fatalf("only %d writes were acknowledged before the kills: the test proved little", writes)
	}
	t.Logf("%d writes acknowledged over 15 kills", writes)
}

package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/luagate/luagate/hub"
	"github.com/luagate/luagate/luaapi"
	"github.com/luagate/luagate/session"
)

// The operations a node answers, the first byte of a request.
const (
	opSend        = 's' // a message to one socket; binary framing, see encodeSend
	opClose       = 'c'
	opSocket      = 'i'
	opList        = 'l'
	opSockets     = 'S'
	opCloseAll    = 'a'
	opJoin        = 'j'
	opLeave       = 'v'
	opGroups      = 'g'
	opSendTo      = 'T'
	opCloseTo     = 'C'
	opListOf      = 'L'
	opSocketsOf   = 'O'
	opPresence    = 'P'
	opUserPresent = 'U'
	opRequest     = 'R' // a request to a socket's client; JSON waitRequest
	opSendWait    = 'W' // a send that waits for its delivery; JSON waitRequest
)

// request is what every operation but opSend carries, as JSON.
type request struct {
	ID     string           `json:"id,omitempty"`
	Group  string           `json:"group,omitempty"`
	User   string           `json:"user,omitempty"`
	Target *hub.Target      `json:"target,omitempty"`
	Reason *hub.CloseReason `json:"reason,omitempty"`
	Msg    []byte           `json:"msg,omitempty"`
	Binary bool             `json:"binary,omitempty"`
}

func encode(op byte, r request) []byte { return encodeJSON(op, r) }

// encodeJSON frames a request: op, then v as JSON.
func encodeJSON(op byte, v any) []byte {
	b, _ := json.Marshal(v)
	return append([]byte{op}, b...)
}

// encodeSend frames a send without JSON, as it is the busiest request:
// op, binary flag, id length, id, message.
func encodeSend(id string, msg []byte, binary bool) []byte {
	b := make([]byte, 0, 3+len(id)+len(msg))
	flag := byte(0)
	if binary {
		flag = 1
	}
	b = append(b, opSend, flag, byte(len(id)))
	b = append(b, id...)
	return append(b, msg...)
}

func decodeSend(b []byte) (id string, msg []byte, binary bool, err error) {
	if len(b) < 3 || len(b) < 3+int(b[2]) {
		return "", nil, false, errors.New("short send request")
	}
	n := int(b[2])
	return string(b[3 : 3+n]), b[3+n:], b[1] == 1, nil
}

// Error codes of a reply, the first byte; 0 is success.
const (
	codeOK = iota
	codeUnknown
	codeClosed
	codeQueueFull
	codeTooManyGroups
	codeBadArgument
	codeOther
	codeNoSession
	codeRequestTimeout
	codeClientError
	codeTooManyWaiting
)

var codeErrors = map[byte]error{
	codeUnknown:        hub.ErrUnknownSocket,
	codeClosed:         hub.ErrSocketClosed,
	codeQueueFull:      hub.ErrQueueFull,
	codeTooManyGroups:  hub.ErrTooManyGroups,
	codeNoSession:      session.ErrUnknown,
	codeRequestTimeout: luaapi.ErrRequestTimeout,
	codeTooManyWaiting: luaapi.ErrTooManyWaiting,
}

// reply frames an answer: the code, the answering node (its length, then
// it) and the body, a JSON value or an error's text.
func reply(node string, err error, body any) []byte {
	if err != nil {
		return replyRaw(node, codeOf(err), []byte(err.Error()))
	}
	var data []byte
	if body != nil {
		data, _ = json.Marshal(body)
	}
	return replyRaw(node, codeOK, data)
}

// replyRaw frames an answer whose body is data as it is.
func replyRaw(node string, code byte, data []byte) []byte {
	b := make([]byte, 0, 2+len(node)+len(data))
	b = append(b, code, byte(len(node)))
	b = append(b, node...)
	return append(b, data...)
}

// codeOf is the reply code of err.
func codeOf(err error) byte {
	if err == nil {
		return codeOK
	}
	for c, e := range codeErrors {
		if errors.Is(err, e) {
			return c
		}
	}
	if errors.Is(err, luaapi.ErrClientError) {
		return codeClientError
	}
	if typ, _ := hub.Classify(err); typ == "ArgumentError" {
		return codeBadArgument
	}
	return codeOther
}

// answer is a decoded reply.
type answer struct {
	node string
	err  error
	body []byte
}

func decodeReply(b []byte) answer {
	if len(b) < 2 || len(b) < 2+int(b[1]) {
		return answer{err: fmt.Errorf("%w: malformed reply", hub.ErrClusterUnavailable)}
	}
	a := answer{node: string(b[2 : 2+int(b[1])]), body: b[2+int(b[1]):]}
	switch code := b[0]; code {
	case codeOK:
	case codeBadArgument:
		a.err = fmt.Errorf("%w: %s", luaapi.ErrBadArgument, a.body)
	case codeClientError:
		// The client's own text, which the asker's script sees, once.
		a.err = fmt.Errorf("%w: %s", luaapi.ErrClientError, strings.TrimPrefix(string(a.body), luaapi.ErrClientError.Error()+": "))
	case codeOther:
		a.err = fmt.Errorf("node %s: %s", a.node, a.body)
	default:
		a.err = codeErrors[code]
		if a.err == nil {
			a.err = fmt.Errorf("node %s: error code %d: %s", a.node, code, a.body)
		}
	}
	return a
}

// into decodes a successful answer's body into v.
func (a answer) into(v any) error {
	if a.err != nil {
		return a.err
	}
	if len(a.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return fmt.Errorf("node %s: reply: %w", a.node, err)
	}
	return nil
}

package keystore

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// command is one entry of the command set: how many arguments it takes
// after the key (max -1: any number), whether it writes, and what it does.
type command struct {
	min, max int
	write    bool
	run      func(*call) (any, error)
}

// call is one command's run on one key: the entry it found (nil when the
// key holds nothing or has expired), which run changes in place or
// replaces, setting dirty when the key must be written.
type call struct {
	now int64
	// maxValue is Config.MaxValueBytes, for commands that would allocate
	// past it before the limit is checked.
	maxValue int64
	args     []string
	e        *Entry
	dirty    bool
}

func (x *call) load(b []byte) error {
	if b == nil {
		return nil
	}
	e, err := Decode(b)
	if err != nil {
		return err
	}
	if !expired(e.ExpiresAt, x.now) {
		x.e = e
	}
	return nil
}

// of returns the entry if it is of kind k, nil if there is none, and
// ErrWrongType otherwise.
func (x *call) of(k Kind) (*Entry, error) {
	if x.e != nil && x.e.Kind != k {
		return nil, ErrWrongType
	}
	return x.e, nil
}

// create returns the entry of kind k, making an empty one when the key
// holds nothing.
func (x *call) create(k Kind) (*Entry, error) {
	e, err := x.of(k)
	if err != nil || e != nil {
		return e, err
	}
	x.e = &Entry{Kind: k}
	switch k {
	case KindSet:
		x.e.Set = map[string]struct{}{}
	case KindHash:
		x.e.Hash = map[string]string{}
	}
	return x.e, nil
}

func (x *call) int(i int) (int64, error) { return parseInt(x.args[i]) }

// bounds reads the first two arguments, a range's start and end.
func (x *call) bounds() (int64, int64, error) {
	start, err := x.int(0)
	if err != nil {
		return 0, 0, err
	}
	end, err := x.int(1)
	return start, end, err
}

func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrNotInteger, s)
	}
	return n, nil
}

func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %q", ErrNotFloat, s)
	}
	return f, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// boolInt is how commands answer yes and no.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// commands is the command set, by lower-case name.
var commands = map[string]command{}

func init() {
	for _, set := range []map[string]command{keyCommands, stringCommands, listCommands, setCommands, hashCommands} {
		for name, c := range set {
			commands[name] = c
		}
	}
}

var keyCommands = map[string]command{
	"del": {write: true, run: func(x *call) (any, error) {
		had := x.e != nil
		x.e, x.dirty = nil, had
		return boolInt(had), nil
	}},
	"exists": {run: func(x *call) (any, error) { return boolInt(x.e != nil), nil }},
	"type": {run: func(x *call) (any, error) {
		if x.e == nil {
			return "none", nil
		}
		return x.e.Kind.String(), nil
	}},
	"expire":    {min: 1, max: 1, write: true, run: expireIn(1000)},
	"pexpire":   {min: 1, max: 1, write: true, run: expireIn(1)},
	"expireat":  {min: 1, max: 1, write: true, run: expireAt(1000)},
	"pexpireat": {min: 1, max: 1, write: true, run: expireAt(1)},
	"ttl":       {run: ttl(1000)},
	"pttl":      {run: ttl(1)},
	"persist": {write: true, run: func(x *call) (any, error) {
		if x.e == nil || x.e.ExpiresAt == 0 {
			return int64(0), nil
		}
		x.e.ExpiresAt, x.dirty = 0, true
		return int64(1), nil
	}},
}

// expireIn sets the expiry to now plus the argument in units of unit ms.
func expireIn(unit int64) func(*call) (any, error) {
	return func(x *call) (any, error) {
		n, err := x.int(0)
		if err != nil {
			return nil, err
		}
		return x.expire(x.now, n, unit)
	}
}

// expireAt sets the expiry to the argument, a Unix time in units of unit ms.
func expireAt(unit int64) func(*call) (any, error) {
	return func(x *call) (any, error) {
		n, err := x.int(0)
		if err != nil {
			return nil, err
		}
		return x.expire(0, n, unit)
	}
}

// expire makes the entry expire at base + n*unit ms: one in the past (or
// now) deletes it, as in Redis.
func (x *call) expire(base, n, unit int64) (any, error) {
	if n > math.MaxInt64/unit || n < math.MinInt64/unit || (n > 0 && base > math.MaxInt64-n*unit) {
		return nil, fmt.Errorf("%w: invalid expire time", ErrNotInteger)
	}
	if x.e == nil {
		return int64(0), nil
	}
	at := base + n*unit
	if at <= x.now {
		x.e = nil
	} else {
		x.e.ExpiresAt = at
	}
	x.dirty = true
	return int64(1), nil
}

// ttl answers -2 for no key, -1 for no expiry, else the time left in units
// of unit ms, rounded as Redis does.
func ttl(unit int64) func(*call) (any, error) {
	return func(x *call) (any, error) {
		switch {
		case x.e == nil:
			return int64(-2), nil
		case x.e.ExpiresAt == 0:
			return int64(-1), nil
		}
		left := x.e.ExpiresAt - x.now
		return (left + unit/2) / unit, nil
	}
}

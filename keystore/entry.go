package keystore

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

// Kind is what an entry holds.
type Kind byte

// The kinds of Entry, with the names the type command answers.
const (
	KindString Kind = 1 + iota
	KindList
	KindSet
	KindHash
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindSet:
		return "set"
	case KindHash:
		return "hash"
	}
	return "none"
}

// Entry is the value of one key. Only the field of its Kind is used.
type Entry struct {
	Kind Kind
	// ExpiresAt is when the entry expires, in Unix milliseconds; 0 means
	// never.
	ExpiresAt int64
	Str       string
	List      []string
	Set       map[string]struct{}
	Hash      map[string]string
}

// headerBytes is the encoding's fixed part: the kind and the expiry.
const headerBytes = 9

// Encode writes e as a Store keeps it: the kind, the expiry as 8 bytes
// big-endian, then the data: a string's bytes, or the items of a list, a
// set or a hash (field, value, field, value ...) each preceded by its
// length as a uvarint. A set's members and a hash's fields are written in
// byte order, so equal entries encode equally.
func Encode(e *Entry) []byte {
	b := make([]byte, headerBytes, headerBytes+dataSize(e))
	b[0] = byte(e.Kind)
	binary.BigEndian.PutUint64(b[1:], uint64(e.ExpiresAt))
	item := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	switch e.Kind {
	case KindString:
		b = append(b, e.Str...)
	case KindList:
		for _, s := range e.List {
			item(s)
		}
	case KindSet:
		for _, s := range slices.Sorted(maps.Keys(e.Set)) {
			item(s)
		}
	case KindHash:
		for _, f := range slices.Sorted(maps.Keys(e.Hash)) {
			item(f)
			item(e.Hash[f])
		}
	}
	return b
}

// Decode reads what Encode wrote. The entry shares no memory with b.
func Decode(b []byte) (*Entry, error) {
	if len(b) < headerBytes || Kind(b[0]) < KindString || Kind(b[0]) > KindHash {
		return nil, ErrCorrupt
	}
	e := &Entry{Kind: Kind(b[0]), ExpiresAt: int64(binary.BigEndian.Uint64(b[1:]))}
	data := b[headerBytes:]
	if e.Kind == KindString {
		e.Str = string(data)
		return e, nil
	}
	var items []string
	for len(data) > 0 {
		n, w := binary.Uvarint(data)
		if w <= 0 || uint64(len(data)-w) < n {
			return nil, ErrCorrupt
		}
		items = append(items, string(data[w:w+int(n)]))
		data = data[w+int(n):]
	}
	switch e.Kind {
	case KindList:
		e.List = items
	case KindSet:
		e.Set = make(map[string]struct{}, len(items))
		for _, s := range items {
			e.Set[s] = struct{}{}
		}
	case KindHash:
		if len(items)%2 != 0 {
			return nil, fmt.Errorf("%w: a hash with an odd number of items", ErrCorrupt)
		}
		e.Hash = make(map[string]string, len(items)/2)
		for i := 0; i < len(items); i += 2 {
			e.Hash[items[i]] = items[i+1]
		}
	}
	return e, nil
}

// ExpiresAt reads the expiry of an encoded entry without decoding it, for
// a Store's expiry index. A value too short to be an entry never expires.
func ExpiresAt(b []byte) int64 {
	if len(b) < headerBytes {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b[1:]))
}

// Size is what a key and its encoded entry count towards Config.MaxBytes.
func Size(key string, encoded []byte) int64 { return int64(len(key) + len(encoded)) }

// dataSize is what e's data counts towards Config.MaxValueBytes: the
// encoding without its header.
func dataSize(e *Entry) int {
	item := func(s string) int { return uvarintLen(len(s)) + len(s) }
	n := 0
	switch e.Kind {
	case KindString:
		n = len(e.Str)
	case KindList:
		for _, s := range e.List {
			n += item(s)
		}
	case KindSet:
		for s := range e.Set {
			n += item(s)
		}
	case KindHash:
		for f, v := range e.Hash {
			n += item(f) + item(v)
		}
	}
	return n
}

func uvarintLen(n int) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// empty reports whether e is a collection with nothing in it, which a
// command deletes rather than keeps.
func (e *Entry) empty() bool {
	switch e.Kind {
	case KindList:
		return len(e.List) == 0
	case KindSet:
		return len(e.Set) == 0
	case KindHash:
		return len(e.Hash) == 0
	}
	return false
}

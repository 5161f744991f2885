package storage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/luagate/luagate/session"
	bolt "go.etcd.io/bbolt"
)

// The session history buckets, created by the first sessions stored.
var (
	bucketSessions   = []byte("sessions")
	bucketSessionIDs = []byte("sessionids")

	keySessionCount = []byte("sessions")
)

// storedSession is a closed session as the sessions bucket holds it. The
// socket id and connection time are in its key.
type storedSession struct {
	Route       string    `json:"route"`
	UserID      string    `json:"user_id,omitempty"`
	SessionName string    `json:"session_name,omitempty"`
	RemoteAddr  string    `json:"remote_addr,omitempty"`
	Subprotocol string    `json:"subprotocol,omitempty"`
	ClosedAt    time.Time `json:"closed_at"`
	CloseCode   int       `json:"close_code"`
	CloseReason string    `json:"close_reason"`
	MessagesIn  uint64    `json:"messages_in"`
	MessagesOut uint64    `json:"messages_out"`
	BytesIn     uint64    `json:"bytes_in"`
	BytesOut    uint64    `json:"bytes_out"`
	// Backend is a proxy socket's relay counts; absent for others.
	Backend *session.Backend `json:"backend,omitempty"`
}

// sessionKey orders sessions by connection time, then socket id, so that
// bbolt's byte order is the history's.
func sessionKey(at time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(at.UnixNano())), id...)
}

// PutSessions stores closed sessions, then drops the oldest beyond keep,
// in one transaction. A session stored already is replaced. It implements
// session.Store.
func (s *Store) PutSessions(sessions []session.Record, keep int) error {
	if s.closed.Load() {
		return ErrClosed
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		byTime, err := tx.CreateBucketIfNotExists(bucketSessions)
		if err != nil {
			return err
		}
		ids, err := tx.CreateBucketIfNotExists(bucketSessionIDs)
		if err != nil {
			return err
		}
		meta := tx.Bucket(bucketMeta)
		count := sessionCount(meta)
		for _, rec := range sessions {
			v, err := json.Marshal(storedSession{
				Route: rec.Route, UserID: rec.UserID, SessionName: rec.SessionName, RemoteAddr: rec.RemoteAddr,
				Subprotocol: rec.Subprotocol, ClosedAt: rec.ClosedAt, CloseCode: rec.CloseCode, CloseReason: rec.CloseReason,
				MessagesIn: rec.MessagesIn, MessagesOut: rec.MessagesOut, BytesIn: rec.BytesIn, BytesOut: rec.BytesOut,
				Backend: rec.Backend,
			})
			if err != nil {
				return fmt.Errorf("encode session %s: %w", rec.SocketID, err)
			}
			if old := ids.Get([]byte(rec.SocketID)); old != nil {
				if err := byTime.Delete(bytes.Clone(old)); err != nil {
					return err
				}
				count--
			}
			k := sessionKey(rec.ConnectedAt, rec.SocketID)
			if err := byTime.Put(k, v); err != nil {
				return err
			}
			if err := ids.Put([]byte(rec.SocketID), k); err != nil {
				return err
			}
			count++
		}
		c := byTime.Cursor()
		for k, _ := c.First(); k != nil && count > uint64(keep); k, _ = c.First() {
			if err := ids.Delete(k[8:]); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
			count--
		}
		return meta.Put(keySessionCount, binary.BigEndian.AppendUint64(nil, count))
	})
	if err != nil {
		return s.opError("store sessions", err)
	}
	return nil
}

func sessionCount(meta *bolt.Bucket) uint64 {
	if v := meta.Get(keySessionCount); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// ClosedSessions returns, newest first, up to limit stored sessions that f
// matches and come after the cursor. It implements session.Store.
func (s *Store) ClosedSessions(f session.Filter, after session.Cursor, limit int) ([]session.Record, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	// The first key past the page's start, walking back from it: past the
	// cursor, and past Until.
	var end []byte
	if !after.IsZero() {
		end = sessionKey(after.ConnectedAt, after.SocketID)
	}
	if !f.Until.IsZero() {
		if u := sessionKey(f.Until.Add(time.Nanosecond), ""); end == nil || bytes.Compare(u, end) < 0 {
			end = u
		}
	}
	var out []session.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if end == nil {
			k, v = c.Last()
		} else if k, v = c.Seek(end); k == nil {
			k, v = c.Last()
		}
		if k != nil && end != nil && bytes.Compare(k, end) >= 0 {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			rec, err := decodeSession(k, v)
			if err != nil {
				return err
			}
			if !f.Since.IsZero() && rec.ConnectedAt.Before(f.Since) {
				break
			}
			if f.Match(&rec) {
				out = append(out, rec)
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.opError("list sessions", err)
	}
	return out, nil
}

// ClosedSession returns the stored session id. It implements
// session.Store.
func (s *Store) ClosedSession(id string) (session.Record, error) {
	if s.closed.Load() {
		return session.Record{}, ErrClosed
	}
	var rec session.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		ids, byTime := tx.Bucket(bucketSessionIDs), tx.Bucket(bucketSessions)
		if ids == nil || byTime == nil {
			return session.ErrUnknown
		}
		k := ids.Get([]byte(id))
		if k == nil {
			return session.ErrUnknown
		}
		v := byTime.Get(k)
		if v == nil {
			return fmt.Errorf("%w: sessionids/%s names a missing session", ErrCorrupt, id)
		}
		var err error
		rec, err = decodeSession(k, v)
		return err
	})
	if err != nil {
		return session.Record{}, s.opError("look up session", err)
	}
	return rec, nil
}

// decodeSession reads the session under key k; json.Unmarshal and the
// string conversion copy what they keep.
func decodeSession(k, v []byte) (session.Record, error) {
	if len(k) < 8 {
		return session.Record{}, fmt.Errorf("%w: sessions key %x is too short", ErrCorrupt, k)
	}
	var st storedSession
	if err := json.Unmarshal(v, &st); err != nil {
		return session.Record{}, fmt.Errorf("%w: sessions/%x: %w", ErrCorrupt, k, err)
	}
	return session.Record{
		SocketID: string(k[8:]), ConnectedAt: time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC(),
		Route: st.Route, UserID: st.UserID, SessionName: st.SessionName, RemoteAddr: st.RemoteAddr,
		Subprotocol: st.Subprotocol, ClosedAt: st.ClosedAt, CloseCode: st.CloseCode, CloseReason: st.CloseReason,
		MessagesIn: st.MessagesIn, MessagesOut: st.MessagesOut, BytesIn: st.BytesIn, BytesOut: st.BytesOut,
		Status: session.Closed, Backend: st.Backend,
	}, nil
}

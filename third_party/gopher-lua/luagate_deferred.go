package lua

// Deferred supplies some of a table's string-keyed fields when something
// first needs one of them, rather than when the host builds the table: a
// host that hands each execution a record of many fields, most of which
// most scripts never read, fills only the ones every script pays for and
// defers the rest (SetDeferred).
//
// Every way of reaching the table's fields resolves it first: reading
// or writing a deferred key (RawGetString, RawGet, RawGetH, RawSetString,
// RawSet, RawSetH), and walking the table (Next, ForEach). Reading or
// writing a key Defers does not name leaves it pending. Keys other than
// strings are never deferred.
type Deferred struct {
	// Defers reports whether Fill may set key.
	Defers func(key string) bool
	// Fill sets the deferred fields on tb. tb has let go of its Deferred
	// by then, so Fill reads and writes tb as any table.
	Fill func(tb *LTable)
}

// SetDeferred makes d supply the fields Defers names at their first use;
// nil lets go of a pending d without filling.
func (tb *LTable) SetDeferred(d *Deferred) { tb.deferred = d }

// Pending reports whether tb's deferred fields have not been filled.
func (tb *LTable) Pending() bool { return tb.deferred != nil }

// Resolve fills tb's deferred fields now, if they are pending.
func (tb *LTable) Resolve() { tb.resolve() }

func (tb *LTable) resolve() {
	if d := tb.deferred; d != nil {
		tb.deferred = nil
		d.Fill(tb)
	}
}

// resolveFor fills tb's deferred fields if key is one of them.
func (tb *LTable) resolveFor(key string) {
	if d := tb.deferred; d.Defers(key) {
		tb.deferred = nil
		d.Fill(tb)
	}
}

package lua

// HasArrayPart reports whether the table has ever had an array part: it
// was made with room for one (a constructor with list items,
// CreateTable(n, 0) with n > 0) or had an integer key set within it. A
// JSON encoder tells an empty array from an empty object by it.
func (tb *LTable) HasArrayPart() bool { return tb.array != nil }

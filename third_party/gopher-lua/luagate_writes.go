package lua

// StringWrites counts the writes to tb's string keys so far, by any
// means: assignment, rawset, the API. A host that fills a table for a
// script and must undo what the script changed compares the count before
// and after the script instead of reading back every key, which costs
// more than a simple script does. The count wraps around at 2^32.
func (tb *LTable) StringWrites() uint32 { return tb.stringWrites }

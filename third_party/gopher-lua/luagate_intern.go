package lua

// InternStrings replaces each string constant of fp, and of the functions
// it defines, for which canon has a spelling of its own with that
// spelling: canon returns an LString with the same bytes, boxed once by
// the host so that interning allocates nothing, and true, or false to
// keep the constant. A string that shares its bytes' storage with another
// compares equal to it on their pointers alone, without reading either's
// bytes: a host that sets a table's fields with its own spelling of their
// names, and interns the scripts' constants to it, has those fields found
// without a byte comparison. InternStrings must be called before fp runs
// or is shared with another goroutine.
func (fp *FunctionProto) InternStrings(canon func(string) (LValue, bool)) {
	for i, c := range fp.Constants {
		s, ok := c.(LString)
		if !ok {
			continue
		}
		v, ok := canon(string(s))
		cs, isString := v.(LString)
		if !ok || !isString || cs != s {
			continue
		}
		fp.Constants[i] = v
		if i < len(fp.stringConstants) {
			fp.stringConstants[i] = string(cs)
		}
	}
	for _, f := range fp.FunctionPrototypes {
		f.InternStrings(canon)
	}
}

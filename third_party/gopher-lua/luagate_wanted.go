package lua

// WantedResults is how many results the caller of the running Go function
// will take: 0 for a call made as a statement (`f(x)`), n for one whose
// results fill n places (`local a, b = f(x)`), and MultRet for one that
// takes them all (`g(f(x))`, `return f(x)`, a call from Go asking for
// MultRet). A tail call (`return f(x)`) wants what its frame's caller
// wants. A host function that does work only to answer may skip that work
// when the answer is 0. Outside a function call it is MultRet.
func (ls *LState) WantedResults() int {
	if ls.currentFrame == nil {
		return MultRet
	}
	return ls.currentFrame.NRet
}

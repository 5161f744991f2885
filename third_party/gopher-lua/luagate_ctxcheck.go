package lua

// ctxCheckInterval is how many instructions run between two looks at an
// execution's context (mainLoopWithContext): at a few nanoseconds an
// instruction, a context that ends stops the execution within a
// microsecond. A few instructions can allocate a lot, though (`s = s ..
// s` doubles a string each time), so a host that stops executions for
// their memory sets Global.Stop as it ends their context: the flag, a
// plain load, is read before every instruction.
const ctxCheckInterval = 64

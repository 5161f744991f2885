package lua

// ctxCheckInterval is how many instructions run between two looks at an
// execution's context (mainLoopWithContext): at a few nanoseconds an
// instruction, a context that ends stops the execution within a
// microsecond.
const ctxCheckInterval = 64

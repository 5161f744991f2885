package runtime

// IdleWorkers is how many idle worker goroutines e keeps now.
func (e *Engine) IdleWorkers() int { return e.workers.Idle() }

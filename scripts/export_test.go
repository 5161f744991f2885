package scripts

// CheckRoutes lets the external tests check patterns against a fresh
// router, as checkRoutes does.
var CheckRoutes = checkRoutes

// checkRoutes reports whether a fresh router can hold all these patterns at
// once: the reference the one router of Compile is tested against.
func checkRoutes(patterns []Pattern) error {
	var t routeTable
	for _, p := range patterns {
		if err := t.add("GET", p); err != nil {
			return err
		}
	}
	return nil
}

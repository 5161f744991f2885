package scripts

import "errors"

// ErrRevisionConflict means a change to the solution was made against a
// revision that is no longer the latest: another change, on this node or
// another, came first. Nothing was changed; the caller may read the
// solution again and retry.
var ErrRevisionConflict = errors.New("the solution was changed meanwhile")

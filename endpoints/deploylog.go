package endpoints

import (
	"errors"
	"fmt"
	"time"

	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/scripts"
)

// recordDeploy adds a deploy, begun at start, to the script log: its
// revision and counts when it went through, each problem on a line of its
// own when it was refused.
func (s *Server) recordDeploy(start time.Time, res *deployResult, err *error) {
	now := time.Now()
	r := logs.Record{Time: now, EventType: logs.EventDeploy, Status: logs.StatusOK, ExecutionTimeUS: now.Sub(start).Microseconds()}
	if *err == nil {
		r.ScriptOutput = []string{fmt.Sprintf("revision %d: %d endpoints, %d modules, %d event handlers",
			res.Revision, res.Endpoints.Len(), len(res.Modules), len(res.EventHandlers))}
		s.logs.Add(r)
		return
	}
	r.Status, r.Error = logs.StatusError, (*err).Error()
	var problems scripts.Problems
	if errors.As(*err, &problems) {
		r.Error = "the solution has errors; nothing was changed"
		for _, p := range problems {
			r.ScriptOutput = append(r.ScriptOutput, p.String())
		}
	}
	s.logs.Add(r)
}

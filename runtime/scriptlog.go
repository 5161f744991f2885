package runtime

import (
	"time"

	"github.com/luagate/luagate/logs"
	"github.com/luagate/luagate/luaapi"
)

// record adds the script-log record of the execution for ev that vm has
// just run, when there is one to add: it printed, or failed and the log
// rates let the failure through (so the script log and the server log
// hold the same failures), or Config.LogExecutions asks for every
// execution. The execution ran for ran and ended at ended, the readings
// that timed it: a silent success costs a check and nothing more.
func (e *Engine) record(vm *luaapi.VM, ev *luaapi.Event, err error, logged bool, ran time.Duration, ended time.Time) {
	out := vm.Output()
	if out == nil && !logged && (err != nil || !e.cfg.LogExecutions) {
		return
	}
	r := logs.Record{
		Time: ended, Route: ev.Conn.Route, SocketID: ev.Conn.ID, UserID: ev.Conn.UserID, EventType: ev.Type,
		Status: logs.StatusOK, ExecutionTimeUS: ran.Microseconds(), ScriptOutput: out,
	}
	if err != nil {
		r.Status, r.Error = logs.StatusError, err.Error()
	}
	e.cfg.Logs.Add(r)
}

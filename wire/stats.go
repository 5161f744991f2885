package wire

import "time"

// StatsPath answers the gateway's recent activity, sampled every second
// (Stats). Scope read.
const StatsPath = Prefix + "/stats"

// Deploy results, as LastDeploy.Result names them.
const (
	DeployOK    = "ok"
	DeployError = "error"
)

// Stats is what StatsPath answers: the last ten minutes, a sample a
// second, for the console's overview.
type Stats struct {
	IntervalSeconds int           `json:"interval_seconds"`
	Samples         []StatsSample `json:"samples"` // oldest first
	// LastDeploy is null until the solution is changed in this process.
	LastDeploy *LastDeploy `json:"last_deploy"`
}

// StatsSample is one second of activity: sockets open at its end, and the
// rates over it.
type StatsSample struct {
	Time                 time.Time `json:"time"`
	SocketsOpen          int       `json:"sockets_open"`
	MessagesInPerSecond  float64   `json:"messages_in_per_second"`
	MessagesOutPerSecond float64   `json:"messages_out_per_second"`
	// ErrorsPerSecond counts executions that failed: errors, timeouts and
	// executions stopped for memory.
	ErrorsPerSecond float64 `json:"errors_per_second"`
	// ScriptP95MS is the 95th percentile of the executions' durations in
	// the second, in milliseconds, estimated from the duration histogram;
	// 0 when none ran.
	ScriptP95MS float64 `json:"script_p95_ms"`
}

// LastDeploy is the latest change to the solution.
type LastDeploy struct {
	// Revision is the stored revision it made; a refused change made
	// none and has the revision that kept running.
	Revision uint64    `json:"revision"`
	Time     time.Time `json:"time"`
	Result   string    `json:"result"` // DeployOK or DeployError
}

package luaapi

// Target names a set of sockets by one key: every open socket of a user,
// of a session name, of a group, or on a route. Scripts reach those sets
// through Sockets, whose implementation answers from indexes kept beside
// its registry (and, in a cluster, from every node), never by walking all
// sockets.
type Target struct {
	By  TargetKind
	Key string
}

// TargetKind is the key a Target names sockets by.
type TargetKind uint8

// The kinds of Target.
const (
	// ByUser: the sockets whose user_id is Key.
	ByUser TargetKind = iota + 1
	// BySessionName: the sockets whose session_name is Key.
	BySessionName
	// ByGroup: the sockets that joined the group Key.
	ByGroup
	// ByRoute: the sockets of the endpoint whose path pattern is Key.
	ByRoute
)

// MaxGroupBytes bounds a group's name.
const MaxGroupBytes = 256

// Presence is who is in a group.
type Presence struct {
	// Sockets counts the group's open sockets.
	Sockets int
	// Users counts each user's open sockets in the group; sockets without
	// a user are counted in Sockets only.
	Users map[string]int
}

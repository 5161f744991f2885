// Package push is store-and-forward delivery to recipients: the model of
// messages, global messages and their statuses; the delivery rules (what a
// socket receives when it connects, and when a message counts as
// delivered); the caps; and the sweeper that expires and forgets old
// records.
//
// A recipient is a user_id. Its sockets are the ones opened with a push
// token (auth.SchemeToken); push reaches them only through the Sockets
// interface, and keeps its records only through MessageStore and
// TokenStore, so that a cluster engine can implement all three. push
// imports auth (the token model) and never hub, runtime, endpoints or
// storage.
//
// # Delivery
//
// A message is committed before anyone is told it was pushed, then written
// to each open socket of its recipient whose token's topic it matches. It
// becomes DELIVERED once its frame has been written (or, with Config.Ack,
// once the client acknowledged it), through MessageStore.MarkDelivered, a
// compare-and-set from PENDING: a message delivered twice (two sockets, a
// push racing a connect) is marked once. Delivery is at least once; frames
// carry the message id so a client can drop duplicates.
//
// A connecting socket first receives its recipient's PENDING messages in
// creation order, then the global messages it has not had. Sends to a
// recipient and its connect deliveries are serialised by a lock striped by
// recipient, so that a message pushed while a socket connects reaches it
// after the older ones.
//
// # Locks and goroutines
//
// A recipient's stripe is taken before a socket's own lock (Outlet.Send),
// never while one is held, and never while another stripe is. A connect
// holds its stripe while it waits for a full queue to drain, at most
// drainWait at a time, which delays other pushes to recipients of the
// same stripe, never the sockets' writers: the written callback a writer
// runs takes only the marker's mutex. The Service owns two goroutines, the
// sweeper and the marker, which Close stops after committing the
// deliveries recorded so far.
package push

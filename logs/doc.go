// Package logs keeps the script log: a record of every execution that
// printed or failed, and of every deploy, in an in-memory ring of a fixed
// number of records. Adding a record never waits for a reader: a follower
// that falls more than the ring's size behind misses the records it did not
// read in time and is told how many.
//
// logs is a leaf: it imports nothing of luagate's. The runtime adds the
// executions' records, endpoints adds the deploys' and serves the ring.
package logs

// Package coord is a dmake coordinator: one Raft node holding the replicated
// state (pkg/cluster/fsm), its gRPC server (pkg/cluster/proto), and, while it
// leads, the leader's local machinery: the scheduler, the worker lease
// keeper and the result coalescer.
//
// What is in the Raft log: builds, assignments, results, output, worker
// sessions, drains. What stays on the leader and is rebuilt after each
// election (after a Barrier): worker streams, lease deadlines, which steps to
// start next. Heartbeats never enter the log; a lease that expires becomes one
// WorkerDown{worker, session} entry.
package coord

// Package fsm is the coordinators' replicated state: builds, steps, attempts
// and workers, changed only by Raft log entries.
//
// It sits between the Raft log (pkg/cluster/coord feeds it entries) and the
// build rules (pkg/graph/buildstate, which it drives for every build; it has
// no second state machine). A log entry is one type byte followed by a
// msgpack body (commands.go). Types are append-only; a type with
// IgnoreUnknown set may be skipped by an older coordinator that does not know
// it, any other unknown type panics, as does a body that does not decode: a
// replica must stop rather than diverge. Commands that do not fit the state
// (a stale attempt, a stale session) are rejected in the *Result returned by
// Apply, and change nothing.
//
// Apply is deterministic: it reads no clock (times come stamped in the
// command by the leader), uses no randomness and never depends on map
// iteration order. Snapshot copies the state under the read lock; Persist
// encodes that copy while Apply goes on; Restore replaces everything.
package fsm

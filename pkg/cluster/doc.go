// Package cluster is the contract between dmake and its cluster: what a
// submitted build is (BuildSpec), and how a worker runs one step
// (StepRunner). Subpackages build the cluster on it:
//
//   - fsm: the Raft-replicated state (builds through pkg/graph/buildstate,
//     steps, attempts, workers, events);
//   - coord: a coordinator: Raft node, gRPC server, leader's scheduler and
//     lease keeper;
//   - worker: the worker agent, which runs steps through a StepRunner;
//   - client: submitting builds, following their events, listing and
//     operating the cluster;
//   - proto: the gRPC protocol (generated code, `make proto`).
//
// The cluster treats what a step runs as opaque: a build carries one payload
// (for dmake, the evaluated Makefile database) and each step its own payload
// (for dmake, what the step runner needs to find the rule). Only the
// StepRunner supplied to the worker interprets them. ShellRunner, which runs
// a step payload as a /bin/sh command, serves tests and trials.
package cluster

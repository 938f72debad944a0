package cluster

import (
	"context"
	"io"
)

// Options are the make flags that change how the cluster runs a build.
type Options struct {
	Jobs      int  // -j: at most this many steps of the build at once; 0 means no limit
	KeepGoing bool // -k: after a failure, go on with steps that do not depend on it
	MaxLosses int  // attempts lost to infrastructure before a step fails; 0 means 3
	// Labels restrict the build to workers that have every one of them
	// (dmaked worker --labels).
	Labels []string
}

// BuildSpec is a build as submitted to the cluster.
type BuildSpec struct {
	// ID is chosen by the client and makes Submit idempotent: submitting
	// the same ID again does not start a second build.
	ID      string
	Options Options
	// Dir is the client's working directory, a path every worker must see
	// on the shared filesystem.
	Dir string
	// Payload is opaque to the cluster and given to every step's runner
	// (for dmake: the evaluated Makefile database). It may be several MB:
	// the client sends it in chunks.
	Payload []byte
	Steps   []StepSpec
	// Probe, if set, is a file the client has written under Dir: a worker
	// runs the build's steps only if it reads the same content there, which
	// proves it sees the client's tree. Without it, Dir must exist.
	Probe Probe
}

// Probe is a file, relative to the build's Dir, and its content.
type Probe struct {
	Path    string
	Content []byte
}

// StepSpec is one step of a build.
type StepSpec struct {
	Target   string
	Deps     []int // indexes of steps that must finish first; only earlier steps
	Priority int64 // lower runs first
	Payload  []byte
}

// StepRequest is what a worker hands its StepRunner for one attempt.
type StepRequest struct {
	Build        string
	Dir          string
	BuildPayload []byte
	Step         int
	Target       string
	Payload      []byte
	Attempt      uint32
	Worker       string // the worker's ID
}

// StepResult is the outcome of one attempt. Failed with ExitCode is a
// recipe failure (a build failure, never retried).
type StepResult struct {
	Failed   bool
	Changed  bool // the target was remade
	ExitCode int
	Message  string
}

// StepRunner runs one step attempt, writing its output to out. Cancelling
// ctx must kill whatever the step started (its whole process group) and
// return promptly.
type StepRunner interface {
	Run(ctx context.Context, req StepRequest, out io.Writer) StepResult
}

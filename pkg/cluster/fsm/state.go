package fsm

import (
	"errors"
	"sort"

	"github.com/dmake/dmake/pkg/graph/buildstate"
)

// Rejections returned in Result. They never change the state.
var (
	ErrStaleAttempt     = errors.New("stale attempt: not the step's current attempt and session")
	ErrStaleSession     = errors.New("stale session: not the worker's current session")
	ErrUnknownBuild     = errors.New("unknown build")
	ErrUnknownWorker    = errors.New("unknown worker")
	ErrNotSealed        = errors.New("build is not sealed")
	ErrSealed           = errors.New("build is already sealed")
	ErrChunkGap         = errors.New("build chunk out of order")
	ErrSealMismatch     = errors.New("seal does not match the chunks received")
	ErrNotEligible      = errors.New("worker is not eligible for new steps")
	ErrNoFreeSlot       = errors.New("worker has no free slot")
	ErrBuildStopped     = errors.New("build starts nothing more")
	ErrBuildNotFinished = errors.New("build is not finished")
	ErrBuildFinished    = errors.New("build is finished")
	ErrBadDep           = errors.New("bad dependency")
)

// WorkerStatus is a worker's standing in the cluster.
type WorkerStatus uint8

const (
	StatusReady    WorkerStatus = iota // takes new steps
	StatusDraining                     // runs what it has, takes nothing new
	StatusDown                         // its session ended; it must register again
)

func (s WorkerStatus) String() string {
	switch s {
	case StatusReady:
		return "ready"
	case StatusDraining:
		return "draining"
	case StatusDown:
		return "down"
	}
	return "unknown"
}

// Worker is a worker as the cluster knows it.
type Worker struct {
	ID            string
	Name          string
	Slots         int32
	Labels        []string
	Session       uint64 // log index of its registration
	Status        WorkerStatus
	DrainDeadline int64 // Unix ms; 0 for none
	Drained       bool  // a drain is in force: it survives the worker going down and registering again
	Running       int32 // attempts assigned to the current session and not finished
}

// StepInfo is what the cluster keeps about a step beyond buildstate.
type StepInfo struct {
	Worker    string   // worker of the current or last attempt
	Session   uint64   // its session
	LostOn    []string // workers that lost an attempt, in order
	LostAt    int64    // leader time of the last loss, Unix ms
	ExitCode  int32
	Message   string
	OutputLen int  // bytes of output recorded for the current attempt
	Truncated bool // output went past the limit
}

// Event kinds, as in the protocol's Event.Kind.
const (
	EvSubmitted     = 1
	EvStepStarted   = 2
	EvOutput        = 3
	EvStepFinished  = 4
	EvStepLost      = 5
	EvBuildFinished = 6
	EvCancelled     = 7
	EvStepsAdded    = 8
)

// Event is one entry of a build's event log. Seq numbers start at 1 and
// are the same on every replica.
type Event struct {
	Seq      uint64
	Kind     int32
	Step     int32
	Attempt  uint32
	Worker   string
	Data     []byte
	Status   string
	ExitCode int32
	Message  string
	Time     int64 // Unix ms, leader-stamped
}

// Build is one submitted build.
type Build struct {
	ID           string
	Index        uint64 // log index of its submission: builds are ordered by it
	Options      Options
	Dir          string
	ProbePath    string
	ProbeContent []byte
	Payload      []byte
	Specs        []StepSpec
	NextChunk    uint32
	Sealed       bool
	Cancelled    bool
	Finished     bool
	SubmittedAt  int64
	FinishedAt   int64
	State        *buildstate.State // nil until sealed
	Steps        []StepInfo
	Events       []Event
	AddKeys      map[string]int32 // BuildAddSteps keys applied → first step added
}

// Status is the build's status as shown to users.
func (b *Build) Status() string {
	switch {
	case !b.Sealed:
		return "submitting"
	case !b.Finished:
		if b.Cancelled {
			return "cancelling"
		}
		return "running"
	case b.Cancelled:
		return "cancelled"
	case b.State.Failures() > 0:
		return "failed"
	}
	return "succeeded"
}

// State is the whole replicated state. Readers get it through FSM.Read and
// must not modify or retain it.
type State struct {
	Builds  map[string]*Build
	Workers map[string]*Worker
	Servers map[string]string // coordinator ID → RPC address
	Applied uint64
}

func newState() *State {
	return &State{Builds: map[string]*Build{}, Workers: map[string]*Worker{}, Servers: map[string]string{}}
}

// SortedBuilds returns the builds in submission order.
func (s *State) SortedBuilds() []*Build {
	out := make([]*Build, 0, len(s.Builds))
	for _, b := range s.Builds {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// SortedWorkers returns the workers by ID.
func (s *State) SortedWorkers() []*Worker {
	out := make([]*Worker, 0, len(s.Workers))
	for _, w := range s.Workers {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SortedServers returns coordinator IDs in order.
func (s *State) SortedServers() []string {
	out := make([]string, 0, len(s.Servers))
	for id := range s.Servers {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

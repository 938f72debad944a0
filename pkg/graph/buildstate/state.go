// Package buildstate holds the rules of a build's progress: which steps are
// ready, and what a success, a failure or a lost attempt does to the rest.
//
// It is the one state machine that both drivers share. The local driver
// (pkg/exec's builder) and the cluster's Raft FSM (pkg/cluster) call the same
// methods in the same way, so a rule fixed here is fixed for both. State does
// no I/O, reads no clock and uses no randomness: given the same calls in the
// same order it reaches the same state on every replica.
//
// A step is one target to bring up to date. Whether its recipe actually needs
// to run (modification times, phony targets) is decided by whoever runs the
// step; State only records the outcome and whether the target changed, which
// is what the steps that depend on it need to know.
package buildstate

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
)

// StepID names a step within one build. IDs are dense, starting at 0, in the
// order steps were added.
type StepID int32

// Status is where a step is in its life.
type Status uint8

const (
	Waiting   Status = iota // some prerequisite has not finished
	Ready                   // every prerequisite finished; waiting for a slot
	Running                 // an attempt is under way
	Succeeded               // the step finished well (run or found up to date)
	Failed                  // the recipe failed: a build failure
	Skipped                 // not attempted because a prerequisite failed or the build stopped
	Poisoned                // lost too many times: an infrastructure failure that fails the build
)

var statusNames = [...]string{"waiting", "ready", "running", "succeeded", "failed", "skipped", "poisoned"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", s)
}

// Final reports whether a step in this status will never run again.
func (s Status) Final() bool { return s >= Succeeded }

// Spec describes a step when it is added.
type Spec struct {
	// Deps are the steps that must finish before this one may start: normal
	// and order-only prerequisites alike.
	Deps []StepID
	// Priority orders ready steps: lower runs first. Planning sets it to the
	// depth-first post-order index of the target, which is the order GNU make
	// runs steps in at -j1.
	Priority int64
}

// Options are the make flags that change how a build proceeds.
type Options struct {
	KeepGoing bool // -k: after a failure, go on with steps that do not depend on it
	MaxLosses int  // attempts lost to infrastructure before a step is poisoned; 0 means 3
}

// Errors returned for calls that do not fit the step's state. The cluster
// returns them to the caller as a rejection; they never change the state.
var (
	ErrStaleAttempt = errors.New("stale attempt")
	ErrNotReady     = errors.New("step is not ready")
	ErrUnknownStep  = errors.New("unknown step")
)

type step struct {
	Spec
	status     Status
	attempt    uint32 // number of the current (or last) attempt; 0 before the first
	losses     uint32 // attempts lost to infrastructure
	waitingOn  int32  // prerequisites not yet final
	changed    bool   // the target was remade by its last successful attempt
	failedDeps bool   // some prerequisite did not succeed
}

// State is the progress of one build. The zero value is not usable; call New.
// State is not safe for concurrent use: each driver serialises its calls
// (the local builder in its one loop, the cluster in FSM Apply).
type State struct {
	opts       Options
	steps      []step
	dependents [][]StepID
	ready      readyQueue
	compacted  int  // length of ready after the last CompactReady
	stopped    bool // a failure without -k: start nothing more
	running    int
	unfinished int
	failures   int
}

// New returns the state of a build with the given steps, none started.
func New(specs []Spec, opts Options) (*State, error) {
	if opts.MaxLosses <= 0 {
		opts.MaxLosses = 3
	}
	s := &State{opts: opts}
	if _, err := s.Add(specs); err != nil {
		return nil, err
	}
	return s, nil
}

// Add appends steps to a build that may already be running (a recursive make
// joining the build adds its steps this way). A spec's deps may name steps
// added earlier or in the same call, but not later ones. It returns the ID of
// the first added step; the others follow in order.
func (s *State) Add(specs []Spec) (StepID, error) {
	first := StepID(len(s.steps))
	limit := first + StepID(len(specs))
	for i, sp := range specs {
		for _, d := range sp.Deps {
			if d < 0 || d >= limit || d == first+StepID(i) {
				return 0, fmt.Errorf("step %d: bad dependency %d", int(first)+i, d)
			}
		}
	}
	for _, sp := range specs {
		s.steps = append(s.steps, step{Spec: Spec{Deps: append([]StepID(nil), sp.Deps...), Priority: sp.Priority}})
		s.dependents = append(s.dependents, nil)
	}
	for i := range specs {
		id := first + StepID(i)
		st := &s.steps[id]
		for _, d := range st.Deps {
			s.dependents[d] = append(s.dependents[d], id)
			dst := s.steps[d].status
			if !dst.Final() {
				st.waitingOn++
			} else if dst != Succeeded {
				st.failedDeps = true
			}
		}
		s.unfinished++
		s.settle(id)
	}
	return first, nil
}

// settle moves a waiting step whose prerequisites are all final to Ready, or
// to Skipped when one of them did not succeed.
func (s *State) settle(id StepID) {
	st := &s.steps[id]
	if st.status != Waiting || st.waitingOn > 0 {
		return
	}
	if st.failedDeps || s.stopped {
		s.finish(id, Skipped)
		return
	}
	st.status = Ready
	heap.Push(&s.ready, readyItem{id: id, priority: st.Priority})
}

// finish makes a step final and lets its dependents know.
func (s *State) finish(id StepID, status Status) {
	st := &s.steps[id]
	st.status = status
	s.unfinished--
	if status == Failed || status == Poisoned {
		s.failures++
		if !s.opts.KeepGoing {
			s.stop()
		}
	}
	for _, d := range s.dependents[id] {
		dst := &s.steps[d]
		dst.waitingOn--
		if status != Succeeded {
			dst.failedDeps = true
		}
		s.settle(d)
	}
}

// stop starts nothing more: every ready or waiting step is skipped. Running
// steps are left to finish, as make does ("Waiting for unfinished jobs").
func (s *State) stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	for s.ready.Len() > 0 {
		id := heap.Pop(&s.ready).(readyItem).id
		if s.steps[id].status == Ready {
			s.steps[id].status = Waiting // settle will skip it
			s.settle(id)
		}
	}
}

// Stop starts nothing more, as after an interrupt or a cancelled build.
func (s *State) Stop() { s.stop() }

// Next removes and returns the ready step that should start first, if any.
func (s *State) Next() (StepID, bool) {
	for s.ready.Len() > 0 {
		it := heap.Pop(&s.ready).(readyItem)
		if s.steps[it.id].status == Ready {
			return it.id, true
		}
	}
	return 0, false
}

// Requeue puts a step taken by Next back, untouched, for example when no
// worker could take it after all.
func (s *State) Requeue(id StepID) error {
	st, err := s.get(id)
	if err != nil {
		return err
	}
	if st.status != Ready {
		return ErrNotReady
	}
	heap.Push(&s.ready, readyItem{id: id, priority: st.Priority})
	return nil
}

// Start begins a new attempt of a ready step and returns its number. Every
// attempt gets a new number, so results of older attempts can be told apart.
func (s *State) Start(id StepID) (attempt uint32, err error) {
	st, err := s.get(id)
	if err != nil {
		return 0, err
	}
	if st.status != Ready {
		return 0, ErrNotReady
	}
	st.status = Running
	st.attempt++
	s.running++
	return st.attempt, nil
}

// Succeed records that an attempt finished well. changed says whether the
// target was remade (its dependents then count it as newer).
func (s *State) Succeed(id StepID, attempt uint32, changed bool) error {
	st, err := s.current(id, attempt)
	if err != nil {
		return err
	}
	st.changed = changed
	s.running--
	s.finish(id, Succeeded)
	return nil
}

// Fail records that an attempt's recipe failed. Without -k nothing more
// starts; with -k only the steps that depend on this one are skipped.
func (s *State) Fail(id StepID, attempt uint32) error {
	if _, err := s.current(id, attempt); err != nil {
		return err
	}
	s.running--
	s.finish(id, Failed)
	return nil
}

// Lose records that an attempt died with its worker, or was taken away from
// it. A loss (counted) puts the step back in the ready queue until it has been
// lost MaxLosses times; then the step is Poisoned and it returns true. A
// drain or an undelivered step is not a loss: pass counted=false.
func (s *State) Lose(id StepID, attempt uint32, counted bool) (poisoned bool, err error) {
	st, err := s.current(id, attempt)
	if err != nil {
		return false, err
	}
	s.running--
	if counted {
		st.losses++
		if int(st.losses) >= s.opts.MaxLosses {
			s.finish(id, Poisoned)
			return true, nil
		}
	}
	st.status = Waiting
	s.settle(id)
	return false, nil
}

func (s *State) get(id StepID) (*step, error) {
	if id < 0 || int(id) >= len(s.steps) {
		return nil, ErrUnknownStep
	}
	return &s.steps[id], nil
}

// current returns a running step if attempt is its current attempt.
func (s *State) current(id StepID, attempt uint32) (*step, error) {
	st, err := s.get(id)
	if err != nil {
		return nil, err
	}
	if st.status != Running || st.attempt != attempt {
		return nil, ErrStaleAttempt
	}
	return st, nil
}

// Status returns where a step is.
func (s *State) Status(id StepID) Status { return s.steps[id].status }

// Attempt returns the number of a step's current or last attempt.
func (s *State) Attempt(id StepID) uint32 { return s.steps[id].attempt }

// Losses returns how many of a step's attempts were lost to infrastructure.
func (s *State) Losses(id StepID) uint32 { return s.steps[id].losses }

// Changed reports whether a succeeded step remade its target.
func (s *State) Changed(id StepID) bool { return s.steps[id].changed }

// Deps returns a step's prerequisites. The slice must not be modified.
func (s *State) Deps(id StepID) []StepID { return s.steps[id].Deps }

// Len is the number of steps in the build.
func (s *State) Len() int { return len(s.steps) }

// Running is the number of attempts under way.
func (s *State) Running() int { return s.running }

// Done reports whether every step is final.
func (s *State) Done() bool { return s.unfinished == 0 }

// Failures is the number of steps that failed or were poisoned.
func (s *State) Failures() int { return s.failures }

// Stopped reports whether the build starts nothing more.
func (s *State) Stopped() bool { return s.stopped }

type readyItem struct {
	id       StepID
	priority int64
}

// readyQueue is a min-heap by priority, then by ID, so the order is total and
// the same on every replica.
type readyQueue []readyItem

func (q readyQueue) Len() int { return len(q) }
func (q readyQueue) Less(i, j int) bool {
	if q[i].priority != q[j].priority {
		return q[i].priority < q[j].priority
	}
	return q[i].id < q[j].id
}
func (q readyQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *readyQueue) Push(x any)   { *q = append(*q, x.(readyItem)) }
func (q *readyQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// ReadySteps returns the ready steps in the order Next would return them,
// without taking any. It does not change the state, so a scheduler can look
// at a build it does not own (the cluster leader reading its FSM) and start
// steps later with Start.
func (s *State) ReadySteps() []StepID {
	var out []StepID
	seen := make(map[StepID]bool, len(s.ready))
	for _, it := range s.ready {
		if s.steps[it.id].status == Ready && !seen[it.id] {
			seen[it.id] = true
			out = append(out, it.id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &s.steps[out[i]], &s.steps[out[j]]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return out[i] < out[j]
	})
	return out
}

// CompactReady drops ready-queue entries of steps that are no longer ready
// (started with Start rather than taken with Next, or requeued twice), once
// they could make up half the queue. A driver that starts steps with Start
// calls it after each batch, so the queue stays proportional to the ready
// steps. Which steps are ready, and their order, do not change.
func (s *State) CompactReady() {
	if len(s.ready) <= 2*s.compacted+256 {
		return
	}
	seen := make(map[StepID]bool, len(s.ready))
	kept := s.ready[:0]
	for _, it := range s.ready {
		if s.steps[it.id].status == Ready && !seen[it.id] {
			seen[it.id] = true
			kept = append(kept, it)
		}
	}
	for i := len(kept); i < len(s.ready); i++ {
		s.ready[i] = readyItem{}
	}
	s.ready = kept
	heap.Init(&s.ready)
	s.compacted = len(s.ready)
}

package buildstate

import "container/heap"

// Saved is a State in a plain form that encoders (msgpack, gob, JSON) can
// write, for Raft snapshots. Load(s.Save()) is a State that behaves exactly
// as s does.
type Saved struct {
	Options Options
	Steps   []SavedStep
	Stopped bool
}

// SavedStep is one step of a Saved state.
type SavedStep struct {
	Deps     []StepID
	Priority int64
	Status   Status
	Attempt  uint32
	Losses   uint32
	Changed  bool
}

// Save returns a copy of the state that shares nothing with it.
func (s *State) Save() *Saved {
	out := &Saved{Options: s.opts, Stopped: s.stopped, Steps: make([]SavedStep, len(s.steps))}
	for i, st := range s.steps {
		out.Steps[i] = SavedStep{
			Deps:     append([]StepID(nil), st.Deps...),
			Priority: st.Priority,
			Status:   st.status,
			Attempt:  st.attempt,
			Losses:   st.losses,
			Changed:  st.changed,
		}
	}
	return out
}

// Load rebuilds a State from Save's output. Derived fields (dependents, the
// ready queue, counters) are recomputed, so they cannot disagree.
func Load(sv *Saved) *State {
	s := &State{opts: sv.Options, stopped: sv.Stopped}
	s.steps = make([]step, len(sv.Steps))
	s.dependents = make([][]StepID, len(sv.Steps))
	for i, ss := range sv.Steps {
		s.steps[i] = step{
			Spec:    Spec{Deps: append([]StepID(nil), ss.Deps...), Priority: ss.Priority},
			status:  ss.Status,
			attempt: ss.Attempt,
			losses:  ss.Losses,
			changed: ss.Changed,
		}
	}
	for i := range s.steps {
		id := StepID(i)
		st := &s.steps[i]
		for _, d := range st.Deps {
			s.dependents[d] = append(s.dependents[d], id)
			switch ds := s.steps[d].status; {
			case !ds.Final():
				st.waitingOn++
			case ds != Succeeded:
				st.failedDeps = true
			}
		}
		switch st.status {
		case Ready:
			heap.Push(&s.ready, readyItem{id: id, priority: st.Priority})
		case Running:
			s.running++
		case Failed, Poisoned:
			s.failures++
		}
		if !st.status.Final() {
			s.unfinished++
		}
	}
	return s
}

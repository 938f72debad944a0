package fsm

import (
	"fmt"
	"strings"

	"github.com/dmake/dmake/pkg/graph/buildstate"
)

// applier applies one entry to the state. All the rules of the cluster's
// replicated state are here, serialised by FSM.Apply.
type applier struct {
	st    *State
	cfg   Config
	index uint64
}

func (a *applier) buildSubmit(c *BuildSubmit) *Result {
	if _, ok := a.st.Builds[c.ID]; ok {
		return &Result{}
	}
	a.st.Builds[c.ID] = &Build{ID: c.ID, Index: a.index, Options: c.Options, Dir: c.Dir,
		ProbePath: c.ProbePath, ProbeContent: c.ProbeContent, SubmittedAt: c.Stamp}
	return &Result{}
}

func (a *applier) buildChunk(c *BuildChunk) *Result {
	b, ok := a.st.Builds[c.ID]
	switch {
	case !ok:
		return &Result{Err: ErrUnknownBuild}
	case c.Chunk < b.NextChunk:
		return &Result{} // already applied: a resend
	case b.Sealed:
		return &Result{Err: ErrSealed}
	case c.Chunk > b.NextChunk:
		return &Result{Err: fmt.Errorf("%w: got %d, want %d", ErrChunkGap, c.Chunk, b.NextChunk)}
	}
	b.NextChunk++
	b.Payload = append(b.Payload, c.PayloadPart...)
	b.Specs = append(b.Specs, c.Steps...)
	return &Result{}
}

func (a *applier) buildSeal(c *BuildSeal) *Result {
	b, ok := a.st.Builds[c.ID]
	if !ok {
		return &Result{Err: ErrUnknownBuild}
	}
	if b.Sealed {
		return &Result{}
	}
	if c.Chunks != b.NextChunk || int(c.Steps) != len(b.Specs) || c.PayloadLen != uint64(len(b.Payload)) {
		return &Result{Err: fmt.Errorf("%w: have %d chunks, %d steps, %d payload bytes", ErrSealMismatch, b.NextChunk, len(b.Specs), len(b.Payload))}
	}
	specs := make([]buildstate.Spec, len(b.Specs))
	for i, sp := range b.Specs {
		deps := make([]buildstate.StepID, len(sp.Deps))
		for j, d := range sp.Deps {
			deps[j] = buildstate.StepID(d)
		}
		specs[i] = buildstate.Spec{Deps: deps, Priority: sp.Priority}
	}
	s, err := buildstate.New(specs, buildstate.Options{KeepGoing: b.Options.KeepGoing, MaxLosses: int(b.Options.MaxLosses)})
	if err != nil {
		return &Result{Err: err}
	}
	b.State, b.Sealed = s, true
	b.Steps = make([]StepInfo, len(specs))
	a.event(b, Event{Kind: EvSubmitted, Step: -1, Status: "running", Time: c.Stamp})
	a.maybeFinish(b, c.Stamp)
	return &Result{}
}

func (a *applier) buildAddSteps(c *BuildAddSteps) *Result {
	b, ok := a.st.Builds[c.ID]
	switch {
	case !ok:
		return &Result{Err: ErrUnknownBuild}
	case !b.Sealed:
		return &Result{Err: ErrNotSealed}
	}
	if first, ok := b.AddKeys[c.Key]; ok {
		return &Result{First: first}
	}
	if b.Finished {
		return &Result{Err: ErrBuildFinished}
	}
	first := int32(b.State.Len())
	specs := make([]buildstate.Spec, len(c.Steps))
	for i, sp := range c.Steps {
		deps := make([]buildstate.StepID, len(sp.Deps))
		for j, d := range sp.Deps {
			switch {
			case d >= 0 && d < first:
				deps[j] = buildstate.StepID(d)
			case d < 0 && -d-1 < int32(i):
				deps[j] = buildstate.StepID(first - d - 1)
			default:
				return &Result{Err: fmt.Errorf("%w: step %d of the request names %d", ErrBadDep, i, d)}
			}
		}
		specs[i] = buildstate.Spec{Deps: deps, Priority: sp.Priority}
	}
	if _, err := b.State.Add(specs); err != nil {
		panic(fmt.Sprintf("fsm: add checked steps to %s: %v", b.ID, err))
	}
	b.Specs = append(b.Specs, c.Steps...)
	b.Steps = append(b.Steps, make([]StepInfo, len(c.Steps))...)
	if b.AddKeys == nil {
		b.AddKeys = map[string]int32{}
	}
	b.AddKeys[c.Key] = first
	a.event(b, Event{Kind: EvStepsAdded, Step: first, ExitCode: int32(len(c.Steps)), Time: c.Stamp})
	a.maybeFinish(b, c.Stamp)
	return &Result{First: first}
}

func (a *applier) buildCancel(c *BuildCancel) *Result {
	b, ok := a.st.Builds[c.ID]
	if !ok {
		return &Result{Err: ErrUnknownBuild}
	}
	if b.Cancelled || b.Finished {
		return &Result{}
	}
	b.Cancelled = true
	a.event(b, Event{Kind: EvCancelled, Step: -1, Time: c.Stamp})
	if b.Sealed {
		a.skipAll(b, c.Stamp)
	}
	return &Result{}
}

// skipAll stops a build and reports the steps that became skipped.
func (a *applier) skipAll(b *Build, stamp int64) {
	b.State.Stop()
	a.maybeFinish(b, stamp)
}

func (a *applier) workerRegister(c *WorkerRegister) *Result {
	w, ok := a.st.Workers[c.ID]
	if !ok {
		w = &Worker{ID: c.ID}
		a.st.Workers[c.ID] = w
	}
	lost := int32(0)
	if ok && w.Status != StatusDown {
		lost = a.endSession(w, "worker "+w.ID+" registered again (it restarted)", true, c.Stamp)
	}
	w.Name, w.Slots, w.Labels = c.Name, c.Slots, c.Labels
	w.Session = a.index
	w.Running = 0
	w.Status = StatusReady
	if w.Drained {
		w.Status = StatusDraining
	}
	return &Result{Session: w.Session, Lost: lost}
}

func (a *applier) workerDown(c *WorkerDown) *Result {
	w, ok := a.st.Workers[c.ID]
	if !ok {
		return &Result{Err: ErrUnknownWorker}
	}
	if w.Session != c.Session || w.Status == StatusDown {
		return &Result{Err: ErrStaleSession}
	}
	lost := a.endSession(w, c.Reason, true, c.Stamp)
	w.Status = StatusDown
	return &Result{Lost: lost}
}

// endSession loses every attempt the worker's current session holds, once:
// callers end the session (new session number or status down) right after.
func (a *applier) endSession(w *Worker, reason string, counted bool, stamp int64) (lost int32) {
	for _, b := range a.st.SortedBuilds() {
		if !b.Sealed {
			continue
		}
		for i := range b.Steps {
			si := &b.Steps[i]
			id := buildstate.StepID(i)
			if b.State.Status(id) == buildstate.Running && si.Worker == w.ID && si.Session == w.Session {
				a.lose(b, id, reason, counted, stamp)
				lost++
			}
		}
	}
	w.Running = 0
	return lost
}

// lose takes the current attempt of a running step back.
func (a *applier) lose(b *Build, id buildstate.StepID, reason string, counted bool, stamp int64) {
	si := &b.Steps[id]
	attempt := b.State.Attempt(id)
	poisoned, err := b.State.Lose(id, attempt, counted)
	if err != nil {
		panic(fmt.Sprintf("fsm: lose running step %s/%d: %v", b.ID, id, err))
	}
	if w := a.st.Workers[si.Worker]; w != nil && w.Session == si.Session && w.Running > 0 {
		w.Running--
	}
	if counted {
		si.LostOn = append(si.LostOn, si.Worker)
		si.LostAt = stamp
	}
	a.event(b, Event{Kind: EvStepLost, Step: int32(id), Attempt: attempt, Worker: si.Worker, Message: reason, Status: b.State.Status(id).String(), Time: stamp})
	if poisoned {
		si.Message = fmt.Sprintf("step lost %d times, on workers %s; giving up", len(si.LostOn), strings.Join(si.LostOn, ", "))
		a.event(b, Event{Kind: EvStepFinished, Step: int32(id), Attempt: attempt, Worker: si.Worker, Status: "poisoned", Message: si.Message, ExitCode: -1, Time: stamp})
	}
	a.maybeFinish(b, stamp)
}

func (a *applier) workerDrain(c *WorkerDrain) *Result {
	w, ok := a.st.Workers[c.ID]
	if !ok {
		return &Result{Err: ErrUnknownWorker}
	}
	w.Drained, w.DrainDeadline = c.Enable, 0
	if c.Enable {
		w.DrainDeadline = c.Deadline
	}
	switch {
	case c.Enable && w.Status == StatusReady:
		w.Status = StatusDraining
	case !c.Enable && w.Status == StatusDraining:
		w.Status = StatusReady
	}
	return &Result{}
}

func (a *applier) assign(c *Assign) *Result {
	res := &Result{Items: make([]error, len(c.Items)), Attempts: make([]uint32, len(c.Items))}
	var touched []*Build
	for i, it := range c.Items {
		att, err := a.assignOne(&it, c.Stamp)
		res.Items[i], res.Attempts[i] = err, att
		if b := a.st.Builds[it.Build]; err == nil && (len(touched) == 0 || touched[len(touched)-1] != b) {
			touched = append(touched, b)
		}
	}
	// Steps are started with Start, not taken with Next: let buildstate
	// drop their stale queue entries.
	for _, b := range touched {
		b.State.CompactReady()
	}
	return res
}

func (a *applier) assignOne(it *AssignItem, stamp int64) (uint32, error) {
	b, ok := a.st.Builds[it.Build]
	if !ok {
		return 0, ErrUnknownBuild
	}
	if !b.Sealed {
		return 0, ErrNotSealed
	}
	if b.Cancelled || b.State.Stopped() {
		return 0, ErrBuildStopped
	}
	w, ok := a.st.Workers[it.Worker]
	switch {
	case !ok:
		return 0, ErrUnknownWorker
	case w.Session != it.Session:
		return 0, ErrStaleSession
	case w.Status != StatusReady:
		return 0, ErrNotEligible
	case w.Running >= w.Slots:
		return 0, ErrNoFreeSlot
	}
	id := buildstate.StepID(it.Step)
	if it.Step < 0 || int(it.Step) >= b.State.Len() {
		return 0, buildstate.ErrUnknownStep
	}
	att, err := b.State.Start(id)
	if err != nil {
		return 0, err
	}
	w.Running++
	b.Steps[id].Worker, b.Steps[id].Session = w.ID, w.Session
	b.Steps[id].OutputLen, b.Steps[id].Truncated = 0, false
	a.event(b, Event{Kind: EvStepStarted, Step: it.Step, Attempt: att, Worker: w.ID, Status: "running", Time: stamp})
	return att, nil
}

// current returns the build and step if (attempt, session) is the step's
// running attempt.
func (a *applier) current(build string, step int32, attempt uint32, session uint64) (*Build, buildstate.StepID, error) {
	b, ok := a.st.Builds[build]
	if !ok {
		return nil, 0, ErrUnknownBuild
	}
	if !b.Sealed || step < 0 || int(step) >= b.State.Len() {
		return nil, 0, buildstate.ErrUnknownStep
	}
	id := buildstate.StepID(step)
	if b.State.Status(id) != buildstate.Running || b.State.Attempt(id) != attempt || b.Steps[id].Session != session {
		return b, id, ErrStaleAttempt
	}
	return b, id, nil
}

func (a *applier) complete(c *Complete) *Result {
	res := &Result{Items: make([]error, len(c.Results))}
	for _, o := range c.Outputs {
		if b, id, err := a.current(o.Build, o.Step, o.Attempt, o.Session); err == nil {
			a.output(b, id, o.Offset, o.Data, c.Stamp)
		}
	}
	for i, r := range c.Results {
		res.Items[i] = a.result(&r, c.Stamp)
	}
	return res
}

func (a *applier) output(b *Build, id buildstate.StepID, offset uint64, data []byte, stamp int64) {
	si := &b.Steps[id]
	have := uint64(si.OutputLen)
	if si.Truncated || offset > have || offset+uint64(len(data)) <= have {
		return // after the limit, a gap (a resend will fill it), or a repeat
	}
	data = data[have-offset:]
	if room := a.cfg.OutputLimit - si.OutputLen; len(data) > room {
		data = append(append([]byte(nil), data[:room]...), "\n[dmake: output truncated]\n"...)
		si.Truncated = true
	}
	si.OutputLen += len(data)
	a.event(b, Event{Kind: EvOutput, Step: int32(id), Attempt: b.State.Attempt(id), Worker: si.Worker, Data: data, Time: stamp})
}

func (a *applier) result(r *ResultItem, stamp int64) error {
	b, id, err := a.current(r.Build, r.Step, r.Attempt, r.Session)
	if err == ErrStaleAttempt && a.duplicate(b, id, r) {
		return nil
	}
	if err != nil {
		return err
	}
	si := &b.Steps[id]
	si.ExitCode, si.Message = r.ExitCode, r.Message
	if r.Failed {
		err = b.State.Fail(id, r.Attempt)
	} else {
		err = b.State.Succeed(id, r.Attempt, r.Changed)
	}
	if err != nil {
		panic(fmt.Sprintf("fsm: finish current step %s/%d: %v", b.ID, id, err))
	}
	if w := a.st.Workers[si.Worker]; w != nil && w.Session == si.Session && w.Running > 0 {
		w.Running--
	}
	a.event(b, Event{Kind: EvStepFinished, Step: r.Step, Attempt: r.Attempt, Worker: si.Worker, Status: b.State.Status(id).String(), ExitCode: r.ExitCode, Message: r.Message, Time: stamp})
	a.maybeFinish(b, stamp)
	return nil
}

// duplicate reports whether r is a resend of the result already accepted
// for the step's last attempt.
func (a *applier) duplicate(b *Build, id buildstate.StepID, r *ResultItem) bool {
	st := b.State.Status(id)
	if st != buildstate.Succeeded && st != buildstate.Failed {
		return false
	}
	si := &b.Steps[id]
	return b.State.Attempt(id) == r.Attempt && si.Session == r.Session &&
		(st == buildstate.Failed) == r.Failed && si.ExitCode == r.ExitCode
}

func (a *applier) requeue(c *Requeue) *Result {
	res := &Result{Items: make([]error, len(c.Items))}
	for i, it := range c.Items {
		b, ok := a.st.Builds[it.Build]
		if !ok {
			res.Items[i] = ErrUnknownBuild
			continue
		}
		if !b.Sealed || it.Step < 0 || int(it.Step) >= b.State.Len() {
			res.Items[i] = buildstate.ErrUnknownStep
			continue
		}
		id := buildstate.StepID(it.Step)
		if b.State.Status(id) != buildstate.Running || b.State.Attempt(id) != it.Attempt {
			res.Items[i] = ErrStaleAttempt
			continue
		}
		a.lose(b, id, it.Reason, it.Counted, c.Stamp)
	}
	return res
}

func (a *applier) buildGC(c *BuildGC) *Result {
	b, ok := a.st.Builds[c.ID]
	if !ok {
		return &Result{}
	}
	if !b.Finished {
		return &Result{Err: ErrBuildNotFinished}
	}
	delete(a.st.Builds, c.ID)
	return &Result{}
}

// maybeFinish records the end of a build once every step is final.
func (a *applier) maybeFinish(b *Build, stamp int64) {
	if b.Finished || !b.Sealed || !b.State.Done() {
		return
	}
	b.Finished, b.FinishedAt = true, stamp
	a.event(b, Event{Kind: EvBuildFinished, Step: -1, Status: b.Status(), Time: stamp})
}

func (a *applier) event(b *Build, e Event) {
	e.Seq = uint64(len(b.Events)) + 1
	b.Events = append(b.Events, e)
}

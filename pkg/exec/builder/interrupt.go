package builder

import (
	"fmt"
	"os"
	"sort"

	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/graph/buildstate"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// interruptState tracks the running jobs, so that an interrupt can delete
// their targets at once, as GNU make does before it waits for the
// children to die.
type interruptState struct {
	live    map[buildstate.StepID]jobDone
	seq     map[buildstate.StepID]int // start order
	n       int
	handled bool
}

func (b *Builder) trackLive(d jobDone) {
	if b.intr.live == nil {
		b.intr.live = make(map[buildstate.StepID]jobDone)
		b.intr.seq = make(map[buildstate.StepID]int)
	}
	b.intr.n++
	b.intr.live[d.id], b.intr.seq[d.id] = d, b.intr.n
}

func (b *Builder) untrackLive(id buildstate.StepID) {
	delete(b.intr.live, id)
	delete(b.intr.seq, id)
}

// interrupted is the build context's Done channel until the interrupt has
// been handled, then nil (a case that never fires).
func (b *Builder) interrupted() <-chan struct{} {
	if b.intr.handled || b.ctx == nil {
		return nil
	}
	return b.ctx.Done()
}

// deleteRunningTargets deletes the targets of the running jobs, the most
// recently started first, with GNU make's "Deleting file" notes; each
// job's interrupt message follows when it ends.
func (b *Builder) deleteRunningTargets() {
	b.intr.handled = true
	ids := make([]buildstate.StepID, 0, len(b.intr.live))
	for id := range b.intr.live {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return b.intr.seq[ids[i]] > b.intr.seq[ids[j]] })
	for _, id := range ids {
		b.deleteTarget(b.g.Steps[id], b.intr.live[id])
	}
}

// interruptedMessage prints GNU make's note for a line that failed after
// make forwarded a signal: "make: *** [Makefile:2: x] Interrupt", or
// "Error 130" for a shell that trapped the signal and exited.
func (b *Builder) interruptedMessage(s *plan.Step, d jobDone) {
	if d.job == nil || d.res.Exit.Success() || d.res.Line < 0 || d.res.Line >= len(d.job.Lines) {
		return
	}
	fmt.Fprint(b.opt.Stderr, xexec.FailureMessage(b.opt.Program, &d.job.Lines[d.res.Line], s.Name, d.res.Exit, false))
}

// deleteIntermediatesInterrupted removes the intermediate files this build
// made before it was interrupted, each with GNU make's note ("make: ***
// Deleting intermediate file 'x.c'") instead of the "rm" line of a
// finished build.
func (b *Builder) deleteIntermediatesInterrupted() {
	for _, id := range b.g.Intermediates {
		s := b.g.Steps[id]
		if !b.ran[id] || s.Precious || b.g.PreciousTargets[s.Name] {
			continue
		}
		if _, err := os.Stat(b.path(s.Path)); err != nil {
			continue
		}
		fmt.Fprintf(b.opt.Stderr, "%s: *** Deleting intermediate file '%s'\n", b.opt.Program, s.Path)
		os.Remove(b.path(s.Path))
	}
}

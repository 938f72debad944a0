package builder

import (
	"fmt"
	"os"

	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/graph/plan"
)

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

package builder

import (
	"fmt"
	"strings"

	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// This file holds --trace and --debug=basic: GNU make 4.3's lines, written
// to standard output at the points where GNU make writes them.
//
// GNU make considers a target before its prerequisites ("File 'all' does
// not exist.") and decides after them ("Must remake target 'all'."). The
// builder sees a step only once its prerequisites are done, so the
// "considered" lines of a step and of the ancestors that needed it are
// printed, top down, when the first step below them starts: at -j1 that is
// GNU make's order.

// debugDecide prints the --debug=basic lines for a step that has just
// been decided: the considered lines not printed yet, the prerequisites
// newer than the target, and "Must remake target".
func (b *Builder) debugDecide(s *plan.Step, dec Decision) {
	if !b.opt.DebugBasic {
		return
	}
	b.considerChain(s)
	d := b.depth(s)
	if s.Recipe == nil {
		if !dec.NoRule && !dec.Exists && (s.IsTarget || s.Phony) {
			b.debugf(2*d, "Must remake target '%s'.\n", s.Name)
			b.debugf(2*d, "Successfully remade target file '%s'.\n", s.Name)
		}
		return
	}
	if !dec.Must {
		return
	}
	if dec.Exists && !s.Phony {
		for _, id := range s.Deps {
			ds := b.g.Steps[id]
			if m, e := b.depState(id); e && !ds.Phony && m.After(dec.Mtime) {
				b.debugf(2*d+1, "Prerequisite '%s' is newer than target '%s'.\n", ds.Name, s.Name)
			}
		}
	}
	b.debugf(2*d, "Must remake target '%s'.\n", s.Name)
}

// debugDone prints "Successfully remade target file" once a step's recipe
// succeeded.
func (b *Builder) debugDone(s *plan.Step) {
	if b.opt.DebugBasic {
		b.debugf(2*b.depth(s), "Successfully remade target file '%s'.\n", s.Name)
	}
}

// considerChain prints, top down, the "does not exist" lines of s and of
// the steps that needed it that were not considered yet.
func (b *Builder) considerChain(s *plan.Step) {
	if b.considered == nil {
		b.considered = make([]bool, len(b.g.Steps))
	}
	var chain []*plan.Step
	for x := s; x != nil && !b.considered[x.ID]; {
		b.considered[x.ID] = true
		chain = append(chain, x)
		if x.Parent < 0 {
			break
		}
		x = b.g.Steps[x.Parent]
	}
	for i := len(chain) - 1; i >= 0; i-- {
		x := chain[i]
		if _, exists := b.stat(x); !exists && (x.IsTarget || x.Phony || x.Recipe != nil) {
			b.debugf(2*b.depth(x)+1, "File '%s' does not exist.\n", x.Name)
		}
	}
}

// depth is how far a step is below the goal that first needed it.
func (b *Builder) depth(s *plan.Step) int {
	d := 0
	for s.Parent >= 0 && d < len(b.g.Steps) {
		s = b.g.Steps[s.Parent]
		d++
	}
	return d
}

func (b *Builder) debugf(indent int, format string, args ...any) {
	fmt.Fprintf(b.opt.Stdout, strings.Repeat(" ", indent)+format, args...)
}

// traceJob prints the --trace line of a recipe about to run and makes
// every line echo, as GNU make does under --trace:
// "Makefile:4: update target 'a' due to: c", or for a target with no
// newer prerequisite "Makefile:6: target 'b' does not exist".
func (b *Builder) traceJob(s *plan.Step, newer []string, job *xexec.Job) {
	if !b.opt.Trace || job == nil || job.Mode == xexec.OnlyAlways {
		return
	}
	pos := ""
	if len(job.Lines) > 0 && job.Lines[0].Pos != "" {
		pos = job.Lines[0].Pos + ": "
	}
	if len(newer) > 0 {
		fmt.Fprintf(b.opt.Stdout, "%supdate target '%s' due to: %s\n", pos, s.Name, strings.Join(newer, " "))
	} else {
		fmt.Fprintf(b.opt.Stdout, "%starget '%s' does not exist\n", pos, s.Name)
	}
	for i := range job.Lines {
		job.Lines[i].Silent = false
	}
}

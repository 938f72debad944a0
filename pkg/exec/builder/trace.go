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
	if b.doubleColonParent(s) {
		return // GNU make shows each double-colon rule as the target
	}
	b.considerChain(s)
	fileIn, mustIn := b.indents(s)
	if s.Recipe == nil {
		if !dec.NoRule && !dec.Exists && (s.IsTarget || s.Phony) {
			b.debugf(mustIn, "Must remake target '%s'.\n", s.Name)
			b.debugf(mustIn, "Successfully remade target file '%s'.\n", s.Name)
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
				b.debugf(fileIn, "Prerequisite '%s' is newer than target '%s'.\n", ds.Name, s.Name)
			}
		}
	}
	if s.Double && len(s.Deps) == 0 {
		b.debugf(mustIn, "Target '%s' is double-colon and has no prerequisites.\n", s.Name)
	}
	b.debugf(mustIn, "Must remake target '%s'.\n", s.Name)
}

// indents are the indentations of a step's "File ..." and "Must remake"
// lines: 2d+1 and 2d at depth d; an intermediate file of an implicit
// chain is shown one step to the left of that.
func (b *Builder) indents(s *plan.Step) (file, must int) {
	d := b.depth(s)
	if s.Intermediate && d > 0 {
		return 2 * d, 2*d - 1
	}
	return 2*d + 1, 2 * d
}

// doubleColonParent reports the step that only gathers a double-colon
// target's rules.
func (b *Builder) doubleColonParent(s *plan.Step) bool {
	if s.Double || s.Recipe != nil || len(s.Deps) == 0 {
		return false
	}
	for _, id := range s.Deps {
		if d := b.g.Steps[id]; !d.Double || d.Name != s.Name {
			return false
		}
	}
	return true
}

// debugDone prints "Successfully remade target file" once a step's recipe
// succeeded.
func (b *Builder) debugDone(s *plan.Step) {
	if b.opt.DebugBasic {
		_, must := b.indents(s)
		b.debugf(must, "Successfully remade target file '%s'.\n", s.Name)
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
		if b.doubleColonParent(x) {
			continue
		}
		if _, exists := b.stat(x); !exists && (x.IsTarget || x.Phony || x.Recipe != nil) {
			file, _ := b.indents(x)
			b.debugf(file, "File '%s' does not exist.\n", x.Name)
		}
	}
}

// depth is how far a step is below the goal that first needed it.
func (b *Builder) depth(s *plan.Step) int {
	d := 0
	for n := 0; s.Parent >= 0 && n < len(b.g.Steps); n++ {
		p := b.g.Steps[s.Parent]
		if !(s.Double && p.Name == s.Name) {
			d++ // a double-colon rule stands at its target's depth
		}
		s = p
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
	// job.Stdout: under -O the line is part of the target's output.
	if len(newer) > 0 {
		fmt.Fprintf(job.Stdout, "%supdate target '%s' due to: %s\n", pos, s.Name, strings.Join(newer, " "))
	} else {
		fmt.Fprintf(job.Stdout, "%starget '%s' does not exist\n", pos, s.Name)
	}
	for i := range job.Lines {
		job.Lines[i].Silent = false
	}
}

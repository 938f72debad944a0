package builder

import (
	"fmt"
	"os"
	"strings"
	"time"

	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/graph/buildstate"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// farFuture stands for the time of a target remade under -n: newer than
// anything, so what depends on it is shown as remade too.
var farFuture = time.Unix(1<<40, 0)

// splitCommands splits an expanded recipe line at newlines that are not
// escaped by a backslash.
func splitCommands(s string) []string {
	if strings.IndexByte(s, '\n') < 0 {
		return []string{s}
	}
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			continue
		}
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// stripPrefixAfterNewline removes the recipe prefix that opens each
// continuation line of a recipe line.
func stripPrefixAfterNewline(s string, prefix byte) string {
	if !strings.Contains(s, "\\\n") {
		return s
	}
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		out.WriteByte(s[i])
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\n' {
			out.WriteByte('\n')
			i++
			if i+1 < len(s) && s[i+1] == prefix {
				i++
			}
		}
	}
	return out.String()
}

// joinRefContinuations collapses backslash-newlines inside variable and
// function references (with the blanks around them) into one space, so
// functions never see them; those outside references stay for the shell.
func joinRefContinuations(s string) string {
	if !strings.Contains(s, "\\\n") || !strings.Contains(s, "$") {
		return s
	}
	var out []byte
	i := 0
	for i < len(s) {
		c := s[i]
		if c != '$' || i+1 >= len(s) || (s[i+1] != '(' && s[i+1] != '{') {
			out = append(out, c)
			i++
			continue
		}
		open := s[i+1]
		closer := byte(')')
		if open == '{' {
			closer = '}'
		}
		out = append(out, '$', open)
		i += 2
		start := len(out)
		count := 0
		for i < len(s) {
			if s[i] == closer {
				count--
				if count < 0 {
					break
				}
			}
			if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\n' {
				quoted := false
				for j := len(out) - 1; j >= start && out[j] == '\\'; j-- {
					quoted = !quoted
				}
				if quoted {
					out = append(out, s[i])
					i++
					continue
				}
				i += 2
				for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
					i++
				}
				for len(out) > start && (out[len(out)-1] == ' ' || out[len(out)-1] == '\t') {
					out = out[:len(out)-1]
				}
				out = append(out, ' ')
				continue
			}
			if s[i] == open {
				count++
			}
			out = append(out, s[i])
			i++
		}
	}
	return string(out)
}

// launch runs a step's recipe in a goroutine (or touches the target for
// -t). onlyAlways runs just the recursive lines (-q).
func (b *Builder) launch(id buildstate.StepID, attempt uint32, s *plan.Step, newer []string, mtime time.Time, exists, onlyAlways bool) {
	if b.opt.Touch && !onlyAlways {
		lines, err := b.expandRecipe(s, newer)
		if err != nil {
			b.setFatal(err)
			b.st.Fail(id, attempt)
			b.st.Stop()
			return
		}
		if anyAlways(lines) {
			// GNU make runs a recursive recipe's $(MAKE) and + lines
			// under -t instead of touching the target.
			b.launch(id, attempt, s, newer, mtime, exists, true)
			return
		}
		b.touch(s)
		m, e := b.stat(s)
		if b.opt.DryRun {
			m, e = farFuture, true
		}
		b.settle(id, m, e)
		b.ran[id] = true
		b.st.Succeed(id, attempt, true)
		return
	}
	mode := xexec.Normal
	switch {
	case onlyAlways || b.opt.Question: // -q wins over -n
		mode = xexec.OnlyAlways
	case b.opt.DryRun:
		mode = xexec.DryRun
	}
	job, err := b.Job(s, newer, mode)
	if err != nil {
		b.setFatal(err)
		b.st.Fail(id, attempt)
		b.st.Stop()
		return
	}
	if b.opt.Question && job != nil && !allAlways(job.Lines) {
		// A recipe of '+' lines only is run under -q and, if it
		// succeeds, leaves the target counted as up to date; one that
		// expands to nothing has nothing to run.
		b.questionN = true
	}
	if job == nil {
		b.settle(id, mtime, exists)
		if mode == xexec.DryRun {
			b.settle(id, farFuture, true)
		}
		b.st.Succeed(id, attempt, !exists)
		return
	}
	job.FailureNote = b.opt.FailureNotes[s.Name]
	job.Question = b.opt.Question
	job.QuietFailure = b.opt.QuietFail[s.Name]
	buf, errBuf := b.startSync(job, mode)
	b.traceJob(s, newer, job)
	ranAny := mode != xexec.OnlyAlways
	if !ranAny {
		for _, l := range job.Lines {
			if l.Always {
				ranAny = true
			}
		}
	}
	d := jobDone{id: id, attempt: attempt, before: mtime, existed: exists, out: buf, errOut: errBuf, ranAny: ranAny}
	if b.opt.Touch {
		d.touches = touchesAfter(job.Lines)
	}
	if b.opt.Jobserver != nil {
		b.waiting = &pendingJob{d: d, job: job}
		return
	}
	b.run(d, job, nil)
}

// run starts a job; release, if set, gives its job slot back when it ends.
func (b *Builder) run(d jobDone, job *xexec.Job, release func()) {
	b.running++
	d.job = job
	b.trackLive(d)
	go func() {
		d.res = xexec.Run(b.ctx, job)
		if release != nil {
			release()
		}
		b.done <- d
	}()
}

func (b *Builder) touch(s *plan.Step) {
	if !b.opt.Silent && !s.Silent && !b.g.SilentAll {
		fmt.Fprintf(b.opt.Stdout, "touch %s\n", s.Path)
	}
	if b.opt.DryRun {
		return // -t -n: shown, not done
	}
	p := b.path(s.Path)
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil {
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666); err == nil {
			f.Close()
		}
	}
}

// finish applies a finished job's result to the build state.
func (b *Builder) finish(d jobDone) {
	b.running--
	b.untrackLive(d.id)
	s := b.g.Steps[d.id]
	b.endSync(d.out, d.errOut)
	if d.ranAny {
		b.ran[d.id] = true
	}
	switch d.res.Status {
	case xexec.Succeeded:
		if b.opt.DryRun {
			b.settle(d.id, farFuture, true)
		} else {
			m, e := b.stat(s)
			b.settle(d.id, m, e)
		}
		for i := 0; i < d.touches; i++ {
			b.touch(s)
		}
		b.debugDone(s)
		b.st.Succeed(d.id, d.attempt, true)
	case xexec.Failed:
		if b.opt.Question && d.res.Exit.Code == 1 && d.res.Exit.Signal == 0 {
			// A sub-make under -q said "out of date": make stops and
			// answers the same, without an error.
			b.questionN = true
			b.st.Succeed(d.id, d.attempt, true)
			b.st.Stop()
			return
		}
		b.failed(s, d)
	case xexec.Interrupted:
		b.deleteTarget(s, d)
		b.interruptedMessage(s, d)
		b.st.Fail(d.id, d.attempt)
		b.st.Stop()
	default:
		b.failed(s, d)
	}
}

// failed applies a failed job's result.
func (b *Builder) failed(s *plan.Step, d jobDone) {
	if d.res.Status == xexec.StartFailed {
		fmt.Fprintf(b.opt.Stderr, "%s: %v\n", b.opt.Program, d.res.Err)
		var line xexec.Line
		if d.job != nil && d.res.Line >= 0 && d.res.Line < len(d.job.Lines) {
			line = d.job.Lines[d.res.Line]
		}
		fmt.Fprint(b.opt.Stderr, xexec.FailureMessage(b.opt.Program, &line, s.Name, xexec.ExitStatus{Code: 127}, false))
	}
	if b.g.DeleteOnError {
		b.deleteTarget(s, d)
	}
	if !b.opt.QuietFail[s.Name] {
		b.loudFailures++
	}
	b.st.Fail(d.id, d.attempt)
	if !b.opt.KeepGoing {
		b.waitNote()
	}
}

// touchesAfter is how many times GNU make -t says "touch" for a recipe
// whose recursive lines ran: never if every line is recursive, else once,
// and once more if the last line is not recursive.
func touchesAfter(lines []xexec.Line) int {
	n := 0
	for _, l := range lines {
		if !l.Always {
			n = 1
		}
	}
	if n > 0 && !lines[len(lines)-1].Always {
		n++
	}
	return n
}

// allAlways reports whether every line of a recipe runs under -q.
func allAlways(lines []xexec.Line) bool {
	for _, l := range lines {
		if !l.Always {
			return false
		}
	}
	return true
}

// anyAlways reports whether a recipe has a line that runs under -n, -t
// and -q: a $(MAKE) or '+' line.
func anyAlways(lines []xexec.Line) bool {
	for _, l := range lines {
		if l.Always {
			return true
		}
	}
	return false
}

func copyTo(w interface{ Write([]byte) (int, error) }, f *os.File) {
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			w.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// deleteTarget removes a target its interrupted or failed recipe may have
// half written, unless it is precious or phony, and only if the recipe
// changed it.
func (b *Builder) deleteTarget(s *plan.Step, d jobDone) {
	if s.Phony || s.Precious || b.opt.DryRun {
		return
	}
	if b.g.PreciousTargets != nil && b.g.PreciousTargets[s.Name] {
		return
	}
	if _, _, member := plan.ArchiveMember(s.Path); member {
		fmt.Fprintf(b.opt.Stderr, "%s: *** Archive member '%s' may be bogus; not deleted\n", b.opt.Program, s.Path)
		return
	}
	p := b.path(s.Path)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return
	}
	if d.existed && st.ModTime().Equal(d.before) {
		return
	}
	fmt.Fprintf(b.opt.Stderr, "%s: *** Deleting file '%s'\n", b.opt.Program, s.Path)
	os.Remove(p)
}

// reportGoals prints, for each goal that has finished, GNU make's note
// when nothing was done for it, in goal order.
func (b *Builder) reportGoals() {
	for b.goalIdx < len(b.g.Goals) {
		gid := b.g.Goals[b.goalIdx]
		st := b.st.Status(buildstate.StepID(gid))
		if !st.Final() {
			return
		}
		lo := int64(0)
		if b.goalIdx > 0 {
			lo = b.g.Steps[b.g.Goals[b.goalIdx-1]].Priority
		}
		g := b.g.Steps[gid]
		b.goalIdx++
		switch st {
		case buildstate.Succeeded:
			if b.opt.Question || b.opt.Silent || b.opt.NoGoalNotes || b.anyRan(lo, g.Priority) {
				continue
			}
			if g.Phony || !hasRecipe(g) || b.alsoMade[gid] {
				fmt.Fprintf(b.opt.Stdout, "%s: Nothing to be done for '%s'.\n", b.opt.Program, g.Name)
			} else {
				fmt.Fprintf(b.opt.Stdout, "%s: '%s' is up to date.\n", b.opt.Program, g.Name)
			}
		case buildstate.Skipped:
			if b.opt.KeepGoing && !b.opt.DryRun && !b.opt.Question && b.fatal == nil && b.ctx.Err() == nil && b.firstRuleSkipped(g) {
				fmt.Fprintf(b.opt.Stderr, "%s: Target '%s' not remade because of errors.\n", b.opt.Program, g.Name)
			}
		}
	}
}

// firstRuleSkipped reports, for a double-colon goal, whether its first
// rule was skipped for a failed prerequisite: GNU make says the goal was
// not remade only then (a failed recipe says enough). Other goals: true.
func (b *Builder) firstRuleSkipped(g *plan.Step) bool {
	if g.File == nil || !g.File.Double || g.Recipe != nil || len(g.Deps) == 0 || !b.g.Steps[g.Deps[0]].Double {
		return true
	}
	return b.st.Status(buildstate.StepID(g.Deps[0])) == buildstate.Skipped
}

// hasRecipe reports whether a goal has a recipe: its own, or one of its
// double-colon rules'.
func hasRecipe(s *plan.Step) bool {
	if s.Recipe != nil {
		return true
	}
	if s.File != nil && s.File.Double {
		for _, r := range s.File.Doubles {
			if r.Recipe != nil {
				return true
			}
		}
	}
	return false
}

func (b *Builder) anyRan(lo, hi int64) bool {
	for i, s := range b.g.Steps {
		if b.ran[i] && s.Priority > lo && s.Priority <= hi {
			return true
		}
	}
	return false
}

// deleteIntermediates removes intermediate files this build made, as GNU
// make does at the end ("rm a.o b.o").
func (b *Builder) deleteIntermediates() {
	var names []string
	for _, id := range b.g.Intermediates {
		s := b.g.Steps[id]
		if !b.ran[id] || s.Precious || b.g.PreciousTargets[s.Name] {
			continue
		}
		if _, err := os.Stat(b.path(s.Path)); err != nil && !b.opt.DryRun {
			continue
		}
		names = append(names, s.Path)
	}
	if len(names) == 0 {
		return
	}
	if b.opt.DebugBasic {
		fmt.Fprintf(b.opt.Stdout, "Removing intermediate files...\n")
	}
	if !b.opt.Silent {
		fmt.Fprintf(b.opt.Stdout, "rm %s\n", strings.Join(names, " "))
	}
	if b.opt.DryRun {
		return // -n shows the rm line only
	}
	for _, n := range names {
		os.Remove(b.path(n))
	}
}

package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	xexec "github.com/dmake/dmake/pkg/exec"
	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/plan"
	"github.com/dmake/dmake/pkg/graph/syntax"
)

// Stepper is what running one ready step means, the same wherever the step
// runs: deciding from modification times whether the recipe must run, and
// expanding the recipe into a job for pkg/exec. The local Builder uses it
// for every step; a cluster worker uses it for the steps it is given, with
// a graph and evaluator rebuilt from what the client sent.
type Stepper struct {
	g   *plan.Graph
	ev  *eval.Evaluator
	opt Options
	env *envCache

	skewMu sync.Mutex
	skewed map[string]bool // files found with a time in the future
}

// NewStepper returns a Stepper for a planned graph.
func NewStepper(g *plan.Graph, ev *eval.Evaluator, opt Options) *Stepper {
	opt = withDefaults(opt)
	return &Stepper{g: g, ev: ev, opt: opt, env: newEnvCache(ev, opt.Env, g.ExportAll)}
}

// DepState reports a prerequisite step's file once the step is final: its
// modification time and whether it exists.
type DepState func(id int) (time.Time, bool)

// StatDeps is a DepState that looks at the file system, for a worker that
// did not see the prerequisites being made.
func (x *Stepper) StatDeps(id int) (time.Time, bool) { return x.stat(x.g.Steps[id]) }

// Decision is what a ready step needs.
type Decision struct {
	Must   bool     // the recipe must run
	Newer  []string // prerequisites newer than the target ($?)
	NoRule bool     // a missing file that no rule makes: an error
	Mtime  time.Time
	Exists bool
}

// Decide looks at a ready step's target and prerequisites.
func (x *Stepper) Decide(s *plan.Step, dep DepState) Decision {
	if x.opt.NewFiles[s.Name] {
		// -W: the file counts as just changed and is not remade.
		return Decision{Mtime: farFuture, Exists: true}
	}
	mtime, exists := x.stat(s)
	if exists {
		x.checkSkew(s.Path, mtime)
	}
	d := Decision{Mtime: mtime, Exists: exists}
	if s.Recipe == nil {
		d.NoRule = !exists && !s.IsTarget && !s.Phony
		return d
	}
	if exists && x.g.LowResolution[s.Name] && mtime.Nanosecond() != 0 {
		fmt.Fprintf(x.opt.Stderr, "%s: *** Warning: .LOW_RESOLUTION_TIME file '%s' has a high resolution time stamp\n", x.opt.Program, s.Path)
	}
	d.Newer, d.Must = x.outOfDate(s, mtime, exists, dep)
	return d
}

// NoRuleMessage is GNU make's error for a missing file without a rule,
// without the program prefix and the trailing "  Stop.".
func (x *Stepper) NoRuleMessage(s *plan.Step) string {
	msg := "No rule to make target '" + s.Name + "'"
	if s.Parent >= 0 {
		msg += ", needed by '" + x.g.Steps[s.Parent].Name + "'"
	}
	return msg
}

// Job expands a step's recipe into a job for pkg/exec, writing to the
// Options' Stdout and Stderr. It is nil when the recipe expands to no
// command.
func (x *Stepper) Job(s *plan.Step, newer []string, mode xexec.Mode) (*xexec.Job, error) {
	lines, err := x.expandRecipe(s, newer)
	if err != nil || len(lines) == 0 {
		return nil, err
	}
	return &xexec.Job{
		Target:       s.Name,
		Dir:          x.opt.Dir,
		Env:          x.env.forStep(s),
		Shell:        x.shell(s),
		ShellFlags:   x.shellFlags(s),
		Lines:        lines,
		OneShell:     x.g.OneShell,
		Mode:         mode,
		QuietIgnored: x.opt.Silent || x.g.SilentAll,
		Stdin:        os.Stdin,
		Stdout:       x.opt.Stdout,
		Stderr:       x.opt.Stderr,
		ExtraFiles:   x.opt.ExtraFiles,
		Program:      x.opt.Program,
	}, nil
}

// automatics returns the automatic variables of a step.
func (x *Stepper) automatics(s *plan.Step, newer []string) *eval.VarSet {
	set := eval.NewVarSet()
	def := func(n, v string) { set.Define(n, v, eval.Simple, eval.OriginAutomatic, syntax.Pos{}) }
	var all, plus, order []string
	for _, d := range s.Deps[:len(s.Deps)-s.Extra] {
		plus = append(plus, autoName(x.g.Steps[d]))
	}
	all = dedupStrings(append([]string(nil), plus...))
	normal := make(map[int]bool, len(s.Deps))
	for _, d := range s.Deps[:len(s.Deps)-s.Extra] {
		normal[d] = true
	}
	for _, d := range s.Order {
		if !normal[d] { // a prerequisite also named normally is normal
			order = append(order, autoName(x.g.Steps[d]))
		}
	}
	def("@", s.Path)
	if s.Recipe != nil && s.Recipe == x.g.DefaultRecipe && s.Name != ".DEFAULT" {
		def("<", s.Name) // GNU make's .DEFAULT sees the target as $<
	} else if len(plus) > 0 {
		def("<", plus[0])
	} else {
		def("<", "")
	}
	def("^", strings.Join(all, " "))
	def("+", strings.Join(plus, " "))
	def("|", strings.Join(dedupStrings(order), " "))
	def("?", strings.Join(newer, " "))
	def("*", x.stem(s))
	def("%", "")
	if arch, member, ok := plan.ArchiveMember(s.Path); ok {
		def("@", arch) // an archive member: $@ is the archive, $% the member
		def("%", member)
	}
	return set
}

// autoName is how a prerequisite appears in automatic variables: where
// it was found, or for an archive member the member alone.
func autoName(s *plan.Step) string {
	if _, member, ok := plan.ArchiveMember(s.Path); ok {
		return member
	}
	return s.Path
}

// stem is $*: the pattern stem, or for an explicit rule the target name
// (an archive member's name) less a known suffix.
func (x *Stepper) stem(s *plan.Step) string {
	if s.Stem != "" {
		return s.Stem
	}
	name := s.Name
	if _, member, ok := plan.ArchiveMember(name); ok {
		name = member
	}
	if sf := x.ev.DB.Lookup(".SUFFIXES"); sf != nil {
		for _, d := range sf.Deps {
			if strings.HasSuffix(name, d.Name) && len(name) > len(d.Name) {
				return strings.TrimSuffix(name, d.Name)
			}
		}
	}
	return ""
}

// expandRecipe expands a step's recipe into runnable lines, as GNU make's
// new_job and start_job_command: references spanning backslash-newlines
// are joined first, each logical line may expand to several (a define),
// and each gets its own @-+ prefixes on top of the line's.
func (x *Stepper) expandRecipe(s *plan.Step, newer []string) ([]xexec.Line, error) {
	scope := eval.NewScope(x.automatics(s, newer), s.Scope, false)
	var lines []xexec.Line
	prefix := s.Recipe.Prefix
	if prefix == 0 {
		prefix = '\t'
	}
	x.ev.InRecipe = true
	defer func() { x.ev.InRecipe = false }()
	for i, rl := range s.Recipe.Lines {
		raw := joinRefContinuations(rl.Text)
		text, err := x.ev.ExpandIn(scope, rl.Pos, raw)
		if err != nil {
			return nil, err
		}
		recursive := strings.Contains(rl.Text, "$(MAKE)") || strings.Contains(rl.Text, "${MAKE}")
		pos := rl.Pos.String()
		if rp := s.Recipe.Pos; !rp.IsZero() {
			// GNU make numbers a recipe's lines from its first line by
			// logical line, skipping blank and comment lines.
			rp.Line += i
			pos = rp.String()
		}
		if x.g.OneShell {
			lines = append(lines, x.oneShellLine(s, text, i == 0, recursive, pos))
			continue
		}
		_, lsilent, lignore, lalways := xexec.SplitPrefix(rl.Text)
		for _, part := range splitCommands(text) {
			part = stripPrefixAfterNewline(part, prefix)
			t, silent, ignore, always := xexec.SplitPrefix(part)
			if strings.TrimSpace(t) == "" {
				continue
			}
			lines = append(lines, xexec.Line{
				Text:        t,
				Silent:      silent || lsilent || s.Silent || x.g.SilentAll || x.opt.Silent,
				IgnoreError: ignore || lignore || s.Ignore || x.g.IgnoreAll || x.opt.IgnoreErrors,
				Always:      always || lalways || recursive,
				Pos:         pos,
			})
		}
	}
	return lines, nil
}

func (x *Stepper) oneShellLine(s *plan.Step, text string, first, recursive bool, pos string) xexec.Line {
	l := xexec.Line{Text: text, Always: recursive, Pos: pos}
	if first {
		t, silent, ignore, always := xexec.SplitPrefix(text)
		l.Text = t
		l.Silent = silent || s.Silent || x.g.SilentAll || x.opt.Silent
		l.IgnoreError = ignore || s.Ignore || x.g.IgnoreAll || x.opt.IgnoreErrors
		l.Always = always || recursive
	}
	return l
}

func (x *Stepper) shell(s *plan.Step) string {
	v, ok, _ := x.ev.ValueIn(s.Scope, "SHELL")
	if !ok || strings.TrimSpace(v) == "" {
		return "/bin/sh"
	}
	return strings.TrimSpace(v)
}

func (x *Stepper) shellFlags(s *plan.Step) []string {
	v, ok, _ := x.ev.ValueIn(s.Scope, ".SHELLFLAGS")
	if sv := s.Scope.Lookup(".SHELLFLAGS"); ok && sv != nil && sv.Origin == eval.OriginDefault && x.g.Posix {
		ok = false // .POSIX changes the default to -ec
	}
	if !ok {
		if x.g.Posix {
			return []string{"-ec"}
		}
		return []string{"-c"}
	}
	f := eval.Fields(v)
	if f == nil {
		f = []string{}
	}
	return f
}

func (x *Stepper) path(p string) string {
	if x.opt.Dir != "" && !filepath.IsAbs(p) {
		return filepath.Join(x.opt.Dir, p)
	}
	return p
}

// stat returns a file's modification time, following GNU make: a phony
// target or a missing file has none.
func (x *Stepper) stat(s *plan.Step) (time.Time, bool) {
	if s.Phony {
		return time.Time{}, false
	}
	if arch, member, ok := plan.ArchiveMember(s.Path); ok {
		return plan.MemberTime(x.path(arch), member)
	}
	p := s.Path
	if x.opt.Dir != "" && !filepath.IsAbs(p) {
		p = filepath.Join(x.opt.Dir, p)
	}
	st, err := os.Stat(p)
	if err != nil {
		return time.Time{}, false
	}
	return st.ModTime(), true
}

// checkSkew warns, once per file, about a modification time in the future,
// as GNU make does ("has modification time 999 s in the future").
func (x *Stepper) checkSkew(name string, mtime time.Time) {
	ahead := time.Until(mtime)
	if ahead <= 0 {
		return
	}
	x.skewMu.Lock()
	defer x.skewMu.Unlock()
	if x.skewed[name] {
		return
	}
	if x.skewed == nil {
		x.skewed = make(map[string]bool)
	}
	x.skewed[name] = true
	fmt.Fprintf(x.opt.Stderr, "%s: Warning: File '%s' has modification time %d s in the future\n", x.opt.Program, name, int64(ahead/time.Second))
}

// ClockSkew reports whether some file had a time in the future; GNU make
// then ends with "Clock skew detected".
func (x *Stepper) ClockSkew() bool {
	x.skewMu.Lock()
	defer x.skewMu.Unlock()
	return len(x.skewed) > 0
}

// newerThan compares a prerequisite's time with its target's; for a
// .LOW_RESOLUTION_TIME target only whole seconds count.
func (x *Stepper) newerThan(s *plan.Step, dep, target time.Time) bool {
	if _, _, member := plan.ArchiveMember(s.Name); member || x.g.LowResolution[s.Name] {
		// Archives record whole seconds; GNU make compares members so.
		return dep.Truncate(time.Second).After(target.Truncate(time.Second))
	}
	return dep.After(target)
}

// outOfDate decides whether a step's recipe must run, and which
// prerequisites are newer than its target ($?).
func (x *Stepper) outOfDate(s *plan.Step, mtime time.Time, exists bool, dep DepState) (newer []string, must bool) {
	if x.opt.OldFiles[s.Name] {
		return nil, false // -o: never remade
	}
	must = !exists || s.Phony || x.opt.AlwaysMake
	if s.Double && len(s.Deps) == 0 {
		must = true
	}
	for i, d := range s.Deps {
		ds := x.g.Steps[d]
		hidden := i >= len(s.Deps)-s.Extra // .EXTRA_PREREQS: not in $?
		if x.opt.OldFiles[ds.Name] && !ds.Phony {
			continue // -o: nothing is remade on its account
		}
		dm, de := dep(d)
		if !de || ds.Phony || x.newerThan(s, dm, mtime) || x.opt.AlwaysMake || x.opt.NewFiles[ds.Name] || !exists {
			if !hidden {
				newer = append(newer, autoName(ds))
			}
			must = true
		}
	}
	return dedupStrings(newer), must
}

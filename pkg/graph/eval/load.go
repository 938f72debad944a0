package eval

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// DefaultMakefiles are tried in order when no -f is given.
var DefaultMakefiles = []string{"GNUmakefile", "makefile", "Makefile"}

// Input is a makefile to read: a name as given with -f, or its contents
// when it was standard input.
type Input struct {
	Name  string
	Data  []byte // nil: read the file Name
	Stdin bool
}

// ErrNoMakefile means no makefile was named and none of the default names
// exists.
var ErrNoMakefile = errors.New("no makefile found")

// Load reads the MAKEFILES variable's files, the --eval texts and the
// makefiles, in GNU make's order. A makefile named with -f that does not
// exist is recorded as a missing include (GNU make tries to remake it, then
// reports it). With no makefiles given it tries the default names and
// returns ErrNoMakefile if none exists.
func (e *Evaluator) Load(files []Input, evals []string, noBuiltinRules bool) (err error) {
	defer catch(&err)
	if !noBuiltinRules {
		e.installSuffixRules()
	}
	if v := e.Global.Lookup("MAKEFILES"); v != nil {
		goal := e.DefaultGoal()
		for _, name := range Fields(e.valueOf(v)) {
			if path, data, err := e.findInclude(name); err == nil {
				e.ReadFile(path, data)
			}
		}
		// Makefiles from MAKEFILES never supply the default goal.
		if g := e.Global.Lookup(".DEFAULT_GOAL"); g != nil {
			g.Value = goal
		}
	}
	for i, text := range evals {
		e.pos = syntax.Pos{File: "--eval", Line: 1}
		_ = i
		e.evalReader(syntax.NewReaderAt("", []byte(text), 0))
	}
	e.pos = syntax.Pos{}
	if len(files) == 0 {
		for _, name := range DefaultMakefiles {
			if data, err := os.ReadFile(e.path(name)); err == nil {
				files = []Input{{Name: name, Data: data}}
				break
			}
		}
		if len(files) == 0 {
			e.closeRule()
			return ErrNoMakefile
		}
	}
	for _, in := range files {
		data := in.Data
		if data == nil && !in.Stdin {
			var rerr error
			data, rerr = os.ReadFile(e.path(in.Name))
			if rerr != nil {
				e.DB.MissingIncludes = append(e.DB.MissingIncludes, MissingInclude{Name: in.Name})
				e.DB.ReadOrder = append(e.DB.ReadOrder, in.Name)
				continue
			}
		}
		e.ReadFile(in.Name, data)
		e.pos = syntax.Pos{}
	}
	return nil
}

// Snap finishes the rule database after reading, as GNU make does before
// building: suffix rules become pattern rules (after the makefile's own
// pattern rules), then the builtin pattern rules are appended unless -r.
func (e *Evaluator) Snap(noBuiltinRules bool) {
	e.convertSuffixRules()
	if !noBuiltinRules {
		e.installPatternRules()
	}
}

// convertSuffixRules turns ".c.o:" and ".c:" rules into "%.o: %.c" and
// "%: %.c", for the suffixes now in .SUFFIXES, in GNU make's order: for
// each source suffix, a marker rule "%.c:" (which keeps match-anything
// rules off files of known types), the single-suffix rule, then the
// double-suffix rules in suffix order.
func (e *Evaluator) convertSuffixRules() {
	sf := e.DB.Lookup(".SUFFIXES")
	if sf == nil {
		return
	}
	var sufs []string
	for _, d := range sf.Deps {
		sufs = append(sufs, d.Name)
	}
	for _, s := range sufs {
		e.DB.Patterns = append(e.DB.Patterns, &Rule{Targets: []string{"%" + s}, Builtin: true, Marker: true})
		if f := e.DB.Lookup(s); f != nil && f.Recipe != nil && len(f.Deps) == 0 {
			e.addSuffixPattern("%", "%"+s, f)
		}
		for _, t := range sufs {
			if f := e.DB.Lookup(s + t); f != nil && f.Recipe != nil && len(f.Deps) == 0 {
				e.addSuffixPattern("%"+t, "%"+s, f)
			}
		}
	}
}

func (e *Evaluator) addSuffixPattern(target, dep string, f *File) {
	r := &Rule{Targets: []string{target}, Deps: []Dep{{Name: dep}}, Recipe: f.Recipe, Pos: f.Pos, Builtin: f.Builtin}
	for _, p := range e.DB.Patterns {
		if !p.Marker && p.Targets[0] == target && depNames(p.Deps) == dep {
			return // the makefile's own (or cancelling) rule comes first
		}
	}
	e.DB.Patterns = append(e.DB.Patterns, r)
}

// ReadAll reads standard input for "-f -".
func ReadAll(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}

// DefaultGoal returns the goal make builds when none is given.
func (e *Evaluator) DefaultGoal() string {
	if v := e.Global.Lookup(".DEFAULT_GOAL"); v != nil {
		return strings.TrimSpace(e.valueOf(v))
	}
	return ""
}

package dump

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dmake/dmake/pkg/graph/eval"
	"github.com/dmake/dmake/pkg/graph/syntax"
)

// Options change what Write prints.
type Options struct {
	// Now stamps the "printed on" and "Finished" lines; zero means the
	// current time.
	Now time.Time
	// Phony names the phony targets, for the files' notes.
	Phony map[string]bool
	// ShellFromEnv: SHELL was in make's environment (GNU make then
	// shows it as a makefile variable, else as a default one).
	ShellFromEnv bool
}

// Write writes ev's database to w in GNU make's -p layout.
func Write(w io.Writer, ev *eval.Evaluator, opt Options) error {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	p := &printer{w: w, ev: ev, opt: opt}
	p.f("\n# Make data base, printed on %s\n", stamp(opt.Now))
	p.variables()
	p.patternVars()
	p.f("# Directories\n\n")
	p.implicitRules()
	p.files()
	p.vpaths()
	p.f("\n# Finished Make data base on %s\n\n", stamp(opt.Now))
	return p.err
}

// stamp is C's ctime() layout, without the newline.
func stamp(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

type printer struct {
	w   io.Writer
	ev  *eval.Evaluator
	opt Options
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// variables writes the global variables, each after a comment naming its
// origin.
func (p *printer) variables() {
	p.f("\n# Variables\n\n")
	p.varSet(p.ev.Global, "")
	p.f("# variable set hash-table stats:\n# Load=%d\n", p.ev.Global.Len())
}

// varSet writes a set's variables sorted by name; commentPrefix ("# ")
// comments the definitions themselves out, as GNU make does for a file's
// automatic variables.
func (p *printer) varSet(vs *eval.VarSet, commentPrefix string) {
	names := vs.Names()
	sort.Strings(names)
	for _, n := range names {
		v := p.adjust(vs.Lookup(n))
		p.f("# %s\n", Origin(v))
		p.f("%s%s\n", commentPrefix, Definition(v))
	}
}

// adjust gives two variables the origin GNU make's -p shows for them:
// MAKEFILE_LIST is attributed to line 1 of the last makefile read, and a
// SHELL that came from nowhere is make's default.
func (p *printer) adjust(v *eval.Var) *eval.Var {
	switch {
	case v.Name == "MAKEFILE_LIST" && v.Origin == eval.OriginFile && v.Pos.File == "" && len(p.ev.DB.Makefiles) > 0:
		c := *v
		c.Pos = syntax.Pos{File: p.ev.DB.Makefiles[len(p.ev.DB.Makefiles)-1], Line: 1}
		return &c
	case v.Name == "SHELL" && v.Origin == eval.OriginFile && v.Pos.File == "" && !p.opt.ShellFromEnv:
		c := *v
		c.Origin, c.Flavor = eval.OriginDefault, eval.Simple
		return &c
	}
	return v
}

// Origin is GNU make's comment for where a variable came from:
// "makefile (from 'Makefile', line 3)", "environment", "default".
func Origin(v *eval.Var) string {
	switch v.Origin {
	case eval.OriginDefault:
		return "default"
	case eval.OriginEnv:
		return "environment"
	case eval.OriginEnvOverride:
		return "environment under -e"
	case eval.OriginCommand:
		return "command line"
	case eval.OriginOverride:
		return "'override' directive" + from(v.Pos)
	case eval.OriginAutomatic:
		return "automatic"
	}
	return "makefile" + from(v.Pos)
}

func from(pos syntax.Pos) string {
	if pos.File == "" || pos.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" (from '%s', line %d)", pos.File, pos.Line)
}

// Definition is a variable as GNU make prints it: "X = $(Y)" for a
// recursive one, "X := value" for a simple one, a define block when the
// value has several lines.
func Definition(v *eval.Var) string {
	op := "="
	if v.Flavor == eval.Simple {
		op = ":="
	}
	if v.Private {
		op = "private " + op
	}
	if strings.Contains(v.Value, "\n") {
		if op == "=" {
			return "define " + v.Name + "\n" + v.Value + "\nendef"
		}
		return "define " + v.Name + " " + op + "\n" + v.Value + "\nendef"
	}
	return v.Name + " " + op + " " + v.Value
}

// patternDefinition is a pattern-specific variable as GNU make 4.3
// prints it: always with ":=", a recursive value's '$' doubled.
func patternDefinition(v *eval.Var) string {
	val := v.Value
	if v.Flavor == eval.Recursive {
		val = strings.ReplaceAll(val, "$", "$$")
	}
	return v.Name + " := " + val
}

// patternVars writes the pattern-specific variables.
func (p *printer) patternVars() {
	p.f("\n# Pattern-specific Variable Values\n\n")
	n := 0
	for _, pv := range p.ev.DB.PatternVars {
		if pv.Vars == nil {
			continue
		}
		p.f("%s :\n", pv.Text)
		pv.Vars.Each(func(v *eval.Var) {
			p.f("# %s\n# %s\n", Origin(v), patternDefinition(v))
			n++
		})
		p.f("\n")
	}
	if n == 0 {
		p.f("# No pattern-specific variable values.\n\n")
		return
	}
	p.f("# %d pattern-specific variable values\n", n)
}

// implicitRules writes the pattern rules in definition order.
func (p *printer) implicitRules() {
	p.f("# Implicit Rules\n\n")
	n, terminal := 0, 0
	for _, r := range p.ev.DB.Patterns {
		n++
		colon := ":"
		if r.Terminal {
			colon = "::"
			terminal++
		}
		p.f("%s%s%s\n", strings.Join(r.Targets, " "), colon, depList(r.Deps))
		p.recipe(r.Recipe, r.Builtin)
		p.f("\n")
	}
	if n == 0 {
		p.f("# No implicit rules.\n")
		return
	}
	p.f("# %d implicit rules, %d (%.1f%%) terminal.\n", n, terminal, 100*float64(terminal)/float64(n))
}

// depList is " a b | c": normal prerequisites, then order-only ones.
func depList(deps []eval.Dep) string {
	var normal, order []string
	for _, d := range deps {
		if d.OrderOnly {
			order = append(order, d.Name)
		} else {
			normal = append(normal, d.Name)
		}
	}
	s := ""
	if len(normal) > 0 {
		s = " " + strings.Join(normal, " ")
	}
	if len(order) > 0 {
		s += " | " + strings.Join(order, " ")
	}
	return s
}

// recipe writes a recipe with its origin comment, each line after a tab.
func (p *printer) recipe(r *eval.Recipe, builtin bool) {
	if r == nil {
		return
	}
	if builtin || r.Pos.Line == 0 {
		p.f("#  recipe to execute (built-in):\n")
	} else {
		p.f("#  recipe to execute (from '%s', line %d):\n", r.Pos.File, r.Pos.Line)
	}
	for _, l := range r.Lines {
		p.f("\t%s\n", strings.ReplaceAll(l.Text, "\n", "\n\t"))
	}
}

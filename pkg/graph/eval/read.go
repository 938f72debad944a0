package eval

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// readState is what reading one makefile (or one $(eval) text) tracks.
// Every file has its own conditional stack, as in GNU make.
type readState struct {
	r     *syntax.Reader
	conds []cond
}

type cond struct {
	ignoring int // 0 reading, 1 not yet taken, 2 already taken
	seenElse bool
}

func (st *readState) ignoring() bool {
	for _, c := range st.conds {
		if c.ignoring != 0 {
			return true
		}
	}
	return false
}

// ReadFile reads and evaluates a makefile. name is how it appears in
// messages and MAKEFILE_LIST.
func (e *Evaluator) ReadFile(name string, data []byte) {
	e.appendMakefileList(name)
	e.evalReader(syntax.NewReader(name, data))
}

// EvalText evaluates makefile text, as $(eval) does, with positions
// counted from the current line.
func (e *Evaluator) EvalText(text string) {
	pos := e.pos
	savedRule := e.rule
	e.rule = nil
	r := syntax.NewReaderAt(pos.File, []byte(text), pos.Line)
	e.evalReader(r)
	e.closeRule()
	e.rule = savedRule
	e.pos = pos
}

func (e *Evaluator) evalReader(r *syntax.Reader) {
	st := &readState{r: r}
	saved := e.read
	e.read = st
	defer func() { e.read = saved }()
	for {
		line, ok := r.Next()
		if !ok {
			break
		}
		e.pos = line.Pos
		e.evalLine(st, line)
	}
	e.closeRule()
	if len(st.conds) > 0 {
		e.Fatalf(r.Pos(), "missing 'endif'")
	}
}

func (e *Evaluator) recipePrefix() byte {
	if v := e.Global.Lookup(".RECIPEPREFIX"); v != nil && v.Value != "" {
		return v.Value[0]
	}
	return '\t'
}

func (e *Evaluator) evalLine(st *readState, line syntax.Line) {
	text := line.Text
	prefix := e.recipePrefix()
	if len(text) > 0 && text[0] == prefix {
		if e.rule != nil {
			if e.rule.noTargets || st.ignoring() {
				return
			}
			if len(e.rule.recipe.Lines) == 0 {
				e.rule.recipe.Pos = line.Pos // GNU make places a recipe at its first line
			}
			e.rule.recipe.Lines = append(e.rule.recipe.Lines, RecipeLine{Text: strings.TrimSuffix(text[1:], "\r"), Pos: line.Pos})
			return
		}
	}
	collapsed := syntax.StripComment(syntax.Collapse(text))
	p := strings.TrimLeft(collapsed, " \t\v\f\r")
	if p == "" {
		return
	}

	if vm, rest, ok := parseVarAssign(p, false); ok {
		if st.ignoring() {
			if vm.define {
				e.skipDefine(st)
			}
			return
		}
		e.closeRule()
		e.assignStatement(st, vm, rest, line.Pos)
		return
	}

	word, after := firstWord(p)
	if c := condKind(word); c != "" {
		e.conditional(st, c, after, line.Pos)
		return
	}
	if st.ignoring() {
		return
	}
	switch word {
	case "export", "unexport":
		e.closeRule()
		e.exportStatement(word == "export", after)
		return
	case "vpath":
		e.closeRule()
		e.vpathStatement(after)
		return
	case "include", "-include", "sinclude":
		e.closeRule()
		e.includeStatement(after, word != "include", line.Pos)
		return
	}
	if len(text) > 0 && text[0] == prefix {
		e.Fatalf(line.Pos, "recipe commences before first target")
	}
	e.closeRule()
	e.ruleStatement(text, line.Pos)
}

func firstWord(p string) (word, rest string) {
	i := 0
	for i < len(p) && !isWS(p[i]) {
		i++
	}
	return p[:i], strings.TrimLeft(p[i:], " \t")
}

// varMods are the modifiers before an assignment.
type varMods struct {
	export, override, private, define, undefine bool
	op                                          string // "=", ":=", "::=", "+=", "?=", "!="; "" for define without one
	name                                        string // unexpanded name
}

// parseVarAssign recognises a variable assignment with its modifiers, or a
// define/undefine line. rest is the value (unexpanded, leading blanks
// removed); for define and undefine it is the rest of the line.
func parseVarAssign(p string, targetVar bool) (vm varMods, rest string, ok bool) {
	for {
		if name, op, val, ok := splitAssign(p); ok {
			vm.name, vm.op = name, op
			return vm, val, true
		}
		w, after := firstWord(p)
		switch {
		case w == "export":
			vm.export = true
		case w == "override":
			vm.override = true
		case w == "private":
			vm.private = true
		case w == "define" && !targetVar:
			vm.define = true
			return vm, after, true
		case w == "undefine" && !targetVar:
			vm.undefine = true
			return vm, after, true
		default:
			return vm, "", false
		}
		p = after
		if p == "" {
			return vm, "", false
		}
	}
}

// splitAssign finds a variable assignment operator as GNU make's
// parse_variable_definition does: outside references, and with nothing
// but blanks between the name and the operator.
func splitAssign(p string) (name, op, value string, ok bool) {
	wspace := false
	nameEnd := -1
	i := 0
	for i < len(p) {
		c := p[i]
		i++
		if c == '#' {
			return "", "", "", false
		}
		if c == '$' {
			if i >= len(p) {
				return "", "", "", false
			}
			open := p[i]
			i++
			var closer byte
			switch open {
			case '(':
				closer = ')'
			case '{':
				closer = '}'
			default:
				continue
			}
			for count := 1; i < len(p); i++ {
				if p[i] == closer {
					count--
					if count == 0 {
						i++
						break
					}
				} else if p[i] == open {
					count++
				}
			}
			continue
		}
		if c == ' ' || c == '\t' {
			wspace = true
			nameEnd = i - 1
			for i < len(p) && (p[i] == ' ' || p[i] == '\t') {
				i++
			}
			if i >= len(p) {
				return "", "", "", false
			}
			c = p[i]
			i++
		}
		end := func() int {
			if wspace {
				return nameEnd
			}
			return i - 1
		}
		if c == '=' {
			return p[:end()], "=", trimLeftBlank(p[i:]), true
		}
		if i < len(p) && p[i] == '=' {
			switch c {
			case ':', '+', '?', '!':
				return p[:end()], string(c) + "=", trimLeftBlank(p[i+1:]), true
			}
			if wspace {
				return "", "", "", false
			}
			continue
		}
		if c == ':' {
			if i+1 < len(p) && p[i] == ':' && p[i+1] == '=' {
				return p[:end()], "::=", trimLeftBlank(p[i+2:]), true
			}
			return "", "", "", false
		}
		if wspace {
			return "", "", "", false
		}
	}
	return "", "", "", false
}

func trimLeftBlank(s string) string { return strings.TrimLeft(s, " \t\v\f\r") }

// assignStatement carries out a global assignment, define or undefine.
func (e *Evaluator) assignStatement(st *readState, vm varMods, rest string, pos syntax.Pos) {
	origin := OriginFile
	if vm.override {
		origin = OriginOverride
	}
	if vm.undefine {
		name := strings.TrimSpace(e.Expand(rest))
		if name == "" {
			e.Fatalf(pos, "empty variable name")
		}
		if v := e.Global.Lookup(name); v != nil && origin >= v.Origin {
			e.Global.Delete(name)
		}
		return
	}
	var v *Var
	if vm.define {
		v = e.defineStatement(st, rest, origin, pos)
	} else {
		name := strings.TrimSpace(e.Expand(vm.name))
		if name == "" {
			e.Fatalf(pos, "empty variable name")
		}
		v = e.assign(e.Global, name, vm.op, rest, origin, pos, false)
	}
	if v == nil {
		return
	}
	if vm.export {
		v.Export = ExportYes
	}
	if vm.private {
		v.Private = true
	}
}

// assign does one assignment into set, as GNU make's
// do_variable_definition. targetVar selects target-specific "+=" rules.
func (e *Evaluator) assign(set *VarSet, name, op, value string, origin Origin, pos syntax.Pos, targetVar bool) *Var {
	flavor := Recursive
	appendFlag, conditional := false, false
	switch op {
	case ":=", "::=":
		value = e.Expand(value)
		flavor = Simple
	case "!=":
		value = e.shell(e.Expand(value), false)
	case "?=":
		if v := e.lookup(name); v != nil {
			if targetVar {
				return nil
			}
			return v
		}
		conditional = targetVar
	case "+=":
		var old *Var
		if targetVar {
			appendFlag = true
			old = set.Lookup(name)
			if old != nil && !old.Append {
				appendFlag = false
			}
		} else {
			old = e.lookup(name)
		}
		if old != nil {
			if old.Flavor != Recursive {
				flavor = Simple
				value = e.Expand(value)
			}
			if value == "" {
				return old
			}
			if old.Value != "" {
				value = old.Value + " " + value
			}
		}
	}
	if name == "MAKEFILES" || name == ".RECIPEPREFIX" || name == "MAKEFLAGS" {
		e.specialAssigned(name)
	}
	if targetVar {
		if old := set.Lookup(name); old != nil && origin < old.Origin {
			return old
		}
		v := set.Define(name, value, flavor, origin, pos)
		v.Append, v.Conditional = appendFlag, conditional
		return v
	}
	return e.defineGlobal(name, value, flavor, origin, pos)
}

// defineGlobal defines a global variable, honouring -e: an environment
// variable then beats a makefile's definition.
func (e *Evaluator) defineGlobal(name, value string, flavor Flavor, origin Origin, pos syntax.Pos) *Var {
	if old := e.Global.Lookup(name); old != nil && e.EnvOverrides && old.Origin == OriginEnv {
		old.Origin = OriginEnvOverride
	}
	return e.Global.Define(name, value, flavor, origin, pos)
}

func (e *Evaluator) specialAssigned(name string) {}

// defineStatement reads a define ... endef block.
func (e *Evaluator) defineStatement(st *readState, rest string, origin Origin, pos syntax.Pos) *Var {
	nameText := e.Expand(rest)
	name := strings.TrimLeft(nameText, " \t")
	if strings.TrimSpace(name) == "" {
		e.Fatalf(pos, "empty variable name")
	}
	op := "="
	name = strings.TrimRight(name, " \t")
	for _, o := range []string{"::=", ":=", "+=", "?=", "!=", "="} {
		if strings.HasSuffix(name, o) {
			op = o
			name = strings.TrimRight(strings.TrimSuffix(name, o), " \t")
			break
		}
	}
	if name == "" {
		e.Fatalf(pos, "empty variable name")
	}
	body := e.readDefineBody(st, pos)
	if op == "!=" {
		body = strings.ReplaceAll(body, "\n", " ")
	}
	return e.assign(e.Global, name, op, body, origin, pos, false)
}

// readDefineBody collects the lines of a define up to its endef.
func (e *Evaluator) readDefineBody(st *readState, start syntax.Pos) string {
	var body []string
	depth := 1
	prefix := e.recipePrefix()
	for {
		line, ok := st.r.Next()
		if !ok {
			e.Fatalf(start, "missing 'endef', unterminated 'define'")
		}
		e.pos = line.Pos
		text := syntax.Collapse(line.Text)
		if len(text) == 0 || text[0] != prefix {
			p := strings.TrimLeft(text, " \t")
			if isDirective(p, "define") {
				depth++
			} else if isDirective(p, "endef") {
				after := strings.TrimSpace(syntax.StripComment(p[5:]))
				if after != "" {
					e.Warnf(line.Pos, "extraneous text after 'endef' directive")
				}
				depth--
				if depth == 0 {
					return strings.Join(body, "\n")
				}
			}
		}
		body = append(body, text)
	}
}

func isDirective(p, word string) bool {
	return strings.HasPrefix(p, word) && (len(p) == len(word) || p[len(word)] == ' ' || p[len(word)] == '\t')
}

// skipDefine skips a define block inside a conditional branch not taken.
func (e *Evaluator) skipDefine(st *readState) {
	for {
		line, ok := st.r.Next()
		if !ok {
			return
		}
		p := strings.TrimLeft(syntax.StripComment(syntax.Collapse(line.Text)), " \t")
		if w, after := firstWord(p); w == "endef" && after == "" {
			return
		}
	}
}

func condKind(w string) string {
	switch w {
	case "ifdef", "ifndef", "ifeq", "ifneq", "else", "endif":
		return w
	}
	return ""
}

// conditional handles one conditional directive, as GNU make's
// conditional_line.
func (e *Evaluator) conditional(st *readState, kind, line string, pos syntax.Pos) {
	switch kind {
	case "endif":
		if line != "" {
			e.Warnf(pos, "extraneous text after 'endif' directive")
		}
		if len(st.conds) == 0 {
			e.Fatalf(pos, "extraneous 'endif'")
		}
		st.conds = st.conds[:len(st.conds)-1]
		return
	case "else":
		if len(st.conds) == 0 {
			e.Fatalf(pos, "extraneous 'else'")
		}
		o := len(st.conds) - 1
		c := &st.conds[o]
		if c.seenElse {
			e.Fatalf(pos, "only one 'else' per conditional")
		}
		switch c.ignoring {
		case 0:
			c.ignoring = 2
		case 1:
			c.ignoring = 0
		}
		if line == "" {
			c.seenElse = true
			return
		}
		w, after := firstWord(line)
		k := condKind(w)
		if k == "" || k == "else" || k == "endif" {
			e.Warnf(pos, "extraneous text after 'else' directive")
			return
		}
		// else ifxxx: evaluate the inner conditional as a new level, then
		// fold it into this one.
		if !e.pushCond(st, k, after, pos) {
			e.Warnf(pos, "extraneous text after 'else' directive")
			return
		}
		inner := st.conds[len(st.conds)-1]
		st.conds = st.conds[:len(st.conds)-1]
		c = &st.conds[o]
		if c.ignoring < 2 {
			c.ignoring = inner.ignoring
		}
		return
	}
	if !e.pushCond(st, kind, line, pos) {
		e.Fatalf(pos, "invalid syntax in conditional")
	}
}

// pushCond opens a new conditional level. It returns false on bad syntax.
func (e *Evaluator) pushCond(st *readState, kind, line string, pos syntax.Pos) bool {
	if st.ignoring() {
		st.conds = append(st.conds, cond{ignoring: 1})
		return true
	}
	var take bool
	switch kind {
	case "ifdef", "ifndef":
		name := e.Expand(line)
		w := Fields(name)
		if len(w) != 1 {
			if len(w) == 0 {
				take = kind == "ifndef"
				break
			}
			return false
		}
		v := e.lookup(w[0])
		take = (v != nil && v.Value != "") == (kind == "ifdef")
	default:
		a, b, ok := e.ifeqArgs(line, pos, kind)
		if !ok {
			return false
		}
		take = (a == b) == (kind == "ifeq")
	}
	ign := 1
	if take {
		ign = 0
	}
	st.conds = append(st.conds, cond{ignoring: ign})
	return true
}

// ifeqArgs parses and expands the two strings of ifeq/ifneq in any of the
// forms (a,b) "a" "b" 'a' 'b' "a" 'b'.
func (e *Evaluator) ifeqArgs(line string, pos syntax.Pos, kind string) (string, string, bool) {
	if line == "" {
		return "", "", false
	}
	termin := line[0]
	if termin == '(' {
		termin = ','
	} else if termin != '"' && termin != '\'' {
		return "", "", false
	}
	s := line[1:]
	i := 0
	if termin == ',' {
		count := 0
		for ; i < len(s); i++ {
			if s[i] == '(' {
				count++
			} else if s[i] == ')' {
				count--
			} else if s[i] == ',' && count <= 0 {
				break
			}
		}
	} else {
		for i < len(s) && s[i] != termin {
			i++
		}
	}
	if i >= len(s) {
		return "", "", false
	}
	s1 := s[:i]
	if termin == ',' {
		s1 = strings.TrimRight(s1, " \t")
	}
	a := e.Expand(s1)
	s = s[i+1:]
	if termin != ',' {
		s = strings.TrimLeft(s, " \t")
	}
	var t byte = ')'
	if termin != ',' {
		if s == "" {
			return "", "", false
		}
		t = s[0]
		if t != '"' && t != '\'' {
			return "", "", false
		}
	}
	var s2 string
	if t == ')' {
		s = strings.TrimLeft(s, " \t")
		count := 0
		j := 0
		for ; j < len(s); j++ {
			if s[j] == '(' {
				count++
			} else if s[j] == ')' {
				if count <= 0 {
					break
				}
				count--
			}
		}
		if j >= len(s) {
			return "", "", false
		}
		s2, s = s[:j], s[j+1:]
	} else {
		s = s[1:]
		j := strings.IndexByte(s, t)
		if j < 0 {
			return "", "", false
		}
		s2, s = s[:j], s[j+1:]
	}
	if strings.TrimLeft(s, " \t") != "" {
		e.Warnf(pos, "extraneous text after '%s' directive", kind)
	}
	return a, e.Expand(s2), true
}

func (e *Evaluator) exportStatement(export bool, rest string) {
	if rest == "" {
		e.ExportAll = export
		return
	}
	for _, name := range Fields(e.Expand(rest)) {
		v := e.Global.Lookup(name)
		if v == nil {
			v = e.Global.Define(name, "", Recursive, OriginFile, e.pos)
		}
		if export {
			v.Export = ExportYes
		} else {
			v.Export = ExportNo
		}
	}
}

func (e *Evaluator) vpathStatement(rest string) {
	words := Fields(e.Expand(rest))
	if len(words) == 0 {
		e.DB.VPaths = nil
		return
	}
	pat := ParsePattern(words[0])
	if len(words) == 1 {
		kept := e.DB.VPaths[:0]
		for _, vp := range e.DB.VPaths {
			if vp.Pattern != pat {
				kept = append(kept, vp)
			}
		}
		e.DB.VPaths = kept
		return
	}
	var dirs []string
	for _, w := range words[1:] {
		for _, d := range strings.Split(w, ":") {
			if d != "" {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) > 0 {
		e.DB.VPaths = append(e.DB.VPaths, VPath{Pattern: pat, Dirs: dirs})
	}
}

// includeStatement reads included makefiles. A missing one is recorded for
// the remaking-makefiles step (and reported there, as GNU make 4.3 does).
func (e *Evaluator) includeStatement(rest string, dontCare bool, pos syntax.Pos) {
	for _, w := range Fields(e.Expand(rest)) {
		names := []string{w}
		if hasGlob(w) {
			if m := e.Glob(w); len(m) > 0 {
				names = m
			}
		}
		for _, name := range names {
			path, data, err := e.findInclude(name)
			if err != nil {
				if errors.Is(err, syscall.EISDIR) {
					e.Fatalf(syntax.Pos{}, "%s: %s", name, errText(err))
				}
				e.DB.MissingIncludes = append(e.DB.MissingIncludes, MissingInclude{Name: name, Pos: pos, DontCare: dontCare})
				e.DB.ReadOrder = append(e.DB.ReadOrder, name)
				continue
			}
			e.ReadFile(path, data)
			e.pos = pos
		}
	}
}

// findInclude locates an included makefile: as named, then in the -I
// directories and the default include directories.
func (e *Evaluator) findInclude(name string) (string, []byte, error) {
	data, err := os.ReadFile(e.path(name))
	if err == nil || filepath.IsAbs(name) {
		return name, data, err
	}
	for _, dir := range e.IncludeDirs {
		p := filepath.Join(dir, name)
		if d, err2 := os.ReadFile(e.path(p)); err2 == nil {
			return p, d, nil
		}
	}
	return name, nil, err
}

// path makes a name relative to the evaluator's directory.
func (e *Evaluator) path(name string) string {
	if filepath.IsAbs(name) || e.Dir == "" {
		return name
	}
	return filepath.Join(e.Dir, name)
}

func (e *Evaluator) appendMakefileList(name string) {
	e.DB.Makefiles = append(e.DB.Makefiles, name)
	e.DB.ReadOrder = append(e.DB.ReadOrder, name)
	v := e.Global.Lookup("MAKEFILE_LIST")
	if v == nil || v.Value == "" {
		e.Global.Define("MAKEFILE_LIST", name, Simple, OriginFile, syntax.Pos{})
		return
	}
	v.Value += " " + name
}

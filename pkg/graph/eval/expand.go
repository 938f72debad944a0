package eval

import (
	"strings"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// maxDepth bounds nested expansion (deep $(call) recursion). GNU make has
// no limit and runs out of stack; we stop with an error instead of crashing.
const maxDepth = 10000

// Expand expands text in the current scope.
func (e *Evaluator) Expand(text string) string {
	if strings.IndexByte(text, '$') < 0 {
		return text
	}
	return e.ExpandExpr(syntax.ParseExpr(text))
}

// ExpandExpr expands a parsed expression in the current scope.
func (e *Evaluator) ExpandExpr(x syntax.Expr) string {
	switch x := x.(type) {
	case syntax.Literal:
		return string(x)
	case *syntax.Ref:
		// The commonest expansion, $(VAR) of a simple variable (or of a
		// recursive one without references): its value as it is, with no
		// buffer to build and copy.
		if l, ok := x.Name.(syntax.Literal); ok && strings.IndexByte(string(l), ':') < 0 {
			if v := e.lookup(string(l)); v != nil && !v.Append && (v.Flavor == Simple || strings.IndexByte(v.Value, '$') < 0) {
				return v.Value
			}
		}
	}
	var b []byte
	e.expandTo(&b, x)
	return string(b)
}

func (e *Evaluator) expandTo(b *[]byte, x syntax.Expr) {
	switch x := x.(type) {
	case syntax.Literal:
		*b = append(*b, x...)
	case syntax.Concat:
		for _, p := range x {
			e.expandTo(b, p)
		}
	case *syntax.Ref:
		e.expandRef(b, x)
	case *syntax.Call:
		e.depth++
		if e.depth > maxDepth {
			e.Fatalf(e.pos, "maximum expansion depth exceeded (infinite recursion in $(call)?)")
		}
		e.call(b, x)
		e.depth--
	case *syntax.Error:
		e.Fatalf(e.errPos(), "%s", x.Msg)
	}
}

// errPos is where an error during expansion is reported: the definition of
// the variable being expanded if there is one, else the line being read.
func (e *Evaluator) errPos() syntax.Pos {
	if e.varPos != nil {
		return *e.varPos
	}
	return e.pos
}

func (e *Evaluator) expandRef(b *[]byte, r *syntax.Ref) {
	var name string
	if l, ok := r.Name.(syntax.Literal); ok {
		name = string(l)
	} else {
		name = e.ExpandExpr(r.Name)
	}
	if colon := strings.IndexByte(name, ':'); colon >= 0 {
		if eq := strings.IndexByte(name[colon+1:], '='); eq >= 0 {
			vname := name[:colon]
			pat := name[colon+1 : colon+1+eq]
			rep := name[colon+2+eq:]
			v := e.lookup(vname)
			if v == nil {
				e.warnUndefined(vname)
				return
			}
			val := e.valueOf(v)
			if val == "" {
				return
			}
			if _, i := findPercent(pat); i < 0 {
				pat, rep = "%"+pat, "%"+rep
			}
			*b = append(*b, patsubst(val, pat, rep)...)
			return
		}
	}
	v := e.lookup(name)
	if v == nil {
		e.warnUndefined(name)
		return
	}
	if v.Flavor == Simple && !v.Append {
		*b = append(*b, v.Value...)
		return
	}
	*b = append(*b, e.valueOf(v)...)
}

func (e *Evaluator) warnUndefined(name string) {
	if e.WarnUndefined {
		e.Warnf(e.pos, "warning: undefined variable '%s'", name)
	}
}

// lookup finds a variable in the current scope, computing the special
// ones that GNU make computes on access.
func (e *Evaluator) lookup(name string) *Var {
	v := e.scope.Lookup(name)
	if v != nil && name == ".VARIABLES" && v.Origin == OriginDefault {
		v.Value = strings.Join(e.Global.Names(), " ")
	}
	return v
}

// Lookup finds a variable visible in the current scope.
func (e *Evaluator) Lookup(name string) *Var { return e.lookup(name) }

// valueOf returns a variable's value, expanding it if it is recursive.
func (e *Evaluator) valueOf(v *Var) string {
	if v.Append {
		return e.appendedValue(v)
	}
	if v.Flavor != Recursive {
		return v.Value
	}
	return e.expandVar(v)
}

func (e *Evaluator) expandVar(v *Var) string {
	if strings.IndexByte(v.Value, '$') < 0 {
		return v.Value
	}
	if v.expanding {
		pos := v.Pos
		if pos.IsZero() {
			pos = e.errPos()
		}
		e.Fatalf(pos, "Recursive variable '%s' references itself (eventually)", v.Name)
	}
	v.expanding = true
	saved := e.varPos
	if !v.Pos.IsZero() {
		p := v.Pos
		e.varPos = &p
	}
	s := e.ExpandExpr(v.expr())
	e.varPos = saved
	v.expanding = false
	return s
}

// appendedValue resolves a target-specific "+=": the value of the same
// variable in the enclosing scopes, then this one's.
func (e *Evaluator) appendedValue(v *Var) string {
	var outer string
	found := false
	for s := e.scope; s != nil; s = s.Parent {
		if s.Vars.Lookup(v.Name) == v {
			if s.Parent != nil {
				saved := e.scope
				e.scope = s.Parent
				if ov := e.scope.Lookup(v.Name); ov != nil {
					outer, found = e.valueOf(ov), true
				}
				e.scope = saved
			}
			break
		}
	}
	own := v.Value
	if v.Flavor == Recursive {
		own = e.expandVar(v)
	}
	if !found || outer == "" {
		return own
	}
	if own == "" {
		return outer
	}
	return outer + " " + own
}

// pushScope makes vars the innermost scope until the returned function runs.
func (e *Evaluator) pushScope(vars *VarSet) func() {
	saved := e.scope
	e.scope = &Scope{Vars: vars, Parent: saved}
	return func() { e.scope = saved }
}

// ExpandIn expands text with scope as the variables in force and pos as
// the line being expanded (for messages), as GNU make expands a recipe line
// or a second-expansion prerequisite list. A fatal error is returned.
func (e *Evaluator) ExpandIn(scope *Scope, pos syntax.Pos, text string) (out string, err error) {
	savedScope, savedPos, savedVarPos := e.scope, e.pos, e.varPos
	defer func() {
		e.scope, e.pos, e.varPos = savedScope, savedPos, savedVarPos
	}()
	defer catch(&err)
	e.scope, e.pos, e.varPos = scope, pos, nil
	return e.Expand(text), nil
}

// VarValueIn returns the value of a variable already looked up, expanded in
// scope if it is recursive. The environment of a recipe uses it for
// private variables of the targets above, which GNU make exports even
// though make lookups there do not see them.
func (e *Evaluator) VarValueIn(scope *Scope, v *Var) (s string, err error) {
	saved := e.scope
	defer func() { e.scope = saved }()
	defer catch(&err)
	e.scope = scope
	return e.valueOf(v), nil
}

// ValueIn returns the expanded value of a variable as seen from scope, and
// whether it is defined.
func (e *Evaluator) ValueIn(scope *Scope, name string) (string, bool, error) {
	var v *Var
	var s string
	err := func() (err error) {
		saved := e.scope
		defer func() { e.scope = saved }()
		defer catch(&err)
		e.scope = scope
		v = e.lookup(name)
		if v != nil {
			s = e.valueOf(v)
		}
		return nil
	}()
	return s, v != nil, err
}

package eval

import (
	"sort"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// Flavor is how a variable's value is expanded.
type Flavor uint8

const (
	Undefined Flavor = iota
	Recursive        // expanded each time it is referenced
	Simple           // expanded once, when assigned
)

func (f Flavor) String() string {
	switch f {
	case Recursive:
		return "recursive"
	case Simple:
		return "simple"
	}
	return "undefined"
}

// Origin is where a variable's value came from. The order matters: a
// definition from a weaker origin does not replace one from a stronger one.
type Origin uint8

const (
	OriginDefault Origin = iota
	OriginEnv
	OriginFile
	OriginEnvOverride
	OriginCommand
	OriginOverride
	OriginAutomatic
)

var originNames = [...]string{"default", "environment", "file", "environment override", "command line", "override", "automatic"}

func (o Origin) String() string { return originNames[o] }

// ExportMode says whether a variable goes into children's environments.
type ExportMode uint8

const (
	ExportDefault ExportMode = iota // decided by origin and .EXPORT_ALL_VARIABLES
	ExportYes
	ExportNo
)

// Var is one variable.
type Var struct {
	Name    string
	Value   string // unexpanded for Recursive, final for Simple
	Flavor  Flavor
	Origin  Origin
	Export  ExportMode
	Private bool
	Pos     syntax.Pos
	// Append marks a target-specific "+=": the value is appended to the
	// variable's value in the enclosing scopes when it is looked up.
	Append bool
	// Conditional marks a target-specific "?=".
	Conditional bool

	expanding bool
	parsed    syntax.Expr
	parsedOf  string
}

// expr returns the parsed form of a recursive variable's value, cached.
func (v *Var) expr() syntax.Expr {
	if v.parsed == nil || v.parsedOf != v.Value {
		v.parsed = syntax.ParseExpr(v.Value)
		v.parsedOf = v.Value
	}
	return v.parsed
}

// VarSet is a set of variables by name.
type VarSet struct {
	m map[string]*Var
}

// NewVarSet returns an empty set.
func NewVarSet() *VarSet { return &VarSet{m: make(map[string]*Var)} }

// Lookup returns the named variable in this set only.
func (s *VarSet) Lookup(name string) *Var {
	if s == nil {
		return nil
	}
	return s.m[name]
}

// Len is the number of variables in the set.
func (s *VarSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.m)
}

// Names returns the names in the set, sorted.
func (s *VarSet) Names() []string {
	out := make([]string, 0, len(s.m))
	for n := range s.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Each calls f for each variable, in name order.
func (s *VarSet) Each(f func(*Var)) {
	for _, n := range s.Names() {
		f(s.m[n])
	}
}

// Define sets a variable unless an existing one has a stronger origin.
// It returns the variable that holds the name afterwards.
func (s *VarSet) Define(name, value string, flavor Flavor, origin Origin, pos syntax.Pos) *Var {
	if v := s.m[name]; v != nil {
		if origin >= v.Origin {
			v.Value, v.Flavor, v.Origin, v.Pos = value, flavor, origin, pos
			v.Append, v.Conditional = false, false
		}
		return v
	}
	v := &Var{Name: name, Value: value, Flavor: flavor, Origin: origin, Pos: pos}
	s.m[name] = v
	return v
}

// Delete removes a variable.
func (s *VarSet) Delete(name string) { delete(s.m, name) }

// Scope is a chain of variable sets searched innermost first: a call's
// arguments, a target's variables, its parent's, the global set.
type Scope struct {
	Vars   *VarSet
	Parent *Scope
	// nextIsParent marks the last scope of a target's own chain: the scopes
	// after it belong to the target that needed this one (or are global),
	// and their private variables are hidden, as in GNU make.
	nextIsParent bool
}

// Lookup finds a variable in the chain.
func (sc *Scope) Lookup(name string) *Var {
	isParent := false
	for s := sc; s != nil; s = s.Parent {
		if v := s.Vars.Lookup(name); v != nil && !(v.Private && isParent) {
			return v
		}
		if s.nextIsParent {
			isParent = true
		}
	}
	return nil
}

// NewScope returns a scope searching vars, then parent. boundary marks it
// as the last scope of a target's own chain: what follows is inherited.
func NewScope(vars *VarSet, parent *Scope, boundary bool) *Scope {
	return &Scope{Vars: vars, Parent: parent, nextIsParent: boundary}
}

// GlobalScope returns the scope of the global variables alone.
func (e *Evaluator) GlobalScope() *Scope { return &Scope{Vars: e.Global} }

// Boundary reports whether sc is the last scope of a target's own chain
// (see NewScope); encoders of scopes need it.
func (sc *Scope) Boundary() bool { return sc.nextIsParent }

// Put adds a variable as it is, replacing any of the same name, for
// decoders that rebuild a set sent over the wire.
func (s *VarSet) Put(v *Var) { s.m[v.Name] = v }

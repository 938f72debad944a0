package eval

import (
	"github.com/dmake/dmake/pkg/graph/syntax"
)

// RecipeLine is one logical line of a recipe, unexpanded.
type RecipeLine struct {
	Text string
	Pos  syntax.Pos
}

// Recipe is a rule's recipe. It is expanded only when the step runs.
type Recipe struct {
	Lines []RecipeLine
	Pos   syntax.Pos // where the recipe starts (its first line)
	// Prefix is the recipe prefix in force when the rule was read
	// (.RECIPEPREFIX); it is stripped from continuation lines.
	Prefix byte
}

// Dep is one prerequisite. A Second dep is prerequisite text held for
// .SECONDEXPANSION: planning expands it again in the target's context and
// splits it into deps then (applying the static pattern stem if Static).
type Dep struct {
	Name      string
	OrderOnly bool
	Second    bool
	Static    bool
}

// Rule is one explicit rule's contribution to a target, or one pattern rule.
type Rule struct {
	Targets  []string // for pattern rules, the target patterns
	Deps     []Dep
	Recipe   *Recipe // nil when the rule has none
	Double   bool    // "::"
	Grouped  bool    // "&:"
	Pos      syntax.Pos
	Stem     string // static pattern rules: the stem of this target
	Terminal bool   // pattern rules: "::" (match-anything terminal)
	Builtin  bool   // one of GNU make's builtin rules
	// Marker is a "%.c:" rule made for a known suffix: no recipe, it only
	// stops non-terminal match-anything rules from applying to such files.
	Marker bool
}

// File is a target as make knows it: every rule that names it merged.
type File struct {
	Name   string
	Deps   []Dep
	Recipe *Recipe
	Pos    syntax.Pos // of the rule that gave the recipe, or the first rule
	Stem   string     // from a static pattern rule
	// Doubles are the rules of a double-colon target, each its own step.
	Doubles []*Rule
	// Group lists the targets of a grouped rule ("&:") this file belongs to.
	Group []string

	IsTarget bool    // appears as the target of some rule
	Double   bool    // its rules are double-colon rules
	Builtin  bool    // a builtin suffix rule, not from a makefile
	Vars     *VarSet // target-specific variables, nil if none
}

// PatternVars are pattern-specific variables: "%.o: CFLAGS += -g".
type PatternVars struct {
	Pattern Pattern
	Text    string
	Vars    *VarSet
}

// VPath is one vpath directive.
type VPath struct {
	Pattern Pattern
	Dirs    []string
}

// Database is everything a makefile defines apart from variables: targets,
// pattern rules, vpath, special targets. Evaluation fills it; planning reads
// it.
type Database struct {
	Files       map[string]*File
	Order       []string // target names in the order first seen
	Patterns    []*Rule  // pattern rules, in definition order
	PatternVars []*PatternVars
	VPaths      []VPath
	DefaultGoal string // first eligible target, when .DEFAULT_GOAL is not set
	// Makefiles read, in order, as MAKEFILE_LIST has them.
	Makefiles []string
	// MissingIncludes are included files that did not exist; planning tries
	// to remake them (the remaking-makefiles step).
	MissingIncludes []MissingInclude
	// ReadOrder lists every makefile read or missing, in include order.
	ReadOrder []string
}

// Missing returns the record of a missing makefile.
func (db *Database) Missing(name string) (MissingInclude, bool) {
	for _, mi := range db.MissingIncludes {
		if mi.Name == name {
			return mi, true
		}
	}
	return MissingInclude{}, false
}

// MissingInclude is an included makefile that was not found.
type MissingInclude struct {
	Name     string
	Pos      syntax.Pos
	DontCare bool // -include / sinclude
}

// NewDatabase returns an empty database.
func NewDatabase() *Database {
	return &Database{Files: make(map[string]*File)}
}

// File returns the named file, creating it if needed.
func (db *Database) File(name string) *File {
	f := db.Files[name]
	if f == nil {
		f = &File{Name: name}
		db.Files[name] = f
		db.Order = append(db.Order, name)
	}
	return f
}

// Lookup returns the named file or nil.
func (db *Database) Lookup(name string) *File { return db.Files[name] }

// Prereqs returns the names of a special target's prerequisites (.PHONY,
// .PRECIOUS, ...). ok is false when the target is not mentioned.
func (db *Database) Prereqs(name string) (deps []string, ok bool) {
	f := db.Files[name]
	if f == nil || !f.IsTarget {
		return nil, false
	}
	for _, d := range f.Deps {
		deps = append(deps, d.Name)
	}
	return deps, true
}

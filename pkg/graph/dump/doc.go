// Package dump writes make's database as GNU make 4.3's -p
// (--print-data-base) does: variables with comments saying where each came
// from, pattern-specific variables, implicit rules, files with their
// rules and target-specific variables, and vpath search paths.
//
// It sits after evaluation (pkg/graph/eval) and reads its database only;
// it knows nothing of the build. GNU make walks its hash tables, whose
// order is an accident of its hash function; dump writes variables and
// files sorted by name instead, and leaves out the parts that describe
// GNU make's own memory (hash-table and string-cache statistics) and the
// build's progress (modification times seen, files updated). Pattern
// rules and vpath directives keep their definition order, as in GNU make.
package dump

// Package difftest runs a Makefile test case under GNU make and under dmake
// and reports every difference between the two runs.
//
// It sits outside the build pipeline: it knows nothing of how dmake parses or
// runs a Makefile, only how to start a program called make in a directory and
// observe what it did. A case is a small txtar archive (see [Load] and
// testdata/diff/README.md): its comment holds directives such as the command
// line, its files are written into a fresh directory.
//
// Both runs of a case use one directory path and one PATH, and the program is
// always started with argv[0] = "make" through a symlink in a per-case bin
// directory, which points at the reference make for the first run and at
// dmake for the second. So $(MAKE), CURDIR, "make: *** ..." message prefixes,
// "Entering directory" lines and recursive invocations compare byte for byte
// with no normalisation. Expectations are never recorded: the reference runs
// live every time.
package difftest

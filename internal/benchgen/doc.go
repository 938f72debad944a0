// Package benchgen writes the deterministic inputs of dmake's benchmarks:
// a large Makefile that exercises parsing and evaluation (ParseBench), and a
// build graph of touch recipes (DAG). It sits outside the build pipeline; the
// benchmark driver in scripts/bench/benchmake runs GNU make and dmake on what
// it writes. The same seed always writes the same bytes.
package benchgen

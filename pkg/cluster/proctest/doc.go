// Package proctest is the home of the cluster's process-level tests: real
// dmaked coordinators and workers on 127.0.0.1, killed and stopped with real
// signals. harness starts them and checks the results; workerfaults and
// leaderfaults hold the tests (two packages, so each runs well under two
// minutes); stamp is the helper recipes use to write the attempt log. This
// package itself has no code.
package proctest

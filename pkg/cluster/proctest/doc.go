// Package proctest holds the cluster's process-level tests: real dmaked
// coordinators and workers on 127.0.0.1, killed with real signals. It has no
// non-test code.
package proctest

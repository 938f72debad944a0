// Package exec runs one step's recipe: the last stage of the pipeline, after
// graph has planned the build and a driver (the local builder, or a cluster
// worker) has picked a step to run.
//
// The driver expands every line of the recipe when the step starts (GNU make
// does the same), decides each line's flags (silent, ignore errors, always
// run), and hands a Job to Run. Run knows nothing of Makefiles or of the
// cluster: it echoes and runs the lines one after the other as GNU make 4.3
// does, byte for byte in what it prints, and returns a Result that says
// whether the step succeeded, failed (how, at which line), was interrupted,
// or could not be started at all (which a cluster treats as an
// infrastructure failure rather than a build failure).
//
// Like GNU make, a line with no shell syntax is executed directly, without
// a shell, when $(SHELL) is /bin/sh. Unlike GNU make, every line runs in its
// own process group, so that cancelling a step (a lost worker, a drained
// one, an interrupted build) kills everything the recipe started: SIGTERM,
// then SIGKILL after a grace period. A recipe also dies with the process
// that runs it (Linux's parent-death signal).
//
// Subpackage jobserver speaks GNU make's jobserver protocol, in both
// directions, so that -j is shared with GNU make processes above and below.
package exec

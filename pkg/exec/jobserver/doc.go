// Package jobserver speaks GNU make's jobserver protocol, so that a build
// tree mixing GNU make and dmake never runs more than -j jobs at once.
//
// It sits beside package exec in the pipeline: the driver that runs steps
// (the local builder) takes a token before it starts a step and gives it
// back when the step ends, and passes the jobserver on to recursive recipe
// lines (Job.ExtraFiles and MAKEFLAGS). The protocol: a pipe (or, GNU make
// 4.4's form, a named fifo) holds one byte per job slot beyond the first;
// every make holds one implicit slot of its own, reads a byte to run one
// more job, and writes the same byte back when that job ends.
//
// A dmake at the top creates the jobserver (NewServer); a dmake started by
// a make finds it in MAKEFLAGS (ParseMakeflags, Join, or Setup for the
// whole start-up decision, warnings included).
package jobserver

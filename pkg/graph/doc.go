// Package graph is the Makefile language and planning: parse, evaluate, and
// turn rules and goals into a Graph of steps. Subpackages hold each stage;
// buildstate is the deterministic state machine both drivers share.
package graph

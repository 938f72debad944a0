// Package makestep carries make steps to cluster workers. The client (dmake
// --cluster) plans the build as it would locally, then Encode turns the
// graph and the variables its recipes need into a cluster.BuildSpec. On a
// worker, Runner decodes them and runs each step through the same
// builder.Stepper the local builder uses: it decides from modification
// times on the shared filesystem whether the recipe must run, expands the
// recipe just before running it (so $(wildcard) and $(shell) see files
// made earlier in the build, wherever they were made), and runs it with
// pkg/exec.
//
// It sits between pkg/cluster (which treats payloads as opaque bytes) and
// pkg/exec/builder; the cluster knows nothing of make, and make nothing of
// the cluster.
package makestep

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
)

// magic starts every build payload this package writes, so a worker can
// tell a make build from the plain shell steps of tests and benchmarks.
const magic = "dmake-build/1\n"

// buildPayload is what every step of a build shares.
type buildPayload struct {
	Dir                                                             string
	Program                                                         string
	Env                                                             []string // the base environment of recipes (MAKEFLAGS, MAKELEVEL, ...)
	Silent, IgnoreErrors, AlwaysMake                                bool
	OneShell, Posix, SilentAll, IgnoreAll, DeleteOnError, ExportAll bool
	Precious                                                        []string
	Suffixes                                                        []string      // .SUFFIXES, for $* of explicit rules
	Sets                                                            [][]varRecord // variable sets; Sets[0] is the global one
}

type varRecord struct {
	Name, Value                  string
	Flavor, Origin, Export       uint8
	Private, Append, Conditional bool
	File                         string
	Line                         int
}

// stepPayload is one step: the target, its recipe, and what the decision
// and the automatic variables need of its prerequisites.
type stepPayload struct {
	Name, Path, Stem string
	Parent           string // the target that needed it, for messages
	Recipe           []lineRecord
	HasRecipe        bool
	Prefix           byte
	Phony, Precious  bool
	Silent, Ignore   bool
	IsTarget, Double bool
	Deps, Order      []depRecord
	Scope            []scopeLink // innermost first; the global set is implied last
}

type lineRecord struct {
	Text string
	File string
	Line int
}

type depRecord struct {
	Name, Path string
	Phony      bool
}

type scopeLink struct {
	Set      int
	Boundary bool
}

func encode(v any, prefix string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(prefix)
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// IsMakeBuild reports whether a build payload was written by Encode.
func IsMakeBuild(payload []byte) bool { return bytes.HasPrefix(payload, []byte(magic)) }

func decodeBuild(p []byte) (*buildPayload, error) {
	if !IsMakeBuild(p) {
		return nil, errors.New("not a make build payload")
	}
	var bp buildPayload
	if err := gob.NewDecoder(bytes.NewReader(p[len(magic):])).Decode(&bp); err != nil {
		return nil, fmt.Errorf("decode build payload: %w", err)
	}
	return &bp, nil
}

func decodeStep(p []byte) (*stepPayload, error) {
	var sp stepPayload
	if err := gob.NewDecoder(bytes.NewReader(p)).Decode(&sp); err != nil {
		return nil, fmt.Errorf("decode step payload: %w", err)
	}
	return &sp, nil
}

package fsm

import (
	"errors"
	"reflect"
	"testing"

	"github.com/dmake/dmake/pkg/graph/buildstate"
)

func TestAddStepsJoinsARunningBuild(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w", 4)
	a0 := x.assign(0, "w", s) // step 0 runs: a recursive make, say
	add := &BuildAddSteps{ID: "b", Key: "sub-1", Steps: []StepSpec{
		{Target: "sub/a", Deps: []int32{1}},
		{Target: "sub/all", Deps: []int32{-1}},
	}}
	if r := x.ok(BuildAddStepsType, add); r.First != 3 {
		t.Fatalf("first %d, want 3", r.First)
	}
	if r := x.ok(BuildAddStepsType, add); r.First != 3 || x.build().State.Len() != 5 {
		t.Fatalf("repeat: first %d, %d steps", r.First, x.build().State.Len())
	}
	b := x.build()
	if b.State.Status(3) != buildstate.Waiting || !reflect.DeepEqual(b.State.Deps(4), []buildstate.StepID{3}) {
		t.Fatalf("step 3 %v, deps of 4 %v", b.State.Status(3), b.State.Deps(4))
	}
	for _, bad := range [][]int32{{5}, {-1}, {-2}} {
		r := x.apply(BuildAddStepsType, &BuildAddSteps{ID: "b", Key: "bad", Steps: []StepSpec{{Target: "x", Deps: bad}}})
		if !errors.Is(r.Err, ErrBadDep) {
			t.Errorf("deps %v: %v", bad, r.Err)
		}
	}
	// The round trip keeps the keys.
	g := roundTrip(t, x.f)
	if !reflect.DeepEqual(capture(x.f.st), capture(g.st)) {
		t.Fatal("restored state differs")
	}
	// Finish everything; afterwards a new key is refused, an old one answered.
	a1 := x.assign(1, "w", s)
	x.ok(CompleteType, &Complete{Results: []ResultItem{{Build: "b", Step: 0, Attempt: a0, Session: s}, {Build: "b", Step: 1, Attempt: a1, Session: s}}})
	for _, id := range []int32{2, 3, 4} {
		a := x.assign(id, "w", s)
		x.ok(CompleteType, &Complete{Results: []ResultItem{{Build: "b", Step: id, Attempt: a, Session: s}}})
	}
	if !b.Finished || b.Status() != "succeeded" {
		t.Fatalf("build %s", b.Status())
	}
	if r := x.apply(BuildAddStepsType, &BuildAddSteps{ID: "b", Key: "late", Steps: []StepSpec{{Target: "x"}}}); !errors.Is(r.Err, ErrBuildFinished) {
		t.Fatalf("late add: %v", r.Err)
	}
	if r := x.ok(BuildAddStepsType, add); r.First != 3 {
		t.Fatalf("old key after the end: %d", r.First)
	}
}

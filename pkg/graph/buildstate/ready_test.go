package buildstate

import (
	"reflect"
	"testing"
)

func TestReadyStepsDoesNotTake(t *testing.T) {
	s, err := New([]Spec{{Priority: 5}, {Priority: 1}, {Priority: 3}, {Deps: []StepID{0}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.ReadySteps(), []StepID{1, 2, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadySteps = %v, want %v", got, want)
	}
	// Starting a step directly (without Next) removes it from the list.
	a, err := s.Start(2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.ReadySteps(), []StepID{1, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after Start: ReadySteps = %v, want %v", got, want)
	}
	// A lost attempt comes back once, not twice, even though the stale heap
	// entry from before the Start is still there.
	if _, err := s.Lose(2, a, true); err != nil {
		t.Fatal(err)
	}
	if got, want := s.ReadySteps(), []StepID{1, 2, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after Lose: ReadySteps = %v, want %v", got, want)
	}
	if id, ok := s.Next(); !ok || id != 1 {
		t.Fatalf("Next = %d,%v after ReadySteps; want 1", id, ok)
	}
}

func TestCompactReadyKeepsOrder(t *testing.T) {
	specs := make([]Spec, 2000)
	for i := range specs {
		specs[i] = Spec{Priority: int64(len(specs) - i)}
	}
	s, err := New(specs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for id := StepID(0); id < 1500; id++ {
		if _, err := s.Start(id); err != nil {
			t.Fatal(err)
		}
	}
	before := s.ReadySteps()
	s.CompactReady()
	if len(s.ready) != 500 {
		t.Fatalf("queue holds %d entries after compaction, want 500", len(s.ready))
	}
	if after := s.ReadySteps(); !reflect.DeepEqual(before, after) {
		t.Fatal("compaction changed the ready steps")
	}
	if id, ok := s.Next(); !ok || id != 1999 {
		t.Fatalf("Next = %d, %v", id, ok)
	}
}

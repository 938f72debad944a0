package buildstate

import (
	"errors"
	"reflect"
	"testing"
)

// chain: 0 <- 1 <- 2, and 3 independent. Priorities follow IDs.
func diamond(t *testing.T, opts Options) *State {
	t.Helper()
	// 0 and 1 are leaves, 2 needs both, 3 needs 2.
	s, err := New([]Spec{
		{Priority: 0},
		{Priority: 1},
		{Deps: []StepID{0, 1}, Priority: 2},
		{Deps: []StepID{2}, Priority: 3},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNext(t *testing.T, s *State, want StepID) uint32 {
	t.Helper()
	id, ok := s.Next()
	if !ok || id != want {
		t.Fatalf("Next = %d,%v; want %d", id, ok, want)
	}
	a, err := s.Start(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestOrderFollowsPriority(t *testing.T) {
	s := diamond(t, Options{})
	var order []StepID
	for !s.Done() {
		id, ok := s.Next()
		if !ok {
			t.Fatal("nothing ready but not done")
		}
		a, _ := s.Start(id)
		if err := s.Succeed(id, a, true); err != nil {
			t.Fatal(err)
		}
		order = append(order, id)
	}
	if !reflect.DeepEqual(order, []StepID{0, 1, 2, 3}) {
		t.Fatalf("order %v", order)
	}
}

func TestFailureStopsWithoutKeepGoing(t *testing.T) {
	s := diamond(t, Options{})
	a0 := mustNext(t, s, 0)
	a1 := mustNext(t, s, 1)
	if err := s.Fail(0, a0); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Next(); ok {
		t.Fatal("a step became ready after a failure without -k")
	}
	if s.Done() {
		t.Fatal("done while step 1 still runs")
	}
	if err := s.Succeed(1, a1, true); err != nil {
		t.Fatal(err)
	}
	if !s.Done() || s.Status(2) != Skipped || s.Status(3) != Skipped || s.Failures() != 1 {
		t.Fatalf("done=%v 2=%v 3=%v", s.Done(), s.Status(2), s.Status(3))
	}
}

func TestKeepGoingRunsIndependentSteps(t *testing.T) {
	s, _ := New([]Spec{{Priority: 0}, {Deps: []StepID{0}, Priority: 1}, {Priority: 2}}, Options{KeepGoing: true})
	a0 := mustNext(t, s, 0)
	s.Fail(0, a0)
	if s.Status(1) != Skipped {
		t.Fatalf("dependent of failed step is %v", s.Status(1))
	}
	a2 := mustNext(t, s, 2)
	s.Succeed(2, a2, false)
	if !s.Done() {
		t.Fatal("not done")
	}
}

func TestStaleAttemptRejected(t *testing.T) {
	s := diamond(t, Options{})
	a := mustNext(t, s, 0)
	if _, err := s.Lose(0, a, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Succeed(0, a, true); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("late result of lost attempt: err=%v", err)
	}
	a2 := mustNext(t, s, 0)
	if a2 == a {
		t.Fatal("requeued step reused its attempt number")
	}
	if err := s.Succeed(0, a, true); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("old attempt accepted while new one runs: %v", err)
	}
	if err := s.Succeed(0, a2, true); err != nil {
		t.Fatal(err)
	}
}

func TestPoisonAfterMaxLosses(t *testing.T) {
	s := diamond(t, Options{MaxLosses: 3})
	for i := 1; i <= 3; i++ {
		a := mustNext(t, s, 0)
		poisoned, err := s.Lose(0, a, true)
		if err != nil {
			t.Fatal(err)
		}
		if poisoned != (i == 3) {
			t.Fatalf("loss %d: poisoned=%v", i, poisoned)
		}
	}
	if s.Status(0) != Poisoned || s.Losses(0) != 3 || !s.Stopped() {
		t.Fatalf("status %v losses %d", s.Status(0), s.Losses(0))
	}
}

func TestUncountedLossNeverPoisons(t *testing.T) {
	s := diamond(t, Options{MaxLosses: 1})
	for i := 0; i < 5; i++ {
		a := mustNext(t, s, 0)
		if p, _ := s.Lose(0, a, false); p {
			t.Fatal("drain counted as a loss")
		}
	}
	if s.Losses(0) != 0 || s.Status(0) != Ready {
		t.Fatalf("losses %d status %v", s.Losses(0), s.Status(0))
	}
}

func TestAddJoinsRunningBuild(t *testing.T) {
	s := diamond(t, Options{})
	a := mustNext(t, s, 0)
	first, err := s.Add([]Spec{{Deps: []StepID{0}, Priority: 10}, {Deps: []StepID{4}, Priority: 11}})
	if err != nil || first != 4 {
		t.Fatalf("Add = %d, %v", first, err)
	}
	s.Succeed(0, a, true)
	mustNext(t, s, 1)
	mustNext(t, s, 4)
	if _, err := s.Add([]Spec{{Deps: []StepID{99}}}); err == nil {
		t.Fatal("Add accepted a dependency on an unknown step")
	}
	if _, err := s.Add([]Spec{{Deps: []StepID{7}}}); err == nil {
		t.Fatal("Add accepted a self-dependency")
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	s := diamond(t, Options{KeepGoing: true})
	a0 := mustNext(t, s, 0)
	mustNext(t, s, 1)
	s.Succeed(0, a0, true)
	l := Load(s.Save())
	if !reflect.DeepEqual(l.Save(), s.Save()) {
		t.Fatal("Save(Load(Save)) differs")
	}
	if l.Running() != 1 || l.Done() || l.Status(1) != Running {
		t.Fatalf("running=%d", l.Running())
	}
	if err := l.Succeed(1, 1, false); err != nil {
		t.Fatal(err)
	}
	if id, ok := l.Next(); !ok || id != 2 {
		t.Fatalf("after load Next = %d,%v", id, ok)
	}
}

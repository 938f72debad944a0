package main

import (
	"slices"
	"testing"
)

func TestNormalise(t *testing.T) {
	gnuOut := "make[1]: Entering directory '/w/src'\n/usr/bin/make all X=1\nmake: Nothing to be done for 'all'.\n"
	dmOut := "/opt/bin/dmake all X=1\ndmake[1]: Entering directory '/w/src'\ndmake: Nothing to be done for 'all'.\n"
	g, d := normalise(gnuOut, "/usr/bin/make"), normalise(dmOut, "/opt/bin/dmake")
	if !slices.Equal(g, d) {
		t.Fatalf("normalised outputs differ:\n%q\n%q", g, d)
	}
	if other := normalise("dmake: *** [Makefile:2: all] Error 1\n", "/opt/bin/dmake"); slices.Equal(g, other) {
		t.Fatal("different outputs compare equal")
	}
}

func TestMedian(t *testing.T) {
	if m := median([]int64{5, 1, 3}); m != 3 {
		t.Fatalf("median of 5 1 3 = %d", m)
	}
	if m := median([]int64{4, 1, 3, 2}); m != 2 {
		t.Fatalf("median of 4 1 3 2 = %d", m)
	}
}

package coord

import (
	"reflect"
	"testing"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	"github.com/dmake/dmake/pkg/graph/buildstate"
)

func TestPlan(t *testing.T) {
	ba, bb := &fsm.Build{ID: "a"}, &fsm.Build{ID: "b"}
	cands := func(b *fsm.Build, n int, lostOn ...string) []candidate {
		var out []candidate
		for i := range n {
			out = append(out, candidate{build: b, step: buildstate.StepID(i), lostOn: lostOn})
		}
		return out
	}
	slots := func(free ...int) []*slot {
		var out []*slot
		for i, f := range free {
			out = append(out, &slot{conn: &workerConn{id: string(rune('x' + i))}, free: f})
		}
		return out
	}
	type pick struct {
		build  string
		step   int
		worker string
	}
	for _, tc := range []struct {
		name     string
		perBuild [][]candidate
		slots    []*slot
		want     []pick
	}{
		{"no slots", [][]candidate{cands(ba, 2)}, nil, nil},
		{"builds take turns", [][]candidate{cands(ba, 3), cands(bb, 3)}, slots(2, 2),
			[]pick{{"a", 0, "x"}, {"b", 0, "y"}, {"a", 1, "x"}, {"b", 1, "y"}}},
		{"most free slots first", [][]candidate{cands(ba, 2)}, slots(1, 3),
			[]pick{{"a", 0, "y"}, {"a", 1, "y"}}},
		{"avoid the worker that lost it", [][]candidate{cands(ba, 1, "y")}, slots(1, 3),
			[]pick{{"a", 0, "x"}}},
		{"but use it if nothing else is free", [][]candidate{cands(ba, 1, "x", "y")}, slots(1, 3),
			[]pick{{"a", 0, "y"}}},
		{"a worker that cannot run a build is skipped for it only", [][]candidate{
			{{build: ba, step: 0, cannot: map[string]string{"x": "no"}}, {build: ba, step: 1, cannot: map[string]string{"x": "no"}}},
			cands(bb, 2)}, slots(2, 1),
			[]pick{{"a", 0, "y"}, {"b", 0, "x"}, {"b", 1, "x"}}},
		{"short build drops out", [][]candidate{cands(ba, 1), cands(bb, 3)}, slots(5),
			[]pick{{"a", 0, "x"}, {"b", 0, "x"}, {"b", 1, "x"}, {"b", 2, "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []pick
			for _, a := range plan(tc.perBuild, tc.slots) {
				got = append(got, pick{a.cand.build.ID, int(a.cand.step), a.conn.id})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	cfg := Config{}
	cfg.setDefaults()
	for losses, want := range []string{"0s", "0s", "5s", "20s", "20s"} {
		if got := cfg.backoff(uint32(losses)).String(); got != want {
			t.Errorf("backoff after %d losses = %s, want %s", losses, got, want)
		}
	}
}

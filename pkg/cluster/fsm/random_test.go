package fsm

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/dmake/dmake/pkg/graph/buildstate"
	"github.com/hashicorp/raft"
)

// randomCommands returns a seeded, random but plausible command stream:
// builds, workers registering and going down, assignments, results (some
// stale), output, requeues, drains, cancels and added steps.
func randomCommands(seed uint64, n int) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out [][]byte
	add := func(t MsgType, v any) { out = append(out, MustEncode(t, v)) }
	builds := []string{"a", "b", "c"}
	workers := []string{"w1", "w2", "w3"}
	for _, b := range builds {
		add(BuildSubmitType, &BuildSubmit{ID: b, Options: Options{Jobs: int32(r.IntN(4)), KeepGoing: r.IntN(2) == 0}})
		var steps []StepSpec
		for i := range 30 {
			sp := StepSpec{Target: fmt.Sprint(i), Priority: int64(r.IntN(10))}
			if i > 0 && r.IntN(3) > 0 {
				sp.Deps = []int32{int32(r.IntN(i))}
			}
			steps = append(steps, sp)
		}
		add(BuildChunkType, &BuildChunk{ID: b, Steps: steps})
		add(BuildSealType, &BuildSeal{ID: b, Chunks: 1, Steps: 30})
	}
	for i := range n {
		b, w := builds[r.IntN(3)], workers[r.IntN(3)]
		step, att, sess := int32(r.IntN(32)), uint32(r.IntN(4)), uint64(r.IntN(n))
		switch r.IntN(12) {
		case 0:
			add(WorkerRegisterType, &WorkerRegister{ID: w, Slots: int32(1 + r.IntN(4)), Stamp: int64(i)})
		case 1:
			add(WorkerDownType, &WorkerDown{ID: w, Session: sess, Stamp: int64(i)})
		case 2, 3, 4:
			add(AssignType, &Assign{Items: []AssignItem{{Build: b, Step: step, Worker: w, Session: sess}}, Stamp: int64(i)})
		case 5, 6, 7:
			add(CompleteType, &Complete{
				Outputs: []OutputItem{{Build: b, Step: step, Attempt: att, Session: sess, Offset: uint64(r.IntN(3)), Data: []byte("out")}},
				Results: []ResultItem{{Build: b, Step: step, Attempt: att, Session: sess, Failed: r.IntN(8) == 0}}, Stamp: int64(i)})
		case 8:
			add(RequeueType, &Requeue{Items: []RequeueItem{{Build: b, Step: step, Attempt: att, Counted: r.IntN(2) == 0}}, Stamp: int64(i)})
		case 9:
			add(WorkerDrainType, &WorkerDrain{ID: w, Enable: r.IntN(2) == 0, Deadline: int64(r.IntN(2) * i)})
		case 10:
			if r.IntN(10) == 0 {
				add(BuildCancelType, &BuildCancel{ID: b, Stamp: int64(i)})
			}
		case 11:
			add(BuildAddStepsType, &BuildAddSteps{ID: b, Key: fmt.Sprint(r.IntN(5)), Steps: []StepSpec{{Target: "x", Deps: []int32{int32(r.IntN(30))}}}})
		}
	}
	return out
}

// Sessions and attempts in randomCommands are guesses, so most commands are
// rejected; to exercise the accepting paths too, this driver also builds
// commands from the FSM's own state (as the leader does).
func applyAll(t *testing.T, fs []*FSM, cmds [][]byte, first uint64) {
	t.Helper()
	for i, c := range cmds {
		for _, f := range fs {
			f.Apply(&raft.Log{Index: first + uint64(i), Type: raft.LogCommand, Data: c})
		}
	}
}

// informed turns the state into commands that will be accepted: assign
// ready steps to ready workers, finish running attempts.
func informed(f *FSM, r *rand.Rand, stamp int64) [][]byte {
	var out [][]byte
	f.Read(func(st *State) {
		var ws []*Worker
		for _, w := range st.SortedWorkers() {
			if w.Status == StatusReady && w.Running < w.Slots {
				ws = append(ws, w)
			}
		}
		for _, b := range st.SortedBuilds() {
			if !b.Sealed {
				continue
			}
			for _, id := range b.State.ReadySteps() {
				if len(ws) > 0 && r.IntN(2) == 0 {
					w := ws[r.IntN(len(ws))]
					out = append(out, MustEncode(AssignType, &Assign{Items: []AssignItem{{Build: b.ID, Step: int32(id), Worker: w.ID, Session: w.Session}}, Stamp: stamp}))
				}
			}
			for i := range b.Steps {
				id := buildstate.StepID(i)
				if b.State.Status(id) == buildstate.Running && r.IntN(2) == 0 {
					out = append(out, MustEncode(CompleteType, &Complete{Results: []ResultItem{{Build: b.ID, Step: int32(i),
						Attempt: b.State.Attempt(id), Session: b.Steps[i].Session, Failed: r.IntN(10) == 0}}, Stamp: stamp}))
				}
			}
		}
	})
	return out
}

// TestRandomHistoriesReplicateAndRestore: two FSMs fed the same entries end
// equal (Apply is deterministic), and one restored from a snapshot midway
// and fed the rest ends equal too.
func TestRandomHistoriesReplicateAndRestore(t *testing.T) {
	for seed := range uint64(8) {
		a, b := New(Config{OutputLimit: 8}), New(Config{OutputLimit: 8})
		r := rand.New(rand.NewPCG(seed, 1))
		index := uint64(1)
		run := func(fs ...*FSM) {
			for round := range 20 {
				cmds := randomCommands(seed*100+uint64(round), 20)
				cmds = append(cmds, informed(fs[0], r, int64(round))...)
				applyAll(t, fs, cmds, index)
				index += uint64(len(cmds))
			}
		}
		run(a, b)
		c := roundTrip(t, a)
		run(a, b, c)
		ia, ib, ic := capture(a.st), capture(b.st), capture(c.st)
		if !reflect.DeepEqual(ia, ib) {
			t.Fatalf("seed %d: replicas differ", seed)
		}
		if !reflect.DeepEqual(ia, ic) {
			t.Fatalf("seed %d: restored replica differs", seed)
		}
	}
}

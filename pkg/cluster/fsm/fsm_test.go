package fsm

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/dmake/dmake/pkg/graph/buildstate"
	"github.com/hashicorp/raft"
)

type tfsm struct {
	t     *testing.T
	f     *FSM
	index uint64
}

func newT(t *testing.T) *tfsm { return &tfsm{t: t, f: New(Config{OutputLimit: 64})} }

func (x *tfsm) apply(typ MsgType, body any) *Result {
	x.t.Helper()
	x.index++
	r := x.f.Apply(&raft.Log{Index: x.index, Type: raft.LogCommand, Data: MustEncode(typ, body)})
	return r.(*Result)
}

func (x *tfsm) ok(typ MsgType, body any) *Result {
	x.t.Helper()
	r := x.apply(typ, body)
	if r.Err != nil {
		x.t.Fatalf("apply %d: %v", typ, r.Err)
	}
	for i, err := range r.Items {
		if err != nil {
			x.t.Fatalf("apply %d item %d: %v", typ, i, err)
		}
	}
	return r
}

// submit creates build "b": 0 and 1 are leaves, 2 needs both.
func (x *tfsm) submit(opts Options) {
	x.ok(BuildSubmitType, &BuildSubmit{ID: "b", Options: opts, Dir: "/src", ProbePath: ".probe", ProbeContent: []byte("p"), Stamp: 1})
	x.ok(BuildChunkType, &BuildChunk{ID: "b", Chunk: 0, PayloadPart: []byte("db-"), Steps: []StepSpec{{Target: "a.o", Payload: []byte("cc a")}, {Target: "b.o", Priority: 1}}})
	x.ok(BuildChunkType, &BuildChunk{ID: "b", Chunk: 1, PayloadPart: []byte("part2"), Steps: []StepSpec{{Target: "prog", Deps: []int32{0, 1}, Priority: 2}}})
	x.ok(BuildSealType, &BuildSeal{ID: "b", Chunks: 2, Steps: 3, PayloadLen: 8, Stamp: 2})
}

func (x *tfsm) register(id string, slots int32) uint64 {
	return x.ok(WorkerRegisterType, &WorkerRegister{ID: id, Name: id, Slots: slots}).Session
}

func (x *tfsm) assign(step int32, w string, sess uint64) uint32 {
	x.t.Helper()
	return x.ok(AssignType, &Assign{Items: []AssignItem{{Build: "b", Step: step, Worker: w, Session: sess}}}).Attempts[0]
}

func (x *tfsm) build() *Build { return x.f.st.Builds["b"] }

func (x *tfsm) status(step int) buildstate.Status {
	return x.build().State.Status(buildstate.StepID(step))
}

func TestBuildRunsToSuccess(t *testing.T) {
	x := newT(t)
	x.submit(Options{Jobs: 2})
	// Resending an applied chunk or the seal is a no-op.
	x.ok(BuildChunkType, &BuildChunk{ID: "b", Chunk: 0, PayloadPart: []byte("db-")})
	x.ok(BuildSealType, &BuildSeal{ID: "b", Chunks: 2, Steps: 3, PayloadLen: 8})
	if got := string(x.build().Payload); got != "db-part2" {
		t.Fatalf("payload %q", got)
	}
	s := x.register("w1", 4)
	a0, a1 := x.assign(0, "w1", s), x.assign(1, "w1", s)
	x.ok(CompleteType, &Complete{
		Outputs: []OutputItem{{Build: "b", Step: 0, Attempt: a0, Session: s, Data: []byte("compiling a\n")}},
		Results: []ResultItem{{Build: "b", Step: 0, Attempt: a0, Session: s, Changed: true}, {Build: "b", Step: 1, Attempt: a1, Session: s}},
	})
	if x.status(2) != buildstate.Ready {
		t.Fatalf("step 2 is %v, want ready", x.status(2))
	}
	a2 := x.assign(2, "w1", s)
	x.ok(CompleteType, &Complete{Results: []ResultItem{{Build: "b", Step: 2, Attempt: a2, Session: s}}, Stamp: 99})
	b := x.build()
	if b.Status() != "succeeded" || b.FinishedAt != 99 {
		t.Fatalf("build %s finished at %d", b.Status(), b.FinishedAt)
	}
	var kinds []int32
	for i, e := range b.Events {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		kinds = append(kinds, e.Kind)
	}
	want := []int32{EvSubmitted, EvStepStarted, EvStepStarted, EvOutput, EvStepFinished, EvStepFinished, EvStepStarted, EvStepFinished, EvBuildFinished}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("event kinds %v, want %v", kinds, want)
	}
	if w := x.f.st.Workers["w1"]; w.Running != 0 {
		t.Fatalf("worker still counts %d running", w.Running)
	}
}

func TestChunkGapAndSealMismatchRejected(t *testing.T) {
	x := newT(t)
	x.ok(BuildSubmitType, &BuildSubmit{ID: "b"})
	if r := x.apply(BuildChunkType, &BuildChunk{ID: "b", Chunk: 1}); !errors.Is(r.Err, ErrChunkGap) {
		t.Fatalf("gap: %v", r.Err)
	}
	x.ok(BuildChunkType, &BuildChunk{ID: "b", Chunk: 0, Steps: []StepSpec{{Target: "x"}}})
	if r := x.apply(BuildSealType, &BuildSeal{ID: "b", Chunks: 1, Steps: 2}); !errors.Is(r.Err, ErrSealMismatch) {
		t.Fatalf("mismatch: %v", r.Err)
	}
	if x.build().Sealed {
		t.Fatal("sealed after a mismatch")
	}
}

func TestResultsAreFenced(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w1", 2)
	a := x.assign(0, "w1", s)
	res := func(att uint32, sess uint64, failed bool, code int32) error {
		return x.apply(CompleteType, &Complete{Results: []ResultItem{{Build: "b", Step: 0, Attempt: att, Session: sess, Failed: failed, ExitCode: code}}}).Items[0]
	}
	if err := res(a+1, s, false, 0); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("future attempt: %v", err)
	}
	if err := res(a, s+7, false, 0); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("other session: %v", err)
	}
	if err := res(a, s, false, 0); err != nil {
		t.Fatal(err)
	}
	if err := res(a, s, false, 0); err != nil {
		t.Fatalf("identical duplicate: %v", err)
	}
	if err := res(a, s, true, 2); !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("conflicting duplicate: %v", err)
	}
	if x.status(0) != buildstate.Succeeded {
		t.Fatalf("step 0 %v", x.status(0))
	}
	// Output of a finished attempt is dropped.
	n := len(x.build().Events)
	x.ok(CompleteType, &Complete{Outputs: []OutputItem{{Build: "b", Step: 0, Attempt: a, Session: s, Data: []byte("late")}}})
	if len(x.build().Events) != n {
		t.Fatal("late output recorded")
	}
}

func TestAssignChecksWorker(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w1", 1)
	r := x.apply(AssignType, &Assign{Items: []AssignItem{
		{Build: "b", Step: 0, Worker: "w1", Session: s + 1},
		{Build: "b", Step: 2, Worker: "w1", Session: s},
		{Build: "b", Step: 0, Worker: "w1", Session: s},
		{Build: "b", Step: 1, Worker: "w1", Session: s},
		{Build: "b", Step: 1, Worker: "nobody", Session: s},
	}})
	want := []error{ErrStaleSession, buildstate.ErrNotReady, nil, ErrNoFreeSlot, ErrUnknownWorker}
	for i, err := range r.Items {
		if !errors.Is(err, want[i]) {
			t.Errorf("item %d: %v, want %v", i, err, want[i])
		}
	}
	x.ok(WorkerDrainType, &WorkerDrain{ID: "w1", Enable: true})
	s2 := x.register("w2", 1)
	x.ok(WorkerDrainType, &WorkerDrain{ID: "w2", Enable: true})
	if r := x.apply(AssignType, &Assign{Items: []AssignItem{{Build: "b", Step: 1, Worker: "w2", Session: s2}}}); !errors.Is(r.Items[0], ErrNotEligible) {
		t.Fatalf("draining worker: %v", r.Items[0])
	}
	x.ok(WorkerDrainType, &WorkerDrain{ID: "w2", Enable: false})
	x.assign(1, "w2", s2)

	// A drain of a worker that is down holds when it registers again.
	x.ok(WorkerDownType, &WorkerDown{ID: "w2", Session: s2})
	x.ok(WorkerDrainType, &WorkerDrain{ID: "w2", Enable: true})
	x.register("w2", 1)
	if st := x.f.st.Workers["w2"].Status; st != StatusDraining {
		t.Fatalf("re-registered drained worker is %v", st)
	}
}

func TestWorkerDownRequeuesExactlyOnce(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w1", 2)
	a0 := x.assign(0, "w1", s)
	x.assign(1, "w1", s)
	if r := x.ok(WorkerDownType, &WorkerDown{ID: "w1", Session: s, Reason: "lease expired", Stamp: 50}); r.Lost != 2 {
		t.Fatalf("WorkerDown lost %d attempts, want 2", r.Lost)
	}
	if r := x.apply(WorkerDownType, &WorkerDown{ID: "w1", Session: s}); !errors.Is(r.Err, ErrStaleSession) {
		t.Fatalf("second WorkerDown: %v", r.Err)
	}
	b := x.build()
	for _, id := range []buildstate.StepID{0, 1} {
		if b.State.Status(id) != buildstate.Ready || b.State.Losses(id) != 1 || b.Steps[id].LostAt != 50 {
			t.Fatalf("step %d: %v losses %d lostAt %d", id, b.State.Status(id), b.State.Losses(id), b.Steps[id].LostAt)
		}
	}
	// The dead session's result is rejected; a new session runs it again.
	if err := x.apply(CompleteType, &Complete{Results: []ResultItem{{Build: "b", Step: 0, Attempt: a0, Session: s}}}).Items[0]; !errors.Is(err, ErrStaleAttempt) {
		t.Fatalf("dead session's result: %v", err)
	}
	s2 := x.register("w2", 2)
	if a := x.assign(0, "w2", s2); a != a0+1 {
		t.Fatalf("new attempt %d, want %d", a, a0+1)
	}
	// A worker registering again ends its old session the same way.
	x.ok(WorkerRegisterType, &WorkerRegister{ID: "w2", Slots: 2})
	if b.State.Status(0) != buildstate.Ready || b.State.Losses(0) != 2 {
		t.Fatalf("after re-register: %v losses %d", b.State.Status(0), b.State.Losses(0))
	}
}

func TestPoisonNamesTheWorkers(t *testing.T) {
	x := newT(t)
	x.submit(Options{KeepGoing: true})
	for _, w := range []string{"alpha", "beta", "gamma"} {
		s := x.register(w, 1)
		x.assign(0, w, s)
		x.ok(WorkerDownType, &WorkerDown{ID: w, Session: s})
	}
	b := x.build()
	if b.State.Status(0) != buildstate.Poisoned {
		t.Fatalf("step 0 %v", b.State.Status(0))
	}
	if msg := b.Steps[0].Message; !strings.Contains(msg, "alpha, beta, gamma") {
		t.Fatalf("message %q", msg)
	}
	// A drain requeue is not a loss.
	s := x.register("delta", 1)
	a := x.assign(1, "delta", s)
	x.ok(RequeueType, &Requeue{Items: []RequeueItem{{Build: "b", Step: 1, Attempt: a, Reason: "drain deadline"}}})
	if b.State.Status(1) != buildstate.Ready || b.State.Losses(1) != 0 {
		t.Fatalf("step 1 %v losses %d", b.State.Status(1), b.State.Losses(1))
	}
}

func TestOutputIsBounded(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w", 1)
	a := x.assign(0, "w", s)
	chunk := OutputItem{Build: "b", Step: 0, Attempt: a, Session: s, Data: bytes.Repeat([]byte("x"), 40)}
	c2, c3 := chunk, chunk
	c2.Offset, c3.Offset = 40, 80
	x.ok(CompleteType, &Complete{Outputs: []OutputItem{chunk, c2, c3}})
	var total int
	for _, e := range x.build().Events {
		if e.Kind == EvOutput {
			total += len(e.Data)
		}
	}
	if !x.build().Steps[0].Truncated || total > 64+len("\n[dmake: output truncated]\n") {
		t.Fatalf("kept %d bytes, truncated %v", total, x.build().Steps[0].Truncated)
	}
}

// Output may be resent after a reconnect: each byte is kept once, and a
// chunk past a gap waits for the resend that fills it.
func TestOutputResendKeepsEachByteOnce(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w", 1)
	a := x.assign(0, "w", s)
	out := func(off uint64, data string) OutputItem {
		return OutputItem{Build: "b", Step: 0, Attempt: a, Session: s, Offset: off, Data: []byte(data)}
	}
	x.ok(CompleteType, &Complete{Outputs: []OutputItem{out(0, "hel"), out(6, "gap"), out(0, "hello "), out(3, "lo"), out(0, "hello world")}})
	var got string
	for _, e := range x.build().Events {
		if e.Kind == EvOutput {
			got += string(e.Data)
		}
	}
	if got != "hello world" {
		t.Fatalf("output %q", got)
	}
}

func TestCancelStopsTheBuild(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	s := x.register("w", 2)
	a := x.assign(0, "w", s)
	x.ok(BuildCancelType, &BuildCancel{ID: "b"})
	if r := x.apply(AssignType, &Assign{Items: []AssignItem{{Build: "b", Step: 1, Worker: "w", Session: s}}}); !errors.Is(r.Items[0], ErrBuildStopped) {
		t.Fatalf("assign after cancel: %v", r.Items[0])
	}
	if x.build().Finished {
		t.Fatal("finished with a step still running")
	}
	x.ok(CompleteType, &Complete{Results: []ResultItem{{Build: "b", Step: 0, Attempt: a, Session: s, Failed: true, ExitCode: -1, Message: "cancelled"}}})
	if st := x.build().Status(); st != "cancelled" {
		t.Fatalf("status %s", st)
	}
	x.ok(BuildGCType, &BuildGC{ID: "b"})
	if x.build() != nil {
		t.Fatal("build kept after GC")
	}
}

func TestUnknownTypes(t *testing.T) {
	x := newT(t)
	x.ok(IgnoreUnknown|100, &BuildGC{})
	mustPanic(t, func() { x.apply(100, &BuildGC{}) })
	mustPanic(t, func() {
		x.f.Apply(&raft.Log{Index: 9, Type: raft.LogCommand, Data: []byte{byte(AssignType), 0xc1, 0xff}})
	})
}

func mustPanic(t *testing.T, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	fn()
}

type memSink struct {
	bytes.Buffer
	cancelled bool
}

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { m.cancelled = true; return nil }
func (m *memSink) Close() error  { return nil }

func roundTrip(t *testing.T, f *FSM) *FSM {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	g := New(f.cfg)
	if err := g.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	x := newT(t)
	x.submit(Options{Jobs: 3, KeepGoing: true})
	x.ok(BuildSubmitType, &BuildSubmit{ID: "half", Dir: "/x"})
	x.ok(BuildChunkType, &BuildChunk{ID: "half", PayloadPart: []byte("p"), Steps: []StepSpec{{Target: "t"}}})
	x.ok(ServerAddrType, &ServerAddr{ID: "c1", RPCAddr: "127.0.0.1:1"})
	s := x.register("w1", 2)
	a := x.assign(0, "w1", s)
	x.assign(1, "w1", s)
	x.ok(CompleteType, &Complete{Outputs: []OutputItem{{Build: "b", Step: 0, Attempt: a, Session: s, Data: []byte("hi")}}})
	s2 := x.register("w2", 1)
	x.ok(WorkerDownType, &WorkerDown{ID: "w1", Session: s})
	x.ok(WorkerDrainType, &WorkerDrain{ID: "w2", Enable: true, Deadline: 1234})

	g := roundTrip(t, x.f)
	if !reflect.DeepEqual(capture(x.f.st), capture(g.st)) {
		t.Fatalf("restored state differs:\n%+v\n%+v", capture(x.f.st), capture(g.st))
	}
	// Both go on identically, including ready order rebuilt by Load.
	y := &tfsm{t: t, f: g, index: x.index}
	for _, z := range []*tfsm{x, y} {
		z.ok(WorkerDrainType, &WorkerDrain{ID: "w2"})
		z.assign(0, "w2", s2)
	}
	if !reflect.DeepEqual(capture(x.f.st), capture(y.f.st)) {
		t.Fatal("states diverge after restore")
	}
	if got := g.st.Builds["b"].State.ReadySteps(); !reflect.DeepEqual(got, []buildstate.StepID{1}) {
		t.Fatalf("ready after restore %v", got)
	}
}

func TestRestoreReplacesEverything(t *testing.T) {
	x := newT(t)
	x.submit(Options{})
	empty := New(Config{})
	g := roundTrip(t, empty)
	snapOfEmpty, _ := g.Snapshot()
	var sink memSink
	if err := snapOfEmpty.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	if err := x.f.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	if len(x.f.st.Builds) != 0 || len(x.f.st.Workers) != 0 {
		t.Fatal("restore left old state behind")
	}
}

package fsm

import (
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// Result is what Apply returns for every entry (raft's future.Response()).
type Result struct {
	Err      error    // the whole command was rejected
	Items    []error  // batches: one per item, nil when applied
	Attempts []uint32 // Assign: the attempt started per item (0 if rejected)
	Session  uint64   // WorkerRegister: the new session
	First    int32    // BuildAddSteps: the first step added
	Lost     int32    // WorkerDown, WorkerRegister: attempts lost with the ended session
}

// Config holds the FSM's limits.
type Config struct {
	// OutputLimit is how many bytes of output are kept per step attempt;
	// more is dropped and the step's output ends with a truncation note.
	OutputLimit int
}

// DefaultOutputLimit is Config.OutputLimit when zero.
const DefaultOutputLimit = 256 << 10

// FSM is the raft.FSM of a coordinator.
type FSM struct {
	cfg     Config
	mu      sync.RWMutex // guards st and changed
	st      *State
	changed chan struct{}
}

// New returns an empty FSM.
func New(cfg Config) *FSM {
	if cfg.OutputLimit <= 0 {
		cfg.OutputLimit = DefaultOutputLimit
	}
	return &FSM{cfg: cfg, st: newState(), changed: make(chan struct{})}
}

// Read calls f with the state under the read lock. f must not modify the
// state or keep references to it after returning.
func (f *FSM) Read(fn func(*State)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.st)
}

// Changed returns a channel closed at the next applied entry.
func (f *FSM) Changed() <-chan struct{} {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.changed
}

// Apply applies one committed log entry.
func (f *FSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.dispatch(l.Data, l.Index)
	f.st.Applied = l.Index
	close(f.changed)
	f.changed = make(chan struct{})
	return res
}

func (f *FSM) dispatch(buf []byte, index uint64) *Result {
	if len(buf) == 0 {
		panic("fsm: empty log entry")
	}
	t, body := MsgType(buf[0]), buf[1:]
	a := applier{st: f.st, cfg: f.cfg, index: index}
	switch t {
	case BuildSubmitType:
		var c BuildSubmit
		decode(body, &c)
		return a.buildSubmit(&c)
	case BuildChunkType:
		var c BuildChunk
		decode(body, &c)
		return a.buildChunk(&c)
	case BuildSealType:
		var c BuildSeal
		decode(body, &c)
		return a.buildSeal(&c)
	case BuildCancelType:
		var c BuildCancel
		decode(body, &c)
		return a.buildCancel(&c)
	case WorkerRegisterType:
		var c WorkerRegister
		decode(body, &c)
		return a.workerRegister(&c)
	case WorkerDownType:
		var c WorkerDown
		decode(body, &c)
		return a.workerDown(&c)
	case WorkerDrainType:
		var c WorkerDrain
		decode(body, &c)
		return a.workerDrain(&c)
	case AssignType:
		var c Assign
		decode(body, &c)
		return a.assign(&c)
	case CompleteType:
		var c Complete
		decode(body, &c)
		return a.complete(&c)
	case RequeueType:
		var c Requeue
		decode(body, &c)
		return a.requeue(&c)
	case BuildGCType:
		var c BuildGC
		decode(body, &c)
		return a.buildGC(&c)
	case BuildAddStepsType:
		var c BuildAddSteps
		decode(body, &c)
		return a.buildAddSteps(&c)
	case ServerAddrType:
		var c ServerAddr
		decode(body, &c)
		f.st.Servers[c.ID] = c.RPCAddr
		return &Result{}
	}
	if t&IgnoreUnknown != 0 {
		return &Result{}
	}
	panic(fmt.Sprintf("fsm: unknown log entry type %d at index %d", t, index))
}

// Snapshot captures the state; Persist encodes the capture.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return &snapshot{img: capture(f.st)}, nil
}

// Restore replaces the whole state with a persisted snapshot.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	img, err := readImage(rc)
	if err != nil {
		return err
	}
	st := img.state()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

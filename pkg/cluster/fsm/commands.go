package fsm

import (
	"fmt"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// MsgType is the first byte of every log entry. Values are append-only:
// never renumber or reuse one.
type MsgType uint8

// IgnoreUnknown marks a type that a coordinator which does not know it may
// skip (an optional command added in a later version).
const IgnoreUnknown MsgType = 128

// Log entry types.
const (
	BuildSubmitType    MsgType = 1
	BuildChunkType     MsgType = 2
	BuildSealType      MsgType = 3
	BuildCancelType    MsgType = 4
	WorkerRegisterType MsgType = 5
	WorkerDownType     MsgType = 6
	WorkerDrainType    MsgType = 7
	AssignType         MsgType = 8
	CompleteType       MsgType = 9
	RequeueType        MsgType = 10
	BuildGCType        MsgType = 11
	ServerAddrType     MsgType = 12
	BuildAddStepsType  MsgType = 13
)

// Options are a build's make flags that the coordinator needs.
type Options struct {
	Jobs      int32    // -j: at most this many steps running; 0 means no limit
	KeepGoing bool     // -k
	MaxLosses int32    // lost attempts before a step is poisoned; 0 means 3
	Labels    []string // only workers with all of these run the build
}

// StepSpec is one step as submitted: opaque to the coordinator except for its
// dependencies and priority.
type StepSpec struct {
	Target   string
	Deps     []int32
	Priority int64
	Payload  []byte
}

// BuildSubmit creates a build that is still being submitted (not sealed). A
// second BuildSubmit for an existing ID is a no-op.
type BuildSubmit struct {
	ID           string
	Options      Options
	Dir          string
	ProbePath    string // a file under Dir whose content proves a worker sees Dir
	ProbeContent []byte
	Stamp        int64 // leader's clock, Unix ms
}

// BuildChunk appends part of the build payload and some steps. Chunks are
// numbered from 0; an already applied chunk is a no-op, a gap is rejected.
type BuildChunk struct {
	ID          string
	Chunk       uint32
	PayloadPart []byte
	Steps       []StepSpec
}

// BuildSeal ends submission: the counts must match what was received, and
// the build starts.
type BuildSeal struct {
	ID         string
	Chunks     uint32
	Steps      uint32
	PayloadLen uint64
	Stamp      int64
}

// BuildCancel stops a build: nothing more starts; running steps are killed
// by their workers (the leader tells them) and report failure.
type BuildCancel struct {
	ID    string
	Stamp int64
}

// WorkerRegister starts a new session for a worker; the session number is
// the entry's log index. Steps held by the previous session are lost.
type WorkerRegister struct {
	ID     string
	Name   string
	Slots  int32
	Labels []string
	Stamp  int64
}

// WorkerDown ends a session whose lease expired; it is a no-op unless
// Session is still the worker's current one.
type WorkerDown struct {
	ID      string
	Session uint64
	Reason  string
	Stamp   int64
}

// WorkerDrain makes a worker ineligible for new steps (Enable) or eligible
// again. Deadline (Unix ms, stamped by the leader; 0 for none) is when the
// leader requeues what still runs there.
type WorkerDrain struct {
	ID       string
	Enable   bool
	Deadline int64
	Stamp    int64
}

// AssignItem starts one attempt of a ready step on a worker's session.
type AssignItem struct {
	Build   string
	Step    int32
	Worker  string
	Session uint64
}

// Assign is a batch of assignments from one scheduler round.
type Assign struct {
	Items []AssignItem
	Stamp int64
}

// ResultItem is a worker's result for one attempt.
type ResultItem struct {
	Build    string
	Step     int32
	Attempt  uint32
	Session  uint64
	Failed   bool
	Changed  bool
	ExitCode int32
	Message  string
}

// OutputItem is a chunk of an attempt's output starting at byte Offset of
// it. Bytes already recorded are skipped, so chunks may be resent.
type OutputItem struct {
	Build   string
	Step    int32
	Attempt uint32
	Session uint64
	Offset  uint64
	Data    []byte
}

// Complete is a batch of output chunks and results, applied in that order
// (an attempt's output comes before its result).
type Complete struct {
	Outputs []OutputItem
	Results []ResultItem
	Stamp   int64
}

// RequeueItem takes a running attempt back: the step becomes ready again
// (or poisoned). Counted says whether this was a loss (worker died or fenced
// itself) rather than a drain or an undelivered assignment.
type RequeueItem struct {
	Build   string
	Step    int32
	Attempt uint32
	Reason  string
	Counted bool
}

// Requeue is a batch of requeues.
type Requeue struct {
	Items []RequeueItem
	Stamp int64
}

// BuildAddSteps adds steps to a sealed, unfinished build. A dep d >= 0 names
// an existing step; d < 0 names step -d-1 of this command, which must come
// earlier in it. A Key already applied returns the first step it added then.
type BuildAddSteps struct {
	ID    string
	Key   string
	Steps []StepSpec
	Stamp int64
}

// BuildGC forgets a finished build.
type BuildGC struct {
	ID string
}

// ServerAddr records the client-facing RPC address of a coordinator, so
// followers can tell callers where the leader is.
type ServerAddr struct {
	ID      string
	RPCAddr string
}

var mh = &codec.MsgpackHandle{}

// Encode returns the log entry for a command.
func Encode(t MsgType, v any) ([]byte, error) {
	var body []byte
	if err := codec.NewEncoderBytes(&body, mh).Encode(v); err != nil {
		return nil, fmt.Errorf("encode command %d: %w", t, err)
	}
	return append([]byte{byte(t)}, body...), nil
}

// MustEncode is Encode for commands built by this program, which always
// encode.
func MustEncode(t MsgType, body any) []byte {
	b, err := Encode(t, body)
	if err != nil {
		panic(err)
	}
	return b
}

func decode(buf []byte, v any) {
	if err := codec.NewDecoderBytes(buf, mh).Decode(v); err != nil {
		panic(fmt.Sprintf("fsm: cannot decode log entry into %T: %v", v, err))
	}
}

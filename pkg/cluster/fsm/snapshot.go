package fsm

import (
	"bufio"
	"fmt"
	"io"
	"sort"

	"github.com/dmake/dmake/pkg/graph/buildstate"
	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// snapshotVersion is the first byte of a persisted snapshot.
const snapshotVersion = 1

// image is the state in a plain form, sharing nothing mutable with the live
// state: Persist encodes it while Apply goes on.
type image struct {
	Applied uint64
	Builds  []savedBuild
	Workers []Worker
	Servers []ServerAddr
}

type savedBuild struct {
	ID           string
	Index        uint64
	Options      Options
	Dir          string
	ProbePath    string
	ProbeContent []byte
	Payload      []byte
	Specs        []StepSpec
	NextChunk    uint32
	Sealed       bool
	Cancelled    bool
	Finished     bool
	SubmittedAt  int64
	FinishedAt   int64
	State        *buildstate.Saved
	Steps        []StepInfo
	Events       []Event
	AddKeys      []addKey
}

type addKey struct {
	Key   string
	First int32
}

// capture copies the state. Payload, Specs and Events are append-only and
// their elements never change, so the copy shares their backing arrays with
// a fixed length; everything mutable is copied.
func capture(st *State) *image {
	img := &image{Applied: st.Applied}
	for _, b := range st.SortedBuilds() {
		sb := savedBuild{
			ID: b.ID, Index: b.Index, Options: b.Options, Dir: b.Dir, ProbePath: b.ProbePath, ProbeContent: b.ProbeContent,
			Payload: b.Payload[:len(b.Payload):len(b.Payload)], Specs: b.Specs[:len(b.Specs):len(b.Specs)],
			NextChunk: b.NextChunk, Sealed: b.Sealed, Cancelled: b.Cancelled, Finished: b.Finished,
			SubmittedAt: b.SubmittedAt, FinishedAt: b.FinishedAt,
			Events: b.Events[:len(b.Events):len(b.Events)],
		}
		if b.State != nil {
			sb.State = b.State.Save()
		}
		for _, k := range sortedKeys(b.AddKeys) {
			sb.AddKeys = append(sb.AddKeys, addKey{k, b.AddKeys[k]})
		}
		sb.Steps = make([]StepInfo, len(b.Steps))
		for i, si := range b.Steps {
			si.LostOn = append([]string(nil), si.LostOn...)
			sb.Steps[i] = si
		}
		img.Builds = append(img.Builds, sb)
	}
	for _, w := range st.SortedWorkers() {
		cp := *w
		cp.Labels = append([]string(nil), w.Labels...)
		img.Workers = append(img.Workers, cp)
	}
	for _, id := range st.SortedServers() {
		img.Servers = append(img.Servers, ServerAddr{ID: id, RPCAddr: st.Servers[id]})
	}
	return img
}

// state rebuilds a live State from an image.
func (img *image) state() *State {
	st := newState()
	st.Applied = img.Applied
	for i := range img.Builds {
		sb := &img.Builds[i]
		b := &Build{
			ID: sb.ID, Index: sb.Index, Options: sb.Options, Dir: sb.Dir, ProbePath: sb.ProbePath, ProbeContent: sb.ProbeContent,
			Payload: sb.Payload, Specs: sb.Specs,
			NextChunk: sb.NextChunk, Sealed: sb.Sealed, Cancelled: sb.Cancelled, Finished: sb.Finished,
			SubmittedAt: sb.SubmittedAt, FinishedAt: sb.FinishedAt, Steps: sb.Steps, Events: sb.Events,
		}
		if sb.State != nil {
			b.State = buildstate.Load(sb.State)
		}
		if len(sb.AddKeys) > 0 {
			b.AddKeys = map[string]int32{}
			for _, k := range sb.AddKeys {
				b.AddKeys[k.Key] = k.First
			}
		}
		st.Builds[b.ID] = b
	}
	for i := range img.Workers {
		w := img.Workers[i]
		st.Workers[w.ID] = &w
	}
	for _, s := range img.Servers {
		st.Servers[s.ID] = s.RPCAddr
	}
	return st
}

func sortedKeys(m map[string]int32) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type snapshot struct{ img *image }

// Persist writes the captured image: a version byte, then msgpack.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	w := bufio.NewWriter(sink)
	err := w.WriteByte(snapshotVersion)
	if err == nil {
		err = codec.NewEncoder(w, mh).Encode(s.img)
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release does nothing: the image is garbage once written.
func (s *snapshot) Release() {}

func readImage(r io.Reader) (*image, error) {
	br := bufio.NewReader(r)
	v, err := br.ReadByte()
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	if v != snapshotVersion {
		return nil, fmt.Errorf("read snapshot: unknown version %d", v)
	}
	img := &image{}
	if err := codec.NewDecoder(br, mh).Decode(img); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return img, nil
}

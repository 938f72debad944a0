// Package bridge is how dmake talks to a cluster without linking a gRPC
// client: dmake starts "dmaked __bridge", writes one Request on its
// standard input and reads Events from its standard output, gob-encoded.
// dmake stays a lean make (a sub-make starts in milliseconds); everything
// that speaks to coordinators lives in dmaked. The package has no
// dependencies beyond the standard library and pkg/cluster's types.
package bridge

import (
	"encoding/gob"
	"io"

	"github.com/dmake/dmake/pkg/cluster"
)

// Command is the dmaked argument that runs the bridge.
const Command = "__bridge"

// Request is what dmake asks of the cluster.
type Request struct {
	Addrs  []string
	Op     string // OpBuild or OpAttach
	Spec   cluster.BuildSpec
	Build  string // OpAttach: the build to follow
	Detach bool   // OpBuild: submit and return
}

// Request operations.
const (
	OpBuild  = "build"
	OpAttach = "attach"
)

// Event is one event of a build, or the end of the conversation.
type Event struct {
	Kind    Kind
	Step    int32
	Target  string
	Status  string
	Message string
	Data    []byte
	// Framed is set on EvAttached: the build's output is framed by
	// makestep (a make build).
	Framed bool
}

// Kind says what an Event is.
type Kind uint8

const (
	EvSubmitted Kind = iota + 1 // the build was accepted; Message is its ID
	EvAttached                  // following an existing build
	EvStarted
	EvOutput
	EvFinished // a step finished; Status, Message
	EvLost
	EvBuildFinished // Status: succeeded, failed, cancelled
	EvError         // the bridge failed; Message says why; nothing follows
)

// Encoder writes a stream of values.
type Encoder struct{ enc *gob.Encoder }

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{gob.NewEncoder(w)} }

// Send writes one value (a Request or an Event).
func (e *Encoder) Send(v any) error { return e.enc.Encode(v) }

// Decoder reads what an Encoder wrote.
type Decoder struct{ dec *gob.Decoder }

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{gob.NewDecoder(r)} }

// Request reads the request.
func (d *Decoder) Request() (*Request, error) {
	var r Request
	err := d.dec.Decode(&r)
	return &r, err
}

// Event reads the next event.
func (d *Decoder) Event() (*Event, error) {
	var e Event
	err := d.dec.Decode(&e)
	return &e, err
}

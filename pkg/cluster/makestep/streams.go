package makestep

import (
	"encoding/binary"
	"io"
	"sync"
)

// A step's output reaches the client as one byte stream, but make keeps a
// recipe's standard output and standard error apart. So the runner frames
// every write: a tag byte saying which stream, the length as a uvarint,
// then the bytes. The client's Demux puts each frame back on its stream.
// Frames are written whole, so any chunking of the stream on its way (the
// worker cuts it into messages) is fine.
const (
	tagStdout byte = 1
	tagStderr byte = 2
)

type frameWriter struct {
	mu  *sync.Mutex
	w   io.Writer
	tag byte
}

func (f *frameWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	frame := make([]byte, 1, 1+binary.MaxVarintLen64+len(p))
	frame[0] = f.tag
	frame = binary.AppendUvarint(frame, uint64(len(p)))
	frame = append(frame, p...)
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.w.Write(frame); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Streams returns writers for a recipe's standard output and standard
// error that frame what they get onto out.
func Streams(out io.Writer) (stdout, stderr io.Writer) {
	mu := &sync.Mutex{}
	return &frameWriter{mu, out, tagStdout}, &frameWriter{mu, out, tagStderr}
}

// Demux writes framed output back onto two streams. Write takes the
// framed bytes in any chunking; an incomplete frame waits for the rest.
type Demux struct {
	Stdout, Stderr io.Writer
	buf            []byte
}

// Write implements io.Writer.
func (d *Demux) Write(p []byte) (int, error) {
	d.buf = append(d.buf, p...)
	for len(d.buf) > 0 {
		tag := d.buf[0]
		n, k := binary.Uvarint(d.buf[1:])
		if k <= 0 || uint64(len(d.buf)-1-k) < n {
			if k < 0 {
				d.buf = nil // corrupt: drop rather than print garbage
			}
			break
		}
		data := d.buf[1+k : 1+k+int(n)]
		w := d.Stdout
		if tag == tagStderr {
			w = d.Stderr
		}
		w.Write(data)
		d.buf = d.buf[1+k+int(n):]
	}
	return len(p), nil
}

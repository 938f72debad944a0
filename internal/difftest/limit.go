package difftest

import "fmt"

// maxOutput bounds what is kept of one run's stdout or stderr, so a program
// that prints without end fills neither memory nor the test log.
const maxOutput = 4 << 20

// capBuffer keeps the first max bytes written to it and counts the rest.
type capBuffer struct {
	max     int
	data    []byte
	dropped int64
}

// Write keeps what fits and never fails, so the writer never blocks or
// breaks the program's pipe.
func (b *capBuffer) Write(p []byte) (int, error) {
	room := b.max - len(b.data)
	if room >= len(p) {
		b.data = append(b.data, p...)
		return len(p), nil
	}
	if room > 0 {
		b.data = append(b.data, p[:room]...)
	}
	b.dropped += int64(len(p) - max(room, 0))
	return len(p), nil
}

// Bytes returns what was kept, followed by a note of what was dropped.
func (b *capBuffer) Bytes() []byte {
	if b.dropped == 0 {
		return b.data
	}
	return append(b.data[:len(b.data):len(b.data)], fmt.Sprintf("\n[difftest: %d more bytes not kept]\n", b.dropped)...)
}

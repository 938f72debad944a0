package syntax

import (
	"bytes"
	"strings"
)

// Pos is a place in a makefile: the file name as make prints it and a
// 1-based line number. The zero Pos means "no file" (command line, builtin).
type Pos struct {
	File string
	Line int
}

// String renders a Pos as make prints it in messages: "Makefile:12".
func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	if p.Line == 0 {
		return p.File // GNU make's "<builtin>"
	}
	return p.File + ":" + itoa(p.Line)
}

// IsZero reports whether p names no file.
func (p Pos) IsZero() bool { return p.File == "" }

func itoa(n int) string {
	if n >= 0 && n < 10 {
		return string(rune('0' + n))
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Line is one logical line: physical lines joined where a newline is
// preceded by an odd number of backslashes. Text keeps those backslash-
// newline pairs, because recipes, define bodies and ordinary lines each
// treat them differently.
type Line struct {
	Text string
	Pos  Pos // where the line starts
	Next int // line number of the physical line after this logical line
}

// Reader splits a makefile's text into logical lines.
type Reader struct {
	file string
	data []byte
	off  int
	line int // physical line number of data[off]
}

// NewReader returns a Reader over data, naming positions after file.
func NewReader(file string, data []byte) *Reader {
	return &Reader{file: file, data: data, line: 1}
}

// Pos returns the position of the next line to be read.
func (r *Reader) Pos() Pos { return Pos{File: r.file, Line: r.line} }

// Next returns the next logical line, or false at the end of the input.
// A carriage return before a newline stays part of the line, as in GNU
// make 4.3 on POSIX systems.
func (r *Reader) Next() (Line, bool) {
	if r.off >= len(r.data) {
		return Line{}, false
	}
	start := r.line
	var buf []byte
	joined := false
	for r.off < len(r.data) {
		rest := r.data[r.off:]
		nl := bytes.IndexByte(rest, '\n')
		var phys []byte
		if nl < 0 {
			phys = rest
			r.off = len(r.data)
		} else {
			phys = rest[:nl]
			r.off += nl + 1
			r.line++
		}
		if z := bytes.IndexByte(phys, 0); z >= 0 {
			// GNU make reads lines as C strings: the text after a NUL is
			// lost, and so is the next line, read into the same buffer.
			phys = phys[:z]
			if nl >= 0 {
				if n2 := bytes.IndexByte(r.data[r.off:], '\n'); n2 >= 0 {
					r.off += n2 + 1
					r.line++
				} else {
					r.off = len(r.data)
				}
			}
		}
		if !joined && (nl >= 0 || len(phys) > 0) && !continued(phys) {
			// The common case: one physical line, no copy needed.
			return Line{Text: string(phys), Pos: Pos{r.file, start}, Next: r.line}, true
		}
		buf = append(buf, phys...)
		joined = true
		if nl < 0 || !continued(phys) {
			break
		}
		buf = append(buf, '\n')
	}
	if nl := len(buf); r.off >= len(r.data) && nl > 0 && buf[nl-1] == '\n' {
		// A backslash-newline at the very end of the file continues into
		// nothing.
		buf = buf[:nl-1]
	}
	return Line{Text: string(buf), Pos: Pos{r.file, start}, Next: r.line}, true
}

// continued reports whether a physical line ends in an odd number of
// backslashes, which joins it to the next one.
func continued(b []byte) bool {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// Collapse turns the backslash-newlines of a non-recipe logical line into
// single spaces, as GNU make does outside recipes: the whitespace on both
// sides goes too, and of the backslashes before the newline half are kept.
func Collapse(s string) string {
	if strings.IndexByte(s, '\n') < 0 {
		return s
	}
	var out []byte
	for {
		nl := strings.IndexByte(s, '\n')
		if nl < 0 {
			out = append(out, s...)
			return string(out)
		}
		seg := s[:nl]
		n := 0
		for i := len(seg) - 1; i >= 0 && seg[i] == '\\'; i-- {
			n++
		}
		keep := len(seg) - n + n/2
		out = append(out, seg[:keep]...)
		s = s[nl+1:]
		if n%2 == 1 {
			s = strings.TrimLeft(s, " \t")
			for len(out) > 0 && (out[len(out)-1] == ' ' || out[len(out)-1] == '\t') {
				out = out[:len(out)-1]
			}
			out = append(out, ' ')
		} else {
			out = append(out, '\n')
		}
	}
}

// StripComment removes a comment from a non-recipe line: everything from
// the first '#' that is neither inside a variable reference or function
// call (GNU make 4.3) nor escaped by a backslash. Backslashes that escape a
// '#' are halved, as GNU make does.
func StripComment(s string) string {
	if strings.IndexByte(s, '#') < 0 {
		return s
	}
	before, _, _ := CutUnquoted(s, "#")
	return before
}

// CutUnquoted scans s for the first of the stop characters that is neither
// inside a variable reference or function call nor escaped by a backslash,
// as GNU make's find_char_unquote does. It returns the text before it with
// the escaping backslashes halved (an escaped stop character stays, less
// its backslash), the stop character found (0 if none), and the text after
// it, as written.
func CutUnquoted(s, stops string) (before string, stop byte, after string) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '$' && i+1 < len(s) {
			if s[i+1] == '(' || s[i+1] == '{' {
				j := RefEnd(s, i+1)
				out = append(out, s[i:j]...)
				i = j - 1
			} else {
				out = append(out, c, s[i+1])
				i++
			}
			continue
		}
		if strings.IndexByte(stops, c) >= 0 {
			n := 0
			for j := len(out) - 1; j >= 0 && out[j] == '\\'; j-- {
				n++
			}
			out = out[:len(out)-n+n/2]
			if n%2 == 0 {
				return string(out), c, s[i+1:]
			}
		}
		out = append(out, c)
	}
	return string(out), 0, ""
}

// RefEnd returns the index just past the reference whose open paren or
// brace is at s[open], counting nested ones of the same kind; len(s) when
// it is not closed.
func RefEnd(s string, open int) int {
	o := s[open]
	closer := byte(')')
	if o == '{' {
		closer = '}'
	}
	n := 0
	for i := open; i < len(s); i++ {
		if s[i] == o {
			n++
		} else if s[i] == closer {
			n--
			if n == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// NewReaderAt is NewReader with line numbers starting at line, for text
// evaluated in the middle of a makefile ($(eval)).
func NewReaderAt(file string, data []byte, line int) *Reader {
	return &Reader{file: file, data: data, line: line}
}

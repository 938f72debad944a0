package syntax

import (
	"strings"
	"testing"
)

func TestReaderJoinsContinuations(t *testing.T) {
	in := "a = 1\nb = x \\\n  y\n\n\tcmd \\\n\tmore\nlast\\"
	r := NewReader("Makefile", []byte(in))
	want := []Line{
		{Text: "a = 1", Pos: Pos{"Makefile", 1}, Next: 2},
		{Text: "b = x \\\n  y", Pos: Pos{"Makefile", 2}, Next: 4},
		{Text: "", Pos: Pos{"Makefile", 4}, Next: 5},
		{Text: "\tcmd \\\n\tmore", Pos: Pos{"Makefile", 5}, Next: 7},
		{Text: "last\\", Pos: Pos{"Makefile", 7}, Next: 7}, // no newline: the count does not advance
	}
	for i, w := range want {
		got, ok := r.Next()
		if !ok || got != w {
			t.Fatalf("line %d: got %+v (%v), want %+v", i, got, ok, w)
		}
	}
	if _, ok := r.Next(); ok {
		t.Fatal("extra line")
	}
}

func TestReaderEvenBackslashesDoNotJoin(t *testing.T) {
	r := NewReader("m", []byte("a\\\\\nb\n"))
	l1, _ := r.Next()
	l2, _ := r.Next()
	if l1.Text != "a\\\\" || l2.Text != "b" || l2.Pos.Line != 2 {
		t.Fatalf("%q %q", l1.Text, l2.Text)
	}
}

func TestCollapse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a \\\n   b", "a b"},
		{"a\\\n\\\nb", "a b"},
		{"a\\\\\\\nb", "a\\ b"},
		{"x", "x"},
	} {
		if got := Collapse(c.in); got != c.want {
			t.Errorf("Collapse(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStripComment(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a # c", "a "},
		{`a \# b`, "a # b"},
		{`a \\# b`, `a \`},
		{`a \\\# b # c`, `a \# b `},
		{"no comment", "no comment"},
	} {
		if got := StripComment(c.in); got != c.want {
			t.Errorf("StripComment(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPositionsIncrease(t *testing.T) {
	in := strings.Repeat("x\\\ny\n\n", 50)
	r := NewReader("f", []byte(in))
	last := 0
	for {
		l, ok := r.Next()
		if !ok {
			break
		}
		if l.Pos.Line <= last || l.Next <= l.Pos.Line {
			t.Fatalf("positions not increasing: %+v after %d", l, last)
		}
		last = l.Pos.Line
	}
}

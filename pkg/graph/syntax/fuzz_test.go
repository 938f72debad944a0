package syntax

import (
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds the shared seed makefiles in testdata/fuzz.
func addSeeds(f *testing.F, asString bool) {
	seeds, _ := filepath.Glob("../../../testdata/fuzz/*.mk")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			if asString {
				f.Add(string(b))
			} else {
				f.Add(b)
			}
		}
	}
}

// FuzzReader checks the line reader never panics or hangs and that
// positions only increase.
func FuzzReader(f *testing.F) {
	addSeeds(f, false)
	for _, s := range []string{"a\\\nb\n", "\tcmd\r\n", "#\\\n\\", "x\\\\\\\ny"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader("f", data)
		last := 0
		for n := 0; ; n++ {
			l, ok := r.Next()
			if !ok {
				break
			}
			if l.Pos.Line <= last || n > len(data)+1 {
				t.Fatalf("line %d not after %d", l.Pos.Line, last)
			}
			last = l.Pos.Line
			_ = StripComment(Collapse(l.Text))
		}
	})
}

// FuzzParseExpr checks the expression parser never panics on any text.
func FuzzParseExpr(f *testing.F) {
	addSeeds(f, true)
	for _, s := range []string{"$(a)", "${a:b=c}", "$($(x)", "$(subst a,b,$(c)", "$$$", "$(info $(if a,(b),c))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = ParseExpr(s)
	})
}

package syntax

import (
	"reflect"
	"testing"
)

func init() {
	// The evaluator registers builtins; these tests use a few of them.
	for n, a := range map[string]FuncArity{"subst": {3, 3}, "info": {0, 1}, "if": {2, 3}, "call": {1, 0}} {
		if _, ok := Funcs[n]; !ok {
			Funcs[n] = a
		}
	}
}

func TestParseExpr(t *testing.T) {
	lit := func(s string) Expr { return Literal(s) }
	ref := func(name Expr) Expr { return &Ref{Name: name} }
	for _, c := range []struct {
		in   string
		want Expr
	}{
		{"plain", lit("plain")},
		{"$$", lit("$")},
		{"a$xb", Concat{lit("a"), ref(lit("x")), lit("b")}},
		{"$(x)", ref(lit("x"))},
		{"${x}", ref(lit("x"))},
		{"$(x:a=b)", ref(lit("x:a=b"))},
		{"$($(x)_y)", ref(Concat{ref(lit("x")), lit("_y")})},
		// No '$' inside: the name ends at the first ')', as in GNU make.
		{"$(a(b)", ref(lit("a(b"))},
		{"$(guile (+ 1 2))", Concat{ref(lit("guile (+ 1 2")), lit(")")}},
		{"$", lit("$")},
		{"$(x", &Error{Msg: "unterminated variable reference"}},
		{"$(subst a,b,${c,d})", &Call{Fn: "subst", Raw: []string{"a", "b", "${c,d}"}}},
		// Commas inside braces split a paren call: GNU make counts only its own kind.
		{"$(if a,${c,d})", &Call{Fn: "if", Raw: []string{"a", "${c", "d}"}}},
		{"$(info a,b,c)", &Call{Fn: "info", Raw: []string{"a,b,c"}}},
		{"$(info)", ref(lit("info"))},
		{"$(if a, b ,c)", &Call{Fn: "if", Raw: []string{"a", " b ", "c"}}},
		{"$(subst a,b", &Error{Msg: "unterminated call to function 'subst': missing ')'"}},
	} {
		got := ParseExpr(c.in)
		if call, ok := got.(*Call); ok {
			want, _ := c.want.(*Call)
			if want == nil || call.Fn != want.Fn || !reflect.DeepEqual(call.Raw, want.Raw) {
				t.Errorf("ParseExpr(%q) = %#v, want %#v", c.in, got, c.want)
			}
			continue
		}
		if c.want == nil {
			if cc, ok := got.(Concat); got != nil && !(ok && len(cc) == 0) {
				t.Errorf("ParseExpr(%q) = %#v, want empty", c.in, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseExpr(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

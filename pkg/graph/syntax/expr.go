package syntax

import "strings"

// Expr is a parsed piece of text that may hold variable references and
// function calls. Parsing never fails: text that GNU make would reject when
// expanding it (an unterminated reference) becomes an Error node, reported
// only if and when it is expanded, as GNU make does.
type Expr interface{ expr() }

// Literal is text without references.
type Literal string

// Concat is a sequence of parts expanded one after another.
type Concat []Expr

// Ref is a variable reference: $(name), ${name} or $x. Name may itself hold
// references ($($(x)_y)); once it is expanded, a name of the form
// "var:a=b" is a substitution reference.
type Ref struct {
	Name Expr
}

// Call is a call of a builtin function: $(fn arg,arg,...). Args are split
// as GNU make splits them, before any expansion.
type Call struct {
	Fn   string
	Args []Expr
	Raw  []string // the unexpanded argument texts
	// Trim are the arguments parsed after trimming blanks from their
	// unexpanded text: if, or and and test conditions that way.
	Trim []Expr
}

// Error is text that cannot be expanded; expanding it is a fatal error with
// this message.
type Error struct {
	Msg string
}

func (Literal) expr() {}
func (Concat) expr()  {}
func (*Ref) expr()    {}
func (*Call) expr()   {}
func (*Error) expr()  {}

// FuncArity tells the parser how to split a builtin's arguments: the most
// arguments it takes (0: no limit; the last takes the rest, commas and all).
// The evaluator registers every builtin here, so parsing and evaluation
// agree on what is a function.
type FuncArity struct {
	Min, Max int
}

// Funcs maps builtin function names to their arities. It is filled in by
// the evaluator's init; the parser only reads it.
var Funcs = map[string]FuncArity{}

// ParseExpr parses text into an Expr.
func ParseExpr(s string) Expr {
	if strings.IndexByte(s, '$') < 0 {
		return Literal(s)
	}
	var parts Concat
	lit := 0 // start of pending literal text
	flush := func(end int) {
		if end > lit {
			parts = append(parts, Literal(s[lit:end]))
		}
	}
	for i := 0; i < len(s); {
		d := strings.IndexByte(s[i:], '$')
		if d < 0 {
			break
		}
		i += d
		flush(i)
		if i+1 >= len(s) {
			// A lone '$' at the end stays as it is.
			parts = append(parts, Literal("$"))
			i++
			lit = i
			break
		}
		c := s[i+1]
		switch c {
		case '$':
			parts = append(parts, Literal("$"))
			i += 2
		case '(', '{':
			e, n := parseParen(s[i+1:])
			parts = append(parts, e)
			i += 1 + n
		default:
			parts = append(parts, &Ref{Name: Literal(s[i+1 : i+2])})
			i += 2
		}
		lit = i
	}
	flush(len(s))
	if len(parts) == 1 {
		return parts[0]
	}
	return parts
}

// parseParen parses a reference starting at an open paren or brace and
// returns it with the number of bytes consumed.
func parseParen(s string) (Expr, int) {
	open := s[0]
	closer := byte(')')
	if open == '{' {
		closer = '}'
	}
	body := s[1:]
	if fn, argStart, ok := funcName(body); ok {
		if e, n, ok := parseCall(fn, body, argStart, open, closer); ok {
			return e, 1 + n
		}
	}
	end := strings.IndexByte(body, closer)
	if end < 0 {
		return &Error{Msg: "unterminated variable reference"}, len(s)
	}
	if strings.IndexByte(body[:end], '$') >= 0 {
		// Count nested parens of the same kind to find the real end.
		depth := 0
		for j := 0; j < len(body); j++ {
			switch body[j] {
			case open:
				depth++
			case closer:
				depth--
				if depth < 0 {
					return &Ref{Name: ParseExpr(body[:j])}, 1 + j + 1
				}
			}
		}
		// Unmatched opens: GNU make falls back to the first closer and
		// takes the text before it as the name, unexpanded.
	}
	return &Ref{Name: Literal(body[:end])}, 1 + end + 1
}

// funcName reports whether body starts with the name of a builtin function
// followed by blank space or the end, and where the arguments begin.
func funcName(body string) (string, int, bool) {
	j := 0
	for j < len(body) && (body[j] >= 'a' && body[j] <= 'z' || body[j] == '-') {
		j++
	}
	if j == 0 || len(Funcs) == 0 {
		return "", 0, false
	}
	if j < len(body) && !isSpace(body[j]) {
		return "", 0, false
	}
	name := body[:j]
	if _, ok := Funcs[name]; !ok {
		return "", 0, false
	}
	for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
		j++
	}
	return name, j, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'
}

// parseCall splits a function call's arguments. n counts the bytes of body
// consumed, closing paren included.
func parseCall(fn, body string, start int, open, closer byte) (Expr, int, bool) {
	depth := 0
	end := -1
	for j := start; j < len(body); j++ {
		if body[j] == open {
			depth++
		} else if body[j] == closer {
			depth--
			if depth < 0 {
				end = j
				break
			}
		}
	}
	if end < 0 {
		return &Error{Msg: "unterminated call to function '" + fn + "': missing '" + string(closer) + "'"}, len(body), true
	}
	max := Funcs[fn].Max
	args := body[start:end]
	var raw []string
	for {
		if max > 0 && len(raw) == max-1 {
			raw = append(raw, args)
			break
		}
		k := nextArg(args, open, closer)
		if k < 0 {
			raw = append(raw, args)
			break
		}
		raw = append(raw, args[:k])
		args = args[k+1:]
	}
	c := &Call{Fn: fn, Raw: raw, Args: make([]Expr, len(raw))}
	for i, a := range raw {
		c.Args[i] = ParseExpr(a)
	}
	if fn == "if" || fn == "or" || fn == "and" {
		c.Trim = make([]Expr, len(raw))
		for i, a := range raw {
			c.Trim[i] = ParseExpr(strings.Trim(a, " \t\n\v\f\r"))
		}
	}
	return c, end + 1, true
}

// nextArg returns the index of the next top-level comma, counting only
// parens of the call's own kind, as GNU make does.
func nextArg(s string, open, closer byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case closer:
			depth--
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
